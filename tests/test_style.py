"""The snakemake-workflows catalog's checks: `snakemake --lint` reports nothing and `snakefmt --check` would change
no file (line length 120, pyproject.toml's [tool.snakefmt])."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.mark.parametrize("configfile", ["config.yaml", "config/paper.yaml"])
def test_snakemake_lint_is_clean(configfile):
    p = subprocess.run([sys.executable, "-m", "snakemake", "--lint", "--configfile", configfile], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    out = p.stdout + p.stderr
    assert p.returncode == 0 and "Lints for" not in out and "Congratulations" in out, out[-3000:]


def test_snakefmt_would_change_nothing():
    exe = shutil.which("snakefmt", path=str(Path(sys.executable).parent)) or shutil.which("snakefmt")
    assert exe, "snakefmt is not installed (requirements.txt)"
    p = subprocess.run([exe, "--check", "Snakefile", "workflow"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
