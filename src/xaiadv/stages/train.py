"""train_classifier: train (or load pretrained) and evaluate one classifier."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import runtime


def run(a) -> None:
    timer = runtime.Timer()
    with timer("load"):
        import torch

        from ..data import load_split
        from ..io import write_json
        from ..models import build, save_model
        from ..stats import rate_ci
        from ..train import predict, train_classifier

        device = runtime.setup(a.seed, a.threads, a.device)
        spec = a.spec
        x_te, y_te, _, meta = load_split(Path(a.data_dir) / "test.safetensors")
        num_classes = len(meta["classes"])
        model = build(spec["arch"], spec.get("pretrained"), num_classes)
    losses = []
    with timer("compute"):
        if spec.get("pretrained") is None:
            x_tr, y_tr, _, _ = load_split(Path(a.data_dir) / "train.safetensors")
            if len(y_tr) == 0:
                raise ValueError(f"models.{a.model}: {a.data_dir}/train.safetensors is empty; "
                                 f"this data set needs pretrained weights")
            t = spec["train"]
            losses = train_classifier(model, x_tr, y_tr, t["epochs"], t["lr"], t["batch_size"], a.seed, device)
        pred = predict(model, x_te, 128, device)
    acc = rate_ci((pred == y_te).numpy(), seed=a.seed)
    print(f"{a.model}: test accuracy {100 * acc['rate']:.2f}% (n={acc['n']})", file=sys.stderr)
    with timer("write"):
        weights = spec.get("pretrained") or "trained"
        save_model(a.out_model, model.cpu(), spec["arch"], num_classes, {"weights": weights})
        write_json(a.out_metrics, {"dataset": a.dataset, "model": a.model, "arch": spec["arch"], "weights": weights,
                                   "test_accuracy": acc, "train_loss": losses, "spec": spec,
                                   "torch": torch.__version__})
    timer.report("train_classifier", model=a.model)
