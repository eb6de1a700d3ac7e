"""The package's own source files that a module runs: its imports within ``xaiadv``, followed transitively.

Snakemake does not see changes to imported Python modules. Every rule lists, as inputs, the files that
:func:`source_files` derives from its stage module's imports (plus the method modules it loads by name,
e.g. ``xaiadv.attacks.pgd``), so editing a module reruns exactly the jobs that import it. Imports are read
from the source with :mod:`ast` (nothing is imported), including imports inside functions; the
``__init__.py`` of every package on the way counts too (Python runs it on import).
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

PKG = Path(__file__).resolve().parent
NAME = "xaiadv"
# modules that run jobs without computing anything in them, so not inputs of any rule: the fork server hands a job to a
# forked child that runs the same stage (tests/test_workflow.py: the same results with and without it); editing it
# reruns nothing
NOT_INPUTS = frozenset({f"{NAME}.forkserver"})


def module_file(module: str) -> Path | None:
    """The file of ``module`` (``xaiadv.a.b``: ``a/b.py`` or ``a/b/__init__.py``), or None if it is not one."""
    parts = module.split(".")
    if parts[0] != NAME:
        return None
    base = PKG.joinpath(*parts[1:])
    for p in (base.with_suffix(".py"), base / "__init__.py"):
        if p.is_file():
            return p
    return None


def _name_of(path: Path) -> str:
    rel = path.relative_to(PKG).with_suffix("")
    parts = [NAME, *rel.parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@lru_cache(maxsize=None)
def _direct(module: str) -> tuple[str, ...]:
    """Modules within the package that ``module``'s source imports (absolute names, parents included)."""
    path = module_file(module)
    if path is None:
        return ()
    is_pkg = path.name == "__init__.py"
    package = module if is_pkg else module.rpartition(".")[0]
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.append(mod)
            found += [f"{mod}.{a.name}" for a in node.names]  # `from pkg import submodule`
    out = []
    for m in found:
        parts = m.split(".")
        for k in range(1, len(parts) + 1):  # every package on the way runs its __init__
            name = ".".join(parts[:k])
            if module_file(name) is not None:
                out.append(name)
    return tuple(dict.fromkeys(out))


def modules(*roots: str) -> list[str]:
    """``roots`` (absolute module names within the package) and every package module they import,
    transitively, sorted."""
    seen: set[str] = set()
    todo = [".".join(r.split(".")[:k]) for r in roots for k in range(1, r.count(".") + 2)]
    while todo:
        m = todo.pop()
        if module_file(m) is None:
            raise ValueError(f"{m!r} is not a module of the {NAME} package")
        if m in seen or m in NOT_INPUTS:
            continue
        seen.add(m)
        todo += [d for d in _direct(m) if d not in seen]
    return sorted(seen)


def source_files(*roots: str) -> list[str]:
    """The files of :func:`modules` ``(*roots)``, as strings (rule inputs). Raises ``ValueError`` when a root
    is not a module of the package."""
    return [str(module_file(m)) for m in modules(*roots)]
