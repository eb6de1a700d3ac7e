"""ImageNet (ILSVRC-2012) evaluation images: any ``<wnid>/*.JPEG`` folder or archive, or foolbox's 20.

Preprocessing is the standard one: shorter side resized to 256, centre crop 224. Class indices: a
``synsets.txt`` in the folder if there is one, else the 1,000 standard ILSVRC-2012 wnids shipped with the
package (``imagenet_synsets.txt``: sorted wnids, which is the class index of torchvision's and timm's
pretrained models), so a plain ILSVRC-2012 validation folder works as it is.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import numpy as np

from .folders import IMAGE_SUFFIXES, list_files, read_files
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


STANDARD_SYNSETS = Path(__file__).with_name("imagenet_synsets.txt")


def standard_synsets() -> tuple[list[str], list[str]]:
    """The 1,000 ILSVRC-2012 classes in class-index order (sorted wnids): ``(wnids, names)``."""
    return parse_synsets(STANDARD_SYNSETS.read_text(encoding="utf-8"), str(STANDARD_SYNSETS))


def class_balanced_order(names: list[str]) -> list[str]:
    """Image paths ordered round-robin over their class folders (every class's first image by name, then
    every class's second, ...), so the first ``n`` of a 50,000-image validation folder span the classes."""
    rank, seen = {}, {}
    for name in sorted(names):
        wnid = name.split("/")[-2]
        rank[name] = seen.get(wnid, 0)
        seen[wnid] = rank[name] + 1
    return sorted(names, key=lambda p: (rank[p], p.split("/")[-2], p))


def load_imagenet_folder(path: str | Path, n: int | None = None) -> Split:
    """Read ``<wnid>/<image>`` files (and ``synsets.txt`` if present) from a folder or tar archive.

    Returns a split of uint8 (N, 3, 224, 224) RGB (grayscale and CMYK JPEGs are converted), labels = class
    index of the wnid: its line in the folder's ``synsets.txt``, else in the standard ILSVRC-2012 list
    (:func:`standard_synsets`). Images in :func:`class_balanced_order`; the first ``n`` kept. Names are listed
    first and only the kept files are read: memory and time grow with ``n``, not with the folder. Raises
    ``ValueError`` naming the file for a malformed ``synsets.txt`` or a folder that is not a known wnid,
    and :class:`~xaiadv.data.images.ImageError` for a corrupt image.
    """
    names = list_files(path)
    synsets = [n for n in names if n.split("/")[-1] == "synsets.txt"]
    images = [n for n in names if Path(n).suffix.lower() in IMAGE_SUFFIXES and "/" in n]
    order = class_balanced_order(images)
    if n is not None:
        order = order[:n]
    if not order:
        raise ValueError(f"{path}: no images in <wnid>/ folders")
    data = read_files(path, synsets[:1] + order)  # synsets.txt and the n kept files only (an archive: one pass)
    if not synsets:
        wnids, classes = standard_synsets()
        source = f"the standard ILSVRC-2012 classes ({STANDARD_SYNSETS.name}; {path} has no synsets.txt)"
    else:
        wnids, classes = parse_synsets(data.pop(synsets[0]).decode("utf-8"), f"{path}:synsets.txt")
        source = f"{path}:synsets.txt"
    index = {w: i for i, w in enumerate(wnids)}
    for name in order:
        wnid = name.split("/")[-2]
        if wnid not in index:
            raise ValueError(f"{path}: {name}: folder {wnid!r} is not a wnid of {source}")
    xs = np.empty((len(order), 3, CROP, CROP), np.uint8)
    for i, name in enumerate(order):
        xs[i] = decode(data.pop(name), f"{path}:{name}", resize=RESIZE, crop=CROP)
    ys = np.array([index[name.split("/")[-2]] for name in order], dtype=np.int64)
    return Split(xs, ys, np.arange(len(order), dtype=np.int64), classes, 255.0, f"folder:{Path(path).name}")


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
