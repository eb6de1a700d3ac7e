"""lan_detect: Nguyen et al. (2018) Tables 1-4 for one attack, crafted on f1 itself or on a transfer source,
detected with f1 / g / f2."""

from __future__ import annotations

import sys

from .. import runtime

N_EXAMPLES = 8  # successful adversarial examples kept (images and masks) for the figure
N_CALIB = 2000  # clean test images, never attacked, whose scores set the threshold for TPR at fixed FPR


def run(job) -> None:
    fin, fout, par, wc = job.input, job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        import numpy as np
        import torch

        from ..data import load_split
        from ..detectors.lan import flags, lan_outputs, scores
        from ..io import load_tensors, save_tensors, write_json
        from ..stats import auroc_ci, rate_ci, threshold_at_fpr
        from ._attacked import chosen
        from ._lan import load_detector

        device, f1, g, f2 = load_detector(job)
        adv, _ = load_tensors(fin.adv)
        # the attacked rows and the first N_CALIB after them cover every row used below
        last = int(adv["index"].max()) if len(adv["index"]) else -1
        x, y_all, _, _ = load_split(fin.test, last + 1 + N_CALIB)
    with timer("compute"):
        nb = par.batch["lan"] or 256  # images per LAN pass (the model's batch.lan)
        c = chosen(x, adv, par.n_detect or 0)  # successful on the model that crafted them (f1 or the source)
        o_adv = lan_outputs(f1, g, f2, c["x_adv"], batch_size=nb, device=device)
        o_cln = lan_outputs(f1, g, f2, c["x_clean"], batch_size=nb, device=device)
        unused = torch.ones(len(x), dtype=torch.bool)
        unused[adv["index"]] = False
        calib = torch.nonzero(unused).flatten()[:N_CALIB]
        o_cal = lan_outputs(f1, g, f2, x[calib], batch_size=nb, device=device)
    y = c["y"]
    r = lambda v: rate_ci(np.asarray(v, dtype=float), seed=par.seed)  # noqa: E731
    flag_adv, flag_cln = flags(o_adv), flags(o_cln)
    fools_f1 = o_adv["pred_f1"] != y
    s_adv, s_cln, s_cal = scores(o_adv).numpy(), scores(o_cln).numpy(), scores(o_cal).numpy()
    # no threshold at a fixed FPR from fewer than MIN_CALIB clean scores (the TPR column then prints "—")
    thr = threshold_at_fpr(s_cal, par.fpr)
    thr = float("nan") if thr is None else thr
    good = o_cln["pred_f2"] == y  # Table 4: the clean image's mask is classified correctly by f2
    res = {
        "dataset": wc.dataset, "model": wc.model, "source": wc.source, "attack": wc.attack,
        "transfer": wc.source != wc.model, "n_successful": c["n_successful"], "n": len(y),
        "f1_fooled": r(fools_f1.numpy()),  # 100% when crafted on f1; the transfer rate otherwise
        "mask_kept": r((o_adv["pred_f2"] == o_cln["pred_f2"]).numpy()),  # Table 1
        "tp": r(flag_adv.numpy()), "tn": r((~flag_cln).numpy()),  # Tables 2 / 3
        # TN on the never-attacked clean test images (the calibration set), beside the filtered TN of Table 4
        "tn_all_clean": r((~flags(o_cal)).numpy()),
        "tp_fooling_f1": r(flag_adv[fools_f1].numpy()),
        "auroc": auroc_ci(s_cln, s_adv, seed=par.seed),
        "fpr": par.fpr, "threshold": thr, "n_calib": len(s_cal),
        "tpr_at_fpr": r(s_adv > thr) if thr == thr else r([]), "fpr_paired_clean": r(s_cln > thr) if thr == thr else r([]),
        "filtered": {  # Table 4
            "n": int(good.sum()), "tp": r(flag_adv[good].numpy()), "tn": r((~flag_cln[good]).numpy()),
            "recovery": r((o_adv["pred_f2"][good] == y[good]).numpy()),
        },
    }
    print(f"{wc.attack} on {wc.source} -> {wc.model}: n={len(y)}, mask kept {100 * res['mask_kept']['rate']:.1f}%, "
          f"TP {100 * res['tp']['rate']:.1f}%, TN {100 * res['tn']['rate']:.1f}%, "
          f"AUROC {res['auroc']['auroc']:.3f}", file=sys.stderr)
    k = slice(0, N_EXAMPLES)
    with timer("write"):
        write_json(fout.json, res)
        save_tensors(fout.examples, {
            "index": c["index"][k], "y": y[k], "x_clean": c["x_clean"][k], "x_adv": c["x_adv"][k],
            "mask_clean": o_cln["mask"][k], "mask_adv": o_adv["mask"][k],
            "f1_clean": o_cln["pred_f1"][k], "f1_adv": o_adv["pred_f1"][k],
            "f2_clean": o_cln["pred_f2"][k], "f2_adv": o_adv["pred_f2"][k]},
            {"dataset": wc.dataset, "model": wc.model, "source": wc.source, "attack": wc.attack})
    timer.report("lan_detect", attack=wc.attack, source=wc.source, n=len(y))
