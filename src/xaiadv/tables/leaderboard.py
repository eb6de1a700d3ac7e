"""The XAI-defense leaderboard (issue 19): every defense under one threat model, against the papers' attack
(PGD on the undefended model, transferred) and an adaptive attack that knows the defense.

One row per (data set, model, threat model, defense), sorted by the worst case per example (an image counts as
defended only if it withstood every attack run on it: the mean over images of the minimum, Carlini et al. 2019).
Beside it: RobustBench-style JSON rows and a figure of robust accuracy over eps.
"""

from __future__ import annotations

import json

import pandas as pd

from ..leaderboard.sanity import sanity_reasons
from ..io import read_json, write_text
from .render import INTERVAL_NOTE, fmt_pct, write_table


def _rate_cols(prefix: str, r: dict | None) -> dict:
    r = r or {}
    return {prefix: r.get("rate"), f"{prefix}_lo": r.get("lo"), f"{prefix}_hi": r.get("hi"), f"{prefix}_n": r.get("n")}


def attacks_run(r: dict) -> str:
    """The attacks a row ran, short: ``"PGD 20, APGD-CE/T 100 x 9, Square 1000"`` (from its stored ``attack``)."""
    a = r.get("attack") or {}
    out = [f"PGD {a.get('steps', '?')}" + (f" x {a['restarts']}" if a.get("restarts", 1) > 1 else "")]
    ap = a.get("apgd") or {}
    if ap.get("steps"):
        out.append(f"APGD-CE/T {ap['steps']} x {ap.get('targets', 9)}" + (f" x {ap['restarts']}" if ap.get("restarts", 1) > 1
                                                                          else ""))
    if a.get("square_queries"):
        out.append(f"Square {a['square_queries']}")
    if r.get("random"):
        out.append(f"EOT {a.get('eot', 1)}")
    return ", ".join(out)


def rows(files: dict) -> pd.DataFrame:
    """``files``: {(dataset, model, defense): leaderboard job JSON} -> one row per job, its ``unreliable`` reasons
    judged by :func:`xaiadv.leaderboard.sanity.sanity_reasons` from the checks the job stored."""
    out = []
    for (dataset, model, name), path in files.items():
        r = read_json(path)
        t = r["threat"]
        out.append({"dataset": dataset, "model": model, "defense": name, "kind": r["kind"], "norm": t["norm"],
                    "eps": t["eps"], "n": r["n"], "small_by_design": r.get("small_by_design", False),
                    **_rate_cols("clean", r["clean_accuracy"]), **_rate_cols("fpr", r.get("fpr")),
                    **_rate_cols("transfer", r["robust_transfer"]), **_rate_cols("adaptive", r["robust_adaptive"]),
                    **_rate_cols("worst", r["robust_worst"]), "auroc_transfer": r.get("auroc_transfer"),
                    "auroc_adaptive": r.get("auroc_adaptive"), "ms_per_image": r["ms_per_image"],
                    "attack_seconds": r["attack_seconds"], "attacks": attacks_run(r),
                    "steps_doubled": (r["sanity"].get("steps_doubled") or {}).get("robust"),
                    "square": (r["sanity"].get("square") or {}).get("robust"), "sanity_n": r["sanity"].get("n", 0),
                    # re-judged from the row's stored checks: the current limits, whenever the row was computed
                    "unreliable": "; ".join(sanity_reasons(r)), "reported": r.get("paper") or ""})
    df = pd.DataFrame(out)
    if df.empty:
        return df
    return df.sort_values(["dataset", "norm", "eps", "worst", "clean"], ascending=[True, True, True, False, False])


