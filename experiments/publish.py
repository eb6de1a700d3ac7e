"""Copy a finished run's Markdown tables and PNG figures into docs/results/, with its commit, command and wall time,
and write its README.md from the run's own files (the leaderboard, every claim's verdict, paper vs ours per table,
the scale): nothing on the page is typed by hand, so rerunning this script after a run is the only way to update it.

  python experiments/publish.py results-reference docs/results --config config/reference.yaml \
      [--prior results-reference/logs/main_job_wall_part1.json ...]

``--leaderboard-only``: only the leaderboard, rebuilt from the run's rows with this checkout's code; rows computed
with other settings than ``--config``'s are refused — name the config they were computed with as ``REV:PATH``
(e.g. ``--config 0222b2c:config/reference.yaml``).

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


def leaderboard_rates(row, columns) -> list[str]:
    """Each of ``columns`` (``clean``, ``transfer``, ``adaptive``, ``worst``) of a leaderboard.csv row as a percentage
    with its interval and n (:func:`xaiadv.tables.render.fmt_pct`)."""
    from xaiadv.tables.render import fmt_pct

    return [fmt_pct(*(getattr(row, f"{c}{x}") for x in ("", "_lo", "_hi", "_n"))) for c in columns]


def generated_summary(tables: Path) -> list[str]:
    """Markdown lines computed from the run's own CSVs (never typed): paper-vs-ours per table (summary.csv), the
    claims ledger's verdict counts (claims.csv) and the leaderboard's rows (leaderboard.csv), where present."""
    import pandas as pd


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
        out += ["", ("## Claims ledger verdicts (from [`tables/claims.csv`](tables/claims.csv); the claims: "
                "[`CLAIMS.md`](CLAIMS.md))"), "", "| verdict | claims |", "| --- | --- |"]
        out += [f"| {v} | {n} |" for v, n in c.verdict.value_counts().items()]
    if (tables / "leaderboard.csv").exists():
        lb = pd.read_csv(tables / "leaderboard.csv")
        out += ["", ("## Leaderboard (from [`tables/leaderboard.csv`](tables/leaderboard.csv); the table: "
                "[`tables/leaderboard.md`](tables/leaderboard.md))"), "",
                "| data | defense | n | clean % [95% CI] | transferred % | adaptive % | worst case % | unreliable |",
                "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        out += [f"| {r.dataset} {r.norm} {r.eps:g} | {r.defense} | {r.n} | "
                f"{' | '.join(leaderboard_rates(r, ('clean', 'transfer', 'adaptive', 'worst')))} | "
                f"{'' if r.unreliable != r.unreliable else r.unreliable} |" for r in lb.itertuples()]
    return out


PAPERS = {"kao2021": "Kao et al. 2021", "saito2020": "Saito & Wang 2020", "nguyen2018": "Nguyen et al. 2018",
          "goepfert2019": "Göpfert et al. 2019", "brama2020": "Brama & Grinshpoun 2020"}


def scale_rows(tables: Path, config: dict) -> list[str]:
    """One Markdown row per (data set, model) of Kao's Table I (clean accuracy with n and interval) with the run's
    sizes from ``config``'s ``datasets`` section."""
    import pandas as pd

    from xaiadv.tables.render import fmt_pct

    t = pd.read_csv(tables / "kao2021_table1.csv")
    out = [("| data | model | weights | clean accuracy % [95% CI] | paper | attacked per attack | rectified per attack | "
           "explained per attack |"), "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in t.itertuples():
        d = config["datasets"].get(r.dataset, {})
        paper = "" if r.paper_accuracy != r.paper_accuracy else f"{100 * r.paper_accuracy:.1f}"
        out.append(f"| {r.dataset} | {r.model} ({r.arch}) | {r.weights} | {fmt_pct(r.accuracy, r.ci_lo, r.ci_hi, r.n)} | "
                   f"{paper} | {d.get('n_eval', '')} | {d.get('n_rectify', '')} | {d.get('n_explain', '')} |")
    return out


def claims_rows(tables: Path) -> list[str]:
    """One Markdown row per claim of ``claims.csv``: paper, id, the claim, the verdict, ours beside the paper's."""
    import pandas as pd

    c = pd.read_csv(tables / "claims.csv").fillna("")
    cell = lambda v: str(v).replace("|", "/").replace("\n", " ")
    out = ["| paper | claim | verdict | ours | paper's |", "| --- | --- | --- | --- | --- |"]
    for r in c.itertuples():
        out.append(f"| {PAPERS.get(r.paper, r.paper)} | **{r.id}** {cell(r.claim)} | **{r.verdict}** | {cell(r.ours)} | "
                   f"{cell(r.paper_number)} |")
    return out


def readme(run: Path, out: Path, *, commit: str, date: str, cmd: str, total_s: float, parts: str, machine: str,
           config: dict, note: str = "") -> str:
    """docs/results/README.md: the run's headline page, every number read from the run's CSVs."""
    tables = run / "tables"
    note = f" {note}" if note else ""
    lines = ["# The reference run: all five papers in one run", "",
             "<!-- generated by experiments/publish.py from the run's own files; rerun it instead of editing -->", "",
             (f"`{cmd}` at commit `{commit}`, finished {date}, offline on a 2-core CPU VM with no GPU ({machine}): "
             f"{int(total_s // 3600)} h {int(total_s % 3600 // 60)} min of wall time{parts}.{note} Its provenance and job time per rule: [`RUN.md`](RUN.md)."),
             "", "- the claims ledger, each claim with its experiment and evidence: [`CLAIMS.md`](CLAIMS.md)",
             ("- every table (Markdown, each rate with its n and 95% interval beside the paper's printed number): "
             "[`tables/`](tables/); figures: [`figures/`](figures/)"),
             ("- experiments beyond this run, each with its command (why our numbers differ from the papers'): "
             "[`gaps/`](gaps/README.md)"), ""]
    g = generated_summary(tables)
    lb = [i for i, s in enumerate(g) if s.startswith("## Leaderboard")]
    if lb:  # the leaderboard first: which defense still stands when the attacker knows it
        lines += g[lb[0]:] + [""]
        g = g[:lb[0]]
    if (tables / "claims.csv").exists():
        lines += ["## Each paper's headline claims (from [`tables/claims.csv`](tables/claims.csv))", ""]
        lines += claims_rows(tables) + [""]
    lines += g[1:] + [""]  # paper vs ours per table, the verdict counts
    if (tables / "kao2021_table1.csv").exists():
        lines += ["## Scale (data, models and sizes of this run)", ""] + scale_rows(tables, config) + [""]
    lines += ["## Reproduce", "", "```bash", "make venv", f"{cmd}", ("python experiments/publish.py "
              f"{run} {out} --config {config.get('_path', 'config/reference.yaml')}"), "```", ""]
    return "\n".join(lines)


def block_markers(name: str = "leaderboard") -> tuple[str, str]:
    """The README's markers around the generated block ``name`` (``leaderboard``: the default's run;
    ``reference-leaderboard``: the reference run's)."""
    return f"<!-- {name}:begin (generated by experiments/publish.py) -->", f"<!-- {name}:end -->"


def readme_block(readme: Path, results: Path, commit: str, source: str | None = None, docs: str = "docs/results",
                 block: str = "leaderboard") -> None:
    """Replace the text between the :func:`block_markers` ``block`` of ``readme`` (the project's README) with the published
    run's leaderboard, one line per row (worst case, adaptive, transferred, clean, each with n and interval), so the
    README's first results never drift from the published run. ``source``: what the run was (default: the reference
    run); ``docs``: where it was published, relative to the README. Raises ``SystemExit`` when the markers are
    missing."""
    import pandas as pd


    BLOCK = block_markers(block)
    text = readme.read_text()
    if BLOCK[0] not in text or BLOCK[1] not in text:
        raise SystemExit(f"{readme}: no {BLOCK[0]} ... {BLOCK[1]} block to fill")
    lb = pd.read_csv(results / "tables" / "leaderboard.csv")
    rows = ["| data, threat | defense | worst case % [95% CI] | adaptive % | transferred PGD % | clean % | marked unreliable |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    rows += [f"| {r.dataset} {r.norm} {r.eps:g} | {r.defense} | "
             f"{' | '.join(leaderboard_rates(r, ('worst', 'adaptive', 'transfer', 'clean')))} | "
             f"{'' if r.unreliable != r.unreliable else 'yes'} |" for r in lb.itertuples()]
    what = source or f"the reference run (commit `{commit}`, [`{docs}/`]({docs}/README.md)"
    body = [(f"Robust accuracy on {what}; why a row is marked: [`tables/leaderboard.md`]({docs}/tables/leaderboard.md)):"),
            "", *rows]
    head, rest = text.split(BLOCK[0], 1)
    _, tail = rest.split(BLOCK[1], 1)
    readme.write_text(head + BLOCK[0] + "\n" + "\n".join(body) + "\n" + BLOCK[1] + tail)


def short_commit(where: Path) -> str:
    """The short hash of HEAD in the git checkout holding ``where``; "" outside one."""
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=False, capture_output=True, text=True,
                          cwd=where).stdout.strip()


