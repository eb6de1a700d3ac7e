"""summary: the paper-vs-reproduced summary of every table (the report's top page)."""

from __future__ import annotations

from .. import runtime


def run(a) -> None:
    timer = runtime.Timer()
    with timer("compute"):
        from ..tables.summary import write_summary

        write_summary(a.tables, a.out_csv, a.out_rst)
    timer.report("summary")
