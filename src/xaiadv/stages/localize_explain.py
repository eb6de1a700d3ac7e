"""localize_explain: one explainer's maps of the localized adversarial examples (explained class: the
adversarial prediction, i.e. the target), in the explanation cache's Parquet format (variant "adversarial")."""

from __future__ import annotations

import sys
from pathlib import Path

from .. import runtime


def run(a) -> None:
    timer = runtime.Timer()
    with timer("load"):
        import numpy as np
        import torch

        from .. import __version__
        from ..cache import write_explanations
        from ..explainers import explain, source_file
        from ..explainers.base import NEEDS_BACKGROUND
        from ..io import file_sha256, load_tensors, spec_hash
        from ..models import load_model
        from .explain import background

        device = runtime.setup(a.seed, a.threads, a.device)
        model = load_model(a.model_file, device)
        t, meta = load_tensors(a.attack_file)
        spec = a.spec
        n = len(t["x_adv"])
        target = torch.full((n,), int(meta["spec"]["target"]), dtype=torch.long)
        context = {"seed": a.seed}
        if spec["method"] in NEEDS_BACKGROUND:
            context["background"] = background(a.train_split, a.test_split, spec.get("background_size", 100), a.seed)
    with timer("compute"):
        attr = explain(model, t["x_adv"], target, spec, a.batch_size, device, **context)
    with timer("write"):
        import captum

        write_explanations(
            a.out, sample_id=np.arange(n), variant=["adversarial"] * n, label=t["y"][t["image"]].numpy(),
            prediction=target.numpy(), explained_class=target.numpy(), attack_success=np.ones(n, bool),
            attribution=attr.numpy(),
            metadata={"dataset": a.dataset, "model": a.model, "attack": "localized_bim", "explainer": a.explainer,
                      "attributed_to": "pixels", "spec": spec, "config_hash": spec_hash(spec),
                      "code_hash": file_sha256([source_file(spec["method"]), Path(__file__).parents[1] / "cache.py"])[:16],
                      "versions": {"xaiadv": __version__, "torch": torch.__version__, "captum": captum.__version__}})
    print(f"{a.explainer}: {n} localized adversarial examples -> {a.out}", file=sys.stderr)
    timer.report("localize_explain", explainer=a.explainer, n=n)
