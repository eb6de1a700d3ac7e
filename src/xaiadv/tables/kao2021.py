"""Kao et al. (2021) Table I: clean test accuracy of each classifier."""

from __future__ import annotations

import pandas as pd

from .. import papers
from ..io import read_json
from .render import INTERVAL_NOTE, fmt_paper, fmt_pct, paper_fields, write_table


def table1(metrics_files: dict[tuple[str, str], str], csv_path, md_path) -> pd.DataFrame:
    """``metrics_files``: {(dataset, model): path of train_classifier's metrics.json}."""
    printed = papers.load("kao2021")
    rows = []
    for (dataset, model), path in metrics_files.items():
        m = read_json(path)
        acc = m["test_accuracy"]
        p = papers.lookup(printed, "table1", dataset, "accuracy")
        rows.append({"dataset": dataset, "model": model, "arch": m["arch"], "weights": m["weights"],
                     "accuracy": acc["rate"], "ci_lo": acc["lo"], "ci_hi": acc["hi"], "n": acc["n"],
                     **paper_fields(p, acc["rate"], acc["lo"], acc["hi"], "paper_accuracy")})
    df = pd.DataFrame(rows)
    md = pd.DataFrame({
        "dataset": df.dataset, "model": df.model, "arch": df.arch, "weights": df.weights,
        "accuracy % [95% CI]": [fmt_pct(r.accuracy, r.ci_lo, r.ci_hi, r.n) for r in df.itertuples()],
        "n": df.n, "paper %": [fmt_paper(r, "paper_accuracy") for r in df.itertuples()]})
    notes = [
        "Accuracy on the data set's prepared test split (n images); " + INTERVAL_NOTE + ".",
        "Architectures: the paper's 'simple CNN' layers are not given; we use the classic Keras example CNNs (deviation).",
        "ImageNet: pretrained weights; n is the number of ImageNet images this config prepares (column n), not the "
        "50,000-image validation set.",
        "paper %: Kao et al.'s Table I (src/xaiadv/papers/kao2021.csv); their ImageNet model is a ResNet on a "
        "15-class Mini-ImageNet, ours a 1,000-class model, so that row compares different tasks.",
    ]
    write_table(csv_path, md_path, "Kao et al. (2021), Table I: classifier accuracy", df, md, notes)
    return df


