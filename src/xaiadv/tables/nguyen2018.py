"""Nguyen et al. (2018) Tables 1-4, the models' accuracies (§3.2) and the adaptive attack (beyond the paper).

Every rate with n and its 95% interval; the paper's printed number (CIFAR-10, AlexNet f1) beside rows of the
same data set, and as context ("CIFAR-10: ...", not compared) beside rows of another data set.
"""

from __future__ import annotations

import pandas as pd

from .. import papers
from ..io import read_json
from ..stats import MIN_CALIB
from .render import fmt_paper, fmt_pct, paper_fields, write_table

PAPER_DATASET = "cifar10"  # the paper evaluates CIFAR-10 only
COMMON_NOTES = [
    "f1 = the image classifier, g = the LAN (Grimm et al. 2017; the mask shown and classified is 1 - A, "
    "high = important), f2 = LeNet on the masks; adversarial iff f1(x) != f2(g(x)).",
    "Only adversarial examples that fool the model they were crafted on count (n = their number).",
    "paper %: Nguyen et al.'s printed number (CIFAR-10, AlexNet-style f1); on another data set shown as "
    "context ('CIFAR-10: ...'), not compared.",
    "Not given in the paper, our choices (config lan_detection, marked deviations): LAN widths 500-500, "
    "leaky ReLU 0.2, beta, Adam, epochs, training subset, per-pixel mask; f2 epochs and optimiser; attack "
    "budgets (the paper gives none).",
    "(small n=k): a rate on fewer than 30 examples.",
]


def _paper(printed_df, table: str, dataset: str, metric: str, attack: str, rate: dict, prefix: str) -> dict:
    """paper_fields for a same-data-set cell, plus ``<prefix>_context`` (the CIFAR-10 number) otherwise."""
    same = papers.lookup(printed_df, table, dataset, metric, attack)
    ctx = papers.lookup(printed_df, table, PAPER_DATASET, metric, attack)
    out = paper_fields(same, rate.get("rate"), rate.get("lo"), rate.get("hi"), prefix)
    out[f"{prefix}_context"] = ctx.value if dataset != PAPER_DATASET else None
    return out


def _fmt_paper(row, prefix: str) -> str:
    s = fmt_paper(row, prefix)
    ctx = getattr(row, f"{prefix}_context")
    if s == "—" and ctx is not None and ctx == ctx:
        return f"CIFAR-10: {100 * ctx:.1f}"
    return s


def _rate_cols(prefix: str, r: dict) -> dict:
    return {prefix: r["rate"], f"{prefix}_lo": r["lo"], f"{prefix}_hi": r["hi"], f"{prefix}_n": r["n"]}


def _fmt(row, prefix: str) -> str:
    return fmt_pct(getattr(row, prefix), getattr(row, f"{prefix}_lo"), getattr(row, f"{prefix}_hi"),
                   getattr(row, f"{prefix}_n"))


def _rows(files: dict, fields) -> pd.DataFrame:
    printed = papers.load("nguyen2018")
    rows = []
    for (dataset, model, source, attack), path in files.items():
        r = read_json(path)
        row = {"dataset": dataset, "f1": model, "source": source, "attack": attack, "n": r["n"],
               "n_successful": r["n_successful"]}
        row.update(fields(r, printed, dataset, attack))
        rows.append(row)
    return pd.DataFrame(rows)


def table1(files: dict, csv_path, md_path) -> pd.DataFrame:
    """Table 1: fraction of successful adversarial examples whose mask keeps its clean mask's f2 class.
    ``files``: {(dataset, f1, source, attack): lan_detect JSON}."""
    df = _rows(files, lambda r, p, d, a: {**_rate_cols("mask_kept", r["mask_kept"]),
                                          **_paper(p, "table1", d, "mask_kept", a, r["mask_kept"], "paper_mask_kept")})
    md = pd.DataFrame({"dataset": df.dataset, "f1": df.f1, "attack": df.attack,
                       "mask class kept % [95% CI]": [_fmt(r, "mask_kept") for r in df.itertuples()],
                       "n": df.n, "paper %": [_fmt_paper(r, "paper_mask_kept") for r in df.itertuples()]})
    write_table(csv_path, md_path, "Nguyen et al. (2018), Table 1: adversarial examples whose attention mask keeps "
                "its mask classification", df, md, ["kept: f2(g(x*)) = f2(g(x)) for the adversarial x* of x.",
                                                   *COMMON_NOTES])
    return df


