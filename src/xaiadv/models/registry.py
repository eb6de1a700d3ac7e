"""Build, save and load classifiers by architecture name (safetensors only, no pickle)."""

from __future__ import annotations

from pathlib import Path

import torch

from ..io import load_tensors, save_tensors
from .normalize import Classifier

MNIST_MEAN, MNIST_STD = (0.1307,), (0.3081,)
CIFAR_MEAN, CIFAR_STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
# name (= its builder in models/cnn.py) -> (normalisation mean, std, last conv layer) of the small-image CNNs
SMALL = {
    "kao_mnist_cnn": (MNIST_MEAN, MNIST_STD, "0.2"),
    "kao_cifar10_cnn": (CIFAR_MEAN, CIFAR_STD, "0.8"),
    "vgg_like_mnist": (MNIST_MEAN, MNIST_STD, "0.10"),
    "alexnet_cifar10": (CIFAR_MEAN, CIFAR_STD, "0.4"),
    "vgg_like_cifar10": (CIFAR_MEAN, CIFAR_STD, "0.17"),
    "lenet": ((0.0,), (1.0,), "0.3"),  # Nguyen's mask classifier f2: masks in [0, 1], no normalisation
}
ARCHS = (*SMALL, "efficientnet_lite0", "resnet50", "inception_v3", "vgg19")


def build(arch: str, pretrained: str | None = None, num_classes: int | None = None, in_channels: int = 1) -> Classifier:
    """A :class:`Classifier` (Normalize + net) for ``arch``.

    ``pretrained``: None (random init), "package", "torchvision", or a path to a
    safetensors state dict of the net. ``in_channels``: input channels of ``lenet``
    (Nguyen's mask classifier; the other architectures fix theirs). Raises ``ValueError``
    for an unknown arch.
    """
    if arch in SMALL:
        from . import cnn

        mean, std, cam = SMALL[arch]
        if arch == "lenet":
            net = cnn.lenet(num_classes or 10, in_channels)
            mean, std = mean * in_channels, std * in_channels
        else:
            net = getattr(cnn, arch)(num_classes or 10)
        model = Classifier(net, mean, std, cam)
    else:
        from .imagenet import SPECS, build_imagenet_net

        if arch not in SPECS:
            raise ValueError(f"unknown arch {arch!r}; allowed: {', '.join(ARCHS)}")
        mean, std, cam = SPECS[arch]
        known = pretrained in (None, "package", "torchvision")
        model = Classifier(build_imagenet_net(arch, pretrained if known else None), mean, std, cam)
    if pretrained not in (None, "package", "torchvision"):
        t, _ = load_tensors(pretrained)
        model.net.load_state_dict(t)
    model.arch = arch  # explainers with per-architecture options (a layer name) read it
    return model


def save_model(path: str | Path, model: Classifier, arch: str, num_classes: int, extra: dict | None = None) -> None:
    """Save the net's state dict as safetensors with ``arch`` / ``num_classes`` in its metadata."""
    sd = {k: v for k, v in model.net.state_dict().items()}
    save_tensors(path, sd, {"arch": arch, "num_classes": num_classes, **(extra or {})})


def load_model(path: str | Path, device: str | torch.device = "cpu") -> Classifier:
    """Load a model written by :func:`save_model`, in eval mode on ``device``.

    Raises ``ValueError`` naming the file if its metadata has no ``arch``.
    """
    sd, meta = load_tensors(path)
    if "arch" not in meta:
        raise ValueError(f"{path}: no 'arch' in metadata; not a model written by xaiadv")
    model = build(meta["arch"], None, meta.get("num_classes"), int(meta.get("in_channels", 1)))
    model.net.load_state_dict(sd)
    from ..determinism import make_deterministic

    make_deterministic(model)  # adaptive pooling with a deterministic CUDA backward in strict mode (no weights)
    return fast_layout(model.eval().to(device))


def fast_layout(model: Classifier) -> Classifier:
    """``model`` with its net's 4-D weights in channels_last (NHWC) when it is on a CPU; the same function, and the
    same tensors in and out: the input gradient is made (N, C, H, W)-contiguous again (:class:`Classifier`'s
    ``channels_last``), and for one input channel NCHW and NHWC are one layout anyway. oneDNN picks faster
    kernels: on this project's 2-core VM forward passes 1.5-1.9x (MNIST and CIFAR-10 CNNs) and 1.2x
    (EfficientNet-Lite0), forward+backward 1.03-1.27x and 1.2x as fast, logits within 1e-6
    (``benchmarks/bench_memory_format.py``). Not applied on a GPU (not measured there)."""
    if all(p.device.type == "cpu" for p in model.parameters()):
        model.net.to(memory_format=torch.channels_last)
        model.channels_last = True
    return model
