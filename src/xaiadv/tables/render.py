"""Writing a table as CSV and Markdown (atomic), with notes under the Markdown."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..io import write_text

# A rate on fewer examples than this is marked in every Markdown table ("small n"), never printed bare.
SMALL_N = 30


def _num(v) -> bool:
    return v is not None and v == v


ALPHA = 0.05  # every interval printed is a 95% one
NO_SPREAD = "no spread over bootstrap resamples"
# the methods of xaiadv.stats, said once for every table's notes
INTERVAL_NOTE = ("95% intervals: Wilson score for rates (k of n images: monotone in k, never a point at 0 or 100%); "
                 "percentile bootstrap over images for means, NDCG and AUROC")


def exact_edge(n: int, alpha: float = ALPHA) -> float:
    """(alpha / 2)^(1/n): the exact (Clopper-Pearson) bound for a mean of ``n`` items in [0, 1] that all sit at one
    end (all 1: the mean is >= this with 1 - alpha / 2 confidence; all 0: <= 1 minus it). Valid for any [0, 1]
    item, not only 0/1 ones: P(X = 1) <= E[X] (Markov), so P(all n items = 1) <= mean^n."""
    return (alpha / 2) ** (1 / n)


def interval(value, lo, hi, n: int | None = None, bounded: bool = True) -> tuple[float, float] | None:
    """The interval to print for ``value`` in [0, 1] (when ``bounded``) with bootstrap bounds ``lo``, ``hi`` over
    ``n`` items: as given, unless the bootstrap collapsed (lo == hi) — then the exact bound where the value sits
    at 0 or 1 and n is known (:func:`exact_edge`), else None (nothing honest to print: the caller says so)."""
    if not (_num(lo) and _num(hi)):
        return None
    if lo != hi:
        return lo, hi
    if bounded and _num(n) and int(n) > 0 and value in (0, 1):
        e = exact_edge(int(n))
        return (e, 1.0) if value == 1 else (0.0, 1.0 - e)
    return None


def pct_interval(rate: float, lo, hi, n: int | None = None) -> str:
    """The interval part of a percentage: ``" [95.1, 98.6]"`` (:func:`interval`), ``" (no spread ...)"`` where it
    collapsed and nothing exact applies, ``""`` without bounds."""
    iv = interval(rate, lo, hi, n)
    if iv is not None:
        return f" [{100 * iv[0]:.1f}, {100 * iv[1]:.1f}]"
    return f" ({NO_SPREAD})" if _num(lo) and _num(hi) else ""


def fmt_pct(rate: float | None, lo: float | None = None, hi: float | None = None, n: int | None = None) -> str:
    """``"97.0 [95.1, 98.6]"`` (percent), ``"—"`` when there is no number; a rate on ``n`` < :data:`SMALL_N`
    examples gets the mark ``" (small n=12)"``. A collapsed interval (lo == hi) is never printed as ``[x, x]``: at
    0 or 100% with n known it is the exact one (:func:`interval`), otherwise the rate says :data:`NO_SPREAD`."""
    if not _num(rate):
        return "—"
    s = f"{100 * rate:.1f}" + pct_interval(rate, lo, hi, n)
    if _num(n) and int(n) < SMALL_N:
        s += f" (small n={int(n)})"
    return s


def fmt_mean(value: float | None, lo: float | None, hi: float | None, digits: int = 2, n: int | None = None,
             bounded: bool = False) -> str:
    """A mean that is not a rate (a rank, an index, an NDCG) with its interval: ``"2.58 [2.47, 2.69]"``; "—"
    when there is no number. ``bounded``: the items lie in [0, 1] (an NDCG), so a collapsed interval at 0 or 1
    over ``n`` items is printed exact (:func:`interval`); any other collapsed one says :data:`NO_SPREAD`."""
    if not _num(value):
        return "—"
    iv = interval(value, lo, hi, n, bounded)
    if iv is None:
        return f"{value:.{digits}f}" + (f" ({NO_SPREAD})" if _num(lo) else "")
    return f"{value:.{digits}f} [{iv[0]:.{digits}f}, {iv[1]:.{digits}f}]"


def fmt_auroc(value: float | None, lo: float | None, hi: float | None, n_pos: int | None, n_neg: int | None) -> str:
    """AUROC with its interval, ``"0.912 [0.861, 0.955]"``; "n/a" without a number. Where the bootstrap collapses
    at perfect separation (1.0; 0.0 alike) the interval is exact: the threshold between the two samples has
    P(positive above) >= (alpha/4)^(1/n_pos) and P(negative below) >= (alpha/4)^(1/n_neg) (Clopper-Pearson, Bonferroni
    over the two), so AUROC >= their product."""
    if not _num(value):
        return "n/a"
    if _num(lo) and lo == hi and value in (0, 1) and _num(n_pos) and _num(n_neg) and n_pos and n_neg:
        e = exact_edge(int(n_pos), ALPHA / 2) * exact_edge(int(n_neg), ALPHA / 2)
        lo, hi = (e, 1.0) if value == 1 else (0.0, 1.0 - e)
    elif _num(lo) and lo == hi:
        return f"{value:.3f} ({NO_SPREAD})"
    d = 3 if f"{lo:.3f}" != f"{hi:.3f}" else 5  # an interval narrower than the print: more digits, never [x, x]
    return f"{value:.{d}f} [{lo:.{d}f}, {hi:.{d}f}]"


def fmt_mean_cols(row, prefix: str, digits: int = 2, n: int | None = None, bounded: bool = False) -> str:
    """:func:`fmt_mean` of a table row's columns ``prefix``, ``prefix_lo`` and ``prefix_hi``."""
    return fmt_mean(getattr(row, prefix), getattr(row, f"{prefix}_lo"), getattr(row, f"{prefix}_hi"), digits, n, bounded)


