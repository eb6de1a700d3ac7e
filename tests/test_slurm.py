"""A small config (tests/slurm/config.yaml) through a real SLURM scheduler (Debian's slurm-wlm on localhost), against a local run.

Marked ``slurm``: `make test` runs it after the other tests (it needs root to install and start
munged, slurmctld and slurmd; skipped when not root, except on CI where it must run).
GPU requests are checked on a GPU-less node: tests/slurm/cluster.sh declares two GPUs through
gres.conf (Count only, no device), so `--gpus=1` jobs schedule, and the controller's record of
each job (kept a day by MinJobAge) shows TresPerJob=gres:gpu:1.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT
from test_workflow import copy_workflow, run

pytestmark = pytest.mark.slurm
CLUSTER = ROOT / "tests/slurm/cluster.sh"
CONFIG = ROOT / "tests/slurm/config.yaml"


def _copy(d: Path, cfg: dict) -> Path:
    copy_workflow(d)
    (d / "tiny.yaml").write_text(yaml.safe_dump(cfg))
    return d


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if os.geteuid() != 0 and not os.environ.get("CI"):
        pytest.skip("the local SLURM cluster needs root (apt-get, munged, slurmd)")
    subprocess.run(["bash", str(CLUSTER), "install"], check=True, capture_output=True, text=True)
    state = tmp_path_factory.mktemp("slurm")
    p = subprocess.run(["bash", str(CLUSTER), "start", str(state)], capture_output=True, text=True)
    if p.returncode != 0:
        subprocess.run(["bash", str(CLUSTER), "stop", str(state)])
        raise AssertionError(f"cluster did not start:\n{p.stdout}\n{p.stderr}")
    os.environ["SLURM_CONF"] = str(state / "slurm.conf")
    yield state
    subprocess.run(["bash", str(CLUSTER), "stop", str(state)], check=False)
    os.environ.pop("SLURM_CONF", None)


@pytest.fixture(scope="module")
def runs(cluster, tmp_path_factory):
    """The same config run locally and through SLURM; returns (local dir, slurm dir, config)."""
    cfg = yaml.safe_load(CONFIG.read_text())
    local = _copy(tmp_path_factory.mktemp("local"), cfg)
    run(["--cores", "2", "--configfile", "tiny.yaml"], local)
    slurm = _copy(tmp_path_factory.mktemp("onslurm"), cfg)
    run(["--profile", str(ROOT / "tests/slurm/profile"), "--configfile", "tiny.yaml"], slurm)
    return local, slurm, cfg


def _jobs() -> list[dict]:
    """The controller's record of every job (one `key=value ...` line each)."""
    out = subprocess.run(["scontrol", "show", "job", "-o"], check=True, capture_output=True, text=True).stdout
    return [dict(re.findall(r"(\w+)=(\S*)", line)) for line in out.splitlines() if line.strip()]


def test_jobs_went_through_the_scheduler_with_the_rules_resources(runs):
    local, slurm, cfg = runs
    jobs = _jobs()
    by_rule: dict[str, list[dict]] = {}
    for j in jobs:
        m = re.match(r"rule_(\w+?)(_wildcards_|$)", j.get("Comment", ""))
        assert m, f"job {j['JobId']} has no rule comment: {j.get('Comment')}"
        by_rule.setdefault(m.group(1), []).append(j)
    assert {"prepare_dataset", "train_classifier", "train_denoiser", "attack", "explain", "detect", "rectify",
            "rectify_grid", "endtoend", "tables", "figure", "summary"} <= set(by_rule)
    # sacct (job completion records) lists every one of them as completed
    out = subprocess.run(["sacct", "--completion", "-n", "-P", "-o", "JobID,State"], check=True,
                         capture_output=True, text=True).stdout
    state = dict(line.split("|")[:2] for line in out.splitlines() if line.strip())
    assert {j["JobId"] for j in jobs} <= set(state)
    assert all(state[j["JobId"]] == "COMPLETED" for j in jobs), state
    for rule, js in by_rule.items():
        for j in js:
            gpu = j.get("TresPerJob", "")
            res = cfg["resources"]
            if rule in ("train_classifier", "train_denoiser", "attack", "explain", "explain_clean", "rectify",
                        "rectify_clean", "rectify_grid", "rectify_grid_clean", "leaderboard_transfer"):
                assert gpu == f"gres:gpu:{res['gpu']}", (rule, gpu)
                assert j["MinMemoryNode"] == f"{res['mem_mb']}M" and j["TimeLimit"] == f"00:{res['runtime']}:00", (rule, j)
            else:  # CPU-only rules ask for no GPU
                assert "gpu" not in gpu, (rule, gpu)
    assert all(j["MinMemoryNode"] == "4000M" for j in by_rule["detect"])
    assert int(by_rule["explain"][0]["NumCPUs"]) == cfg["threads"]


def test_tables_equal_a_local_run(runs):
    local, slurm, cfg = runs
    tables = sorted(p.name for p in (local / "results/tables").glob("*.csv"))
    assert tables and tables == sorted(p.name for p in (slurm / "results/tables").glob("*.csv"))
    for name in tables:
        a, b = pd.read_csv(local / "results/tables" / name), pd.read_csv(slurm / "results/tables" / name)
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-6, obj=name)
