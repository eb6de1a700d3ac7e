"""endtoend: every rectifier of one attack behind Saito & Wang's detector instead of an oracle."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import runtime


def run(job) -> None:
    fin, fout, par = job.input, job.output, job.params
    timer = runtime.Timer()
    with timer("load"):
        from ..cache import read_explanations
        from ..detectors.endtoend import behind_detector
        from ..io import read_json, write_json

        frame, attribution, meta = read_explanations(fin.explanations)
        rectified, skipped = {}, []
        for p in fin.rectified:
            r = read_json(p)
            if r.get("skipped"):
                skipped.append(Path(p).stem)
            else:
                rectified[Path(p).stem] = r["per_image"]
    with timer("compute"):
        res = behind_detector(frame, attribution, rectified, par.detector, seed=par.seed, min_images=par.min_images)
    if "skipped" in res:
        print(f"skipped: {res['skipped']}", file=sys.stderr)
    else:
        print(f"detector {par.detector_name} on {meta['explainer']}: TPR {100 * res['tpr']['rate']:.1f}%, "
              f"FPR {100 * res['fpr']['rate']:.1f}% (n={res['n']}, trained on {res['n_train_images']} images)",
              file=sys.stderr)
        for name, r in res["rectifiers"].items():
            print(f"{name}: adversarial {100 * r['adversarial']['rate']:.1f}% (oracle {100 * r['oracle_adversarial']['rate']:.1f}%), "
                  f"clean {100 * r['clean']['rate']:.1f}%", file=sys.stderr)
    with timer("write"):
        res.update(dataset=meta["dataset"], model=meta["model"], attack=meta["attack"], explainer=meta["explainer"],
                   detector=par.detector_name, detector_spec=par.detector, rectifiers_skipped=skipped)
        write_json(fout.json, res)
    timer.report("endtoend", attack=meta["attack"])