def robustbench_rows(df: pd.DataFrame) -> list[dict]:
    """RobustBench's field names where they apply (``name, dataset, threat_model, eps, clean_acc, reported,
    robust_acc, unreliable, footnote``); accuracies in percent as RobustBench prints them; robust_acc is the
    worst case per example."""
    out = []
    for r in df.itertuples():
        out.append({"name": r.defense, "dataset": r.dataset, "threat_model": r.norm, "eps": r.eps,
                    "clean_acc": round(100 * r.clean, 2), "reported": r.reported or None,
                    "robust_acc": round(100 * r.worst, 2), "unreliable": bool(r.unreliable),
                    "footnote": (f"{r.model}; n={r.n}; transferred PGD {100 * r.transfer:.1f}, adaptive "
                                 f"{100 * r.adaptive:.1f}" + (f"; unreliable: {r.unreliable}" if r.unreliable else ""))})
    return out


def table(files: dict, csv_path, md_path, json_path=None) -> pd.DataFrame:
    """Write the leaderboard CSV, Markdown and (``json_path``) the RobustBench-style JSON rows."""
    df = rows(files)
    if df.empty:
        md = pd.DataFrame({"note": ["no leaderboard jobs"]})
    else:
        f = lambda r, p: fmt_pct(getattr(r, p), getattr(r, f"{p}_lo"), getattr(r, f"{p}_hi"), getattr(r, f"{p}_n"))  # noqa: E731
        md = pd.DataFrame({
            "data": [f"{r.dataset} {r.norm} {r.eps:g}" for r in df.itertuples()], "defense": df.defense,
            "kind": df.kind,
            "worst case % [95% CI]": [f(r, "worst") + (" (unreliable)" if r.unreliable else "") for r in df.itertuples()],
            "adaptive %": [f(r, "adaptive") for r in df.itertuples()],
            "transferred PGD %": [f(r, "transfer") for r in df.itertuples()],
            "clean % (rejected = error)": [f(r, "clean") for r in df.itertuples()],
            "FPR %": ["" if r.fpr is None or r.fpr != r.fpr else f(r, "fpr") for r in df.itertuples()],
            "AUROC transf. / adapt.": ["" if r.auroc_transfer is None or r.auroc_transfer != r.auroc_transfer
                                       else f"{r.auroc_transfer:.3f} / {r.auroc_adaptive:.3f}" for r in df.itertuples()],
            "attacks (steps x targets, queries)": df.attacks,
            "ms / image": df.ms_per_image.map(lambda v: f"{v:.1f}"),
            "paper's claim": df.reported,
            "unreliable because": df.unreliable})
    notes = [
        "One fixed image set per data set (the first n test images, misclassified ones included), the same for every "
        "defense; a defense with an optimisation loop inside may rest on fewer (its n).",
        "Defended: an adversarial input the defense rejects or classifies correctly; clean: accepted and classified "
        "correctly (a rejected clean input is an error). Worst case (robust accuracy as RobustBench counts it): the "
        "clean image accepted and right, and every attack failed on it, so it never exceeds clean accuracy.",
        "Transferred PGD: the papers' attack, crafted on the undefended model. Adaptive: every attack that knows the "
        "defense, each run on the images the ones before it left: PGD on the defense's surrogate (docs/attacks/), "
        "then APGD-CE and APGD-T (DLR loss, one run per target class; Croce & Hein 2020) on the same surrogate "
        "(a detector as Carlini & Wagner's K+1-class model), then Square on the real defense, gradient-free; all "
        "judged by the real, complete defense. Column 'attacks': what each row could afford (steps x target "
        "classes, Square's queries, EOT draws for a random defense).",
        "Detectors: fitted on images outside the evaluated set, their threshold fixed at the configured FPR on clean "
        "calibration images before any attack runs (the LAN too, on its score); FPR: measured on the row's clean "
        "images.",
        "Sanity checks (Carlini et al. 2019): twice the adaptive PGD's steps and the eps curve on the first images "
        "of the set (rising, or not falling toward 0 beyond the budget); Square winning images every gradient attack "
        "left (gradient masking); adaptive above transferred. A failed check marks the row 'unreliable' with its "
        "reason; Square's wins count in the worst case either way.",
        "Every row is one seed (one trained model, one attack run): the interval covers the sampling of the test "
        "images, not the training and attack randomness.",
        INTERVAL_NOTE + ".",
        "(small n=k): a rate on fewer than 30 images.",
    ]
    write_table(csv_path, md_path, "Leaderboard: explanation-based defenses under one threat model and an adaptive "
                "attacker", df, md, notes)
    if json_path is not None:
        write_text(json_path, json.dumps(robustbench_rows(df) if not df.empty else [], indent=1) + "\n")
    return df


