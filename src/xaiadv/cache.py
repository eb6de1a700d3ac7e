"""The explanation cache: one Parquet file per (dataset, model, attack, explainer).

One row per (sample, variant) with variant "clean" or "adversarial":
``sample_id`` int64, ``variant`` string, ``label`` int64, ``prediction`` int64,
``explained_class`` int64, ``attack_success`` bool, ``attribution``
fixed_size_list<float32>[C*H*W]. The file's metadata holds the attribution
``shape`` [C, H, W], the config and code hashes and library versions.
zstd-compressed. :func:`read_explanations` checks the schema.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .io import atomic_path

SCHEMA_VERSION = "1"
COLUMNS = {
    "sample_id": pa.int64(),
    "variant": pa.string(),
    "label": pa.int64(),
    "prediction": pa.int64(),
    "explained_class": pa.int64(),
    "attack_success": pa.bool_(),
}


class CacheSchemaError(ValueError):
    """A Parquet file that is not a valid explanation cache."""


def software_versions() -> dict[str, str]:
    """The versions a cache file records (metadata ``versions``): xaiadv, torch and captum. captum's from its package
    metadata, not an import (importing it loads matplotlib: ~1 s of a job that may not use captum, issue 18)."""
    from importlib.metadata import version

    import torch

    from . import __version__

    return {"xaiadv": __version__, "torch": torch.__version__, "captum": version("captum")}


def write_explanations(path: str | Path, *, sample_id, variant, label, prediction, explained_class, attack_success,
                       attribution: np.ndarray, metadata: dict) -> None:
    """Write the cache file atomically. ``attribution`` float32 (rows, C, H, W); the other arguments (rows,)."""
    attribution = np.ascontiguousarray(attribution, dtype=np.float32)
    if attribution.ndim != 4:
        raise ValueError(f"attribution must be (rows, C, H, W), got {attribution.shape}")
    rows, *shape = attribution.shape
    width = int(np.prod(shape))
    flat = pa.FixedSizeListArray.from_arrays(pa.array(attribution.reshape(-1), pa.float32()), width)
    cols = {
        "sample_id": pa.array(np.asarray(sample_id, np.int64)),
        "variant": pa.array(list(variant), pa.string()),
        "label": pa.array(np.asarray(label, np.int64)),
        "prediction": pa.array(np.asarray(prediction, np.int64)),
        "explained_class": pa.array(np.asarray(explained_class, np.int64)),
        "attack_success": pa.array(np.asarray(attack_success, bool)),
        "attribution": flat,
    }
    for k, v in cols.items():
        if len(v) != rows:
            raise ValueError(f"column {k!r} has {len(v)} rows, attribution has {rows}")
    meta = {"xaiadv.schema_version": SCHEMA_VERSION, "xaiadv.shape": json.dumps(shape),
            **{f"xaiadv.{k}": json.dumps(v, sort_keys=True) for k, v in metadata.items()}}
    table = pa.table(cols).replace_schema_metadata(meta)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp, compression="zstd")


def read_explanations(path: str | Path):
    """Read a cache file; returns ``(frame, attribution, metadata)``.

    ``frame``: pandas DataFrame of the scalar columns; ``attribution``: float32
    (rows, C, H, W); ``metadata``: dict (``shape`` and what the writer stored).
    Raises :class:`CacheSchemaError` naming the file and the offending column.
    """
    path = Path(path)
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as e:
        raise CacheSchemaError(f"{path}: not a readable Parquet file ({e})") from e
    raw = {k.decode(): v.decode() for k, v in (table.schema.metadata or {}).items()}
    if raw.get("xaiadv.schema_version") != SCHEMA_VERSION:
        raise CacheSchemaError(f"{path}: schema version {raw.get('xaiadv.schema_version')!r}, expected {SCHEMA_VERSION!r}")
    for name, typ in COLUMNS.items():
        if name not in table.column_names or table.schema.field(name).type != typ:
            raise CacheSchemaError(f"{path}: column {name!r} missing or not {typ}")
    shape = json.loads(raw["xaiadv.shape"])
    at = table.schema.field("attribution").type
    if not pa.types.is_fixed_size_list(at) or at.list_size != int(np.prod(shape)) or at.value_type != pa.float32():
        raise CacheSchemaError(f"{path}: column 'attribution' is {at}, expected fixed_size_list<float32>[{int(np.prod(shape))}]")
    col = table.column("attribution").combine_chunks()
    attribution = col.values.to_numpy(zero_copy_only=False).reshape(len(table), *shape)
    frame = table.drop(["attribution"]).to_pandas()
    meta = {k.removeprefix("xaiadv."): json.loads(v) if k != "xaiadv.schema_version" else v for k, v in raw.items()
            if k.startswith("xaiadv.")}
    return frame, attribution, meta
