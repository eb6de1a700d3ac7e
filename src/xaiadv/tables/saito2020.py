"""Attack success in the form of Saito & Wang (2020) Table 1, for every dataset x model x attack."""

from __future__ import annotations

import pandas as pd

from .. import papers
from ..io import read_json
from .render import fmt_pct, write_table


def table1(summary_files: dict[tuple[str, str, str], str], csv_path, md_path) -> pd.DataFrame:
    """``summary_files``: {(dataset, model, attack): path of the attack job's summary JSON}."""
    printed = papers.load("saito2020")
    rows = []
    for (dataset, model, attack), path in summary_files.items():
        s = read_json(path)
        sr = s["success"]
        value, cite = papers.lookup(printed, "table1", dataset, "attack_success", attack)
        rows.append({"dataset": dataset, "model": model, "attack": attack, "method": s["spec"]["method"],
                     "norm": s["spec"].get("norm", ""), "target": s["spec"].get("target", "untargeted"),
                     "eps": s["spec"].get("eps"), "success_rate": sr["rate"], "ci_lo": sr["lo"], "ci_hi": sr["hi"],
                     "n": sr["n"], "mean_l2": s["mean_l2"], "mean_linf": s["mean_linf"],
                     "paper_success_rate": None if value is None else value / 100, "paper_citation": cite})
    df = pd.DataFrame(rows)
    md = pd.DataFrame({
        "dataset": df.dataset, "model": df.model, "attack": df.attack, "target": df.target, "eps": df.eps,
        "success % [95% CI]": [fmt_pct(r.success_rate, r.ci_lo, r.ci_hi) for r in df.itertuples()],
        "n": df.n, "mean L2": df.mean_l2.map(lambda v: f"{v:.3f}"), "mean Linf": df.mean_linf.map(lambda v: f"{v:.3f}"),
        "paper %": [fmt_pct(v) for v in df.paper_success_rate]})
    notes = [
        "n = correctly classified clean images attacked; success = prediction changed (untargeted) or equals the target (targeted).",
        "Saito & Wang attack Inception-v3 on ImageNet with BIM at eps 0.1; the default config runs EfficientNet-Lite0 offline "
        "(Inception-v3 in config/paper.yaml).",
        "JSMA is targeted by construction; 'untargeted' JSMA aims at (label + 1) mod 10 and counts any label change.",
        "paper %: 'n/t' = not transcribed from the paper yet; blank rows have no printed counterpart.",
    ]
    write_table(csv_path, md_path, "Attack success (form of Saito & Wang 2020, Table 1)", df, md, notes)
    return df
