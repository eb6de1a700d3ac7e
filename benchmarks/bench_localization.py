"""Göpfert et al. (2019) stages' throughput (not a test): the localized BIM and LIME against bare model passes
of the same count, on real ImageNet images (the foolbox wheel's) and EfficientNet-Lite0.

* localized BIM: attack steps per second (one step = one forward + backward of one image) against bare
  forward+backward passes at the same batch; the attack also masks, projects and tracks its stopping rule;
* LIME: perturbed samples per second (one sample = one image through the model) against bare forward passes of
  the same count at the same batch. LIME is all model calls plus its own per-sample masking in Python; target
  >= 0.8 of the forward floor at its best batch (``lime_batch``).

    python benchmarks/bench_localization.py [--threads 2] [--samples 200]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from xaiadv.attacks.localized_bim import attack  # noqa: E402
from xaiadv.config import method_spec  # noqa: E402
from xaiadv.data.imagenet import load_imagenet_foolbox  # noqa: E402
from xaiadv.explainers.lime import explain as lime_explain  # noqa: E402
from xaiadv.localization.segments import largest_segments  # noqa: E402
from xaiadv.models import build  # noqa: E402

# LIME's parameters: the schema's defaults (the one place they live)
LIME = {k: v for k, v in method_spec("explainers", {"method": "lime"}).items() if k != "method"}


def forward_floor(model, x, count: int, batch: int, backward: bool) -> float:
    """Images/s of ``count`` bare passes of ``x``'s images at ``batch`` (forward, or forward + backward)."""
    xb = x[np.arange(batch) % len(x)].clone()
    t = time.perf_counter()
    done = 0
    while done < count:
        if backward:
            xi = xb.clone().requires_grad_(True)
            model(xi).logsumexp(1).sum().backward()
        else:
            with torch.no_grad():
                model(xb)
        done += batch
    return done / (time.perf_counter() - t)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--samples", type=int, default=200, help="LIME samples per image")
    p.add_argument("--steps", type=int, default=10, help="localized BIM steps (fixed: no early stop)")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    s = load_imagenet_foolbox()
    x = torch.from_numpy(s.x[:4]).float() / 255
    model = build("efficientnet_lite0", "package").eval()
    for q in model.parameters():
        q.requires_grad_(False)
    print(f"EfficientNet-Lite0, 224 x 224, {a.threads} threads")

    regions = torch.from_numpy(np.concatenate([largest_segments(xi.numpy(), n_segments=4) for xi in x]))
    xs = x.repeat_interleave(4, 0)
    print(f"\nlocalized BIM ({len(xs)} image-segment pairs x {a.steps} steps, min_gain = -inf: no early stop)")
    print(f"{'batch':>6} {'attack steps/s':>15} {'fwd+bwd floor/s':>16} {'ratio':>6}")
    for batch in (8, 16):
        attack(model, xs[:batch], torch.full((batch,), 77), regions[:batch], alpha=1e-4, eps=1.0, steps=1, patience=10,
               min_gain=0.0)  # warm-up
        t = time.perf_counter()
        for i in range(0, len(xs), batch):
            attack(model, xs[i:i + batch], torch.full((len(xs[i:i + batch]),), 77), regions[i:i + batch],
                   alpha=1e-4, eps=1.0, steps=a.steps, patience=10 ** 6, min_gain=-float("inf"))
        # each example: `steps` forward+backward passes plus one final forward-only check
        sps = len(xs) * a.steps / (time.perf_counter() - t)
        fl = forward_floor(model, xs, len(xs) * a.steps, batch, backward=True)
        print(f"{batch:>6} {sps:>15.1f} {fl:>16.1f} {sps / fl:>6.2f}")

    print(f"\nLIME ({a.samples} samples per image, 2 images)")
    print(f"{'batch':>6} {'samples/s':>10} {'fwd floor/s':>12} {'ratio':>6}")
    for batch in (10, 25, 50, 100):
        t = time.perf_counter()
        lime_explain(model, x[:2], torch.tensor([0, 0]), **{**LIME, "num_samples": a.samples, "lime_batch": batch}, seed=0)
        sps = 2 * a.samples / (time.perf_counter() - t)
        fl = forward_floor(model, x, 2 * a.samples, batch, backward=False)
        print(f"{batch:>6} {sps:>10.1f} {fl:>12.1f} {sps / fl:>6.2f}")


if __name__ == "__main__":
    main()
