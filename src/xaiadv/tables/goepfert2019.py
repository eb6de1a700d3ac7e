"""Göpfert et al. (2019) Table 1 (mean ranks of classic saliency, guided backprop and LIME by Jaccard index and
Hamming likeness) and, beyond the paper, a leaderboard of every explainer on the same regions.

Ranks: per adversarial example and explanation size n, the explainers are ranked by their score against the
attacked region (1 = best; ties share the mean rank); the mean is over all explanations, as the paper's, and its
95% interval a cluster bootstrap over adversarial examples (the sizes of one example are not independent).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import papers
from ..io import read_json
from ..localization.metrics import ranks
from ..stats import cluster_mean_ci
from .render import SMALL_N, fmt_mean_cols, fmt_pct, write_table

PAPER_DATASET = "imagenet"
# the paper's rows (metric suffix in papers/goepfert2019.csv -> label), in its order
PAPER_ROWS = {"saliency": "Classic saliency", "guided_backprop": "Guided backprop", "lime": "LIME"}
DEFAULT_PAPER_EXPLAINERS = ("saliency_signed", "guided_backprop", "lime")  # config localization.paper_explainers
NOTES = [
    "Each adversarial example: a targeted BIM (target class 77, wolf spider) confined to one of an image's 10 "
    "largest Felzenszwalb segments; only successful ones count. n: adversarial examples; explanations: examples x "
    "sizes (n = 1..20 of LIME's positive superpixels, fewer where LIME has fewer).",
    "Explanation of size n: LIME's n best superpixels (positive weights); for pixel maps the same number of pixels "
    "with the largest l1 norm over channels after discarding negative values (the paper's rule); random: that many "
    "pixels drawn uniformly (seeded).",
    "95% intervals: cluster bootstrap over images (an image's segment attacks and their explanation sizes are "
    "resampled together). Paper: Inception-v3 on 112 own photos, 608 "
    "adversarial examples, 12,160 explanations per explainer.",
    "Not given in the paper, our choices (config localization): segmentation scale / sigma / min_size, the BIM "
    "step, budget and stopping rule; LIME keeps its own defaults except num_samples (config explainers.lime).",
]


def _scores(path) -> pd.DataFrame:
    df = pd.read_csv(path)
    need = {"example", "explainer", "n", "size", "jaccard", "hamming", "pointing"}
    if not need <= set(df.columns):
        raise ValueError(f"{path}: missing columns {sorted(need - set(df.columns))}")
    return df


def rank_frame(df: pd.DataFrame, explainers: list[str]) -> pd.DataFrame:
    """Per (example, n) the rank of each of ``explainers`` by Jaccard and by Hamming likeness among them:
    columns example, n, explainer, rank_jaccard, rank_hamming (only (example, n) that all of them have)."""
    sub = df[df.explainer.isin(explainers)]
    out = []
    for metric in ("jaccard", "hamming"):
        wide = sub.pivot_table(index=["example", "n"], columns="explainer", values=metric).reindex(columns=explainers)
        wide = wide.dropna()
        r = pd.DataFrame(ranks(wide.to_numpy()) if len(wide) else np.zeros((0, len(explainers))),
                         index=wide.index, columns=explainers)
        out.append(r.stack().rename(f"rank_{metric}"))
    res = pd.concat(out, axis=1).reset_index()
    return res.rename(columns={res.columns[2]: "explainer"}) if len(res) else pd.DataFrame(
        columns=["example", "n", "explainer", "rank_jaccard", "rank_hamming"])


def _ci_cols(prefix: str, r: dict) -> dict:
    return {prefix: r["mean"], f"{prefix}_lo": r["lo"], f"{prefix}_hi": r["hi"]}


def _fmt_rank_paper(ours, lo, hi, paper) -> str:
    if paper is None or paper != paper:
        return "—"
    if ours != ours:
        return f"{paper:.2f}"
    inside = "inside" if lo - 1e-9 <= paper <= hi + 1e-9 else "outside"
    return f"{paper:.2f} (ours {ours - paper:+.2f}, {inside} our CI)"


def image_of(df: pd.DataFrame) -> pd.Series:
    """example -> the image it was crafted on (the cluster of the intervals: an image's several segment attacks
    and all their explanation sizes are not independent draws); the example itself in files without ``image``."""
    if "image" not in df:
        return pd.Series(df.example.unique(), index=df.example.unique())
    return df.groupby("example").image.first()


def _explainer_rows(df: pd.DataFrame, names: list[str], seed: int) -> list[dict]:
    rk = rank_frame(df, names)
    img = image_of(df)
    rows = []
    for e in dict.fromkeys([*names, "random"]):
        s = df[df.explainer == e]
        row = {"explainer": e}
        if e in names:
            r = rk[rk.explainer == e]
            row.update(_ci_cols("mean_rank_jaccard", cluster_mean_ci(r.rank_jaccard, r.example.map(img), seed=seed)))
            row.update(_ci_cols("mean_rank_hamming", cluster_mean_ci(r.rank_hamming, r.example.map(img), seed=seed)))
        j = cluster_mean_ci(s.jaccard, s.example.map(img), seed=seed)
        row.update(_ci_cols("mean_jaccard", j))
        row.update(_ci_cols("mean_hamming", cluster_mean_ci(s.hamming, s.example.map(img), seed=seed)))
        best = s.groupby("example").jaccard.max()
        row.update(_ci_cols("best_jaccard", cluster_mean_ci(best.to_numpy(), img[best.index].to_numpy(), seed=seed)))
        pt = s.groupby("example").pointing.first().dropna()
        p = cluster_mean_ci(pt.to_numpy(), img[pt.index].to_numpy(), seed=seed)
        row.update({"pointing": p["mean"], "pointing_lo": p["lo"], "pointing_hi": p["hi"]})
        row.update({"n_examples": int(s.example.nunique()), "n_cluster_images": j["n"], "n_explanations": j["n_items"]})
        rows.append(row)
    return rows


def hamming_note(df: pd.DataFrame, names: list[str]) -> str:
    """How often the Hamming rank equals the Jaccard rank in ``df``'s (example, size) cells, and why."""
    rk = rank_frame(df, names)
    same = int((rk.rank_jaccard == rk.rank_hamming).sum())
    return (f"Hamming ranks equal Jaccard ranks in {same} of {len(rk)} (example, size, explainer) cells: at one "
            "explanation size and one attacked region both are monotone in the overlap, so the Hamming column is "
            "the same test again, not a second one.")


