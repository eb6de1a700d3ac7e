"""One GPU per job on a local multi-GPU machine (xaiadv.gpus): jobs that run at once hold different GPUs, a
job waits while all are held, and the GPU is free again when its process ends (issue 21). No GPU is needed:
the GPUs are ids and the locks are files."""

import json
import subprocess
import sys
import time

import pytest

HOLD = """
import json, os, sys, time
from xaiadv.gpus import claim
ids = claim(int(sys.argv[1]), gpus=sys.argv[2].split(","), locks=sys.argv[3], timeout=float(sys.argv[4]), poll=0.05)
print(json.dumps({"ids": ids, "env": os.environ["CUDA_VISIBLE_DEVICES"]}), flush=True)
time.sleep(float(sys.argv[5]))
"""


def _start(n, gpus, locks, timeout=5.0, hold=3.0):
    return subprocess.Popen([sys.executable, "-c", HOLD, str(n), gpus, str(locks), str(timeout), str(hold)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _first_line(p):
    return json.loads(p.stdout.readline())


def test_concurrent_jobs_get_different_gpus_and_a_third_waits(tmp_path):
    a = _start(1, "0,1", tmp_path)
    first = _first_line(a)
    b = _start(1, "0,1", tmp_path)
    second = _first_line(b)
    assert {first["ids"][0], second["ids"][0]} == {"0", "1"}
    assert first["env"] == first["ids"][0] and second["env"] == second["ids"][0]
    t = time.monotonic()
    c = _start(1, "0,1", tmp_path, timeout=10.0, hold=0.0)
    third = _first_line(c)  # gets one once a or b exits (each holds ~3 s)
    assert third["ids"][0] in ("0", "1") and time.monotonic() - t > 1.0
    for p in (a, b, c):
        p.wait(timeout=20)
        assert p.returncode == 0, p.stderr.read()


def test_a_job_that_cannot_get_its_gpus_fails_clearly(tmp_path):
    a = _start(2, "0,1", tmp_path)
    assert _first_line(a)["ids"] == ["0", "1"]
    b = _start(1, "0,1", tmp_path, timeout=0.3, hold=0.0)
    b.wait(timeout=20)
    assert b.returncode != 0 and "no 1 free GPU(s) of 0,1" in b.stderr.read()
    a.wait(timeout=20)
    from xaiadv.gpus import claim

    with pytest.raises(RuntimeError, match="asks for 3 GPU.*2 visible"):
        claim(3, gpus=["0", "1"], locks=tmp_path)


def test_no_claim_under_slurm_or_without_gpus(monkeypatch):
    from types import SimpleNamespace

    from xaiadv.gpus import claim_for_job

    monkeypatch.setenv("SLURM_JOB_ID", "42")
    assert claim_for_job(SimpleNamespace(resources=SimpleNamespace(gpu=1))) == []
    monkeypatch.delenv("SLURM_JOB_ID")
    assert claim_for_job(SimpleNamespace(resources=SimpleNamespace(gpu=0))) == []
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")  # a config with gpu: 1 on a machine without one: the CPU
    assert claim_for_job(SimpleNamespace(resources=SimpleNamespace(gpu=1))) == []
