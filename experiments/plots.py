"""Figures of the gap experiments (experiments/gaps.py): eps sweep of every rectifier and Saito's learning curve.

  python experiments/plots.py docs/results/gaps    # reads the CSVs there, writes the PNGs beside them
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import matplotlib

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402

from xaiadv import papers  # noqa: E402
from xaiadv.tables.render import fmt_paper, fmt_pct, paper_fields, to_markdown  # noqa: E402

# the paper's Table II PGD cells drawn as dotted lines (src/xaiadv/papers/kao2021.csv)
PAPER_LINES = ("igos", "igos_jpeg", "dae", "blur", "gradcam_gaussian")


def eps_sweep(d: Path) -> None:
    df = pd.read_csv(d / "eps_sweep_mnist.csv")
    order = ["igos", "igos_jpeg", "dae", "blur", "jpeg", "random_deletion", "gradcam_gaussian", "gradcam_deletion",
             "iggradcam_gaussian", "iggradcam_deletion"]
    pal = dict(zip(order, sns.color_palette("tab10", len(order))))
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.6), sharey=True)
    for ax, norm in zip(axes, ["Linf", "L2"]):
        sub = df[df.norm == norm]
        for r in order:
            s = sub[sub.rectifier == r].sort_values("eps")
            ax.plot(s.eps, 100 * s.rectified, marker="o", ms=3, color=pal[r], label=r)
            ax.fill_between(s.eps, 100 * s.lo, 100 * s.hi, color=pal[r], alpha=0.12, lw=0)
        kao = papers.load("kao2021")
        for r in PAPER_LINES:
            p = papers.lookup(kao, "table2", "mnist", f"rectified_accuracy:{r}", f"pgd_{norm.lower()}")
            ax.axhline(100 * p.value, color=pal[r], ls=":", lw=1)
        succ = sub.drop_duplicates("eps").sort_values("eps")
        ax2 = ax.twiny()
        ax2.set_xlim(ax.get_xlim())
        ax2.set_xticks(succ.eps)
        ax2.set_xticklabels([f"{100 * v:.0f}%" for v in succ.attack_success], fontsize=7)
        ax2.set_xlabel("PGD success on the 2,000 test digits", fontsize=8)
        ax.set_xlabel(f"PGD {norm} eps ([0, 1] scale)")
        ax.set_title(f"MNIST, PGD-{norm} (20 steps); n = first 200 successful (fewer at the smallest eps)", fontsize=9)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("adversarial examples rectified to the true label (%)")
    axes[1].legend(fontsize=7, ncol=2, loc="upper right")
    fig.suptitle("Kao et al. rectifiers against attack strength (lines: ours with 95% CI; dotted: the paper's "
                 "Table II PGD cell, eps not stated)", fontsize=10)
    fig.tight_layout()
    fig.savefig(d / "eps_sweep_mnist.png", dpi=120)
    plt.close(fig)


def learning_curve(d: Path) -> None:
    frames = [pd.read_csv(p) for p in sorted(d.glob("learning_curve_*.csv"))]
    df = pd.concat(frames)
    df["setting"] = df.features + ", nsamples " + df.nsamples.astype(str)
    g = sns.relplot(df, x="n_train_images", y="accuracy", hue="setting", style="detector", col="dataset", row="attack",
                    kind="line", marker="o", height=3.0, aspect=1.4, facet_kws={"sharex": False})
    saito = papers.load("saito2020")
    for (attack, ds), ax in g.axes_dict.items():
        best = max(papers.lookup(saito, "table2", "imagenet", f"detection_accuracy:{det}", attack).value
                   for det in ("logreg", "forest"))
        ax.axhline(best, color="k", ls=":", lw=1)
        ax.set_xscale("log")
        n_test = df[(df.dataset == ds) & (df.attack == attack)].n_test_images.max()
        ax.set_title(f"{ds}, {attack} (test: {n_test} images = {2 * n_test} rows)", fontsize=9)
    g.set_axis_labels("training images (clean + adversarial pairs)", "detection accuracy")
    g.figure.suptitle("Saito & Wang's detector on expected-gradients features: accuracy vs training images "
                      "(dotted: the paper's best, 8,000 training pairs)", fontsize=10)
    g.tight_layout()
    sns.move_legend(g, "center left", bbox_to_anchor=(1.0, 0.5))
    g.savefig(d / "learning_curve.png", dpi=110, bbox_inches="tight")
    plt.close(g.figure)


def table2_paper_scale(d: Path) -> None:
    """table2_mnist_paper_scale.csv as Markdown, the paper's Table II cell beside each of ours."""
    df = pd.read_csv(d / "table2_mnist_paper_scale.csv")
    kao = papers.load("kao2021")
    rows = []
    for r in df.itertuples():
        p = papers.lookup(kao, "table2", "mnist", f"rectified_accuracy:{r.rectifier}", r.attack)
        cmp = SimpleNamespace(**paper_fields(p, r.rectified, r.lo, r.hi))
        rows.append({"attack": r.attack, "success %": f"{100 * r.attack_success:.1f}", "rectifier": r.rectifier,
                     "adversarial -> true % [95% CI]": fmt_pct(r.rectified, r.lo, r.hi, r.n),
                     "clean kept %": fmt_pct(r.clean_kept, r.clean_lo, r.clean_hi, r.n), "n": r.n,
                     "paper %": fmt_paper(cmp)})
    out = pd.DataFrame(rows)
    inside = sum("inside" in v for v in out["paper %"])
    (d / "table2_mnist_paper_scale.md").write_text(
        "# Kao et al. (2021) Table II, MNIST, at paper scale (GPU)\n\n" + to_markdown(out) + "\n\n"
        f"- config/paper.yaml's attacks (eps 0.3 L-inf / 2.0 L2, BIM/PGD 40 steps, CW 1,000 steps) and rectifiers on "
        f"the successful adversarial examples among the first 1,000 test digits; the Kao MNIST CNN at 99 epochs "
        f"(99.20%). Paper number inside our 95% interval: {inside} of {len(out)} cells.\n"
        "- Made by `python experiments/gaps.py table2_mnist --n-eval 1000` on an H100 (271 s).\n")


if __name__ == "__main__":
    d = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/results/gaps")
    eps_sweep(d)
    learning_curve(d)
    table2_paper_scale(d)
    print("wrote", *sorted(p.name for p in d.glob("*.png")))