def load_config(spec: str) -> dict:
    """The validated config at ``spec``: a file, or ``REV:PATH`` (PATH as committed at REV in this checkout, read
    with ``git show``; for rows computed at an older commit). Raises ``SystemExit`` when git cannot show it, and
    :class:`xaiadv.config.ConfigError` when it does not validate."""
    import yaml

    from xaiadv import config as xcfg

    if Path(spec).exists() or ":" not in spec:
        return xcfg.load(spec)
    shown = subprocess.run(["git", "show", spec], capture_output=True, text=True, cwd=Path(__file__).resolve().parent)
    if shown.returncode:
        raise SystemExit(f"--config {spec}: {shown.stderr.strip()}")
    try:
        return xcfg.validate(yaml.safe_load(shown.stdout))
    except xcfg.ConfigError as e:
        raise xcfg.ConfigError(f"{spec}: {e}") from e


def stale_rows(cfg: dict, files: dict) -> list[str]:
    """The rows of ``files`` ({(data set, model, defense): row JSON}) whose stored defense spec, threat model or
    adaptive attack differ from what ``cfg`` asks for, as "data/defense (keys)" strings; [] when all agree."""
    import xaiadv.defenses.config as lbconf

    def norm(o):
        return json.loads(json.dumps(o, sort_keys=True))

    lb = cfg["leaderboard"]
    out = []
    for (d, m, n), path in files.items():
        r = json.loads(Path(path).read_text())
        spec = lbconf.defense_spec(cfg, d, n)  # its "attack": the section's, with the entry's own budget over it
        want = {"spec": spec, "threat": lb["threat_models"][d], "attack": spec["attack"]}
        keys = []
        for part, w in want.items():
            got, w = norm(r.get(part) or {}), norm(w)
            if part == "threat":  # the row stores the threat model's fields the job read
                w = {k: v for k, v in w.items() if k in got}
            keys += [f"{part}.{k}" for k in sorted(set(got) | set(w)) if got.get(k) != w.get(k)]
        if keys:
            out.append(f"{d}/{n} ({', '.join(keys)})")
    return out


