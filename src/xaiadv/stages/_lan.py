"""What the stages of Nguyen et al.'s detector (train_mask_classifier, lan_detect, lan_adaptive,
lan_interpretations) load: f1, its LAN g and (where trained) the mask classifier f2."""

from __future__ import annotations

from .. import runtime


def load_detector(job, with_f2: bool = True):
    """``(device, f1, g, f2)`` after seeding: f1 from ``job.input.model``, g from ``job.input.lan``, f2 from
    ``job.input.f2`` (None when ``with_f2`` is false), all in eval mode on ``job.params.device``."""
    from ..explainers.lan import load_lan
    from ..models import load_model

    fin, par = job.input, job.params
    device = runtime.setup(par.seed, job.threads, par.device, par.deterministic)
    f1 = load_model(fin.model, device)
    g = load_lan(fin.lan, device)
    f2 = load_model(fin.f2, device) if with_f2 else None
    return device, f1, g, f2
