"""Image-folder data sets read from a directory or straight from a tar archive.

Archives are read member by member and never extracted, so a hostile archive
cannot write outside anywhere (no links are followed, no paths are created).
"""

from __future__ import annotations

import tarfile
from pathlib import Path, PurePosixPath
from typing import Iterator

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def iter_files(path: str | Path) -> Iterator[tuple[str, bytes]]:
    """Yield ``(relative posix path, bytes)`` for every regular file under a folder or in a tar archive.

    Raises ``FileNotFoundError`` naming ``path`` if it does not exist, ``ValueError``
    if it is neither a folder nor a readable tar archive.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.is_dir():
        for p in sorted(path.rglob("*")):
            if p.is_file() and not p.is_symlink():
                yield p.relative_to(path).as_posix(), p.read_bytes()
        return
    try:
        tf = tarfile.open(path, mode="r:*")
    except (tarfile.TarError, OSError) as e:
        raise ValueError(f"{path}: neither a folder nor a readable tar archive ({e})") from e
    with tf:
        for m in tf:
            if not m.isreg():
                continue
            f = tf.extractfile(m)
            if f is not None:
                yield PurePosixPath(m.name).as_posix().lstrip("./"), f.read()


def find_root(names: list[str], marker_dirs: set[str]) -> str:
    """The common prefix under which ``marker_dirs`` (e.g. {"train", "test"}) appear."""
    for n in names:
        parts = n.split("/")
        for i, part in enumerate(parts[:-1]):
            if part in marker_dirs:
                return "/".join(parts[:i])
    return ""
