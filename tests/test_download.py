"""The download step (issue 21): it fetches only what is missing, compute jobs never download, and a missing
file fails with a message that names it and the step. Offline: the weights file is put in place beforehand."""

import json

import pytest

from xaiadv.stages import make_job, run_job


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    import torch

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(torch.hub, "_hub_dir", None)  # re-read TORCH_HOME
    return tmp_path / "torch"


def test_compute_jobs_never_download_and_say_what_to_run(torch_home):
    from xaiadv.models.imagenet import build_imagenet_net

    with pytest.raises(FileNotFoundError, match=r"resnet50.*not downloaded.*snakemake --configfile <config> download"):
        build_imagenet_net("resnet50", "torchvision")


def test_download_weights_records_a_file_already_in_the_cache(torch_home, tmp_path):
    from xaiadv.download import weights_file

    f = weights_file("vgg19")
    assert f.parent == torch_home / "hub" / "checkpoints" and f.name.startswith("vgg19")
    f.parent.mkdir(parents=True)
    f.write_bytes(b"not really weights")  # present: nothing is fetched
    job = make_job("download_weights", output={"json": str(tmp_path / "vgg19.json")}, wildcards={"arch": "vgg19"},
                   log=[str(tmp_path / "dl.log")])
    run_job(job)
    rec = json.loads((tmp_path / "vgg19.json").read_text())
    assert rec["file"] == str(f) and rec["bytes"] == 18 and len(rec["sha256"]) == 64
    assert "IMPORTS" in (tmp_path / "dl.log").read_text()
    with pytest.raises(ValueError, match="no torchvision weights"):
        from xaiadv.download import fetch_weights

        fetch_weights("efficientnet_lite0")


def test_prepare_never_downloads_a_torchvision_data_set(tmp_path):
    from xaiadv.data.prepare import load_source

    spec = {"source": "torchvision", "path": str(tmp_path / "tv"), "download": True}
    with pytest.raises(FileNotFoundError, match=r"datasets.cifar10: torchvision files not in .*snakemake"):
        load_source("cifar10", {**spec, "download": False})
