"""What the stages of Nguyen et al.'s detector (train_mask_classifier, lan_detect, lan_adaptive,
lan_interpretations) load: f1, its LAN g and (where trained) the mask classifier f2."""

from __future__ import annotations

from .. import runtime


def load_detector(a, with_f2: bool = True):
    """``(device, f1, g, f2)`` after seeding: f1 from ``a.model_file``, g from ``a.lan_file``, f2 from ``a.f2_file``
    (None when ``with_f2`` is false), all in eval mode on the stage's device."""
    from ..explainers.lan import load_lan
    from ..models import load_model

    device = runtime.setup(a.seed, a.threads, a.device)
    f1 = load_model(a.model_file, device)
    g = load_lan(a.lan_file, device)
    f2 = load_model(a.f2_file, device) if with_f2 else None
    return device, f1, g, f2
