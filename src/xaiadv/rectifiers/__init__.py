"""Rectifiers (Kao et al. 2021): change an adversarial input where its explanation points so the
classifier's label returns to the true one. One module per method, all with the signature

    rectify(model, x, label, *, generator, <the method's parameters>) -> (R, N, C, H, W) float32 in [0, 1]

(the method's parameters: its config keys, with their defaults in the method's schema,
workflow/schemas/config.schema.yaml)

``x`` (N, C, H, W) in [0, 1]; ``label`` (N,) the label the classifier gives ``x`` (the adversarial
label for adversarial inputs); R = 1 for deterministic methods, ``repeats`` for random ones.
``AGGREGATE[method]`` says how repeats combine: "vote" (majority label) or "mean" (accuracy per
repeat, mean and spread, as Kao et al. print for random deletion).
"""

from .base import AGGREGATE, METHODS, evaluate, rectify, source_file

__all__ = ["AGGREGATE", "METHODS", "evaluate", "rectify", "source_file"]
