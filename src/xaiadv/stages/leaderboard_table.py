"""leaderboard_table: the leaderboard's CSV, Markdown, RobustBench-style JSON rows and its robust-accuracy-over-eps
figure, from every leaderboard job's JSON."""

from __future__ import annotations

from .. import runtime


def run(job) -> None:
    fout, par = job.output, job.params
    timer = runtime.Timer()
    with timer("compute"):
        from ..tables.leaderboard import figure, table

        files = {(d, m, n): p for d, m, n, p in par.rows}
        table(files, fout.csv, fout.md, fout.json)
        figure(files, fout.png)
    timer.report("leaderboard_table", rows=len(par.rows))
