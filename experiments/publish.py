"""Copy a finished run's Markdown tables and PNG figures into docs/results/, with its commit, command and wall time.

  python experiments/publish.py results-reference docs/results --config config/reference.yaml \
      [--prior results-reference/logs/main_job_wall_part1.json ...]

``--prior``: the wall-time records of earlier invocations of the same run (stopped and resumed: Snakemake kept
their finished jobs); their wall times are added and listed. RUN.md also gets the job time per rule, from the
``TIMING`` line each job writes to its log.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from pathlib import Path


def job_times(logs: Path) -> dict[str, tuple[int, float]]:
    """{rule: (jobs, seconds)} summed over the ``TIMING {json}`` lines of the logs under ``logs/<rule>/``."""
    out: dict[str, tuple[int, float]] = {}
    for f in logs.rglob("*.log"):
        rule = f.relative_to(logs).parts[0]
        for line in f.read_text(errors="replace").splitlines():
            if line.startswith("TIMING "):
                n, t = out.get(rule, (0, 0.0))
                out[rule] = (n + 1, t + float(json.loads(line[7:]).get("total", 0.0)))
    return out


def generated_summary(tables: Path) -> list[str]:
    """Markdown lines computed from the run's own CSVs (never typed): paper-vs-ours per table (summary.csv), the
    claims ledger's verdict counts (claims.csv) and the leaderboard's rows (leaderboard.csv), where present."""
    import pandas as pd

    from xaiadv.tables.render import fmt_pct

    out = ["", "## Paper vs ours, per table (from [`tables/summary.csv`](tables/summary.csv))", "",
           "| table | cells with a paper number | paper number inside our 95% CI | median ours − paper (points) |",
           "| --- | --- | --- | --- |"]
    s = pd.read_csv(tables / "summary.csv")
    for r in s.itertuples():
        med = "" if r.median_diff_points != r.median_diff_points else f"{r.median_diff_points:+.1f}"
        out.append(f"| [{r.table}](tables/{r.table}.md) | {r.with_paper_number} | {r.paper_inside_our_ci} | {med} |")
    out.append(f"| all | {s.with_paper_number.sum()} | {s.paper_inside_our_ci.sum()} | |")
    if (tables / "claims.csv").exists():
        c = pd.read_csv(tables / "claims.csv")
        out += ["", "## Claims ledger verdicts (from [`tables/claims.csv`](tables/claims.csv); the claims: "
                "[`CLAIMS.md`](CLAIMS.md))", "", "| verdict | claims |", "| --- | --- |"]
        out += [f"| {v} | {n} |" for v, n in c.verdict.value_counts().items()]
    if (tables / "leaderboard.csv").exists():
        lb = pd.read_csv(tables / "leaderboard.csv")
        out += ["", "## Leaderboard (from [`tables/leaderboard.csv`](tables/leaderboard.csv); the table: "
                "[`tables/leaderboard.md`](tables/leaderboard.md))", "",
                "| data | defense | n | clean % [95% CI] | transferred % | adaptive % | worst case % | unreliable |",
                "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for r in lb.itertuples():
            rates = [fmt_pct(*(getattr(r, f"{c}{x}") for x in ("", "_lo", "_hi", "_n")))
                     for c in ("clean", "transfer", "adaptive", "worst")]
            out.append(f"| {r.dataset} {r.norm} {r.eps:g} | {r.defense} | {r.n} | {' | '.join(rates)} | "
                       f"{'' if r.unreliable != r.unreliable else r.unreliable} |")
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", type=Path, help="the run's results_dir")
    p.add_argument("out", type=Path)
    p.add_argument("--config", required=True)
    p.add_argument("--prior", type=Path, nargs="*", default=[])
    a = p.parse_args()
    wall = json.loads((a.results / "logs" / "main_job_wall.json").read_text())
    prior = [json.loads(f.read_text())["wall_s"] for f in a.prior]
    if wall.get("rc") != 0:
        raise SystemExit(f"{a.results}: the run did not finish (rc {wall.get('rc')})")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=a.results.resolve().parent).stdout.strip()
    (a.out / "tables").mkdir(parents=True, exist_ok=True)
    (a.out / "figures").mkdir(parents=True, exist_ok=True)
    tables = sorted((a.results / "tables").glob("*.md"))
    for f in tables:
        shutil.copy2(f, a.out / "tables" / f.name)
    for extra in ("leaderboard.json", "leaderboard.csv"):  # RobustBench-style rows
        if (a.results / "tables" / extra).exists():
            shutil.copy2(a.results / "tables" / extra, a.out / "tables" / extra)
    shutil.copy2(a.results / "tables" / "summary.csv", a.out / "tables" / "summary.csv")
    shutil.copy2(a.results / "tables" / "claims.csv", a.out / "tables" / "claims.csv")
    shutil.copy2(a.results / "CLAIMS.md", a.out / "CLAIMS.md")  # its links (tables/<name>.md) hold in both places
    figures = sorted((a.results / "figures").glob("*.png"))
    for f in figures:
        shutil.copy2(f, a.out / "figures" / f.name)
    cmd = " ".join(wall["cmd"]) + ("" if "--configfile" in wall["cmd"] else f" --configfile {a.config}")
    total = wall["wall_s"] + sum(prior)
    parts = "" if not prior else " (" + " + ".join(f"{w / 60:.1f}" for w in [*prior, wall["wall_s"]]) + \
        " min: the run was stopped and resumed; Snakemake kept the finished jobs)"
    lines = [f"- commit `{commit}`, command `{cmd}`",
             f"- wall time {total / 60:.1f} min on a 2-core CPU, no GPU{parts}",
             "- claims ledger: [CLAIMS.md](CLAIMS.md)",
             "- tables: " + ", ".join(f"[{f.stem}](tables/{f.name})" for f in tables),
             "- figures: " + ", ".join(f"[{f.stem}](figures/{f.name})" for f in figures)]
    lines += generated_summary(a.results / "tables")
    lines += ["", "Job time per rule (the `TIMING` line of every job's log; two jobs ran at once):", "",
              "| rule | jobs | job time (s) | share |", "| --- | --- | --- | --- |"]
    per_rule = job_times(a.results / "logs")
    grand = sum(t for _, t in per_rule.values()) or 1.0
    for rule, (n, t) in sorted(per_rule.items(), key=lambda kv: -kv[1][1]):
        lines.append(f"| {rule} | {n} | {t:,.0f} | {100 * t / grand:.0f}% |")
    lines.append(f"| all | {sum(n for n, _ in per_rule.values())} | {grand:,.0f} | 100% |")
    (a.out / "RUN.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