def table1(files: dict, csv_path, md_path, paper_explainers: list[str] | None = None, seed: int = 0) -> pd.DataFrame:
    """Table 1. ``files``: {(dataset, model): (attack JSON, scores CSV)}; ``paper_explainers``: the three
    explainer names in the paper's order (config ``localization.paper_explainers``)."""
    printed = papers.load("goepfert2019")
    rows, hamming = [], []
    for (dataset, model), (attack_json, scores_csv) in files.items():
        att, df = read_json(attack_json), _scores(scores_csv)
        names = list(paper_explainers or DEFAULT_PAPER_EXPLAINERS)
        hamming.append(f"{dataset} / {model}: {hamming_note(df, names)}")
        paper_key = dict(zip(names, PAPER_ROWS))  # our name -> the paper's row, by position
        for row in _explainer_rows(df, names, seed):
            e = row["explainer"]
            row.update({"dataset": dataset, "model": model, "label": PAPER_ROWS.get(paper_key.get(e), e),
                        "n_images": att["n_images"], "attack_success": att["success"]["rate"],
                        "attack_success_n": att["success"]["n"]})
            for metric in ("jaccard", "hamming"):
                p = (papers.lookup(printed, "table1", dataset, f"mean_rank_{metric}:{paper_key[e]}", "localized_bim")
                     if e in paper_key else papers.NONE)
                ours, lo, hi = (row.get(f"mean_rank_{metric}{s}", float("nan")) for s in ("", "_lo", "_hi"))
                row[f"paper_rank_{metric}"] = p.value
                row[f"paper_rank_{metric}_citation"] = p.citation
                row[f"paper_rank_{metric}_inside_ci"] = (None if p.value is None or lo != lo
                                                         else bool(lo - 1e-9 <= p.value <= hi + 1e-9))
                row[f"paper_rank_{metric}_diff"] = None if p.value is None else ours - p.value
            rows.append(row)
    df = pd.DataFrame(rows)
    if df.empty:
        md = pd.DataFrame({"note": ["no localized adversarial examples"]})
    else:
        md = pd.DataFrame({
            "dataset": df.dataset, "model": df.model, "explainer": df.label,
            "mean rank, Jaccard [95% CI]": [fmt_mean_cols(r, "mean_rank_jaccard")
                                             if r.explainer != "random" else "(not ranked)" for r in df.itertuples()],
            "paper": [_fmt_rank_paper(r.mean_rank_jaccard, r.mean_rank_jaccard_lo, r.mean_rank_jaccard_hi, r.paper_rank_jaccard)
                      for r in df.itertuples()],
            "mean rank, Hamming [95% CI]": [fmt_mean_cols(r, "mean_rank_hamming")
                                             if r.explainer != "random" else "(not ranked)" for r in df.itertuples()],
            "paper ": [_fmt_rank_paper(r.mean_rank_hamming, r.mean_rank_hamming_lo, r.mean_rank_hamming_hi, r.paper_rank_hamming)
                       for r in df.itertuples()],
            "mean Jaccard [95% CI]": [fmt_mean_cols(r, "mean_jaccard", 3) for r in df.itertuples()],
            "mean Hamming likeness": [fmt_mean_cols(r, "mean_hamming", 3) for r in df.itertuples()],
            "n (images / adv. examples)": [f"{r.n_cluster_images} / {r.n_examples}"
                                           + (f" (small n={r.n_cluster_images})" if r.n_cluster_images < SMALL_N else "")
                                           for r in df.itertuples()],
            "explanations": df.n_explanations,
            "attack success % (attempts)": [fmt_pct(r.attack_success, n=r.attack_success_n) for r in df.itertuples()],
        })
    write_table(csv_path, md_path, "Göpfert et al. (2019), Table 1: mean ranks of the explainers (1 best, 3 worst) "
                "by Jaccard index and Hamming likeness against the attacked region", df, md,
                [*NOTES, "random: the baseline the paper plots in Fig. 4 (mean Jaccard), not ranked.",
                 "paper: Table 1 as printed; ours - paper in rank units.", *hamming])
    return df


