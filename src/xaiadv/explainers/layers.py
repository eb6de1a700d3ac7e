"""Cut a classifier at a named layer's input: ``model(x) == tail(head(x))``.

Attributions "at a layer" (SHAP ``GradientExplainer((model, layer), ...)``,
which Saito & Wang use at Inception-v3's ``Conv2d_4a_3x3``) need the layer's
input h = head(x) once per image and then many passes through the tail only.
Hooks cannot skip the layers before the cut, so the model is traced with
``torch.fx`` (the named layer kept as one call) and its graph split in two.
"""

from __future__ import annotations

import torch
import torch.fx as fx
from torch import nn


class _KeepLayer(fx.Tracer):
    def __init__(self, layer: str):
        super().__init__()
        self.layer = layer

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        from ..determinism import AdaptiveAvgPool2d  # a torch.nn module in all but its package: a leaf too

        return qualname == self.layer or isinstance(m, AdaptiveAvgPool2d) or super().is_leaf_module(m, qualname)


def layer_for(layer: str | dict | None, arch: str | None) -> str | None:
    """The layer an explainer's ``layer`` option names for architecture ``arch``: the option itself when it is a
    name, its entry for ``arch`` when it is a mapping {arch: layer}, else None (attribute to the pixels)."""
    return layer.get(arch) if isinstance(layer, dict) else layer


def resolve_layer(model: nn.Module, layer: str) -> str:
    """The qualified module name of ``layer`` in ``model``; names relative to the
    classifier's ``net`` are accepted ("Conv2d_4a_3x3" -> "net.Conv2d_4a_3x3").

    Raises ``ValueError`` naming the layer and a few valid names if there is no such module.
    """
    names = dict(model.named_modules())
    for cand in (layer, f"net.{layer}"):
        if cand and cand in names:
            return cand
    some = [n[4:] if n.startswith("net.") else n for n in names if n.count(".") <= 1 and n][:12]
    raise ValueError(f"layer {layer!r}: no such module in {type(getattr(model, 'net', model)).__name__}; "
                     f"e.g. {', '.join(some)}")


def split_at(model: nn.Module, layer: str) -> tuple[fx.GraphModule, fx.GraphModule]:
    """``(head, tail)`` with ``head(x)`` = the input of ``layer`` for ``x`` (N, C, H, W) and
    ``tail(h)`` = the model's logits (N, K) when that input is ``h``. Both share ``model``'s
    parameters. Raises ``ValueError`` if the layer is unknown, takes more than one tensor,
    or is not a cut of the graph (some value computed before it is also used after it,
    e.g. a residual connection around it).
    """
    name = resolve_layer(model, layer)
    graph = _KeepLayer(name).trace(model)
    calls = [n for n in graph.nodes if n.op == "call_module" and n.target == name]
    if len(calls) != 1:
        raise ValueError(f"layer {layer!r} is called {len(calls)} times in the forward pass; need exactly once")
    call = calls[0]
    others = list(call.args[1:]) + list(call.kwargs.values())  # constants (e.g. a drop-connect rate) are fine
    if not call.args or not isinstance(call.args[0], fx.Node) or any(isinstance(o, fx.Node) for o in others):
        raise ValueError(f"layer {layer!r} takes more than one input; cannot attribute to its input")
    cut = call.args[0]
    before: set[fx.Node] = set()
    stack = [cut]
    while stack:  # the cut and everything it depends on
        n = stack.pop()
        if n not in before:
            before.add(n)
            stack.extend(n.all_input_nodes)

    from_input: set[fx.Node] = set()  # values that depend on the image
    for n in graph.nodes:
        if n.op == "placeholder" or any(a in from_input for a in n.all_input_nodes):
            from_input.add(n)

    head = fx.Graph()
    env: dict[fx.Node, fx.Node] = {}
    for n in graph.nodes:
        if n in before:
            env[n] = head.node_copy(n, lambda a: env[a])
    head.output(env[cut])

    tail = fx.Graph()
    tenv = {cut: tail.placeholder("h")}

    def arg(a: fx.Node) -> fx.Node:
        if a in tenv:
            return tenv[a]
        if a not in from_input:  # a parameter, buffer or constant: recomputed in the tail
            tenv[a] = tail.node_copy(a, arg)
            return tenv[a]
        raise ValueError(f"layer {layer!r} is not a cut of the model: {a.name!r}, computed before it, "
                         f"is also used after it (a skip connection around the layer)")

    for n in graph.nodes:
        if n in before or n.op == "placeholder":
            continue
        if n.op == "output":
            tail.output(arg(n.args[0]) if isinstance(n.args[0], fx.Node) else n.args[0])
            continue
        if n.op == "call_method" and n.target == "size" and tuple(n.args[1:]) == (0,):
            tenv[n] = tail.call_method("size", (tenv[cut], 0))  # the batch size is the same on both sides
            continue
        tenv[n] = tail.node_copy(n, arg)
    return fx.GraphModule(model, head, "head"), fx.GraphModule(model, tail, "tail")


@torch.no_grad()
def layer_input(head: nn.Module, x: torch.Tensor, batch: int) -> torch.Tensor:
    """``head`` applied to ``x`` in batches of ``batch`` (no autograd graph kept)."""
    return torch.cat([head(x[i:i + batch]) for i in range(0, len(x), batch)]) if len(x) else head(x)
