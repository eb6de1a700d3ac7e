"""What the stages that work on one attack's output (explain, rectify) load and how they name outputs."""

from __future__ import annotations

from pathlib import Path

from .. import runtime


def load_attacked(a):
    """``(device, model, x, adv)`` for a stage run on one attack: the torch device (after seeding), the model
    from ``a.model_file``, the clean test images (N, C, H, W) float32 in [0, 1] from ``a.test_split``, and the
    attack job's tensors from ``a.attack_file`` (see xaiadv.stages.attack)."""
    from ..data import load_split
    from ..io import load_tensors
    from ..models import load_model

    device = runtime.setup(a.seed, a.threads, a.device)
    model = load_model(a.model_file, device)
    x, _, _, _ = load_split(a.test_split)
    adv, _ = load_tensors(a.attack_file)
    return device, model, x, adv


def spec_for_output(out: str, specs: dict, kind: str) -> tuple[str, dict]:
    """``(name, spec)`` of the output file ``out`` named ``<name>.<ext>``; exits naming the file when ``specs``
    (the --{kind}s argument) has no such entry."""
    name = Path(out).stem
    if name not in specs:
        raise SystemExit(f"output {out}: no {kind} named {name!r} in --{kind}s")
    return name, specs[name]
