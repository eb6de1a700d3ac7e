"""A defense written outside the package, named in config as ``module:Class`` (kind ``plugin``).

The class implements :class:`xaiadv.defenses.base.Defense` (docs/extending.md) and is built as
``Class(model, device, name=..., **params)``. Before any attack it gets what it needs, in this order, where it has
the method: ``fit(x_clean, x_adv, x_calib)`` (clean and transferred-PGD images outside the evaluated set, and clean
calibration images), then ``calibrate(x_calib, fpr)`` (a threshold at the leaderboard's FPR). A class may publish a
JSON-Schema fragment for its ``params`` as the class attribute ``params_schema``; the config is validated against it
before any job runs. The module is imported from the Python path with the working directory (the workflow's root)
first, so ``examples.peaky_saliency:PeakySaliency`` names ``examples/peaky_saliency.py`` of a checkout."""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from pathlib import Path

from ..config import ConfigError


def load_class(ref: str, where: str = "leaderboard.defenses"):
    """The class named by ``ref`` (``"package.module:Class"``). Raises :class:`xaiadv.config.ConfigError` naming
    ``where`` for a malformed reference, a module that does not import, or a missing class."""
    mod, sep, cls = ref.partition(":")
    if not sep or not mod or not cls.isidentifier():
        raise ConfigError(f"{where}: class {ref!r} is not of the form 'module:Class'")
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        module = importlib.import_module(mod)
    except ImportError as e:
        raise ConfigError(f"{where}: class {ref!r}: module {mod!r} does not import ({e})") from e
    if not hasattr(module, cls):
        raise ConfigError(f"{where}: class {ref!r}: {mod!r} has no {cls!r}")
    return getattr(module, cls)


def module_path(ref: str) -> str | None:
    """The source file of ``ref``'s module (a rule input: editing it reruns its rows), or None."""
    mod = importlib.util.find_spec(ref.partition(":")[0])
    return str(Path(mod.origin)) if mod is not None and mod.origin else None


def validate_params(cls, params: dict, where: str) -> None:
    """``params`` against ``cls.params_schema`` (a JSON-Schema fragment; none: any params). Raises
    :class:`xaiadv.config.ConfigError` naming ``where`` and the key."""
    schema = getattr(cls, "params_schema", None)
    if schema is None:
        return
    import jsonschema

    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(params), key=lambda e: list(e.path))
    if errors:
        e = errors[0]
        path = ".".join(str(p) for p in e.path)
        raise ConfigError(f"{where}.params{'.' + path if path else ''}: {e.message}")


def build(spec: dict, model, device, x_fit=None, x_fit_adv=None, x_calib=None, fpr: float = 0.05):
    """The plugin defense of resolved entry ``spec`` (``class``, ``params``, ``name``) around ``model``, fitted and
    calibrated where the class has those methods and the images are given."""
    cls = load_class(spec["class"], f"leaderboard.defenses.{spec['name']}")
    d = cls(model, device, name=spec["name"], **(spec.get("params") or {}))
    if hasattr(d, "fit") and x_fit is not None:
        d = d.fit(x_fit, x_fit_adv, x_calib) or d
    if hasattr(d, "calibrate") and x_calib is not None:
        d = d.calibrate(x_calib, fpr) or d
    return d
