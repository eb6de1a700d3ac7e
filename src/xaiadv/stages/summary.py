"""summary: the paper-vs-reproduced summary of every table (the report's top page) and the claims ledger."""

from __future__ import annotations

from .. import runtime


def run(job) -> None:
    fout, par = job.output, job.params  # job.input.gaps: the committed gap experiments' CSVs
    timer = runtime.Timer()
    with timer("compute"):
        from ..tables import PAPERS
        from ..tables.claims import write_claims
        from ..tables.summary import write_summary

        write_summary(par.tables, fout.csv, fout.rst)
        write_claims(par.tables, list(job.input.gaps), fout.claims_csv, fout.claims, PAPERS)
    timer.report("summary")
