"""Defenses as deployed, one signature for all (the leaderboard, issue 19).

A :class:`~xaiadv.defenses.base.Defense` answers, for a batch ``x`` (N, C, H, W) in [0, 1]:

- :meth:`decide` — the real, complete defense: ``(label (N,) int64, rejected (N,) bool)``, no gradient;
- :meth:`surrogate` — what an attacker who knows the defense differentiates: ``(logits (N, K), score (N,) or
  None)``, with BPDA for non-differentiable steps and one EOT draw per ``draw`` index for random ones; a
  detector's ``score`` > 0 means "rejected" (its threshold is already subtracted).

Kinds (``method`` of a ``leaderboard.defenses`` entry): ``undefended``, ``adversarial_training`` (the ranked model's
architecture adversarially trained, rule train_robust: the field's baseline), ``rectifier`` (any Kao et al. rectifier,
Heat and Blur included, applied to every input), ``saito`` (Saito & Wang's detector on one explainer's
features), ``lan`` (Nguyen et al.'s f1(x) != f2(g(x))) and ``pipeline`` (a detector, then a rectifier on what it
flags: ``endtoend``). A new defense is one module with a class and one entry in :data:`KINDS`.
"""

from __future__ import annotations

# explainers whose attribution has a differentiable surrogate for the adaptive attack on Saito's detector
SURROGATE_EXPLAINERS = ("input_pixels", "saliency", "integrated_gradients", "expected_gradients", "guided_backprop",
                        "grad_cam", "lrp", "lan")

KINDS = {"undefended": "undefended.Undefended", "adversarial_training": "undefended.Undefended", "rectifier": "rectifier.RectifierDefense",
         "saito": "detector.SaitoDetector", "lan": "lan.LANDefense", "pipeline": "pipeline.Pipeline",
         "plugin": "plugin.load_class"}  # a plugin's class is named in its config entry (xaiadv.defenses.plugin)


def defense_class(kind: str):
    """The class implementing ``kind``. Raises ``ValueError`` for an unknown kind."""
    import importlib

    if kind not in KINDS:
        raise ValueError(f"unknown defense kind {kind!r}; allowed: {', '.join(KINDS)}")
    mod, cls = KINDS[kind].split(".")
    return getattr(importlib.import_module(f"xaiadv.defenses.{mod}"), cls)
