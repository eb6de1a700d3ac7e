"""Kao et al. (2021), Figures 6-7: CAM rectifiers over the intensity x percentage grid."""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import save_png


def cam_grid(paths: list[str], out_png, images: str = "adversarial") -> pd.DataFrame:
    """Heatmaps of rectified accuracy (%) over intensity (rows) x percentage (columns): one panel per
    (data set/model, rectifier) row and attack column, from ``rectify_grid`` CSVs ``paths``.

    ``images``: "adversarial" (Figure 6: adversarial examples rectified to their true label) or "clean"
    (Figure 7: clean images that keep their true label). Returns the plotted rows.
    Raises ``ValueError`` for another ``images``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    if images not in ("adversarial", "clean"):
        raise ValueError(f"images = {images!r}: allowed adversarial, clean")
    frames = [pd.read_csv(p) for p in paths]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if len(df):
        df = df[df["images"] == images].copy()
        df["panel"] = df["dataset"] + "/" + df["model"] + ": " + df["rectifier"]
        df["accuracy (%)"] = 100 * df["accuracy"]
    sns.set_theme(style="white", context="paper")
    if len(df):
        def panel(data, **kw):
            m = data.pivot_table(index="intensity", columns="percentage", values="accuracy (%)")
            ax = plt.gca()
            # pcolormesh, not seaborn.heatmap: heatmap draws the whole figure once per panel (tick-label
            # overlap check, annotation colours), 50 s for 56 panels instead of 2
            ax.pcolormesh(m.to_numpy(), vmin=0, vmax=100, cmap="viridis")
            for (i, j), v in np.ndenumerate(m.to_numpy()):
                if v == v:
                    ax.text(j + 0.5, i + 0.5, f"{v:.0f}", ha="center", va="center", fontsize=6,
                            color="black" if v > 60 else "white")
            ax.set_xticks(np.arange(m.shape[1]) + 0.5, [f"{v:g}" for v in m.columns], fontsize=6)
            ax.set_yticks(np.arange(m.shape[0]) + 0.5, [f"{v:g}" for v in m.index], fontsize=6)
            ax.set_aspect("equal")
            n = int(data["n"].iloc[0])
            plt.gca().text(1.0, 1.01, f"n={n}", transform=plt.gca().transAxes, ha="right", va="bottom", fontsize=6)

        # own axes per panel: grids may differ per data set (per_dataset intensity / percentage)
        g = sns.FacetGrid(df, row="panel", col="attack", height=2.0, aspect=1.0, margin_titles=False,
                          sharex=False, sharey=False)
        g.map_dataframe(panel)
        for (row, col), ax in g.axes_dict.items():  # attacks not swept for this data set: no empty frame
            if not ((df["panel"] == row) & (df["attack"] == col)).any():
                ax.set_visible(False)
        g.set_titles(template="{row_name}\n{col_name}", size=6)
        g.set_axis_labels("percentage of key area", "intensity")
        what = ("adversarial examples rectified to their true label" if images == "adversarial"
                else "clean images that keep their true label")
        fig_no = 6 if images == "adversarial" else 7
        g.figure.suptitle(f"Kao et al. (2021) Fig. {fig_no}: CAM rectifiers, % of {what}", y=1.01)
    save_png(g.figure if len(df) else None, out_png, "no grid results")
    return df
