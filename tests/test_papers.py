"""The papers' printed numbers (src/xaiadv/papers/*.csv) against the tables that compare them."""

from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from xaiadv import config as xcfg
from xaiadv import papers
from xaiadv.tables.keys import cell_keys
from xaiadv.tables.render import SMALL_N, fmt_paper, fmt_pct, paper_fields

ROOT = Path(__file__).resolve().parents[1]


def test_every_printed_cell_is_looked_up_by_a_table_of_the_paper_config():
    """A renamed attack / rectifier / detector would silently drop a comparison: every CSV row must be a key
    that a table of config/paper.yaml looks up (and so appears beside our number)."""
    keys = cell_keys(xcfg.load(ROOT / "config" / "paper.yaml"))
    for key in ("kao2021", "saito2020", "nguyen2018", "goepfert2019", "brama2020"):
        df = papers.load(key)
        assert df.value.notna().all(), f"{key}.csv: a cell without a value"
        rows = {(key, r.table, r.dataset, r.attack, r.metric) for r in df.itertuples()}
        assert not rows - keys, f"{key}.csv rows no table looks up: {sorted(rows - keys)[:5]}"


def test_transcription_counts_and_spot_values():
    """Kao: Table I (3 data sets) and Table II (3 data sets x 10 defenses x 7 attacks); Saito: Tables 1 and 2
    (3 attacks, LR and RF), each also for the released-code form of the attack. Spot values from the text."""
    kao, saito = papers.load("kao2021"), papers.load("saito2020")
    assert len(kao[kao.table == "table1"]) == 3 and len(kao[kao.table == "table2"]) == 3 * 10 * 7
    assert len(saito) == 2 * (3 + 6)
    assert papers.lookup(kao, "table1", "mnist", "accuracy").value == pytest.approx(0.995)
    p = papers.lookup(kao, "table2", "mnist", "rectified_accuracy:igos", "cw_l2")
    assert p.value == pytest.approx(0.969) and "Table II" in p.citation and "CW L2" in p.citation
    rd = papers.lookup(kao, "table2", "imagenet", "rectified_accuracy:random_deletion", "pgd_l2")
    assert (rd.value, rd.lo, rd.hi) == pytest.approx((0.26, 0.19, 0.44))
    assert papers.lookup(kao, "table2", "cifar10", "rectified_accuracy:jpeg", "bim_l2").value == 0.0
    s = papers.lookup(saito, "table2", "imagenet", "detection_accuracy:forest", "bim_targeted_second")
    assert s.value == pytest.approx(0.9987) and "Random Forest" in s.citation
    assert papers.lookup(saito, "table1", "mnist", "attack_success", "bim_untargeted") == papers.NONE


def test_nguyen_transcription():
    """Nguyen et al.: Tables 1 (3 attacks), 2 and 3 (TP, TN x 3 attacks), 4 (TP, TN, recovery x 3), and the two
    accuracies of §3.2; CIFAR-10 only."""
    df = papers.load("nguyen2018")
    counts = df.groupby("table").size().to_dict()
    assert counts == {"table1": 3, "table2": 6, "table3": 6, "table4": 9, "models": 2}
    assert set(df.dataset) == {"cifar10"}
    assert papers.lookup(df, "table1", "cifar10", "mask_kept", "cw_l2").value == pytest.approx(0.997)
    p = papers.lookup(df, "table3", "cifar10", "tn", "cw_l2")
    assert p.value == pytest.approx(0.75) and "Table 3" in p.citation and "True negative" in p.citation
    assert papers.lookup(df, "table2", "cifar10", "tp", "jsma").value == pytest.approx(0.96)
    assert papers.lookup(df, "models", "cifar10", "f2_accuracy").value == pytest.approx(0.60)
    assert papers.lookup(df, "table2", "mnist", "tp", "jsma") == papers.NONE


def test_goepfert_transcription():
    """Göpfert et al.: Table 1 (3 explainers x Jaccard / Hamming mean ranks) and the two counts of §4."""
    df = papers.load("goepfert2019")
    assert len(df) == 8 and set(df.unit) == {"rank", "count"} and set(df.dataset) == {"imagenet"}
    p = papers.lookup(df, "table1", "imagenet", "mean_rank_jaccard:saliency", "localized_bim")
    assert p.value == pytest.approx(2.58) and "Table 1" in p.citation and "Classic saliency" in p.citation
    assert papers.lookup(df, "table1", "imagenet", "mean_rank_hamming:guided_backprop", "localized_bim").value == 2.03
    assert papers.lookup(df, "table1", "imagenet", "mean_rank_jaccard:lime", "localized_bim").value == 1.36
    assert papers.lookup(df, "table1", "imagenet", "n_adversarial", "localized_bim").value == 608
    ranks = df[df.unit == "rank"].groupby(df.metric.str.split(":").str[0]).value.sum()
    assert ranks.tolist() == pytest.approx([6.0, 6.0])   # mean ranks of 3 explainers sum to 1 + 2 + 3


def test_brama_transcription():
    """Brama & Grinshpoun state numbers in the text only (§5.1-5.2): top-1 of AEs 0, NDCG ~0 (targeted) / ~0.5
    (untargeted), adaptive success < 1%."""
    df = papers.load("brama2020")
    assert len(df) == 9 and set(df.dataset) == {"imagenet"}
    assert papers.lookup(df, "table", "imagenet", "adv_ndcg1", "cw_l2").value == pytest.approx(0.5)
    assert papers.lookup(df, "table", "imagenet", "adv_ndcg1", "lbfgs_targeted").value == 0.0
    p = papers.lookup(df, "adaptive", "imagenet", "defended_success", "algorithm2")
    assert p.value == pytest.approx(0.01) and "less than 1%" in p.citation


def test_compare_and_small_n_marking():
    assert papers.compare(0.5, 0.4, 0.6, 0.55) == (True, pytest.approx(-5.0))
    assert papers.compare(0.5, 0.4, 0.6, 0.9) == (False, pytest.approx(-40.0))
    assert papers.compare(None, None, None, 0.9) == (None, None)
    assert fmt_pct(0.5, 0.2, 0.8, n=12) == "50.0 [20.0, 80.0] (small n=12)"
    assert "small" not in fmt_pct(0.5, 0.4, 0.6, n=SMALL_N)
    row = lambda printed, ours, lo, hi: SimpleNamespace(**paper_fields(printed, ours, lo, hi))  # noqa: E731
    assert fmt_paper(row(papers.Printed(0.9, None, None, "c"), 0.5, 0.4, 0.6)) == "90.0 (ours -40.0 pts, outside our CI)"
    assert fmt_paper(row(papers.NONE, 0.5, 0.4, 0.6)) == "—"
    assert fmt_paper(row(papers.Printed(0.28, 0.23, 0.38, "c"), 0.3, 0.2, 0.4)) == "28.0 [23.0, 38.0] (ours +2.0 pts, inside our CI)"


def test_bad_paper_csv_is_a_clear_error(tmp_path, monkeypatch):
    src = papers.load("saito2020")
    bad = pd.concat([src, src.iloc[:1]])
    bad.to_csv(tmp_path / "dup.csv", index=False)
    monkeypatch.setattr(papers, "DIR", tmp_path)
    with pytest.raises(ValueError, match="dup.csv: cell .*appears 2 times"):
        papers.load("dup")
