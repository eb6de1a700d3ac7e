"""Per-job runtime settings (issue 18): glibc keeps freed memory for reuse, so a job stops faulting in fresh pages
for every large tensor; the TIMING line reports the job's CPU split and page faults."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = str(Path(__file__).resolve().parents[1] / "src")
CHURN = r"""
import json, resource, sys
sys.path.insert(0, sys.argv[2])
from xaiadv import runtime
ok = runtime.keep_freed_memory() if sys.argv[1] == "keep" else None
import torch
torch.empty(1)
r0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    t = torch.ones(16 * 1024 * 1024)  # 64 MB, freed at the next assignment
    del t
print(json.dumps({"ok": ok, "minflt": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r0}))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_keep_freed_memory_stops_the_page_fault_churn():
    def run(mode):
        out = subprocess.run([sys.executable, "-c", CHURN, mode, SRC], capture_output=True, text=True, check=True)
        return json.loads(out.stdout)

    default, keep = run("default"), run("keep")
    assert keep["ok"] is True
    # default: each 64 MB tensor is a fresh mmap (~16k faults each); kept: heap pages are reused
    assert default["minflt"] > 20 * 10_000 and keep["minflt"] < default["minflt"] / 2, (default, keep)  # 3x measured


def test_timing_line_reports_cpu_split_and_faults(capsys):
    from xaiadv.runtime import Timer

    t = Timer()
    with t("compute"):
        sum(range(100_000))
    rec = t.report("unit")
    assert {"user", "sys", "minflt", "rss_mb"} <= set(rec) and rec["user"] >= 0 and rec["minflt"] > 0
    line = [ln for ln in capsys.readouterr().err.splitlines() if ln.startswith("TIMING ")][0]
    assert json.loads(line[7:])["stage"] == "unit"
