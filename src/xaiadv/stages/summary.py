"""summary: the paper-vs-reproduced summary of every table (the report's top page)."""

from __future__ import annotations

from .. import runtime


def run(job) -> None:
    fout, par = job.output, job.params
    timer = runtime.Timer()
    with timer("compute"):
        from ..tables.summary import write_summary

        write_summary(par.tables, fout.csv, fout.rst)
    timer.report("summary")