def publish_leaderboard(a, wall: dict, commit: str) -> None:
    """The ``--leaderboard-only`` mode: the leaderboard of the run's rows (``leaderboard/<data>/<model>/<defense>.json``
    for every job of ``a.config``) rebuilt with this checkout's code into ``a.out`` (tables/, figures/): the rows'
    sanity marks are re-judged with this checkout's limits (:func:`xaiadv.leaderboard.sanity.sanity_reasons`), nothing is
    rerun. A README names the rows' commit, the table's commit, the command, its wall time and the leaderboard jobs'
    time; the project README's block is filled from it when ``a.readme`` is set. Raises ``SystemExit`` naming the
    first missing row file."""
    import os

    import xaiadv.defenses.config as lbconf
    from xaiadv.tables.leaderboard import figure, table

    cfg = load_config(a.config)
    files = {(d, m, n): a.results / "leaderboard" / d / m / f"{n}.json" for d, m, n in lbconf.jobs(cfg)}
    missing = [str(f) for f in files.values() if not f.exists()]
    if missing:
        raise SystemExit(f"{a.config}: {len(missing)} leaderboard rows not in the run, e.g. {missing[0]}")
    stale = stale_rows(cfg, files)
    if stale:
        raise SystemExit(f"{a.config}: {len(stale)} leaderboard rows were computed with other settings than this config's "
                         f"({'; '.join(stale[:4])}): publish them with the config they were computed with, e.g. "
                         f"--config REV:{a.config} (a commit and a path, read with git show)")
    (a.out / "tables").mkdir(parents=True, exist_ok=True)
    (a.out / "figures").mkdir(parents=True, exist_ok=True)
    table(files, a.out / "tables" / "leaderboard.csv", a.out / "tables" / "leaderboard.md",
          a.out / "tables" / "leaderboard.json")
    figure(files, a.out / "figures" / "leaderboard.png")
    here = short_commit(Path(__file__).resolve().parent)
    n_jobs, job_s = job_times(a.results / "logs").get("leaderboard", (0, 0.0))
    cmd = " ".join(wall["cmd"])
    built = (f"rows computed at commit `{commit}`" + ("" if here == commit else
             f", the table and its sanity marks built from them at commit `{here}`"))
    lines = [f"# Leaderboard of the `{a.config}` run", "",
             f"- {built}; command `{cmd}`, {wall['wall_s'] / 60:.1f} min of wall time on a 2-core CPU, no GPU; "
             f"the {n_jobs} leaderboard jobs' own time (their logs' `TIMING` lines, two at once): {job_s / 60:.0f} min"
             + (f". {a.note}" if a.note else ""),
             "- [table](tables/leaderboard.md) (why a row is marked), [CSV](tables/leaderboard.csv), "
             "[JSON rows](tables/leaderboard.json) (RobustBench's field names), [figure](figures/leaderboard.png)", "",
             "![robust accuracy against eps](figures/leaderboard.png)"]
    (a.out / "README.md").write_text("\n".join(lines) + "\n")
    if a.readme:
        docs = os.path.relpath(a.out.resolve(), a.readme.resolve().parent)
        readme_block(a.readme, a.out, commit, docs=docs, block=a.block,
                     source=f"the run of `{a.config}` (commit `{commit}`, [`{docs}/`]({docs}/README.md)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("results", type=Path, help="the run's results_dir")
    p.add_argument("out", type=Path)
    p.add_argument("--config", required=True)
    p.add_argument("--prior", type=Path, nargs="*", default=[])
    p.add_argument("--readme", type=Path, help="the project's README: its leaderboard block is rewritten")
    p.add_argument("--block", default="leaderboard",
                   help="the README block --readme fills (<!-- BLOCK:begin ... --> ... <!-- BLOCK:end -->)")
    p.add_argument("--note", default="", help="a fact about how the run ran (pauses, load beside it), printed as is")
    p.add_argument("--leaderboard-only", action="store_true",
                   help="publish only the run's leaderboard (table, JSON rows, figure) into OUT and, with --readme, "
                        "fill the README's block from it (for the embedded default's run)")
    a = p.parse_args()
    wall = json.loads((a.results / "logs" / "main_job_wall.json").read_text())
    prior = [json.loads(f.read_text())["wall_s"] for f in a.prior]
    if wall.get("rc") != 0:
        raise SystemExit(f"{a.results}: the run did not finish (rc {wall.get('rc')})")
    commit = short_commit(a.results.resolve().parent)
    if a.leaderboard_only:
        publish_leaderboard(a, wall, commit)
        return
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
             f"- wall time {total / 60:.1f} min on a 2-core CPU, no GPU{parts}" + (f". {a.note}" if a.note else ""),
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
    import datetime

    import yaml

    config = {**yaml.safe_load(Path(a.config).read_text()), "_path": a.config}
    cal = wall.get("calibration_passes_per_s") or {}
    machine = (f"{(cal['before'] + cal['after']) / 2:.1f} MNIST-CNN passes/s by `benchmarks/calibrate.py`"
               if cal else "no calibration figure recorded")
    date = datetime.datetime.fromtimestamp(wall["start"] + wall["wall_s"], datetime.timezone.utc).strftime("%Y-%m-%d")
    (a.out / "README.md").write_text(readme(a.results, a.out, commit=commit, date=date, cmd=cmd, total_s=total,
                                            parts=parts, machine=machine, config=config,
                                            note=a.note))
    if a.readme:
        readme_block(a.readme, a.results, commit, block=a.block)


if __name__ == "__main__":
    main()
