"""Image-folder data sets read from a directory or straight from a tar archive.

Archives are read member by member and never extracted, so a hostile archive
cannot write outside anywhere (no links are followed, no paths are created).
"""

from __future__ import annotations

import tarfile
from pathlib import Path, PurePosixPath

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}


def list_files(path: str | Path) -> list[str]:
    """Relative posix paths of the regular files under a folder or in a tar archive, sorted; no file is read.

    In a folder, a symbolic link to a regular file counts as a file (cluster copies of ILSVRC-2012 are often
    link farms); in an archive, links are skipped. Raises ``FileNotFoundError`` naming ``path`` if it does not
    exist, ``ValueError`` if it is neither a folder nor a readable tar archive.
    """
    path = Path(path)
    if path.is_dir():
        return sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
    with _open_tar(path) as tf:
        return sorted(_member_name(m) for m in tf if m.isreg())


def read_files(path: str | Path, names: list[str]) -> dict[str, bytes]:
    """``{name: bytes}`` for ``names`` (from :func:`list_files`) only: memory grows with ``len(names)``, not with
    the folder. An archive is read in one pass (a compressed one cannot seek). Raises ``FileNotFoundError`` for
    a missing folder or name, ``ValueError`` for an unreadable archive."""
    path = Path(path)
    if path.is_dir():
        return {n: (path / n).read_bytes() for n in names}
    wanted, out = set(names), {}
    with _open_tar(path) as tf:
        for m in tf:
            name = _member_name(m)
            if m.isreg() and name in wanted:
                f = tf.extractfile(m)
                if f is not None:
                    out[name] = f.read()
    missing = wanted - set(out)
    if missing:
        raise FileNotFoundError(f"{path}: no member {sorted(missing)[0]!r}")
    return out


def _member_name(m: tarfile.TarInfo) -> str:
    return PurePosixPath(m.name).as_posix().lstrip("./")


def _open_tar(path: Path) -> tarfile.TarFile:
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    try:
        return tarfile.open(path, mode="r:*")
    except (tarfile.TarError, OSError) as e:
        raise ValueError(f"{path}: neither a folder nor a readable tar archive ({e})") from e


def find_root(names: list[str], marker_dirs: set[str]) -> str:
    """The common prefix under which ``marker_dirs`` (e.g. {"train", "test"}) appear."""
    for n in names:
        parts = n.split("/")
        for i, part in enumerate(parts[:-1]):
            if part in marker_dirs:
                return "/".join(parts[:i])
    return ""
