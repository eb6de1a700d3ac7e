"""Printed numbers of the reproduced papers (CSV data with citations)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DIR = Path(__file__).parent


def load(key: str) -> pd.DataFrame:
    """The paper's printed numbers; raises ``FileNotFoundError`` naming the CSV for an unknown key."""
    path = DIR / f"{key}.csv"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no printed numbers for paper {key!r}")
    return pd.read_csv(path, dtype={"attack": str, "value": float}, keep_default_na=False, na_values={"value": [""]})


def lookup(df: pd.DataFrame, table: str, dataset: str, metric: str, attack: str = "") -> tuple[float | None, str]:
    """``(value, citation)`` of one printed cell, ``(None, "")`` when the paper has no such cell."""
    m = df[(df.table == table) & (df.dataset == dataset) & (df.metric == metric) & (df.attack.fillna("") == attack)]
    if m.empty:
        return None, ""
    v = m.iloc[0]["value"]
    return (None if v != v else float(v)), str(m.iloc[0]["citation"])