def leaderboard(files: dict, csv_path, md_path, explainers: list[str] | None = None, seed: int = 0) -> pd.DataFrame:
    """Beyond the paper: every explainer of the scores file (and the random baseline) ranked together, with mean
    Jaccard, the best Jaccard over sizes and the pointing game. ``files`` as :func:`table1`."""
    rows = []
    for (dataset, model), (_attack_json, scores_csv) in files.items():
        df = _scores(scores_csv)
        names = explainers or [e for e in dict.fromkeys(df.explainer) if e != "random"]
        for row in _leader(df, names, seed):
            row.update({"dataset": dataset, "model": model})
            rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        md = pd.DataFrame({"note": ["no localized adversarial examples"]})
    else:
        out = out.sort_values(["dataset", "model", "mean_rank_jaccard"]).reset_index(drop=True)
        md = pd.DataFrame({
            "dataset": out.dataset, "model": out.model, "explainer": out.explainer,
            "mean rank, Jaccard [95% CI]": [fmt_mean_cols(r, "mean_rank_jaccard")
                                             for r in out.itertuples()],
            "mean rank, Hamming": [fmt_mean_cols(r, "mean_rank_hamming")
                                   for r in out.itertuples()],
            "mean Jaccard": [fmt_mean_cols(r, "mean_jaccard", 3) for r in out.itertuples()],
            "best Jaccard over sizes": [fmt_mean_cols(r, "best_jaccard", 3)
                                        for r in out.itertuples()],
            "pointing game % [95% CI]": [fmt_pct(r.pointing, r.pointing_lo, r.pointing_hi, r.n_cluster_images)
                                         for r in out.itertuples()],
            "n (images / adv. examples)": [f"{r.n_cluster_images} / {r.n_examples}" for r in out.itertuples()],
        })
    write_table(csv_path, md_path, "Beyond Göpfert et al. (2019): which explainer finds the localized attack "
                "(every explainer and a random baseline, ranked together)", out, md,
                [*NOTES, "Ranks among all the rows of a model (random included): 1 best.",
                 "best Jaccard over sizes: per example the best of its n = 1..20 explanations, then the mean.",
                 "Pointing game (Zhang et al. 2016): the map's maximum inside the region (LIME: the share of its top "
                 "superpixel inside; random: the region's share of the image). Not in the paper."])
    return out


def _leader(df: pd.DataFrame, names: list[str], seed: int) -> list[dict]:
    """Rows of :func:`_explainer_rows` with the random baseline ranked among ``names`` too."""
    return _explainer_rows(df, [*names, "random"], seed)
