"""Data sets: MNIST, CIFAR-10, ImageNet, stored as uint8 safetensors splits.

Each loader returns :class:`Split` objects; :mod:`xaiadv.data.prepare` writes
them and :func:`load_split` reads them back as float32 images in [0, 1], NCHW.
"""

from .split import Split, load_split, save_split, split_size

__all__ = ["Split", "load_split", "save_split", "split_size"]
