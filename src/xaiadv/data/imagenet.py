"""ImageNet (ILSVRC-2012) evaluation images: any ``<wnid>/*.JPEG`` folder or archive, or foolbox's 20.

Preprocessing is the standard one: shorter side resized to 256, centre crop 224.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np

from .folders import IMAGE_SUFFIXES, iter_files
from .images import decode
from .split import Split

RESIZE, CROP = 256, 224


def parse_synsets(text: str, name: str = "synsets.txt") -> tuple[list[str], list[str]]:
    """Parse ``synsets.txt`` (line i: ``<wnid> <words>`` of class i) -> (wnids, names).

    Raises ``ValueError`` naming the file if it does not have 1000 well-formed lines.
    """
    wnids, names = [], []
    for i, line in enumerate(l for l in text.splitlines() if l.strip()):
        parts = line.strip().split(maxsplit=1)
        if not re.fullmatch(r"n\d{8}", parts[0]):
            raise ValueError(f"{name}: line {i + 1}: {parts[0]!r} is not a wnid")
        wnids.append(parts[0])
        names.append(parts[1] if len(parts) > 1 else parts[0])
    if len(wnids) != 1000:
        raise ValueError(f"{name}: expected 1000 classes, found {len(wnids)}")
    return wnids, names


def load_imagenet_folder(path: str | Path, n: int | None = None) -> Split:
    """Read ``<wnid>/<image>`` files and ``synsets.txt`` from a folder or tar archive.

    Returns a split of uint8 (N, 3, 224, 224), labels = class index of the wnid in
    ``synsets.txt``, in path order; the first ``n`` kept. Raises ``ValueError``
    naming the file for a missing ``synsets.txt`` or an unknown wnid, and
    :class:`~xaiadv.data.images.ImageError` for a corrupt image.
    """
    synsets_text, images = None, []
    for name, data in iter_files(path):
        if name.split("/")[-1] == "synsets.txt":
            synsets_text = data.decode("utf-8")
        elif Path(name).suffix.lower() in IMAGE_SUFFIXES and "/" in name:
            images.append((name, data))
    if synsets_text is None:
        raise ValueError(f"{path}: no synsets.txt (line i = '<wnid> <name>' of class i)")
    wnids, names = parse_synsets(synsets_text, f"{path}:synsets.txt")
    index = {w: i for i, w in enumerate(wnids)}
    images.sort()
    if n is not None:
        images = images[:n]
    if not images:
        raise ValueError(f"{path}: no images in <wnid>/ folders")
    xs, ys = [], []
    for name, data in images:
        wnid = name.split("/")[-2]
        if wnid not in index:
            raise ValueError(f"{path}: {name}: folder {wnid!r} is not a wnid in synsets.txt")
        xs.append(decode(data, f"{path}:{name}", resize=RESIZE, crop=CROP))
        ys.append(index[wnid])
    return Split(np.stack(xs), np.array(ys, dtype=np.int64), np.arange(len(xs), dtype=np.int64), names, 255.0,
                 f"folder:{Path(path).name}")


def foolbox_data_dir() -> Path:
    """Folder of the sample images shipped in the foolbox wheel (the package is not imported)."""
    spec = importlib.util.find_spec("foolbox")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("package 'foolbox' is not installed: pip install --no-deps foolbox")
    return Path(list(spec.submodule_search_locations)[0]) / "data"


def load_imagenet_foolbox(n: int | None = None) -> Split:
    """The 20 ImageNet validation images in foolbox (``imagenet_<k>_<label>.jpg``), resized 256 / crop 224."""
    d = foolbox_data_dir()
    files = sorted(d.glob("imagenet_*_*.jpg"))
    if not files:
        raise FileNotFoundError(f"{d}: no imagenet_*.jpg images")
    if n is not None:
        files = files[:n]
    x = np.stack([decode(f.read_bytes(), str(f), resize=RESIZE, crop=CROP) for f in files])
    y = np.array([int(f.stem.split("_")[-1]) for f in files], dtype=np.int64)
    return Split(x, y, np.arange(len(files), dtype=np.int64), [str(i) for i in range(1000)], 255.0, "foolbox")
