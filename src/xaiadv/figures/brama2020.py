"""Brama & Grinshpoun (2020) Figure 4 (the sigma sweep) and Figure 5 (mean NDCG@k of Adv, Cleaned, Control)."""

from __future__ import annotations

from . import save_png


def _panels(items: dict, out_png, width: float, height: float):
    """The jobs' JSON files read, and a grid of up to 3 panels per row for them (unused panels hidden):
    ``(runs, fig, axes)``; None (after writing a blank figure) when there is no job."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..io import read_json

    runs = {k: read_json(p) for k, p in items.items()}
    if not runs:
        save_png(None, out_png, empty="no Heat and Blur jobs")
        return None
    n = len(runs)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.axis("off")
    return runs, fig, axes


def fig4(items: dict, out_png):
    """``items``: {(dataset, model, attack): heat_blur JSON}. One panel per job: over sigma, the accuracy of
    benign images after Heat and Blur, the adversarial examples' true label and (targeted) target label after it,
    and the mean l_inf distance of the cleaned adversarial example from the benign image (right axis; 0.031 marked)."""
    grid = _panels(items, out_png, 5.2, 3.8)
    if grid is None:
        return None
    runs, fig, axes = grid
    for ax, ((d, m, a), r) in zip(axes.flat, runs.items()):
        sw = r["sweep"]
        s = [p["sigma"] for p in sw]
        ax.plot(s, [p["control_accuracy"]["rate"] for p in sw], "-", color="tab:blue", label="benign (control)")
        ax.plot(s, [p["adversarial_true_label"]["rate"] for p in sw], ":", color="tab:red", label="AE: true label")
        if r["targeted"]:
            ax.plot(s, [p["adversarial_target_label"]["rate"] for p in sw], "--", color="black", label="AE: target label")
        ax.set(ylim=(-0.02, 1.02), xlabel="sigma (p_blur, pixels)", ylabel="accuracy",
               title=f"{d} / {m} / {a} (n={r['n']})")
        ax2 = ax.twinx()
        linf = [p["linf_cleaned_vs_benign"]["mean"] for p in sw]
        ax2.plot(s, linf, "-.", color="tab:green", label="l_inf(cleaned AE, benign)")
        ax2.axhspan(0, 0.031, color="tab:green", alpha=0.08)
        ax2.axhline(0.031, color="tab:green", lw=0.6)
        ax2.set_ylabel("l_inf distance", color="tab:green")
        if ax is axes.flat[0]:
            h1, l1 = ax.get_legend_handles_labels()
            h2, l2 = ax2.get_legend_handles_labels()
            ax.legend(h1 + h2, l1 + l2, fontsize=7, loc="center right")
    fig.tight_layout()
    save_png(fig, out_png)
    return fig


def fig5(items: dict, out_png):
    """``items`` as :func:`fig4`. One panel per job: mean NDCG@k (k = 1..5) with 95% intervals for Adv, Cleaned and
    Control; their top-1 accuracy in the legend."""
    grid = _panels(items, out_png, 5.0, 3.6)
    if grid is None:
        return None
    runs, fig, axes = grid
    style = {"adversarial": ("Adv", "tab:red", "o"), "cleaned": ("Cleaned", "tab:blue", "s"),
             "control": ("Control", "tab:green", "^")}
    for ax, ((d, m, a), r) in zip(axes.flat, runs.items()):
        for g, (label, color, marker) in style.items():
            nd = r["main"][g]["ndcg"]
            ks = sorted(nd, key=int)
            mean = [nd[k]["mean"] for k in ks]
            lo = [nd[k]["lo"] for k in ks]
            hi = [nd[k]["hi"] for k in ks]
            ax.plot([int(k) for k in ks], mean, marker=marker, color=color,
                    label=f"{label} (top-1 {100 * r['main'][g]['top1']['rate']:.0f}%)")
            ax.fill_between([int(k) for k in ks], lo, hi, color=color, alpha=0.15)
        ax.set(ylim=(-0.02, 1.02), xlabel="k (top predictions)", ylabel="mean NDCG@k",
               title=f"{d} / {m} / {a} (n={r['n']}, sigma {r['spec']['sigma']})")
        ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    save_png(fig, out_png)
    return fig