def table2(rectify_files: dict[tuple[str, str, str, str], str], csv_path, md_path) -> pd.DataFrame:
    """Kao et al. (2021) Table II form: rectified accuracy per (dataset, model, attack, rectifier).

    ``rectify_files``: {(dataset, model, attack, rectifier): path of the rectify job's JSON}. Beside the
    paper's number (fraction of successful adversarial examples whose rectified label is the true one):
    the clean accuracy after the same rectifier on the same images (beyond the paper).
    """
    printed = papers.load("kao2021")
    rows = []
    for (dataset, model, attack, rectifier), path in rectify_files.items():
        r = read_json(path)
        p = papers.lookup(printed, "table2", dataset, f"rectified_accuracy:{rectifier}", attack)
        if r.get("skipped"):  # e.g. a denoiser without training images
            rows.append({"dataset": dataset, "model": model, "attack": attack, "rectifier": rectifier,
                         "method": r["method"], "n": 0, "skipped": r["skipped"],
                         **paper_fields(p, None, None, None, "paper_rectified_accuracy")})
            continue
        adv, clean = r["adversarial"], r["clean"]
        rows.append({"dataset": dataset, "model": model, "attack": attack, "rectifier": rectifier, "method": r["method"],
                     "rectified_accuracy": adv["rate"], "ci_lo": adv["lo"], "ci_hi": adv["hi"], "n": adv["n"],
                     "std_over_repeats": adv.get("std_over_repeats"),
                     "ndcg1": r.get("ndcg", {}).get("adversarial", {}).get("1", {}).get("mean"),
                     "ndcg5": r.get("ndcg", {}).get("adversarial", {}).get("5", {}).get("mean"),
                     "clean_ndcg5": r.get("ndcg", {}).get("clean", {}).get("5", {}).get("mean"),
                     "clean_accuracy": clean["rate"],
                     "clean_lo": clean["lo"], "clean_hi": clean["hi"], "n_clean": clean["n"],
                     **paper_fields(p, adv["rate"], adv["lo"], adv["hi"], "paper_rectified_accuracy")})
    df = pd.DataFrame(rows)
    if df.empty:
        df = pd.DataFrame(columns=["dataset", "model", "attack", "rectifier", "rectified_accuracy", "ci_lo", "ci_hi", "n",
                                   "std_over_repeats", "clean_accuracy", "clean_lo", "clean_hi", "n_clean",
                                   *paper_fields(papers.NONE, None, None, None, "paper_rectified_accuracy")])

    if "skipped" not in df:
        df["skipped"] = None

    def acc(r):
        if isinstance(r.skipped, str):
            return "skipped"
        s = fmt_pct(r.rectified_accuracy, r.ci_lo, r.ci_hi, r.n)
        sd = r.std_over_repeats
        return s + (f" (sd {100 * sd:.1f})" if sd is not None and sd == sd else "")

    md = pd.DataFrame({
        "dataset": df.dataset, "model": df.model, "attack": df.attack, "rectifier": df.rectifier,
        "adversarial -> true % [95% CI]": [acc(r) for r in df.itertuples()],
        "clean kept % [95% CI]": ["skipped" if isinstance(r.skipped, str) else
                                  fmt_pct(r.clean_accuracy, r.clean_lo, r.clean_hi, r.n_clean) for r in df.itertuples()],
        "NDCG@1 / @5 (adv.)": ["" if not isinstance(getattr(r, "ndcg1", None), float) or r.ndcg1 != r.ndcg1
                               else f"{r.ndcg1:.2f} / {r.ndcg5:.2f}" for r in df.itertuples()],
        "n": df.n, "paper %": [fmt_paper(r, "paper_rectified_accuracy") for r in df.itertuples()]})
    notes = [
        "Rectified accuracy: fraction of the successful adversarial examples (the first n_rectify per attack) whose "
        "rectified prediction is the true label; the paper assumes a perfect detector, so does this column.",
        "clean kept (beyond the paper): the same rectifier applied to the same images' clean versions (explained for "
        "their own predicted label); accuracy after rectification.",
        "I-GOS: Kao's no-penalty objective, stopped per image once the adversarial-class probability <= stop_prob; "
        "CAM rectifiers: majority vote over repeats; random deletion: mean over repeats (sd = spread over repeats).",
        "Mask size, blur kernels and the ImageNet iteration counts of the default config are scaled down for a CPU "
        "(config comments); paper scale in config/paper.yaml.",
        "dae: our conv denoising autoencoder (architecture and noise not given in the paper), trained per data set "
        "on its train split; 'skipped' where the data set has none (e.g. the foolbox ImageNet images).",
        "paper %: Kao et al.'s Table II (src/xaiadv/papers/kao2021.csv; random deletion with its printed spread), "
        "whether it lies inside our 95% interval and ours - paper in points; '—' = no such cell in the paper. "
        "Their ImageNet rows are a ResNet on a 15-class Mini-ImageNet (ours: a 1,000-class model).",
        "(small n=k): a rate on fewer than 30 examples; read its interval, not its point.",
        "NDCG@1 / @5 (beyond the paper; Brama & Grinshpoun 2020, Eq. 3-7, coverage 0.99): how much of the benign "
        "image's top predictions the rectified adversarial example's ranking recovers (1 = all, in order).",
        "heat_and_blur: Brama & Grinshpoun's Heat and Blur (Algorithm 1) as one more rectifier (not in Kao et al.).",
        "Why ours differ from the paper: docs/results/gaps/README.md (the eps sweep, the eps inferred from the "
        "paper's own baseline rows, and the ablations of the CAM layer, key area, I-GOS noise, objective, "
        "iterations and mask size); the verdicts on the paper's claims: CLAIMS.md.",
    ]
    write_table(csv_path, md_path, "Kao et al. (2021), Table II: rectified accuracy of adversarial examples", df, md, notes)
    return df