# the figure's columns: defenses of one family side by side, so each panel holds a dozen curves at most; the last
# column takes every other kind (the baselines, pipelines, and a kind added later)
PANELS = (("detectors", ("saito", "lan")), ("rectifiers", ("rectifier",)), ("baselines, pipelines and others", None))


def figure(files: dict, out_png):
    """Robust accuracy over eps per defense (adaptive PGD solid, transferred PGD dashed), from each job's sanity
    subset's eps curve, and a star at the budget for the row's worst case over the whole ensemble (all its images): one row of panels per (data set, threat norm), one column per family of :data:`PANELS`, the
    undefended model's adaptive curve in black in every panel; a row marked unreliable carries it in its label."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..figures import save_png

    runs = {k: read_json(p) for k, p in files.items()}
    groups = {}
    for (d, m, name), r in runs.items():
        groups.setdefault((d, r["threat"]["norm"]), []).append((name, r))
    if not groups:
        save_png(None, out_png, empty="no leaderboard jobs")
        return None
    fig, axes = plt.subplots(len(groups), len(PANELS), figsize=(5.6 * len(PANELS), 4.2 * len(groups)), squeeze=False,
                             sharey=True)
    cmap = plt.get_cmap("tab20")
    listed = {k for _, kinds in PANELS if kinds for k in kinds}
    for row, ((d, norm), items) in zip(axes, sorted(groups.items())):
        base = next((r for name, r in items if r["kind"] == "undefended"), None)
        for ax, (title, kinds) in zip(row, PANELS):
            shown = [(name, r) for name, r in sorted(items)
                     if (r["kind"] in kinds if kinds else r["kind"] not in listed)]
            if base is not None and base["sanity"].get("eps_curve"):
                c = base["sanity"]["eps_curve"]
                ax.plot([p["eps"] for p in c], [100 * p["robust_adaptive"] for p in c], "-", color="black", lw=2.5,
                        alpha=0.35, label="undefended (adaptive)")
            for i, (name, r) in enumerate(shown):
                c = r["sanity"].get("eps_curve") or []
                if not c or r["kind"] == "undefended":
                    continue
                e = [p["eps"] for p in c]
                ax.plot(e, [100 * p["robust_adaptive"] for p in c], "-o", ms=3, color=cmap(i % 20),
                        label=name + (" (unreliable)" if sanity_reasons(r) else ""))
                # where the whole ensemble (APGD, Square, transferred) leaves the row at the budget, on all its images
                ax.plot([r["threat"]["eps"]], [100 * r["robust_worst"]["rate"]], "*", ms=9, color=cmap(i % 20),
                        markeredgecolor="black", markeredgewidth=0.5)
                tr = [(p["eps"], p["robust_transfer"]) for p in c if p["robust_transfer"] is not None]
                if tr:
                    ax.plot(*zip(*[(a, 100 * b) for a, b in tr]), "--", color=cmap(i % 20), alpha=0.7)
            ax.axvline(items[0][1]["threat"]["eps"], color="grey", lw=0.8)
            ax.set(title=f"{d}, {norm}: {title} (n={items[0][1]['sanity']['n']})", xlabel="eps",
                   ylabel="robust accuracy %" if ax is row[0] else None, ylim=(-2, 102))
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=6, ncol=2, loc="best")
            else:
                ax.text(0.5, 0.5, "no row of this family", ha="center", transform=ax.transAxes, color="grey")
    fig.suptitle("Robust accuracy against eps on the sanity images (solid: adaptive PGD, dashed: transferred PGD; grey "
                 "line: the budget); star: the row's worst case over every attack, all its images", fontsize=10)
    fig.tight_layout()
    save_png(fig, out_png)
    return fig
