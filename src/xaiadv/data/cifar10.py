"""CIFAR-10 from an ImageFolder directory / tar archive, or a torchvision download."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .folders import IMAGE_SUFFIXES, list_files, read_files
from .images import decode
from .split import Split

CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def _subset(n_total: int, n: int | None, rng: np.random.Generator) -> np.ndarray:
    """A seeded random order (the first ``n``): folders list images class by class, and the
    attack stage takes the first ``n_eval`` test images, which must not all be airplanes."""
    return rng.permutation(n_total)[:n]


def load_cifar10_folder(path: str | Path, n_train: int | None = None, n_test: int | None = None,
                        seed: int = 0) -> dict[str, Split]:
    """Read ``.../{train,test}/<class>/<image>`` from a folder or tar archive.

    Class index = position of the folder name in CIFAR-10's official label order
    (= alphabetical). ``n_train`` / ``n_test`` keep a seeded random subset; samples
    are stored in a seeded random order (``ids`` = position in path order). Names are listed first; only the kept
    images are read and decoded, so memory grows with ``n_train + n_test``, not with the folder. Raises
    ``ValueError`` naming the archive if a split or class folder is missing, and
    :class:`~xaiadv.data.images.ImageError` naming a corrupt image.
    """
    files: dict[str, list[tuple[str, int]]] = {"train": [], "test": []}
    for name in list_files(path):
        parts = name.split("/")
        if len(parts) < 3 or Path(name).suffix.lower() not in IMAGE_SUFFIXES:
            continue
        split, cls = parts[-3], parts[-2]
        if split in files:
            if cls not in CLASSES:
                raise ValueError(f"{path}: {name}: unknown CIFAR-10 class folder {cls!r}; expected one of {', '.join(CLASSES)}")
            files[split].append((name, CLASSES.index(cls)))
    rng = np.random.default_rng(seed)
    out = {}
    offset = {"train": 0, "test": 50000}
    for split, n in (("train", n_train), ("test", n_test)):
        items = sorted(files[split])
        if not items:
            raise ValueError(f"{path}: no images under a '{split}/<class>/' folder")
        keep = _subset(len(items), n, rng)
        data = read_files(path, [items[i][0] for i in keep])  # only the kept images are read
        x = np.stack([decode(data[items[i][0]], f"{path}:{items[i][0]}") for i in keep])
        y = np.array([items[i][1] for i in keep], dtype=np.int64)
        out[split] = Split(x, y, keep.astype(np.int64) + offset[split], CLASSES, 255.0, f"folder:{Path(path).name}",
                           {"note": "CIFAR-10 (JPEG re-encoded)" if items[0][0].lower().endswith((".jpg", ".jpeg")) else ""})
    return out


def load_cifar10_torchvision(root: str | Path, download: bool, n_train: int | None = None,
                             n_test: int | None = None, seed: int = 0) -> dict[str, Split]:
    """torchvision.datasets.CIFAR10 (downloads when ``download`` and a connection exist)."""
    from torchvision.datasets import CIFAR10

    rng = np.random.default_rng(seed)
    out = {}
    for split, train, n, off in (("train", True, n_train, 0), ("test", False, n_test, 50000)):
        ds = CIFAR10(str(root), train=train, download=download)
        keep = _subset(len(ds.data), n, rng)
        x = ds.data[keep].transpose(0, 3, 1, 2).astype(np.uint8)
        y = np.asarray(ds.targets, dtype=np.int64)[keep]
        out[split] = Split(np.ascontiguousarray(x), y, keep.astype(np.int64) + off, CLASSES, 255.0, "torchvision")
    return out
