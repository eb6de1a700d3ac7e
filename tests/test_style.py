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


def test_no_import_cycle_between_the_packages_modules():
    """Layering (DESIGN: leaderboard above defenses above the method packages): no module of xaiadv imports, directly
    or through others, a module that imports it back (imports read with ast, inside functions too; a module's own
    parent packages left out, since Python runs them before it anyway)."""
    import sys

    from xaiadv import deps

    mods = [deps._name_of(p) for p in deps.PKG.rglob("*.py")]
    graph = {m: [d for d in deps._direct(m) if d != m and not m.startswith(d + ".") and d in mods] for m in mods}
    index, low, stack, on, cycles = {}, {}, [], set(), []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for m in mods:
        if m not in index:
            visit(m)
    assert cycles == []
    assert "xaiadv.leaderboard.engine" in mods and not any(m.startswith("xaiadv.adaptive.pgd") for m in mods)
