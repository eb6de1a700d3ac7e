"""One leaderboard row: a defense under one threat model, against the attack the papers ran (PGD on the undefended
model, transferred) and an adaptive attack written for it, with Carlini et al.'s (2019) sanity checks.

Every rate comes with its n and a 95% interval (:func:`xaiadv.stats.rate_ci`); a defended adversarial input is one
the defense rejects or classifies correctly; a clean input counts only when accepted and classified correctly.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from ..defenses.base import correct
from ..stats import auroc, rate_ci
from .engine import apgd, square
from .pgd import attack_defense, attack_stages
from .sanity import sanity_reasons, subset_tolerance


def _auroc(s_clean, s_adv) -> float | None:
    if s_clean is None or len(s_clean) == 0 or len(s_adv) == 0:
        return None
    return auroc(s_clean.numpy(), s_adv.numpy())


def evaluate_defense(defense, x: torch.Tensor, y: torch.Tensor, *, threat: dict, x_transfer: torch.Tensor, attack: dict,
                     eps_curve: list[float], x_transfer_curve: dict[float, torch.Tensor] | None = None,
                     sanity_n: int = 0, seed: int = 0,
                     pool: tuple[torch.Tensor, torch.Tensor] | None = None) -> dict:
    """The row of ``defense`` on ``x`` (N, C, H, W) in [0, 1] with labels ``y`` under ``threat`` (``norm``, ``eps``).

    The attacks, each on the images every attack before it left defended (the worst case per image, as AutoAttack
    runs its ensemble), each judged by the real defense:

    1. ``x_transfer``: PGD on the undefended model at the budget (the papers' attack, transferred);
    2. the adaptive PGD of :mod:`xaiadv.leaderboard.pgd` (``attack``: ``steps``, ``alpha`` as a fraction of eps,
       ``restarts``, ``eot``, ``weight``, ``kappa``, ``check_every``; with ``pool``, (images, labels) of clean
       images the attacker holds, detectors also get the natural start on the support);
    3. APGD-CE and APGD-T (``attack["apgd"]``: ``steps``, ``restarts``, ``targets``, ``eot``; steps 0 skips them) on
       the defense's surrogate (:func:`xaiadv.leaderboard.engine.apgd`);
    4. Square on the real defense (``attack["square_queries"]`` queries; 0 skips it).

    The attacks' own judgements use seed ``seed + 1``; every number of the row is the real defense's decision with
    ``seed`` (a random defense is judged on draws the attacks never saw). Robust accuracy counts an image only when
    its clean version is accepted and correct and every attack failed (RobustBench; Tramer et al. 2020), so robust
    <= clean in every row. ``eps_curve``: budgets of the curve (the adaptive PGD on the first ``sanity_n`` images,
    transferred from ``x_transfer_curve``); those images also get the steps-doubling check.

    Returns a JSON-able dict: clean accuracy, FPR, robust accuracy (transferred, adaptive: every adaptive attack,
    worst case: and clean), each attack's cumulative robust accuracy and wins (``ensemble``), AUROC (detectors), ms
    per image, the curve, the sanity checks and ``unreliable`` reasons, plus the adaptive examples (``x_adaptive``,
    a tensor: per image the first attack's example that fooled the real defense, else the last attack's)."""
    eps, norm = threat["eps"], threat["norm"]
    r = lambda v: rate_ci(np.asarray(v, dtype=float), seed=seed)  # noqa: E731
    attack_seed = seed + 1  # the attacks' own judgements: draws the row's numbers never use
    akw = {"eps": eps, "norm": norm, "steps": attack["steps"], "alpha": attack["alpha"] * eps,
           "restarts": attack["restarts"], "eot": attack["eot"], "weight": attack["weight"], "kappa": attack["kappa"],
           "check_every": attack["check_every"], "seed": attack_seed, "pool": pool}
    def final(xa, yy=y):  # the row's judgement: defended (rejected or right) on ``seed``'s draw, (N,) bool on CPU
        return correct(*defense.decide(xa, seed=seed), yy.cpu(), adversarial=True)

    t0 = time.perf_counter()
    lc, rc = defense.decide(x, seed=seed)
    ms = 1000 * (time.perf_counter() - t0) / max(len(x), 1)
    ok_clean = correct(lc, rc, y.cpu(), adversarial=False)
    ok_transfer = final(x_transfer)
    k = min(sanity_n, len(x))
    # the steps-doubling check on all the row's images with one restart and one stage: its first half is the main
    # attack (adaptive_pgd's snapshot), so one run gives both (the I-GOS rows, n = sanity n)
    shared = k == len(x) and attack["restarts"] == 1 and len(attack_stages(defense, pool)) == 1
    t0 = time.perf_counter()
    if shared:
        dbl = attack_defense(defense, x, y, **{**akw, "steps": 2 * attack["steps"]}, snapshot=attack["steps"])
        adv = dbl.pop("snapshot")
    else:
        adv = attack_defense(defense, x, y, **akw)
    ok_pgd = final(adv["x_adv"])
    # ---- the adaptive ensemble: each attack on the images every adaptive attack before it left defended (clean
    # right); the transferred attack is folded in at the end, so robust_adaptive is the adaptive attacks' own
    alive = ok_clean & ok_pgd
    x_best = torch.where((~ok_pgd).view(-1, *[1] * (x.dim() - 1)).to(x.device), adv["x_adv"], x_transfer)
    ensemble = [{"attack": f"adaptive PGD ({attack['steps']} steps x {attack['restarts']} restarts, eot "
                           f"{attack['eot'] if defense.random else 1})", "robust": r(alive),
                 "won": int((ok_clean & ~ok_pgd).sum()), "queries": adv["queries"]}]
    ok_adaptive = ok_pgd.clone()
    runs = []
    ap = attack.get("apgd") or {}
    if ap.get("steps", 0) > 0:
        runs += [(f"APGD-CE ({ap['steps']} steps x {ap['restarts']} restarts)", "ce"),
                 (f"APGD-T ({ap['steps']} steps x {ap['targets']} targets x {ap['restarts']} restarts)", "dlr_t")]
    if attack.get("square_queries", 0) > 0:
        runs.append((f"Square ({attack['square_queries']} queries, real defense)", "square"))
    branches = getattr(defense, "branches", None) or (None,)
    agreement = {"agree": 0, "n": 0}
    for label, kind in runs:
        idx = torch.nonzero(alive).flatten()
        won_now = torch.zeros(len(x), dtype=torch.bool)
        q = 0
        for b in (branches if kind != "square" else (None,)):
            idx = idx[~won_now[idx]]
            if not len(idx):
                break
            xi, yi = x[idx.to(x.device)], y[idx.to(y.device)]
            if kind == "square":
                out = square(defense, xi, yi, eps=eps, norm=norm, queries=attack["square_queries"], seed=attack_seed,
                             judge_seed=attack_seed)
            else:
                out = apgd(defense, xi, yi, eps=eps, norm=norm, steps=ap["steps"], restarts=ap["restarts"], loss=kind,
                           targets=ap["targets"], eot=ap["eot"] if defense.random else 1, weight=attack["weight"],
                           seed=attack_seed, judge_seed=attack_seed, branch=b)
            q += out["queries"]
            for key in ("agree", "n"):
                agreement[key] += (out.get("agreement") or {}).get(key, 0)
            xa = x_best.clone()
            xa[idx.to(x.device)] = out["x_adv"].to(x.device)
            ok_a = final(xa)
            newly = alive & ~ok_a
            x_best[newly.to(x.device)] = xa[newly.to(x.device)]
            won_now |= newly
            ok_adaptive &= ok_a | ~alive  # an image already lost stays lost; one still defended may fall here
            alive &= ok_a
        ensemble.append({"attack": label, "robust": r(alive), "won": int(won_now.sum()), "queries": q})
    attack_s = time.perf_counter() - t0
    worst = alive & ok_transfer  # clean right, and every attack failed
    ensemble.append({"attack": "transferred PGD (the papers' attack)", "robust": r(worst),
                     "won": int((alive & ~ok_transfer).sum())})
    res = {"defense": defense.name, "detector": defense.detector, "random": defense.random, "threat": threat,
           "n": len(x), "clean_accuracy": r(ok_clean), "fpr": r(rc) if defense.detector else None,
           "robust_transfer": r(ok_transfer), "robust_adaptive": r(ok_adaptive), "robust_worst": r(worst),
           "ensemble": ensemble, "ms_per_image": ms, "attack_seconds": attack_s,
           "queries": sum(e.get("queries", 0) for e in ensemble), "attack": attack,
           "surrogate": defense.surrogate_info(), "natural_start": pool is not None}
    if defense.detector:
        sc = defense.score(x)
        res["auroc_transfer"] = _auroc(sc, defense.score(x_transfer))
        res["auroc_adaptive"] = _auroc(sc, defense.score(x_best))
    # ---- sanity checks (Carlini et al. 2019), on the first sanity_n images; judged by sanity_reasons
    checks = {"n": k, "surrogate_agreement": agreement}
    if k:
        xs, ys = x[:k], y[:k]
        base = ok_pgd[:k].float().mean().item()  # the adaptive PGD alone at the budget: the eps curve's point
        if not shared:
            dbl = attack_defense(defense, xs, ys, **{**akw, "steps": 2 * attack["steps"]})
        ok_dbl = final(dbl["x_adv"], ys)
        # the adaptive PGD at twice the steps against the whole ensemble on these images: the row is marked when it
        # wins more than the tolerance of images every attack of the ensemble left (the ensemble had not converged),
        # and its wins count in the worst case either way
        before = ok_adaptive[:k].clone()
        gained = before & ~ok_dbl
        checks["steps_doubled"] = {"robust": (before & ok_dbl).float().mean().item(),
                                   "robust_base": before.float().mean().item(), "won": int(gained.sum()),
                                   "compared_with": "ensemble", "one_run": shared}
        if gained.any():
            ok_adaptive[:k] &= ok_dbl
            worst[:k] &= ok_dbl
            idx = torch.nonzero(gained).flatten().to(x.device)
            x_best[idx] = dbl["x_adv"][idx]
            res.update(robust_adaptive=r(ok_adaptive), robust_worst=r(worst))
            ensemble.append({"attack": f"sanity: adaptive PGD at {2 * attack['steps']} steps (first {k} images)",
                             "robust": r(worst), "won": int(gained.sum())})
        checks["tolerance"] = subset_tolerance(k)
        sq = next((e for e in ensemble if e["attack"].startswith("Square")), None)
        if sq is not None:  # the gradient-free attack on the real defense, on what every gradient attack left
            before = ensemble[ensemble.index(sq) - 1]["robust"]
            checks["square"] = {"robust": sq["robust"]["rate"], "robust_base": before["rate"],
                                "queries": attack["square_queries"], "attacked": int(round(before["rate"] * len(x))),
                                "won": sq["won"], "n": len(x)}
        curve = []
        for e in eps_curve:
            if e == 0:  # the unperturbed images, judged as every point of the curve is (a rejection defends)
                rob_a = rob_t = correct(lc[:k], rc[:k], ys.cpu(), adversarial=True).float().mean().item()
            else:
                if e == eps:  # the adaptive attack at the budget already ran on these images (not twice)
                    rob_a = base
                else:
                    a = attack_defense(defense, xs, ys, **{**akw, "eps": e, "alpha": attack["alpha"] * e})
                    rob_a = final(a["x_adv"], ys).float().mean().item()
                xt = (x_transfer_curve or {}).get(e)
                rob_t = final(xt[:k], ys).float().mean().item() if xt is not None else None
            curve.append({"eps": e, "robust_adaptive": rob_a, "robust_transfer": rob_t})
        checks["eps_curve"] = curve
    res["sanity"] = checks
    res["unreliable"] = sanity_reasons(res)
    res["x_adaptive"] = x_best
    return res
