"""Running an attack: target selection, batching, success and norms."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

import torch
from tqdm import tqdm

METHODS = ("fgsm", "bim", "pgd", "cw", "jsma", "bim_accumulated", "lbfgs", "boundary")
# an attack entry's keys that the workflow reads, not the method's ``attack`` function
CONFIG_KEYS = ("method", "target", "datasets", "n_eval", "stages", "per_dataset")


def source_file(method: str) -> Path:
    """The module implementing ``method`` (a rule input, so editing it reruns that attack's jobs)."""
    if method not in METHODS:
        raise ValueError(f"unknown attack method {method!r}; allowed: {', '.join(METHODS)}")
    return Path(__file__).with_name(f"{method}.py")


def configure(atk, targeted: bool):
    """Put a torchattacks attack in targeted-by-label mode when ``targeted``, silently."""
    if targeted:
        atk.set_mode_targeted_by_label(quiet=True)
    return atk


@torch.no_grad()
def make_targets(logits: torch.Tensor, y: torch.Tensor, mode: str, generator: torch.Generator,
                 method: str = "") -> torch.Tensor:
    """Target labels (N,) for ``mode``: "untargeted" -> -1 (JSMA: (y+1) mod C),
    "random" -> a uniformly random class != y (seeded), "second" -> the 2nd most
    confident class of the clean image (Saito & Wang 2020)."""
    n, c = logits.shape
    if mode == "untargeted":
        return (y + 1) % c if method == "jsma" else torch.full_like(y, -1)
    if mode == "random":
        off = torch.randint(1, c, (n,), generator=generator)
        return (y + off) % c
    if mode == "second":
        return logits.topk(2, dim=1).indices[:, 1]
    raise ValueError(f"unknown target mode {mode!r}; allowed: untargeted, random, second")


@dataclass
class AttackResult:
    """Adversarial images and per-sample facts, all on CPU.

    x_adv float32 (N, C, H, W) in [0, 1]; target int64 (-1 when untargeted);
    pred_clean / pred_adv int64; success bool (untargeted: pred_adv != y;
    targeted: pred_adv == target); l2 / linf float32 perturbation norms on the [0, 1] scale.
    """

    x_adv: torch.Tensor
    target: torch.Tensor
    pred_clean: torch.Tensor
    pred_adv: torch.Tensor
    success: torch.Tensor
    l2: torch.Tensor
    linf: torch.Tensor


def run_attack(model, x: torch.Tensor, y: torch.Tensor, spec: dict, batch_size: int = 64, seed: int = 0,
               device: torch.device | str = "cpu", progress: bool = True) -> AttackResult:
    """Attack ``x`` (float32 (N, C, H, W) in [0, 1], labels ``y``) with the attack described by ``spec``
    (a config entry: ``method``, ``target`` and the method's parameters; the schema's defaults are filled in
    by :func:`xaiadv.config.method_spec`).

    Raises ``ValueError`` for an unknown method, :class:`xaiadv.config.ConfigError` for a key the method does
    not read.
    """
    from ..config import method_spec

    source_file(spec["method"])
    spec = method_spec("attacks", spec)
    method = spec["method"]
    if len(x) == 0:  # nothing classified correctly: an empty, well-formed result
        e = torch.zeros(0, dtype=torch.long)
        return AttackResult(x.cpu().clone(), e, e, e, torch.zeros(0, dtype=torch.bool), torch.zeros(0), torch.zeros(0))
    mod = importlib.import_module(f"xaiadv.attacks.{method}")
    params = {k: v for k, v in spec.items() if k not in CONFIG_KEYS}
    mode = spec["target"]
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model.eval().to(device)
    outs = {k: [] for k in ("x_adv", "target", "pred_clean", "pred_adv")}
    for i in tqdm(range(0, len(x), batch_size), desc=f"attack {method}", mininterval=5, disable=not progress):
        xb, yb = x[i:i + batch_size].to(device), y[i:i + batch_size].to(device)
        with torch.no_grad():
            logits = model(xb)
        target = make_targets(logits.cpu(), yb.cpu(), mode, g, method).to(device)
        targeted = mode != "untargeted" or method == "jsma"
        xa = mod.attack(model, xb, target if targeted else yb, targeted=targeted, **params).detach()
        with torch.no_grad():
            pa = model(xa).argmax(1)
        outs["x_adv"].append(xa.cpu())
        outs["target"].append(target.cpu())
        outs["pred_clean"].append(logits.argmax(1).cpu())
        outs["pred_adv"].append(pa.cpu())
    r = {k: torch.cat(v) if v else torch.zeros(0) for k, v in outs.items()}
    targeted_mask = r["target"] >= 0
    success = torch.where(targeted_mask & (mode != "untargeted"), r["pred_adv"] == r["target"], r["pred_adv"] != y.cpu())
    delta = (r["x_adv"] - x.cpu()).flatten(1)
    return AttackResult(r["x_adv"], r["target"], r["pred_clean"], r["pred_adv"], success,
                        delta.norm(dim=1), delta.abs().amax(dim=1) if len(delta) else torch.zeros(0))