def _detection_fields(table: str):
    def fields(r, p, d, a):
        out = {**_rate_cols("tp", r["tp"]), **_rate_cols("tn", r["tn"]), **_rate_cols("f1_fooled", r["f1_fooled"]),
               **_rate_cols("tp_fooling_f1", r["tp_fooling_f1"]), **_rate_cols("tpr_at_fpr", r["tpr_at_fpr"]),
               "auroc": r["auroc"]["auroc"], "auroc_lo": r["auroc"]["lo"], "auroc_hi": r["auroc"]["hi"],
               "fpr": r["fpr"], "n_calib": r["n_calib"]}
        out.update(_paper(p, table, d, "tp", a, r["tp"], "paper_tp"))
        out.update(_paper(p, table, d, "tn", a, r["tn"], "paper_tn"))
        return out
    return fields


def _auc(r) -> str:
    return "—" if r.auroc != r.auroc else f"{r.auroc:.3f} [{r.auroc_lo:.3f}, {r.auroc_hi:.3f}]"


def table2(files: dict, csv_path, md_path, table: str = "table2") -> pd.DataFrame:
    """Tables 2 (crafted on f1) and 3 (crafted on a transfer source): TP rate on the successful adversarial
    examples, TN rate on their clean images; beyond the paper AUROC and TPR at fixed FPR of the score
    1 - p_f2(f1's class). ``files``: {(dataset, f1, source, attack): lan_detect JSON}."""
    df = _rows(files, _detection_fields(table))
    transfer = table == "table3"
    cols = {"dataset": df.dataset, "f1": df.f1}
    if transfer:
        cols.update({"crafted on": df.source, "attack": df.attack,
                     "fools f1 too % [95% CI]": [_fmt(r, "f1_fooled") for r in df.itertuples()]})
    else:
        cols["attack"] = df.attack
    cols.update({
        "n": df.n,
        "TP % [95% CI]": [_fmt(r, "tp") for r in df.itertuples()],
        "paper TP %": [_fmt_paper(r, "paper_tp") for r in df.itertuples()],
        "TN % [95% CI]": [_fmt(r, "tn") for r in df.itertuples()],
        "paper TN %": [_fmt_paper(r, "paper_tn") for r in df.itertuples()],
        "AUROC [95% CI]": [_auc(r) for r in df.itertuples()],
        "TPR % at FPR 5%": [_fmt(r, "tpr_at_fpr") if r.n_calib >= MIN_CALIB else
                            f"— ({r.n_calib} clean calibration scores < {MIN_CALIB})" for r in df.itertuples()],
    })
    if transfer:
        cols["TP % on those fooling f1"] = [_fmt(r, "tp_fooling_f1") for r in df.itertuples()]
    md = pd.DataFrame(cols)
    title = ("Nguyen et al. (2018), Table 3: detection of adversarial examples crafted on a transfer source"
             if transfer else "Nguyen et al. (2018), Table 2: detection of adversarial examples crafted on f1")
    notes = ["TP: flagged adversarial examples; TN: their clean images not flagged (the paper pairs the same number "
             "of benign images; ours are the same images' clean versions).",
             "Beyond the paper: AUROC (adversarial vs their clean images) and TPR at the FPR in the header, "
             "the threshold set on never-attacked clean test images (n_calib), of the score 1 - p_f2(f1's class | mask)."]
    if transfer:
        notes.append("Transfer: examples that fool the source model (the paper's 'generated for VGG-like'); 'fools f1 "
                     "too' is the transfer rate; an example that does not fool f1 is flagged only if f2 disagrees "
                     "with f1's (correct) class.")
    write_table(csv_path, md_path, title, df, md, [*notes, *COMMON_NOTES])
    return df


