"""Layer-wise relevance propagation (Bach et al. 2015) as deep Taylor decomposition (Montavon et al. 2017),
on zennit, as Brama & Grinshpoun (2020) use it (iNNvestigate's deep Taylor on VGG19):

* the z+ rule (zennit ``ZPlus``, biases zeroed) on every convolution and linear layer; activations pass
  relevance through; max pooling by its gradient (winner takes all), average pooling by its gradient (even
  split) - both conservative;
* ``first_rule: zbox``: the bounded variant, z^B (``ZBox``) at the first layer with the input domain's bounds;
* relevance starts as the one-hot vector of the explained class;
* batch norm is merged into the convolution before it (zennit's ``NamedMergeBatchNorm``; pairs found by
  registration order, which is the forward order in torchvision's and EfficientNet-Lite's blocks).

Relevance is propagated to the *normalised* input (the input of ``model.net``): our models normalise inside, and
the normalisation, a per-channel affine map with no rule of its own, would scale relevance by 1/std and break
conservation. The map returned is the relevance summed over colour channels, (N, 1, H, W).
"""

from __future__ import annotations

import torch
from torch import nn


def batchnorm_pairs(net: nn.Module) -> list[tuple[list[str], str]]:
    """``[([conv name], bn name), ...]``: each BatchNorm paired with the Conv/Linear registered just before it."""
    pairs, last = [], None
    for name, m in net.named_modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            last = name
        elif isinstance(m, nn.modules.batchnorm._BatchNorm) and last is not None:
            pairs.append(([last], name))
            last = None
    return pairs


ZPLUS_EPS = 1e-6  # zennit's default stabiliser of ZPlus


def _import_zennit() -> None:
    """Make ``import zennit`` skip its ``zennit.torchvision`` submodule (canonizers for torchvision's VGG and
    ResNet, which we do not use) until something reads from it: zennit's ``__init__`` imports it, and it imports
    torchvision's models and ops, 1.4-1.8 s of a job's start on this project's 2-core VM against ~0.03 s for the
    rest of zennit (``python -X importtime``; ~45 jobs of the default import zennit). A placeholder module stands in
    for it; the first attribute read from it loads the real submodule as usual (``importlib.util.LazyLoader`` does
    not do here: the import system reads ``__spec__`` of a module it finds in ``sys.modules``, which loads it)."""
    import importlib.util
    import sys
    import types

    name = "zennit.torchvision"
    if "zennit" in sys.modules or name in sys.modules:
        return
    pkg = importlib.util.find_spec("zennit")  # a top-level package's spec: finding it runs nothing
    if pkg is None or not pkg.submodule_search_locations:
        return  # not installed: the caller's import raises the usual error
    spec = importlib.util.spec_from_file_location(name, f"{list(pkg.submodule_search_locations)[0]}/torchvision.py")
    if spec is None or spec.loader is None:
        return

    class Deferred(types.ModuleType):
        def __getattr__(self, attr):  # only for what the placeholder lacks: load the real module once, read it
            real = sys.modules.get(name)
            if real is None or real is self:
                real = importlib.util.module_from_spec(spec)
                sys.modules[name] = real
                spec.loader.exec_module(real)
                if "zennit" in sys.modules:
                    sys.modules["zennit"].torchvision = real
            return getattr(real, attr)

    sys.modules[name] = Deferred(name)


