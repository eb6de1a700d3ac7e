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
        else:
            raise SystemExit(f"unknown table {a.table!r}")
    timer.report("tables", table=a.table)
