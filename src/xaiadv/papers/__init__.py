"""Printed numbers of the reproduced papers (CSV data with citations), and the cell-by-cell comparison.

One CSV per paper (``<key>.csv``): ``table, dataset, model, attack, metric, value, minus, plus, unit,
citation, note``. ``value`` is the number as printed (``unit`` "%", "fraction", "rank" or "count"); ``minus`` / ``plus``
the printed spread where the paper gives one (Kao et al.'s random deletion). A table joins on
(table, dataset, attack, metric).
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pandas as pd

DIR = Path(__file__).parent
# "%" and "fraction" are rates (returned as fractions); "rank" (Göpfert et al.'s mean ranks) and "count" as printed
UNITS = ("%", "fraction", "rank", "count")
COLUMNS = ["table", "dataset", "model", "attack", "metric", "value", "minus", "plus", "unit", "citation", "note"]


class Printed(NamedTuple):
    """One printed cell, as a fraction in [0, 1]: ``value``; ``lo`` / ``hi`` the printed spread (else None)."""

    value: float | None
    lo: float | None
    hi: float | None
    citation: str


NONE = Printed(None, None, None, "")


def load(key: str) -> pd.DataFrame:
    """The paper's printed numbers.

    Raises ``FileNotFoundError`` naming the CSV for an unknown key, ``ValueError`` naming the file and row
    for a missing column, an unknown unit or a duplicated cell key."""
    path = DIR / f"{key}.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no printed numbers for paper {key!r}")
    df = pd.read_csv(path, dtype={"attack": str}, keep_default_na=False,
                     converters={c: (lambda v: float(v) if v != "" else float("nan")) for c in ("value", "minus", "plus")})
    missing = [c for c in COLUMNS if c not in df]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    bad = df[~df.unit.isin(UNITS)]
    if len(bad):
        raise ValueError(f"{path}, row {bad.index[0] + 2}: unit {bad.unit.iloc[0]!r} is not one of {', '.join(UNITS)}")
    dup = df[df.duplicated(["table", "dataset", "attack", "metric"], keep=False)]
    if len(dup):
        r = dup.iloc[0]
        raise ValueError(f"{path}: cell ({r.table}, {r.dataset}, {r.attack}, {r.metric}) appears {len(dup)} times")
    return df


def lookup(df: pd.DataFrame, table: str, dataset: str, metric: str, attack: str = "") -> Printed:
    """The printed cell (a rate as a fraction; a rank or count as printed) or :data:`NONE` when the paper has
    no such cell."""
    m = df[(df.table == table) & (df.dataset == dataset) & (df.metric == metric) & (df.attack == attack)]
    if m.empty:
        return NONE
    r = m.iloc[0]
    scale = 0.01 if r["unit"] == "%" else 1.0
    v = r["value"]
    if v != v:
        return Printed(None, None, None, str(r["citation"]))
    lo = v - r["minus"] if r["minus"] == r["minus"] else None
    hi = v + r["plus"] if r["plus"] == r["plus"] else None
    return Printed(v * scale, None if lo is None else lo * scale, None if hi is None else hi * scale, str(r["citation"]))


def compare(ours: float | None, lo: float | None, hi: float | None, paper: float | None) -> tuple[bool | None, float | None]:
    """``(paper number inside our interval [lo, hi], ours - paper in percentage points)``; Nones where either
    number is missing."""
    if paper is None or paper != paper or ours is None or ours != ours:
        return None, None
    inside = None if lo is None or lo != lo else bool(lo - 1e-9 <= paper <= hi + 1e-9)
    return inside, 100.0 * (ours - paper)