def _zplus_nonnegative():
    """zennit's ``ZPlus`` (biases zeroed), the same relevance at about half the cost.

    zennit's ZPlus is alpha=1, beta=0 for inputs of either sign: per layer it reruns the layer on the positive
    inputs with w+ and on the negative inputs with w-, differentiates both, and stabilises their sum with
    z + (1[z == 0] + sign z) eps. This rule (1) drops the negative half where the layer's input has no negative
    value (after a ReLU: every hidden layer of a ReLU network), where that half is exactly zero (its bias is zeroed
    too), and (2) divides by z + eps directly: both halves are >= 0 (w+ x+ and w- x-, no bias), where zennit's
    stabiliser is z + eps, without its three temporaries of the layer's output size. Identical relevance
    (tests/test_heat_and_blur.py, against zennit's ZPlus on the MNIST CNN and EfficientNet-Lite0). Our own
    subclass because zennit has no such shortcut: LRP ran at 0.19-0.28 of a plain gradient's speed (issue 18;
    benchmarks/bench_efficiency.py)."""
    _import_zennit()
    from zennit.core import ParamMod
    from zennit.rules import ZPlus

    class ZPlusNonNegative(ZPlus):
        def backward(self, module, grad_input, grad_output):
            x = self.stored_tensors["input"][0].detach()  # read only: no copy needed
            negative = bool((x < 0).any())
            halves = [(x.clamp(min=0) if negative else x, self.param_modifiers[0])]
            if negative:
                halves.append((x.clamp(max=0), self.param_modifiers[1]))
            inputs, outputs = [], []
            for inp, mod in halves:
                inp = inp.requires_grad_()
                with ParamMod.ensure(mod)(module) as modified, torch.autograd.enable_grad():
                    outputs.append(modified.forward(inp))
                inputs.append(inp)
            total = outputs[0].detach() + (outputs[1].detach() if negative else 0.0)  # a new tensor
            grad_out = grad_output[0] / total.add_(ZPLUS_EPS)
            create = grad_output[0].requires_grad
            grads = torch.autograd.grad(outputs, inputs, grad_outputs=[grad_out] * len(outputs), create_graph=create)
            xs = inputs if create else [i.detach() for i in inputs]  # no graph unless the caller differentiates
            rel = xs[0] * grads[0] if len(xs) == 1 else xs[0] * grads[0] + xs[1] * grads[1]
            return tuple(rel if orig.shape == rel.shape else None for orig in grad_input)

    return ZPlusNonNegative(stabilizer=ZPLUS_EPS, zero_params="bias")


def composite(net: nn.Module, first_rule: str = "zplus", low: float | torch.Tensor = 0.0,
              high: float | torch.Tensor = 1.0):
    """The zennit composite: ZPlus (biases zeroed) on Conv2d / Linear, Pass on activations; ``first_rule``
    "zbox": ZBox(low, high) on the first layer. Raises ``ValueError`` for another ``first_rule``."""
    _import_zennit()
    from zennit.canonizers import NamedMergeBatchNorm
    from zennit.composites import LayerMapComposite, SpecialFirstLayerMapComposite
    from zennit.rules import Pass, ZBox
    from zennit.types import Activation, Convolution, Linear

    layer_map = [(Activation, Pass()), (Convolution, _zplus_nonnegative()), (Linear, _zplus_nonnegative())]
    pairs = batchnorm_pairs(net)
    canonizers = [NamedMergeBatchNorm(pairs)] if pairs else []
    if first_rule == "zplus":
        return LayerMapComposite(layer_map=layer_map, canonizers=canonizers)
    if first_rule == "zbox":
        return SpecialFirstLayerMapComposite(layer_map=layer_map, first_map=[(Convolution, ZBox(low, high))],
                                             canonizers=canonizers)
    raise ValueError(f"lrp first_rule {first_rule!r}: allowed zplus, zbox")


def relevance(model, x: torch.Tensor, target: torch.Tensor, first_rule: str = "zplus") -> torch.Tensor:
    """Per-channel input relevance (N, C, H, W) at the normalised input of ``model.net`` for classes ``target``
    (N,), starting from a one-hot output relevance (so it sums to ~1 per image where the rules conserve it)."""
    _import_zennit()
    from zennit.attribution import Gradient

    net = model.net if hasattr(model, "net") else model
    z = model.normalize(x.detach()) if hasattr(model, "normalize") else x.detach()
    low = high = None
    if first_rule == "zbox":
        norm = getattr(model, "normalize", None)
        low = (norm(torch.zeros_like(x[:1])) if norm is not None else torch.zeros_like(x[:1])).expand_as(x)
        high = (norm(torch.ones_like(x[:1])) if norm is not None else torch.ones_like(x[:1])).expand_as(x)
    comp = composite(net, first_rule, low, high)
    z = z.clone().requires_grad_(True)
    with torch.enable_grad(), Gradient(model=net, composite=comp) as attributor:  # also inside a no_grad block
        _, rel = attributor(z, lambda out: torch.nn.functional.one_hot(target, out.shape[1]).to(out.dtype))
    return rel.detach()


def explain(model, x, target, *, first_rule: str):
    """LRP heatmap (deep Taylor z+) of ``target`` (N,) for ``x`` (N, C, H, W) in [0, 1]: the relevance summed over
    channels, float32 (N, 1, H, W); sums to ~1 per image where the rules conserve relevance."""
    return relevance(model, x, target, first_rule).sum(1, keepdim=True)
