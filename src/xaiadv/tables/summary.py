"""Paper vs reproduced: one row per table, from the tables' CSVs (the report's top page)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..io import write_text
from . import CAPTIONS, COMPARE, NOT_RATES, PAPERS


def summarize(table_csvs: dict[str, str | Path]) -> pd.DataFrame:
    """``table_csvs``: {table name: CSV path}. Per table: rows, cells with a printed (transcribed) number (a
    table may compare several columns, e.g. Göpfert's Jaccard and Hamming ranks: :data:`COMPARE`), how many of
    those lie inside our 95% interval, and the median ours - paper (and its absolute value) in points."""
    rows = []
    for name, path in table_csvs.items():
        df = pd.read_csv(path)
        n_cells, inside, diffs = 0, 0, []
        for ours, _, _, paper in COMPARE.get(name, []):
            printed = df[df[paper].notna() & df[ours].notna()] if paper in df and ours in df else df.iloc[0:0]
            n_cells += len(printed)
            inside_col = f"{paper}_inside_ci"
            inside += int((printed[inside_col] == True).sum()) if inside_col in printed else 0  # noqa: E712 (NaN-safe)
            if len(printed) and name not in NOT_RATES:
                diffs.append(100 * (printed[ours] - printed[paper]))
        diffs = pd.concat(diffs) if diffs else pd.Series(dtype=float)
        key, what, deviations = CAPTIONS.get(name, (name.split("_")[0], name, []))
        rows.append({"paper": PAPERS.get(key, key), "table": name, "what": what, "rows": len(df),
                     "with_paper_number": n_cells, "paper_inside_our_ci": inside,
                     "median_abs_diff_points": float(diffs.abs().median()) if len(diffs) else None,
                     "median_diff_points": float(diffs.median()) if len(diffs) else None,
                     "deviations": " ".join(deviations)})
    return pd.DataFrame(rows)


def to_rst(df: pd.DataFrame) -> str:
    """The summary as an RST list-table (for the report's top page)."""
    head = ["Paper", "Table", "Rows", "Cells with a paper number", "Paper number inside our 95% CI",
            "Median abs. difference (points)", "Median ours - paper (points)"]
    lines = [".. list-table:: Paper vs reproduced", "   :header-rows: 1", ""]
    cell = lambda v: "n/a" if v is None or v != v else (f"{v:.1f}" if isinstance(v, float) else str(v))  # noqa: E731
    for i, r in enumerate([head] + [[r.paper, f"{r.table}: {r.what}", r.rows, r.with_paper_number,
                                     r.paper_inside_our_ci, cell(r.median_abs_diff_points),
                                     cell(r.median_diff_points)] for r in df.itertuples()]):
        lines += [f"   * - {cell(r[0])}"] + [f"     - {cell(v)}" for v in r[1:]]
    return "\n".join(lines) + "\n"


def write_summary(table_csvs: dict[str, str | Path], csv_path: str | Path, rst_path: str | Path) -> pd.DataFrame:
    """Write the summary as CSV and RST (atomically)."""
    df = summarize(table_csvs)
    write_text(csv_path, df.to_csv(index=False))
    write_text(rst_path, to_rst(df))
    return df
