"""lan_interpretations: beyond Nguyen et al. (2018), which interpretation "rises" best. The same detector
(f1(x) != f2(map(x))) with f2 = LeNet trained on the maps of another explainer (saliency, integrated gradients,
guided backprop, Grad-CAM, the LAN mask, and the raw image as a no-interpretation baseline), on the same
training images, attacks and clean images."""

from __future__ import annotations

import sys

from .. import runtime


def to_map(attr, method: str):
    """A map f2 can classify, float32 (N, c, H, W) in [0, 1]: the LAN mask and the image as they are; attributions
    as |attribution| summed over channels, divided by each image's maximum."""
    if method in ("lan", "input_pixels"):
        return attr.clamp(0, 1)
    m = attr.abs().sum(1, keepdim=True)
    return m / m.flatten(1).amax(1).clamp_min(1e-12).view(-1, 1, 1, 1)


def run(job) -> None:
    fin, fout, par, wc = job.input, job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        import numpy as np
        import torch

        from ..data import load_split
        from ..detectors.lan import train_mask_classifier
        from ..explainers import explain
        from ..io import load_tensors, write_json
        from ..stats import auroc_ci, rate_ci
        from ..models.train import predict
        from ._attacked import chosen
        from ._lan import load_detector

        device, f1, g, _ = load_detector(job, with_f2=False)
        spec = par.spec
        x_tr, y_tr, _, _ = load_split(fin.train, spec["n_train"])
        x_full, y_full, _, _ = load_split(fin.test)
        x_te, y_te = x_full[:spec["n_test"]], y_full[:spec["n_test"]]
        attacks = {}
        for path in fin.adv:
            adv, meta = load_tensors(path)
            attacks[meta["attack"]] = chosen(x_full, adv, spec["n_attack"])
    with timer("compute"):  # f1's class of every image once: the class each explainer explains
        nb = par.batch["lan"] or 256  # images per inference pass (the model's batch.lan)
        pred = {"train": predict(f1, x_tr, nb, device), "test": predict(f1, x_te, nb, device),
                **{(k, v): predict(f1, c[v], nb, device) for k, c in attacks.items() for v in ("x_adv", "x_clean")}}
    r = lambda v: rate_ci(np.asarray(v, dtype=float), seed=par.seed)  # noqa: E731
    results = {}
    for name, ex in par.explainers.items():
        method = ex["method"]
        with timer("compute"):
            def maps(x, key):
                target = pred[key]
                ctx = {"seed": par.seed, "lan": g}
                return to_map(explain(f1, x, target, ex, par.batch["explain"], device, progress=False, **ctx), method), target

            m_tr, _ = maps(x_tr, "train")
            f2, _ = train_mask_classifier(m_tr, y_tr, epochs=spec["epochs"], lr=spec["lr"], batch_size=spec["batch_size"],
                                          seed=par.seed, device=device)

            def f2_of(m):
                with torch.no_grad():
                    return torch.cat([torch.softmax(f2(m[i:i + nb].to(device)), 1).cpu() for i in range(0, len(m), nb)])

            m_te, p1_te = maps(x_te, "test")
            p2_te = f2_of(m_te)
            res = {"method": method, "f2_accuracy": r((p2_te.argmax(1) == y_te).numpy()),
                   "agreement": r((p2_te.argmax(1) == p1_te).numpy()), "attacks": {}}
            for atk, c in attacks.items():
                out = {}
                for variant in ("x_adv", "x_clean"):
                    m, p1 = maps(c[variant], (atk, variant))
                    p2 = f2_of(m)
                    out[variant] = (p1, p2)
                (p1a, p2a), (p1c, p2c) = out["x_adv"], out["x_clean"]
                score = lambda p1, p2: (1 - p2[torch.arange(len(p2)), p1]).numpy()  # noqa: E731
                res["attacks"][atk] = {"n": len(p1a), "tp": r((p1a != p2a.argmax(1)).numpy()),
                                       "tn": r((p1c == p2c.argmax(1)).numpy()),
                                       "auroc": auroc_ci(score(p1c, p2c), score(p1a, p2a), seed=par.seed)}
        results[name] = res
        print(f"{name}: f2 accuracy on maps {100 * res['f2_accuracy']['rate']:.1f}%; " + ", ".join(
            f"{k} TP {100 * v['tp']['rate']:.0f}% TN {100 * v['tn']['rate']:.0f}%" for k, v in res["attacks"].items()),
            file=sys.stderr)
    with timer("write"):
        write_json(fout.json, {"dataset": wc.dataset, "model": wc.model, "spec": spec, "n_train": len(y_tr),
                           "n_test": len(y_te), "interpretations": results})
    timer.report("lan_interpretations", model=wc.model, n=len(y_tr))