def paper_fields(printed, ours: float | None, lo: float | None, hi: float | None, prefix: str = "paper") -> dict:
    """Columns comparing our rate (with its 95% interval) with a printed cell (:class:`xaiadv.papers.Printed`):
    the paper's number and spread, its citation, whether it lies inside our interval, ours - paper in points."""
    from ..papers import compare

    inside, diff = compare(ours, lo, hi, printed.value)
    return {prefix: printed.value, f"{prefix}_lo": printed.lo, f"{prefix}_hi": printed.hi,
            f"{prefix}_citation": printed.citation, f"{prefix}_inside_ci": inside, f"{prefix}_diff_points": diff}


def fmt_paper(row, prefix: str = "paper") -> str:
    """The printed number beside ours, from the columns :func:`paper_fields` wrote under ``prefix`` in ``row``
    (a table row, e.g. from ``itertuples``): ``"85.2 (ours -12.3 pts, outside our CI)"``; ``"—"`` where the
    paper prints no such cell. A printed spread shows as ``"28.0 [23.0, 38.0]"``."""
    value, lo, hi = (getattr(row, prefix), getattr(row, f"{prefix}_lo"), getattr(row, f"{prefix}_hi"))
    inside, diff = getattr(row, f"{prefix}_inside_ci"), getattr(row, f"{prefix}_diff_points")
    if not _num(value):
        return "—"
    s = f"{100 * value:.1f}"
    if _num(lo) or _num(hi):
        s += f" [{100 * (lo if _num(lo) else value):.1f}, {100 * (hi if _num(hi) else value):.1f}]"
    if _num(diff):
        where = "" if not _num(inside) else (", inside our CI" if inside else ", outside our CI")
        s += f" (ours {diff:+.1f} pts{where})"
    return s


def to_markdown(df: pd.DataFrame) -> str:
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "| " + " | ".join("---" for _ in cols) + " |"]
    for _, row in df.iterrows():
        lines.append("| " + " | ".join("" if (isinstance(v, float) and v != v) else str(v) for v in row) + " |")
    return "\n".join(lines)


SMALL_LEGEND = "(small n=k)"


def applicable_notes(notes: list[str], table_md: str) -> list[str]:
    """``notes`` as they apply to the rendered rows ``table_md``: the small-n legend (the sentence from
    :data:`SMALL_LEGEND` to its end) is kept only where some cell carries the mark, and added where a cell does and
    no note explains it; a note left empty goes."""
    marked = "(small n=" in table_md
    if marked and not any(SMALL_LEGEND in n for n in notes):
        notes = [*notes, f"{SMALL_LEGEND}: a rate on fewer than {SMALL_N} examples; read its interval, not its point."]
    out = []
    for n in notes:
        if SMALL_LEGEND in n and not marked:
            head, _, tail = n.partition(SMALL_LEGEND)
            rest = tail.split(". ", 1)[1] if ". " in tail else ""
            n = (head + rest).strip().removesuffix(";").strip()
        if n:
            out.append(n)
    return out


def write_table(csv_path: str | Path, md_path: str | Path, title: str, df: pd.DataFrame, md_df: pd.DataFrame,
                notes: list[str]) -> None:
    """Write ``df`` as CSV and ``md_df`` (display form) as Markdown with ``title`` and the ``notes`` that apply
    to its rows (:func:`applicable_notes`)."""
    write_text(csv_path, df.to_csv(index=False))
    table = to_markdown(md_df)
    body = f"# {title}\n\n{table}\n\n" + "".join(f"- {n}\n" for n in applicable_notes(notes, table))
    write_text(md_path, body)
