import json

import pandas as pd
import pytest

from xaiadv import papers
from xaiadv.stats import rate_ci
from xaiadv.tables.kao2021 import table1 as kao_table1
from xaiadv.tables.saito2020 import table1 as saito_table1


def test_rate_ci_brackets_the_rate():
    r = rate_ci([1] * 90 + [0] * 10, seed=0)
    assert r["rate"] == 0.9 and r["n"] == 100 and r["lo"] < 0.9 < r["hi"] and 0.8 < r["lo"] and r["hi"] <= 0.97
    assert rate_ci([])["n"] == 0


def test_paper_numbers_are_data_with_citations():
    for key in ("kao2021", "saito2020"):
        df = papers.load(key)
        assert {"table", "dataset", "metric", "value", "citation"} <= set(df.columns)
        assert df.citation.str.len().min() > 5
    v, cite = papers.lookup(papers.load("saito2020"), "table2", "imagenet", "detection_accuracy", "untargeted")
    assert v == pytest.approx(99.81) and "Saito" in cite


def test_tables_from_stage_outputs(tmp_path):
    m = tmp_path / "metrics.json"
    m.write_text(json.dumps({"arch": "kao_mnist_cnn", "weights": "trained",
                             "test_accuracy": {"rate": 0.987, "n": 10000, "lo": 0.985, "hi": 0.989}}))
    df = kao_table1({("mnist", "mnist_cnn"): str(m)}, tmp_path / "k.csv", tmp_path / "k.md")
    assert df.accuracy.tolist() == [0.987]
    md = (tmp_path / "k.md").read_text()
    assert "98.7 [98.5, 98.9]" in md and "n/t" in md
    s = tmp_path / "s.json"
    s.write_text(json.dumps({"spec": {"method": "bim", "norm": "Linf", "eps": 0.1, "target": "random"},
                             "success": {"rate": 0.5, "n": 4, "lo": 0.0, "hi": 1.0}, "mean_l2": 1.0, "mean_linf": 0.1}))
    df = saito_table1({("imagenet", "effnet_lite0", "bim_targeted_random"): str(s)}, tmp_path / "s.csv", tmp_path / "s.md")
    assert pd.read_csv(tmp_path / "s.csv").success_rate.tolist() == [0.5]
