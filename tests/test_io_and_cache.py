import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch

from xaiadv.cache import CacheSchemaError, read_explanations, write_explanations
from xaiadv.io import atomic_path, load_tensors, save_tensors, write_json


def test_atomic_write_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.json"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []
    write_json(target, {"a": 1})
    assert target.read_text().strip().startswith("{") and len(list(tmp_path.iterdir())) == 1
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_safetensors_roundtrip_with_metadata(tmp_path):
    save_tensors(tmp_path / "t.safetensors", {"x": torch.arange(6).view(2, 3)}, {"spec": {"eps": 0.1}})
    t, meta = load_tensors(tmp_path / "t.safetensors")
    assert t["x"].tolist() == [[0, 1, 2], [3, 4, 5]] and meta["spec"] == {"eps": 0.1}


def test_load_tensors_names_the_bad_file(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a safetensors file")
    with pytest.raises(ValueError, match="bad.safetensors"):
        load_tensors(bad)


def _write(path, attribution):
    n = len(attribution)
    write_explanations(path, sample_id=np.arange(n), variant=["clean", "adversarial"] * (n // 2), label=np.zeros(n),
                       prediction=np.ones(n), explained_class=np.ones(n), attack_success=np.ones(n, bool),
                       attribution=attribution, metadata={"explainer": "saliency", "config_hash": "abc"})


def test_explanation_cache_roundtrip(tmp_path):
    a = np.random.default_rng(0).random((4, 1, 28, 28), dtype=np.float32)
    _write(tmp_path / "e.parquet", a)
    frame, attribution, meta = read_explanations(tmp_path / "e.parquet")
    assert attribution.shape == (4, 1, 28, 28) and np.array_equal(attribution, a)
    assert list(frame.variant) == ["clean", "adversarial"] * 2
    assert meta["shape"] == [1, 28, 28] and meta["explainer"] == "saliency"
    assert pq.ParquetFile(tmp_path / "e.parquet").metadata.row_group(0).column(0).compression == "ZSTD"


def test_explanation_cache_rejects_a_foreign_parquet(tmp_path):
    pq.write_table(pa.table({"sample_id": [1, 2]}), tmp_path / "x.parquet")
    with pytest.raises(CacheSchemaError, match="x.parquet"):
        read_explanations(tmp_path / "x.parquet")
    a = np.zeros((2, 1, 4, 4), np.float32)
    _write(tmp_path / "y.parquet", a)
    t = pq.read_table(tmp_path / "y.parquet")
    t = t.set_column(t.column_names.index("label"), "label", pa.array(["a", "b"]))
    pq.write_table(t, tmp_path / "z.parquet")
    with pytest.raises(CacheSchemaError, match="'label'"):
        read_explanations(tmp_path / "z.parquet")
