"""train_classifier: train (or load pretrained) and evaluate one classifier."""

from __future__ import annotations

import sys
from .. import runtime


def run(job) -> None:
    fin, fout, par, wc = job.input, job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        import torch

        from ..data import load_split
        from ..io import write_json
        from ..models import build, save_model
        from ..stats import rate_ci
        from ..models.train import predict, train_classifier

        device = runtime.setup(par.seed, job.threads, par.device, par.deterministic)
        spec = par.spec
        x_te, y_te, _, meta = load_split(fin.test)
        num_classes = len(meta["classes"])
        model = build(spec["arch"], spec.get("pretrained"), num_classes)
    losses = []
    with timer("compute"):
        if spec.get("pretrained") is None:
            x_tr, y_tr, _, _ = load_split(fin.train)
            if len(y_tr) == 0:
                raise ValueError(f"models.{wc.model}: {fin.train} is empty; "
                                 f"this data set needs pretrained weights")
            t = spec["train"]
            losses = train_classifier(model, x_tr, y_tr, t["epochs"], t["lr"], t["batch_size"], par.seed, device)
        pred = predict(model, x_te, 128, device)
    acc = rate_ci((pred == y_te).numpy(), seed=par.seed)
    print(f"{wc.model}: test accuracy {100 * acc['rate']:.2f}% (n={acc['n']})", file=sys.stderr)
    with timer("write"):
        weights = spec.get("pretrained") or "trained"
        save_model(fout.model, model.cpu(), spec["arch"], num_classes, {"weights": weights})
        write_json(fout.metrics, {"dataset": wc.dataset, "model": wc.model, "arch": spec["arch"], "weights": weights,
                                   "test_accuracy": acc, "train_loss": losses, "spec": spec,
                                   "torch": torch.__version__})
    timer.report("train_classifier", model=wc.model)
