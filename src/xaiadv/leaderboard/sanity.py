"""Carlini et al.'s (2019) sanity checks on a leaderboard row, judged from what the row stored: the steps-doubling
check, the gradient-free Square attack, the eps curve and adaptive-above-transferred (issue 19).

Pure functions of JSON-able rows, without torch: the table stage re-judges every row with the current limits, so a
changed limit reaches the leaderboard without rerunning an attack.
"""

from __future__ import annotations

# a row is marked unreliable when doubling the adaptive attack's steps moves robust accuracy by more than this, or
# by more than one image of the sanity subset where that is coarser (a 10-image subset moves in steps of 10 points)
STEPS_TOLERANCE = 0.02
# along the eps curve (on the sanity subset): a rise of more than this between neighbours marks the row; at the
# curve's last eps, beyond the threat model's budget, robust accuracy above UNBOUNDED_MAX marks it
CURVE_TOLERANCE = 0.05
UNBOUNDED_MAX = 0.1
# the sanity subset's rates are float32 means (1 of 10 images is 0.10000000149): every limit above is compared with
# this margin, so one image at exactly a limit does not trip it
FLOAT32_MARGIN = 1e-6
# the surrogate's verdict on the APGD iterates must be the real defense's on at least this share of them (judged on
# at least AGREEMENT_MIN_N iterates), else its gradient attacks are an upper bound: a BPDA / EOT mismatch
AGREEMENT_MIN = 0.9
AGREEMENT_MIN_N = 10


def subset_tolerance(k: int) -> float:
    """The steps-doubling and Square checks' tolerance on a sanity subset of ``k`` > 0 images: :data:`STEPS_TOLERANCE`
    or one image of the subset (plus :data:`FLOAT32_MARGIN`), whichever is coarser, so one image never trips them."""
    return max(STEPS_TOLERANCE, 1 / k + FLOAT32_MARGIN)


def curve_reasons(curve: list[dict], eps: float) -> list[str]:
    """Why the eps curve marks a row unreliable (Carlini et al. 2019): robust accuracy rising by more than
    :data:`CURVE_TOLERANCE` between neighbouring points, or above :data:`UNBOUNDED_MAX` at a last point beyond the
    budget ``eps``. ``curve``: [{"eps", "robust_adaptive" (a rate in [0, 1])}, ...] in increasing eps; rates are
    compared with :data:`FLOAT32_MARGIN`."""
    reasons = []
    rises = [(a, b) for a, b in zip(curve, curve[1:])
             if b["robust_adaptive"] > a["robust_adaptive"] + CURVE_TOLERANCE + FLOAT32_MARGIN]
    if rises:
        a, b = rises[0]
        reasons.append(f"robust accuracy rises with eps along the curve ({100 * a['robust_adaptive']:.0f}% at "
                       f"{a['eps']:g} -> {100 * b['robust_adaptive']:.0f}% at {b['eps']:g})")
    last = curve[-1] if curve else None
    if last and last["eps"] > eps and last["robust_adaptive"] > UNBOUNDED_MAX + FLOAT32_MARGIN:
        # beyond the budget (an unbounded-like eps) any working attack wins on almost every image
        reasons.append(f"robust accuracy does not fall toward 0: {100 * last['robust_adaptive']:.0f}% at eps "
                       f"{last['eps']:g}")
    return reasons


def sanity_reasons(row: dict) -> list[str]:
    """Why a leaderboard row is unreliable (Carlini et al. 2019's checklist), judged from what the row stored, so a
    table can re-judge rows computed under older limits without rerunning an attack.

    ``row``: a row of :func:`xaiadv.leaderboard.evaluate.evaluate_defense` (or its JSON): ``robust_adaptive`` and
    ``robust_transfer`` rates in [0, 1], ``threat["eps"]``, and ``sanity`` with ``n`` (the subset's size), ``steps_doubled`` (``robust``,
    ``robust_base``), ``square`` (``robust``, ``robust_base``, ``queries``, ``attacked``, ``won``, ``n``) and ``eps_curve`` where they ran.
    Returns the reasons in a fixed order (steps doubling, Square, the eps curve, adaptive above transferred); [] when
    every check passed. Raises KeyError when a rate or ``threat`` is missing."""
    reasons = []
    checks = row.get("sanity") or {}
    k = checks.get("n", 0)
    sq = checks.get("square")
    if sq is not None:  # stored by rows since the attack ensemble: Square on every image the gradient attacks left
        base = sq.get("robust_base")
        if base is None:  # an older row: Square on the sanity subset, against the adaptive attack's rate there
            base = (checks.get("steps_doubled") or {}).get("robust_base", sq["robust"])
        if sq["robust"] < base - subset_tolerance(sq.get("n", k) or 1):
            reasons.append(f"gradient-free Square ({sq['queries']} queries) beats the gradient attacks: it wins "
                           f"{sq['won']} of the {sq['attacked']} images they left (robust {100 * base:.0f} -> "
                           f"{100 * sq['robust']:.0f}; gradient masking)")
    if k:
        tol = subset_tolerance(k)
        dbl = checks.get("steps_doubled")
        if dbl is not None:
            base, doubled = dbl["robust_base"], dbl["robust"]
            if abs(doubled - base) > tol:
                against = " (against the whole ensemble)" if dbl.get("compared_with") == "ensemble" else ""
                reasons.insert(0, f"doubling the adaptive steps moves robust accuracy {100 * base:.0f} -> "
                               f"{100 * doubled:.0f}{against} (n={k})")
        reasons += curve_reasons(checks.get("eps_curve") or [], row["threat"]["eps"])
    ag = checks.get("surrogate_agreement") or {}
    if ag.get("n", 0) >= AGREEMENT_MIN_N and ag["agree"] < AGREEMENT_MIN * ag["n"]:
        reasons.append(f"the surrogate's verdict agrees with the real defense's on {ag['agree']} of {ag['n']} APGD "
                       f"iterates (< {100 * AGREEMENT_MIN:.0f}%: a BPDA / EOT mismatch, the gradient attacks are an "
                       "upper bound)")
    adaptive, transfer = row["robust_adaptive"]["rate"], row["robust_transfer"]["rate"]
    if adaptive > transfer + STEPS_TOLERANCE:
        reasons.append(f"adaptive robust accuracy {100 * adaptive:.0f} above the transferred attack's "
                       f"{100 * transfer:.0f}")
    return reasons
