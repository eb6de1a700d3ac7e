"""The leaderboard's attack engine: defenses as ``torch.nn.Module`` logits (:mod:`.module`) and the field's stock
attacks through them (:mod:`.engine`: APGD-CE, APGD-T, Square), every success judged by the real defense.

Layering: this package sits above :mod:`xaiadv.defenses` (the deployed defenses and their surrogates), which sits
above the method packages (attacks, explainers, detectors, rectifiers), models and data."""
