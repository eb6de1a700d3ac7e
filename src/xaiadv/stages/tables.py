"""tables: one paper table from the stage outputs."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import runtime


def run(a) -> None:
    timer = runtime.Timer()
    with timer("compute"):
        if a.table == "kao2021_table1":
            from ..tables.kao2021 import table1

            table1({(d, m): p for d, m, p in a.items}, a.out_csv, a.out_md)
        elif a.table == "kao2021_table2":
            from ..tables.kao2021 import table2

            table2({(d, m, k, r): p for d, m, k, r, p in a.items}, a.out_csv, a.out_md)
        elif a.table == "kao2021_endtoend":
            from ..tables.kao2021 import endtoend

            endtoend({(d, m, k): p for d, m, k, p in a.items}, a.out_csv, a.out_md)
        elif a.table == "saito2020_table1":
            from ..tables.saito2020 import table1

            table1({(d, m, k): p for d, m, k, p in a.items}, a.out_csv, a.out_md)
        elif a.table == "saito2020_table2":
            from ..tables.saito2020 import table2

            table2({(d, m, k, e): p for d, m, k, e, p in a.items}, a.out_csv, a.out_md)
        elif a.table in ("nguyen2018_table1", "nguyen2018_table2", "nguyen2018_table3", "nguyen2018_table4"):
            from ..tables import nguyen2018

            files = {(d, m, s, k): p for d, m, s, k, p in a.items}
            if a.table == "nguyen2018_table1":
                nguyen2018.table1(files, a.out_csv, a.out_md)
            elif a.table == "nguyen2018_table4":
                nguyen2018.table4(files, a.out_csv, a.out_md)
            else:
                nguyen2018.table2(files, a.out_csv, a.out_md, table=a.table.rsplit("_", 1)[1])
        elif a.table == "nguyen2018_models":
            from ..tables.nguyen2018 import models

            models({(d, m): p for d, m, p in a.items}, a.out_csv, a.out_md)
        elif a.table == "nguyen2018_interpretations":
            from ..tables.nguyen2018 import interpretations

            interpretations({(d, m): p for d, m, p in a.items}, a.out_csv, a.out_md)
        elif a.table == "nguyen2018_adaptive":
            from ..tables.nguyen2018 import adaptive

            adaptive({(d, m): p for d, m, p in a.items}, a.out_csv, a.out_md)
        elif a.table == "brama2020_table":
            from ..tables.brama2020 import table

            table({(d, m, k): p for d, m, k, p in a.items}, a.out_csv, a.out_md)
        elif a.table == "brama2020_adaptive":
            from ..tables.brama2020 import adaptive

            adaptive({(d, m): p for d, m, p in a.items}, a.out_csv, a.out_md)
        elif a.table in ("goepfert2019_table1", "goepfert2019_leaderboard"):
            from ..tables import goepfert2019

            files = {(d, m): (j, c) for d, m, _names, j, c in a.items}
            names = a.items[0][2].split(",") if a.items else None
            if a.table == "goepfert2019_table1":
                goepfert2019.table1(files, a.out_csv, a.out_md, paper_explainers=names)
            else:
                goepfert2019.leaderboard(files, a.out_csv, a.out_md)
        else:
            raise SystemExit(f"unknown table {a.table!r}")
    timer.report("tables", table=a.table)
