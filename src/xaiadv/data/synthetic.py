"""A synthetic ILSVRC-2012-style ``<wnid>/*.JPEG`` folder of many files, for memory tests and benchmarks.

Every file is a symbolic link to one of a few real JPEGs, so a folder of 20,000 or 50,000 "images" costs no
disk space; the readers in :mod:`xaiadv.data.folders` follow links in folders.
"""

from __future__ import annotations

import tarfile
from pathlib import Path


def link_farm(archive: str | Path, dest: str | Path, n_files: int, n_sources: int = 20) -> Path:
    """Fill ``dest`` with ``n_files`` links ``<wnid>/ILSVRC2012_val_<k>.JPEG`` spread over the 1,000 standard
    wnids, pointing at ``n_sources`` JPEGs extracted from the tar ``archive`` (e.g. the 500-image sample) into
    ``<dest>-sources`` beside it. Returns ``dest``. Raises ``ValueError`` if the archive holds fewer JPEGs than asked."""
    from .imagenet import standard_synsets

    dest = Path(dest)
    src_dir = dest.parent / f"{dest.name}-sources"
    src_dir.mkdir(parents=True, exist_ok=True)
    dest.mkdir(parents=True, exist_ok=True)
    sources = []
    with tarfile.open(archive) as tf:
        for m in tf:
            if m.isreg() and m.name.lower().endswith((".jpeg", ".jpg")) and len(sources) < n_sources:
                p = src_dir / f"{len(sources)}.JPEG"
                p.write_bytes(tf.extractfile(m).read())
                sources.append(p)
    if len(sources) < n_sources:
        raise ValueError(f"{archive}: {len(sources)} JPEGs, {n_sources} asked")
    wnids, _ = standard_synsets()
    for k in range(n_files):
        d = dest / wnids[k % len(wnids)]
        d.mkdir(exist_ok=True)
        (d / f"ILSVRC2012_val_{k:08d}.JPEG").symlink_to(sources[k % n_sources].resolve())
    return dest
