"""detect: train and score the configured detectors on one explanation cache file."""

from __future__ import annotations

import sys

from .. import runtime


def run(job) -> None:
    fin, fout, par = job.input, job.output, job.params
    timer = runtime.Timer()
    with timer("load"):
        from ..cache import read_explanations
        from ..detectors.evaluate import run_detection
        from ..io import write_json

        frame, attribution, meta = read_explanations(fin.explanations)
    with timer("compute"):
        d = par.detection
        res = run_detection(frame, attribution, par.detectors, par.seed, d["test_size"], d["calib_size"], d["fpr"],
                            d["min_images"])
    for name, r in res["detectors"].items():
        if "skipped" in r:
            print(f"{name}: skipped ({r['skipped']})", file=sys.stderr)
        else:
            tpr = f"{100 * r['tpr']:.1f}%" if r["tpr"] is not None else f"- ({r['tpr_note']})"
            print(f"{name}: accuracy {100 * r['accuracy']:.1f}%, AUROC {r['auroc']:.3f}, "
                  f"TPR@{100 * d['fpr']:.0f}%FPR {tpr} (test images {res['n_test']})", file=sys.stderr)
    with timer("write"):
        res.update(dataset=meta["dataset"], model=meta["model"], attack=meta["attack"], explainer=meta["explainer"],
                   explainer_spec=meta["spec"], detection=d, fpr=d["fpr"])
        write_json(fout.json, res)
    timer.report("detect", attack=meta["attack"], explainer=meta["explainer"])
