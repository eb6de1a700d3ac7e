"""train_mask_classifier: Nguyen et al.'s f2, LeNet on the LAN masks of the training split; f1's accuracy on
the test images and f2's on their masks (the paper: 82% and 60% on CIFAR-10)."""

from __future__ import annotations

import sys

from .. import runtime


def run(job) -> None:
    fin, fout, par, wc = job.input, job.output, job.params, job.wildcards
    timer = runtime.Timer()
    with timer("load"):
        import torch

        from ..data import load_split
        from ..detectors.lan import lan_outputs, masks_of, train_mask_classifier
        from ..io import write_json
        from ..models import save_model
        from ..stats import rate_ci
        from ._lan import load_detector

        device, f1, g, _ = load_detector(job, with_f2=False)
        spec = par.spec
        x, y, _, meta = load_split(fin.train, spec.get("n_train"))
        x_te, y_te, _, _ = load_split(fin.test)
    with timer("compute"):
        masks = masks_of(g, x, device=device)
        f2, losses = train_mask_classifier(masks, y, epochs=spec["epochs"], lr=spec["lr"],
                                           batch_size=spec["batch_size"], seed=par.seed, device=device)
        out = lan_outputs(f1, g, f2, x_te, device=device)
    acc1 = rate_ci((out["pred_f1"] == y_te).numpy(), seed=par.seed)
    acc2 = rate_ci((out["pred_f2"] == y_te).numpy(), seed=par.seed)
    agree = rate_ci((out["pred_f1"] == out["pred_f2"]).numpy(), seed=par.seed)
    print(f"{wc.model}: f1 accuracy {100 * acc1['rate']:.2f}%, f2 on masks {100 * acc2['rate']:.2f}%, "
          f"f1 = f2 on {100 * agree['rate']:.2f}% (n={acc1['n']} test images)", file=sys.stderr)
    with timer("write"):
        save_model(fout.model, f2.cpu(), "lenet", len(meta["classes"]), {"in_channels": int(masks.shape[1]),
                                                                      "weights": "trained", "input": "LAN mask 1 - A"})
        write_json(fout.metrics, {"dataset": wc.dataset, "model": wc.model, "spec": spec, "n_train": len(x),
                                   "f1_accuracy": acc1, "f2_accuracy": acc2, "agreement": agree,
                                   "train_loss": losses, "torch": torch.__version__})
    timer.report("train_mask_classifier", model=wc.model, n=len(x))
