"""Kao et al. (2021) Table I: clean test accuracy of each classifier."""

from __future__ import annotations

import pandas as pd

from .. import papers
from ..io import read_json
from .render import fmt_pct, write_table


def table1(metrics_files: dict[tuple[str, str], str], csv_path, md_path) -> pd.DataFrame:
    """``metrics_files``: {(dataset, model): path of train_classifier's metrics.json}."""
    printed = papers.load("kao2021")
    rows = []
    for (dataset, model), path in metrics_files.items():
        m = read_json(path)
        acc = m["test_accuracy"]
        value, cite = papers.lookup(printed, "table1", dataset, "accuracy")
        rows.append({"dataset": dataset, "model": model, "arch": m["arch"], "weights": m["weights"],
                     "accuracy": acc["rate"], "ci_lo": acc["lo"], "ci_hi": acc["hi"], "n": acc["n"],
                     "paper_accuracy": None if value is None else value / 100, "paper_citation": cite})
    df = pd.DataFrame(rows)
    md = pd.DataFrame({
        "dataset": df.dataset, "model": df.model, "arch": df.arch, "weights": df.weights,
        "accuracy % [95% CI]": [fmt_pct(r.accuracy, r.ci_lo, r.ci_hi) for r in df.itertuples()],
        "n": df.n, "paper %": [fmt_pct(v) for v in df.paper_accuracy]})
    notes = [
        "Accuracy on the data set's prepared test split (n images); 95% percentile-bootstrap interval.",
        "Architectures: the paper's 'simple CNN' layers are not given; we use the classic Keras example CNNs (deviation).",
        "ImageNet: pretrained weights; n is the number of evaluation images configured (20 foolbox images by default), "
        "not the 50,000-image validation set.",
        "paper %: 'n/t' = not transcribed from the paper yet (src/xaiadv/papers/kao2021.csv).",
    ]
    write_table(csv_path, md_path, "Kao et al. (2021), Table I: classifier accuracy", df, md, notes)
    return df
