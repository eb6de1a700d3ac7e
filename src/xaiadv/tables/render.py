"""Writing a table as CSV and Markdown (atomic), with notes under the Markdown."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..io import write_text


def fmt_pct(rate: float | None, lo: float | None = None, hi: float | None = None) -> str:
    """``"97.0 [95.1, 98.6]"`` (percent) or ``"n/t"`` when there is no number."""
    if rate is None or rate != rate:
        return "n/t"
    s = f"{100 * rate:.1f}"
    if lo is not None and lo == lo:
        s += f" [{100 * lo:.1f}, {100 * hi:.1f}]"
    return s


def to_markdown(df: pd.DataFrame) -> str:
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    for _, row in df.iterrows():
        lines.append("| " + " | ".join("" if (isinstance(v, float) and v != v) else str(v) for v in row) + " |")
    return "\n".join(lines)


def write_table(csv_path: str | Path, md_path: str | Path, title: str, df: pd.DataFrame, md_df: pd.DataFrame,
                notes: list[str]) -> None:
    """Write ``df`` as CSV and ``md_df`` (display form) as Markdown with ``title`` and ``notes``."""
    write_text(csv_path, df.to_csv(index=False))
    body = f"# {title}\n\n{to_markdown(md_df)}\n\n" + "".join(f"- {n}\n" for n in notes)
    write_text(md_path, body)
