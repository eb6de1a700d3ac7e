"""Decoding image files with PIL; a corrupt or unreadable file fails with its path."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np


class ImageError(ValueError):
    """An image file that cannot be decoded."""


def decode(data: bytes | str | Path, name: str, mode: str = "RGB", resize: int | None = None,
           crop: int | None = None) -> np.ndarray:
    """Decode one image to uint8 (C, H, W).

    ``resize``: shorter side to this many pixels (bilinear, antialiased), then
    ``crop``: centre square of this size (ImageNet: resize 256, crop 224).
    Raises :class:`ImageError` naming ``name`` if the file cannot be decoded.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        src = io.BytesIO(data) if isinstance(data, (bytes, bytearray)) else data
        with Image.open(src) as im:
            im.load()
            im = im.convert(mode)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise ImageError(f"{name}: cannot read image ({e})") from e
    if resize:
        w, h = im.size
        s = resize / min(w, h)
        im = im.resize((max(resize, round(w * s)), max(resize, round(h * s))), Image.BILINEAR, reducing_gap=None)
    if crop:
        w, h = im.size
        left, top = (w - crop) // 2, (h - crop) // 2
        im = im.crop((left, top, left + crop, top + crop))
    a = np.asarray(im, dtype=np.uint8)
    if a.ndim == 2:
        a = a[:, :, None]
    return np.ascontiguousarray(a.transpose(2, 0, 1))
