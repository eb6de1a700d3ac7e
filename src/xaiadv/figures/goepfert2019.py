"""Göpfert et al. (2019) Figure 4 (Jaccard index and Hamming likeness over the explanation size, one example and
the mean over all) and Figures 1-3 (image, localized adversarial example, ground-truth region and the three
explanations at the same size)."""

from __future__ import annotations

from . import save_png


def fig4(items: dict, out_png, example: int = 0):
    """``items``: {(dataset, model): localize_score CSV}. Per model one row: Jaccard and Hamming likeness of each
    explainer (and the random baseline) over the number n of LIME superpixels, for adversarial example
    ``example`` and averaged over all examples (mean with a 95% bootstrap band). Returns the figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd
    import seaborn as sns

    frames = {k: pd.read_csv(p) for k, p in items.items()}
    frames = {k: f for k, f in frames.items() if len(f)}
    if not frames:
        save_png(None, out_png, empty="no localized adversarial examples")
        return None
    fig, axes = plt.subplots(len(frames), 4, figsize=(17, 3.6 * len(frames)), squeeze=False)
    for row, ((d, m), df) in zip(axes, frames.items()):
        ex = example if example in set(df.example) else int(df.example.min())
        one = df[df.example == ex]
        for ax, (data, metric, what) in zip(row, [(one, "jaccard", f"example {ex}"), (one, "hamming", f"example {ex}"),
                                                 (df, "jaccard", f"mean of {df.example.nunique()} examples"),
                                                 (df, "hamming", f"mean of {df.example.nunique()} examples")]):
            sns.lineplot(data=data, x="n", y=metric, hue="explainer", ax=ax, marker="o" if data is one else None,
                         errorbar=("ci", 95) if data is df else None, seed=0, legend=ax is row[0])
            ax.set(title=f"{d} / {m}: {what}", xlabel="n (LIME superpixels; the same pixel count for the others)",
                   ylabel={"jaccard": "Jaccard index", "hamming": "Hamming likeness"}[metric])
        if row[0].get_legend():
            sns.move_legend(row[0], "upper right", fontsize=7)
    fig.tight_layout()
    save_png(fig, out_png)
    return fig


def fig3(items: dict, out_png, per_model: int = 2, n: int = 3):
    """``items``: {(dataset, model): (attack .safetensors, scores CSV, [the three explainers' Parquet files])}.
    For the first ``per_model`` adversarial examples of each model: the image, the adversarial example, the
    ground-truth region and each explanation cut to |S_1 ∪ ... ∪ S_n| pixels (white = in the explanation)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from safetensors.numpy import load_file

    from ..cache import read_explanations
    from ..localization import metrics as M

    panels = []
    for (d, m), (attack_file, _scores, explanation_files) in items.items():
        t = load_file(str(attack_file))
        maps = {}
        for p in explanation_files:
            _, attr, meta = read_explanations(p)
            maps[meta["explainer"]] = (meta["spec"]["method"], M.pixel_relevance(attr))
        lime = next((k for k, (method, _) in maps.items() if method == "lime"), None)
        for k in range(min(per_model, len(t["x_adv"]))):
            region = t["region"][k].astype(bool)
            ranked = M.superpixel_ranking(maps[lime][1][k]) if lime else []
            size = M.partial_union_sizes(ranked[:n])[-1:] if ranked else np.array([int(region.sum())])
            cols = [(t["x"][t["image"][k]], f"{d} / {m}\nimage {int(t['index'][t['image'][k]])}"),
                    (t["x_adv"][k], f"adversarial (segment {int(t['segment'][k]) + 1})"),
                    (region, f"ground truth ({int(region.sum())} px)")]
            for name, (method, rel) in maps.items():
                mask = (np.cumsum(ranked[:n], axis=0)[-1] > 0 if ranked else np.zeros_like(region)) if name == lime \
                    else M.top_k_masks(rel[k], size, np.random.default_rng(0))[0]
                j = float(M.jaccard(mask, region))
                cols.append((mask, f"{name} ({int(size[0])} px)\nJaccard {j:.2f}"))
            panels.append(cols)
    if not panels:
        save_png(None, out_png, empty="no localized adversarial examples")
        return None
    ncol = max(len(p) for p in panels)
    fig, axes = plt.subplots(len(panels), ncol, figsize=(2.6 * ncol, 2.9 * len(panels)), squeeze=False)
    for row, cols in zip(axes, panels):
        for ax in row:
            ax.axis("off")
        for ax, (img, title) in zip(row, cols):
            if img.ndim == 3:
                img = np.transpose(img, (1, 2, 0))
                ax.imshow(img.squeeze(), cmap="gray" if img.shape[2] == 1 else None, vmin=0, vmax=1)
            else:
                ax.imshow(img, cmap="gray", vmin=0, vmax=1)
            ax.set_title(title, fontsize=8)
    fig.tight_layout()
    save_png(fig, out_png)
    return fig