def table4(files: dict, csv_path, md_path) -> pd.DataFrame:
    """Table 4: restricted to images whose clean mask f2 classifies correctly: TP, TN and recovery
    (f2(g(x*)) = true label). ``files``: {(dataset, f1, source, attack): lan_detect JSON}."""
    def fields(r, p, d, a):
        f = r["filtered"]
        out = {"n_filtered": f["n"], **_rate_cols("tp", f["tp"]), **_rate_cols("tn", f["tn"]),
               **_rate_cols("recovery", f["recovery"]),
               **_rate_cols("tn_all", r.get("tn_all_clean") or {"rate": float("nan"), "n": 0, "lo": None, "hi": None})}
        for m in ("tp", "tn", "recovery"):
            out.update(_paper(p, "table4", d, m, a, f[m], f"paper_{m}"))
        return out

    df = _rows(files, fields)
    md = pd.DataFrame({
        "dataset": df.dataset, "f1": df.f1, "crafted on": df.source, "attack": df.attack,
        "n (mask correct) / n": [f"{r.n_filtered} / {r.n}" for r in df.itertuples()],
        "TP % [95% CI]": [_fmt(r, "tp") for r in df.itertuples()],
        "paper TP %": [_fmt_paper(r, "paper_tp") for r in df.itertuples()],
        "TN % [95% CI]": [_fmt(r, "tn") for r in df.itertuples()],
        "paper TN %": [_fmt_paper(r, "paper_tn") for r in df.itertuples()],
        "TN % on all clean [95% CI]": [_fmt(r, "tn_all") for r in df.itertuples()],
        "recovery % [95% CI]": [_fmt(r, "recovery") for r in df.itertuples()],
        "paper recovery %": [_fmt_paper(r, "paper_recovery") for r in df.itertuples()]})
    write_table(csv_path, md_path, "Nguyen et al. (2018), Table 4: detection and recovery where f2 classifies the "
                "clean image's mask correctly", df, md,
                ["Filter: f2(g(x)) = true label of x (the paper keeps '60% of the test set'); recovery: "
                 "f2(g(x*)) = true label.",
                 "TN after the filter is 100% by construction wherever f1 classifies the clean image correctly (always "
                 "on rows crafted on f1): a clean image is flagged only when f2's mask class differs from f1's, and "
                 "the filter keeps masks f2 classifies as the true label. 'TN on all clean': the rate on the "
                 "never-attacked clean test images that set the threshold (n_calib), unfiltered.", "Rows crafted on f1 and on the transfer source (the paper: 'exactly "
                 "the same results for AlexNet and VGG-like').", *COMMON_NOTES])
    return df


def models(files: dict, csv_path, md_path) -> pd.DataFrame:
    """§3.2: f1's accuracy on the test images and f2's on their LAN masks (the paper: 82% and 60%).
    ``files``: {(dataset, f1): train_mask_classifier metrics JSON}."""
    printed = papers.load("nguyen2018")
    rows = []
    for (dataset, model), path in files.items():
        r = read_json(path)
        row = {"dataset": dataset, "f1": model, **_rate_cols("f1_acc", r["f1_accuracy"]),
               **_rate_cols("f2_acc", r["f2_accuracy"]), **_rate_cols("agree", r["agreement"]),
               "n_train_masks": r["n_train"]}
        row.update(_paper(printed, "models", dataset, "f1_accuracy", "", r["f1_accuracy"], "paper_f1"))
        row.update(_paper(printed, "models", dataset, "f2_accuracy", "", r["f2_accuracy"], "paper_f2"))
        rows.append(row)
    df = pd.DataFrame(rows)
    md = pd.DataFrame({
        "dataset": df.dataset, "f1": df.f1, "n": df.f1_acc_n,
        "f1 accuracy % [95% CI]": [_fmt(r, "f1_acc") for r in df.itertuples()],
        "paper f1 %": [_fmt_paper(r, "paper_f1") for r in df.itertuples()],
        "f2 accuracy on masks % [95% CI]": [_fmt(r, "f2_acc") for r in df.itertuples()],
        "paper f2 %": [_fmt_paper(r, "paper_f2") for r in df.itertuples()],
        "f1 = f2 (clean TN) %": [_fmt(r, "agree") for r in df.itertuples()],
        "f2 trained on masks": df.n_train_masks})
    write_table(csv_path, md_path, "Nguyen et al. (2018), §3.2: accuracy of f1 on images and of f2 on LAN masks",
                df, md, ["All test images of the data set; 'f1 = f2' is the detector's TN rate on all of them.",
                         *COMMON_NOTES])
    return df


