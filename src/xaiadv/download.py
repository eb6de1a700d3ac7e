"""What a config needs from the internet, fetched once on a connected machine (``snakemake download``).

Pretrained torchvision weights go to torch's hub cache (``$TORCH_HOME/hub/checkpoints``, default
``~/.cache/torch``); torchvision data sets to their configured ``path``. The workflow runs these as local rules
(on the login node under SLURM) before any job that reads them; compute jobs never download: a missing file
is an error that names it and this step.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

TORCHVISION_ARCHS = ("resnet50", "inception_v3", "vgg19")


def weights_enum(arch: str):
    """torchvision's DEFAULT weights entry of ``arch`` (its ``url`` names the file)."""
    from torchvision.models import get_model_weights

    return get_model_weights(arch).DEFAULT


def weights_file(arch: str) -> Path:
    """Where torch's hub cache keeps the DEFAULT weights of ``arch``."""
    import torch

    return Path(torch.hub.get_dir()) / "checkpoints" / Path(weights_enum(arch).url).name


def fetch_weights(arch: str) -> dict:
    """Download the DEFAULT torchvision weights of ``arch`` into the hub cache (no-op when present); returns
    ``{"arch", "url", "file", "bytes", "sha256"}``. Raises ``ValueError`` for an arch torchvision does not serve."""
    if arch not in TORCHVISION_ARCHS:
        raise ValueError(f"arch {arch!r}: no torchvision weights; allowed: {', '.join(TORCHVISION_ARCHS)}")
    w = weights_enum(arch)
    f = weights_file(arch)
    if not f.exists():
        w.get_state_dict(progress=True, check_hash=True)
    return {"arch": arch, "url": w.url, "file": str(f), "bytes": f.stat().st_size, "sha256": _sha256(f)}


def fetch_dataset(name: str, root: str | Path) -> dict:
    """Download torchvision's ``name`` ("mnist" | "cifar10") train and test files into ``root``; returns
    ``{"dataset", "root", "files"}``. Raises ``ValueError`` for another data set."""
    from torchvision.datasets import CIFAR10, MNIST

    cls = {"mnist": MNIST, "cifar10": CIFAR10}.get(name)
    if cls is None:
        raise ValueError(f"data set {name!r}: torchvision download only for mnist and cifar10")
    for train in (True, False):
        cls(str(root), train=train, download=True)
    files = sorted(str(p.relative_to(root)) for p in Path(root).rglob("*") if p.is_file())
    return {"dataset": name, "root": str(root), "files": files}


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
