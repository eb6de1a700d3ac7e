"""Attack success in the form of Saito & Wang (2020) Table 1, for every dataset x model x attack."""

from __future__ import annotations

import pandas as pd

from .. import papers
from ..io import read_json
from .render import INTERVAL_NOTE, fmt_auroc, fmt_paper, fmt_pct, paper_fields, write_table


def table1(summary_files: dict[tuple[str, str, str], str], csv_path, md_path) -> pd.DataFrame:
    """``summary_files``: {(dataset, model, attack): path of the attack job's summary JSON}."""
    printed = papers.load("saito2020")
    rows = []
    for (dataset, model, attack), path in summary_files.items():
        s = read_json(path)
        sr = s["success"]
        p = papers.lookup(printed, "table1", dataset, "attack_success", attack)
        rows.append({"dataset": dataset, "model": model, "attack": attack, "method": s["spec"]["method"],
                     "norm": s["spec"].get("norm", ""), "target": s["spec"].get("target", "untargeted"),
                     "eps": s["spec"].get("eps"), "success_rate": sr["rate"], "ci_lo": sr["lo"], "ci_hi": sr["hi"],
                     "n": sr["n"], "mean_l2": s["mean_l2"], "mean_linf": s["mean_linf"],
                     **paper_fields(p, sr["rate"], sr["lo"], sr["hi"], "paper_success_rate")})
    df = pd.DataFrame(rows)
    md = pd.DataFrame({
        "dataset": df.dataset, "model": df.model, "attack": df.attack, "target": df.target, "eps": df.eps,
        "success % [95% CI]": [fmt_pct(r.success_rate, r.ci_lo, r.ci_hi, r.n) for r in df.itertuples()],
        "n": df.n, "mean L2": df.mean_l2.map(lambda v: f"{v:.3f}"), "mean Linf": df.mean_linf.map(lambda v: f"{v:.3f}"),
        "paper %": [fmt_paper(r, "paper_success_rate") for r in df.itertuples()]})
    notes = [
        "n = correctly classified clean images attacked; success = prediction changed (untargeted) or equals the target (targeted).",
        "Saito & Wang attack Inception-v3 on ImageNet with BIM at eps 0.1; the default config runs EfficientNet-Lite0 offline "
        "(Inception-v3 in config/paper.yaml).",
        "JSMA is targeted by construction; 'untargeted' JSMA aims at (label + 1) mod 10 and counts any label change.",
        "paper %: Saito & Wang's Table 1 (Inception-v3, ImageNet, eps 0.1), beside our ImageNet rows of the same attack "
        "(bimacc_* = the same printed cell, the authors' released-code form); '—' = no printed counterpart.",
        "(small n=k): a rate on fewer than 30 examples.",
    ]
    write_table(csv_path, md_path, "Attack success (form of Saito & Wang 2020, Table 1)", df, md, notes)
    return df