def adaptive(files: dict, csv_path, md_path) -> pd.DataFrame:
    """Beyond the paper: targeted PGD on f1 alone vs on f1 and f2(g(x)) jointly (the attacker knows the
    detector): attack success on f1, detection rate of the successful ones, evasion (f1 fooled and not
    flagged). ``files``: {(dataset, f1): lan_adaptive JSON}."""
    rows = []
    for (dataset, model), path in files.items():
        r = read_json(path)
        for name in ("pgd", "adaptive"):
            a = r[name]
            rows.append({"dataset": dataset, "f1": model, "attack": name, "weight": a["weight"],
                         "eps": r["spec"]["eps"], "steps": r["spec"]["steps"], "target": r["spec"]["target"],
                         "n": r["n"], **_rate_cols("success", a["success"]), **_rate_cols("detected", a["detected"]),
                         **_rate_cols("evaded", a["evaded"]), **_rate_cols("recovery", a["recovery"]),
                         **_rate_cols("tn_clean", r["tn_clean"]), "mean_linf": a["linf"]})
    df = pd.DataFrame(rows)
    md = pd.DataFrame({
        "dataset": df.dataset, "f1": df.f1,
        "attack": ["targeted PGD on f1" if a == "pgd" else f"adaptive PGD (f1 + {w:g} x f2(g))"
                   for a, w in zip(df.attack, df.weight)],
        "eps": df.eps, "n": df.n,
        "f1 -> target % [95% CI]": [_fmt(r, "success") for r in df.itertuples()],
        "detected % of those": [_fmt(r, "detected") for r in df.itertuples()],
        "evaded % of all": [_fmt(r, "evaded") for r in df.itertuples()],
        "clean TN %": [_fmt(r, "tn_clean") for r in df.itertuples()]})
    write_table(csv_path, md_path, "Beyond Nguyen et al. (2018): an attack that knows the LAN detector", df, md, [
        "Targeted L_inf PGD to f1's second most likely class (config lan_detection.adaptive); the adaptive attack "
        "adds f2's cross-entropy on the LAN mask toward the same target, so f1 and f2 agree on it "
        "(Carlini & Wagner 2017, 'Adversarial examples are not easily detected').",
        "detected: flagged among the images where f1 reached the target; evaded: f1 fooled and not flagged.",
        "Not in the paper (it evaluates non-adaptive attacks only).", *COMMON_NOTES])
    return df


def interpretations(files: dict, csv_path, md_path) -> pd.DataFrame:
    """Beyond the paper: the detector f1(x) != f2(map(x)) with f2 trained on each explainer's maps; f2's accuracy
    on clean test maps and TP / TN / AUROC per attack. ``files``: {(dataset, f1): lan_interpretations JSON}."""
    rows = []
    for (dataset, model), path in files.items():
        r = read_json(path)
        for name, res in r["interpretations"].items():
            for atk, v in res["attacks"].items():
                rows.append({"dataset": dataset, "f1": model, "interpretation": name, "method": res["method"],
                             "n_train": r["n_train"], **_rate_cols("f2_acc", res["f2_accuracy"]),
                             "attack": atk, "n": v["n"], **_rate_cols("tp", v["tp"]), **_rate_cols("tn", v["tn"]),
                             "auroc": v["auroc"]["auroc"], "auroc_lo": v["auroc"]["lo"], "auroc_hi": v["auroc"]["hi"]})
    df = pd.DataFrame(rows)
    md = pd.DataFrame({
        "dataset": df.dataset, "f1": df.f1, "f2 trained on": df.interpretation,
        "f2 accuracy on maps %": [_fmt(r, "f2_acc") for r in df.itertuples()],
        "attack": df.attack, "n": df.n,
        "TP % [95% CI]": [_fmt(r, "tp") for r in df.itertuples()],
        "TN % [95% CI]": [_fmt(r, "tn") for r in df.itertuples()],
        "AUROC [95% CI]": [_auc(r) for r in df.itertuples()]})
    write_table(csv_path, md_path, "Beyond Nguyen et al. (2018): which interpretation rises best", df, md, [
        "Each row: f2 = LeNet trained on one explainer's maps of the same first n_train training images (maps of "
        "f1's predicted class; attributions as |attribution| summed over channels, scaled to max 1 per image; the "
        "LAN mask 1 - A and the raw image as they are); adversarial iff f1(x) != f2(map(x)).",
        "input_pixels = f2 on the image itself: a second classifier, no interpretation (the baseline to beat).",
        "TN on the same images' clean versions; AUROC of 1 - p_f2(f1's class).", "Not in the paper.",
        "(small n=k): a rate on fewer than 30 examples."])
    return df
