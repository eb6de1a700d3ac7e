"""Saito & Wang (2020), Figure 2: distribution of |SHAP| values, clean vs adversarial."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..cache import read_explanations
from . import save_png


def fig2(files: dict[tuple[str, str, str], str], out_png, max_values: int = 100_000, seed: int = 0) -> pd.DataFrame:
    """Histogram (log x) of |attribution| per (dataset/model, attack), hue = clean / adversarial.

    ``files``: {(dataset, model, attack): expected-gradients Parquet}. Successfully attacked
    images only; up to ``max_values`` values per variant and panel (seeded subsample).
    Returns the plotted summary (median |value| per panel and variant).
    """
    import matplotlib

    matplotlib.use("Agg")
    import seaborn as sns

    rng = np.random.default_rng(seed)
    parts = []
    for (dataset, model, attack), path in files.items():
        frame, attr, _ = read_explanations(path)
        ok = frame.attack_success.to_numpy()
        for variant in ("clean", "adversarial"):
            v = np.abs(attr[ok & (frame.variant.to_numpy() == variant)]).ravel()
            v = v[v > 0]
            if len(v) > max_values:
                v = rng.choice(v, max_values, replace=False)
            parts.append(pd.DataFrame({"|SHAP value|": v, "variant": variant, "panel": f"{dataset}/{model}",
                                       "attack": attack}))
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["|SHAP value|", "variant", "panel", "attack"])
    sns.set_theme(style="whitegrid", context="paper")
    if len(df):
        g = sns.displot(df, x="|SHAP value|", hue="variant", row="panel", col="attack", kind="hist", log_scale=True,
                        element="step", stat="density", common_norm=False, height=2.4, aspect=1.5,
                        facet_kws={"sharey": False, "sharex": False})
        g.set_titles(template="{row_name}, {col_name}", size=8)
        g.figure.suptitle("Saito & Wang (2020) Fig. 2: |expected-gradients| values, clean vs adversarial", y=1.02)
    save_png(g.figure if len(df) else None, out_png, "no successfully attacked images")
    return df.groupby(["panel", "attack", "variant"])["|SHAP value|"].median().reset_index() if len(df) else df
