"""tables: one paper table from the stage outputs."""

from __future__ import annotations


from .. import runtime


def run(job) -> None:
    fout, par, wc = job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("compute"):
        if wc.table == "kao2021_table1":
            from ..tables.kao2021 import table1

            table1({(d, m): p for d, m, p in par.rows}, fout.csv, fout.md)
        elif wc.table == "kao2021_table2":
            from ..tables.kao2021 import table2

            table2({(d, m, k, r): p for d, m, k, r, p in par.rows}, fout.csv, fout.md)
        elif wc.table == "kao2021_endtoend":
            from ..tables.kao2021 import endtoend

            endtoend({(d, m, k): p for d, m, k, p in par.rows}, fout.csv, fout.md)
        elif wc.table == "saito2020_table1":
            from ..tables.saito2020 import table1

            table1({(d, m, k): p for d, m, k, p in par.rows}, fout.csv, fout.md)
        elif wc.table == "saito2020_table2":
            from ..tables.saito2020 import table2

            table2({(d, m, k, e): p for d, m, k, e, p in par.rows}, fout.csv, fout.md)
        elif wc.table in ("nguyen2018_table1", "nguyen2018_table2", "nguyen2018_table3", "nguyen2018_table4"):
            from ..tables import nguyen2018

            files = {(d, m, s, k): p for d, m, s, k, p in par.rows}
            if wc.table == "nguyen2018_table1":
                nguyen2018.table1(files, fout.csv, fout.md)
            elif wc.table == "nguyen2018_table4":
                nguyen2018.table4(files, fout.csv, fout.md)
            else:
                nguyen2018.table2(files, fout.csv, fout.md, table=wc.table.rsplit("_", 1)[1])
        elif wc.table == "nguyen2018_models":
            from ..tables.nguyen2018 import models

            models({(d, m): p for d, m, p in par.rows}, fout.csv, fout.md)
        elif wc.table == "nguyen2018_interpretations":
            from ..tables.nguyen2018 import interpretations

            interpretations({(d, m): p for d, m, p in par.rows}, fout.csv, fout.md)
        elif wc.table == "nguyen2018_adaptive":
            from ..tables.nguyen2018 import adaptive

            adaptive({(d, m): p for d, m, p in par.rows}, fout.csv, fout.md)
        elif wc.table == "brama2020_table":
            from ..tables.brama2020 import table

            table({(d, m, k): p for d, m, k, p in par.rows}, fout.csv, fout.md)
        elif wc.table == "brama2020_adaptive":
            from ..tables.brama2020 import adaptive

            adaptive({(d, m): p for d, m, p in par.rows}, fout.csv, fout.md)
        elif wc.table in ("goepfert2019_table1", "goepfert2019_leaderboard"):
            from ..tables import goepfert2019

            files = {(d, m): (j, c) for d, m, _names, j, c in par.rows}
            names = par.rows[0][2].split(",") if par.rows else None
            if wc.table == "goepfert2019_table1":
                goepfert2019.table1(files, fout.csv, fout.md, paper_explainers=names)
            else:
                goepfert2019.leaderboard(files, fout.csv, fout.md)
        else:
            raise SystemExit(f"unknown table {wc.table!r}")
    timer.report("tables", table=wc.table)