def endtoend(files: dict[tuple[str, str, str], str], csv_path, md_path) -> pd.DataFrame:
    """Beyond Kao et al.: every rectifier behind Saito & Wang's detector, per (dataset, model, attack).

    ``files``: {(dataset, model, attack): path of the endtoend job's JSON}. Columns: detector TPR / FPR on
    these images, the rectifier's oracle accuracy (Table II), end-to-end adversarial and clean accuracy."""
    rows = []
    for (dataset, model, attack), path in files.items():
        r = read_json(path)
        base = {"dataset": dataset, "model": model, "attack": attack, "explainer": r.get("explainer"),
                "detector": r.get("detector"), "n": r.get("n", 0), "n_train_images": r.get("n_train_images")}
        if r.get("skipped"):
            rows.append({**base, "rectifier": None, "skipped": r["skipped"]})
            continue
        for name, v in r["rectifiers"].items():
            rows.append({**base, "rectifier": name, "tpr": r["tpr"]["rate"], "fpr": r["fpr"]["rate"],
                         "oracle_adversarial": v["oracle_adversarial"]["rate"],
                         "adversarial": v["adversarial"]["rate"], "adv_lo": v["adversarial"]["lo"],
                         "adv_hi": v["adversarial"]["hi"], "clean": v["clean"]["rate"], "clean_lo": v["clean"]["lo"],
                         "clean_hi": v["clean"]["hi"], "skipped": None})
    cols = ["dataset", "model", "attack", "rectifier", "explainer", "detector", "n", "n_train_images", "tpr", "fpr",
            "oracle_adversarial", "adversarial", "adv_lo", "adv_hi", "clean", "clean_lo", "clean_hi", "skipped"]
    df = pd.DataFrame(rows).reindex(columns=cols)
    sk = [isinstance(s, str) for s in df.skipped]
    md = pd.DataFrame({
        "dataset": df.dataset, "model": df.model, "attack": df.attack,
        "rectifier": ["(skipped: " + s + ")" if k else r for r, s, k in zip(df.rectifier, df.skipped, sk)],
        "detector TPR / FPR %": ["" if k else f"{100 * t:.0f} / {100 * f:.0f}" for t, f, k in zip(df.tpr, df.fpr, sk)],
        "oracle adv. % (Table II)": ["" if k else fmt_pct(v) for v, k in zip(df.oracle_adversarial, sk)],
        "end-to-end adv. % [95% CI]": ["" if k else fmt_pct(r.adversarial, r.adv_lo, r.adv_hi, r.n)
                                       for r, k in zip(df.itertuples(), sk)],
        "end-to-end clean % [95% CI]": ["" if k else fmt_pct(r.clean, r.clean_lo, r.clean_hi, r.n)
                                        for r, k in zip(df.itertuples(), sk)],
        "n": df.n})
    notes = [
        "Not in Kao et al. (they assume a perfect detector). An input flagged by the detector (score >= 0.5) is "
        "rectified; an unflagged one is classified as it is.",
        "end-to-end adv.: adversarial examples classified correctly = flagged AND rectified to the true label; "
        "end-to-end clean: their clean versions classified correctly (unflagged, or flagged and still correct after "
        "rectification). Without any defense these are 0% and 100%.",
        "The detector (Saito & Wang: a classifier on expected-gradients attributions) is fitted on the same attack's "
        "successfully attacked images that are not rectified, and applied to the rectified ones.",
        "Skipped where too few images are explained for a detector (the default's ImageNet).",
    ]
    write_table(csv_path, md_path, "Beyond Kao et al. (2021): rectification behind Saito & Wang's detector", df, md, notes)
    return df