def table2(detection_files: dict[tuple[str, str, str, str], str], csv_path, md_path) -> pd.DataFrame:
    """Detection accuracy, AUROC and TPR at fixed FPR for every (dataset, model, attack, explainer, detector).

    ``detection_files``: {(dataset, model, attack, explainer): path of the detect job's JSON}.
    The paper's number (best detector, ImageNet, SHAP) sits beside the expected-gradients rows.
    """
    printed = papers.load("saito2020")
    rows = []
    for (dataset, model, attack, explainer), path in detection_files.items():
        r = read_json(path)
        for det, d in r["detectors"].items():
            row = {"dataset": dataset, "model": model, "attack": attack, "explainer": explainer, "detector": det,
                   "n_images": r["n_images"], "n_test_images": r.get("n_test", 0)}
            if "skipped" in d:
                row["note"] = d["skipped"]
            else:
                ci = d["ci95"]
                row.update(method=d["method"], features=d["features"], accuracy=d["accuracy"], acc_lo=ci["accuracy"][0],
                           acc_hi=ci["accuracy"][1], auroc=d["auroc"], auroc_lo=ci["auroc"][0], auroc_hi=ci["auroc"][1],
                           tpr=d["tpr"], tpr_lo=(ci["tpr"] or [None])[0], tpr_hi=(ci["tpr"] or [None, None])[1],
                           fpr=r["fpr"], fpr_test=d["fpr_test"], tpr_note=d.get("tpr_note"),
                           one_class=bool(d.get("one_class", False)))
            # the paper's cell: SHAP (expected-gradients) features, flat, LR or RF, per attack
            is_shap = r.get("explainer_spec", {}).get("method") == "expected_gradients"
            p = papers.lookup(printed, "table2", dataset, f"detection_accuracy:{det}", attack) if is_shap else papers.NONE
            row.update(paper_fields(p, row.get("accuracy"), row.get("acc_lo"), row.get("acc_hi"), "paper_accuracy"))
            rows.append(row)
    df = pd.DataFrame(rows)
    for col in ("accuracy", "acc_lo", "acc_hi", "auroc", "auroc_lo", "auroc_hi", "tpr", "tpr_lo", "tpr_hi", "fpr", "note",
                "tpr_note", "one_class"):
        if col not in df:
            df[col] = None
    # every row beside the raw-pixel baseline (input_pixels) of the same data set, model, attack and detector: an
    # explanation helps only where it beats the pixels it explains beyond both intervals
    px = df[df.explainer == "input_pixels"].set_index(["dataset", "model", "attack", "detector"])
    key = list(zip(df.dataset, df.model, df.attack, df.detector))
    for col, src in (("pixels_accuracy", "accuracy"), ("pixels_lo", "acc_lo"), ("pixels_hi", "acc_hi"),
                     ("pixels_one_class", "one_class")):
        df[col] = [px[src].get(k) if k in px.index and df.explainer.iloc[i] != "input_pixels" else None
                   for i, k in enumerate(key)]
    beats = []
    for r in df.itertuples():
        if r.pixels_accuracy is None or r.pixels_accuracy != r.pixels_accuracy or r.accuracy is None or r.accuracy != r.accuracy:
            beats.append("")
        elif r.acc_lo > r.pixels_hi:
            beats.append("above")
        elif r.acc_hi < r.pixels_lo:
            beats.append("below")
        else:
            beats.append("overlap")
    df["vs_pixels"] = beats
    md = pd.DataFrame({
        "dataset": df.dataset, "model": df.model, "attack": df.attack, "explainer": df.explainer, "detector": df.detector,
        "accuracy % [95% CI]": [(f"{100 * r.accuracy:.1f} (one class for every test row)" if r.one_class is True
                                 else fmt_pct(r.accuracy, r.acc_lo, r.acc_hi, 2 * r.n_test_images))
                                if r.accuracy == r.accuracy and r.accuracy is not None
                                else f"skipped: {r.note}" for r in df.itertuples()],
        "AUROC [95% CI]": [fmt_auroc(r.auroc, r.auroc_lo, r.auroc_hi, r.n_test_images, r.n_test_images)
                           for r in df.itertuples()],
        "TPR % at FPR 5%": [f"— ({r.tpr_note})" if isinstance(r.tpr_note, str) else
                            fmt_pct(r.tpr, r.tpr_lo, r.tpr_hi, r.n_test_images) for r in df.itertuples()],
        "raw pixels % (same detector)": [("" if r.pixels_accuracy is None or r.pixels_accuracy != r.pixels_accuracy
                                          else (f"{100 * r.pixels_accuracy:.1f} (one class for every test row)"
                                                if r.pixels_one_class is True else
                                                fmt_pct(r.pixels_accuracy, r.pixels_lo, r.pixels_hi, 2 * r.n_test_images))
                                          + f" ({r.vs_pixels})")
                                         for r in df.itertuples()],
        "test images": df.n_test_images,
        "paper acc. %": [fmt_paper(r, "paper_accuracy") for r in df.itertuples()]})
    notes = [
        "Features: the explanation of the predicted class for the clean image and for its (successful) adversarial "
        "version; 'flat' = flattened attribution (the paper), 'sorted' = sorted values (the authors' code).",
        "Train / calibration / test split by image (an image's clean and adversarial rows never straddle it); the TPR "
        "threshold is set on the calibration split's clean images only (none from fewer than 20 clean scores: '—' "
        "with the count); " + INTERVAL_NOTE + " (resampling whole images: an image's clean and adversarial rows "
        "together); where AUROC is 1 the interval is exact (perfect separation; xaiadv.tables.render.fmt_auroc).",
        "input_pixels = no explanation: the detector sees the image itself. 'raw pixels %' is that baseline for the "
        "same attack and detector beside every explanation row: 'above' / 'below' = the explanation's accuracy "
        "interval lies entirely above / below the pixels' interval, 'overlap' otherwise (no evidence that the "
        "explanation adds anything).",
        "paper acc. %: Saito & Wang's Table 2 (Inception-v3, ImageNet, 8,000 training / 2,000 test pairs), beside our "
        "ImageNet expected-gradients rows of the same attack and detector (logreg = their Logistic Regression, forest = "
        "their Random Forest); '—' = no printed counterpart (other data sets, explainers, feature forms).",
        "Accuracy is over the test split's clean and adversarial rows (2 per test image); TPR over its adversarial rows. "
        "(small n=k): fewer than 30 rows.",
    ]
    write_table(csv_path, md_path, "Saito & Wang (2020), Table 2: detection of adversarial examples from explanations",
                df, md, notes)
    return df
