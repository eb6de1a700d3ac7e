"""One leaderboard row: a defense under one threat model, against the attack the papers ran (PGD on the undefended
model, transferred) and an adaptive attack written for it, with Carlini et al.'s (2019) sanity checks.

Every rate comes with its n and a 95% interval (:func:`xaiadv.stats.rate_ci`); a defended adversarial input is one
the defense rejects or classifies correctly; a clean input counts only when accepted and classified correctly.
"""

from __future__ import annotations

import time

import numpy as np
import torch

from ..adaptive.pgd import attack_defense, attack_stages
from ..stats import auroc, rate_ci
from .base import correct
from .sanity import sanity_reasons, subset_tolerance


def _auroc(s_clean, s_adv) -> float | None:
    if s_clean is None or len(s_clean) == 0 or len(s_adv) == 0:
        return None
    return auroc(s_clean.numpy(), s_adv.numpy())


def square_attack(defense, x, y, *, eps: float, norm: str, queries: int, seed: int = 0) -> torch.Tensor:
    """torchattacks' Square (Andriushchenko et al. 2020; gradient-free, margin loss) on the defense's surrogate logits
    computed without gradients (for a rectifier: the logits of the real rectified images), judged later by the real
    defense. For a detector the true class gains 10 x the detector's score where positive (a rejected input counts as
    defended). Images the surrogate already gets wrong (margin <= 0) are returned unchanged, as Square does.
    Returns the adversarial images (N, C, H, W)."""
    import torchattacks

    def scores(z, yy):
        with torch.enable_grad():  # a gradient explainer's features need autograd; nothing is kept
            logits, score = defense.surrogate(z.detach())
        logits = logits.detach()
        if score is not None:
            logits = logits + torch.nn.functional.one_hot(yy, logits.shape[1]) * (10 * score.detach().clamp(min=0))[:, None]
        return logits

    class PenalisedSquare(torchattacks.Square):
        # Square scores subsets of its batch through margin_and_loss(x, y), which receives each subset's labels: the
        # detector's penalty is added there, so the whole batch runs at once (issue 18: it ran one image at a time)
        def margin_and_loss(self, z, yy):
            logits = scores(z, yy)
            u = torch.arange(len(z))
            y_corr = logits[u, yy].clone()
            logits[u, yy] = -float("inf")
            margin = y_corr - logits.max(dim=-1)[0]
            return margin, margin

        def perturb(self, z, yy):  # one restart (n_restarts=1) on the images the surrogate still gets right
            self.init_hyperparam(z)
            torch.random.manual_seed(self.seed)
            out = z.clone()
            with torch.no_grad():
                todo = (self.margin_and_loss(z, yy)[0] > 0).nonzero().flatten()
            if len(todo):
                out[todo] = self.attack_single_run(z[todo], yy[todo])[1]
            return out

    atk = PenalisedSquare(torch.nn.Identity(), norm=norm, eps=eps, n_queries=queries, n_restarts=1, seed=seed,
                          loss="margin")
    return atk(x, y) if len(x) else x


def evaluate_defense(defense, x: torch.Tensor, y: torch.Tensor, *, threat: dict, x_transfer: torch.Tensor, attack: dict,
                     eps_curve: list[float], x_transfer_curve: dict[float, torch.Tensor] | None = None,
                     sanity_n: int = 0, square_queries: int = 0, seed: int = 0,
                     pool: tuple[torch.Tensor, torch.Tensor] | None = None) -> dict:
    """The row of ``defense`` on ``x`` (N, C, H, W) in [0, 1] with labels ``y`` under ``threat`` (``norm``, ``eps``).

    ``x_transfer``: PGD on the undefended model at the budget (the papers' attack, transferred); ``attack``: the
    adaptive attack's parameters (``steps``, ``alpha`` as a fraction of eps, ``restarts``, ``eot``, ``weight``,
    ``kappa``, ``check_every``); ``eps_curve``: budgets for the curve (adaptive on the first ``sanity_n`` images,
    transferred from ``x_transfer_curve``); ``sanity_n`` images also get the steps-doubling and Square checks
    (``square_queries`` queries, on the images the adaptive attack did not win: the row is marked when Square wins
    more than the tolerance of them; 0 skips it). ``pool``: (images, labels) of clean images the attacker holds; given,
    every adaptive attack on a detector adds the natural start on the support (:func:`xaiadv.adaptive.pgd.natural_start`).

    Returns a JSON-able dict: clean accuracy, FPR, robust accuracy (transferred, adaptive, worst case per
    example), AUROC (detectors), ms per image, the curve, the sanity checks and ``unreliable`` reasons, plus the
    adaptive examples (``x_adaptive``, a tensor, for the caller to save)."""
    eps, norm = threat["eps"], threat["norm"]
    r = lambda v: rate_ci(np.asarray(v, dtype=float), seed=seed)  # noqa: E731
    akw = {"eps": eps, "norm": norm, "steps": attack["steps"], "alpha": attack["alpha"] * eps,
           "restarts": attack["restarts"], "eot": attack["eot"], "weight": attack["weight"], "kappa": attack["kappa"],
           "check_every": attack["check_every"], "seed": seed, "pool": pool}
    t0 = time.perf_counter()
    lc, rc = defense.decide(x, seed=seed)
    ms = 1000 * (time.perf_counter() - t0) / max(len(x), 1)
    ok_clean = correct(lc, rc, y, adversarial=False)
    lt, rt = defense.decide(x_transfer, seed=seed)
    ok_transfer = correct(lt, rt, y, adversarial=True)
    k = min(sanity_n, len(x))
    # the steps-doubling check on all the row's images with one restart and one stage: its first half is the main
    # attack (adaptive_pgd's snapshot), so one run gives both (issue 18; the I-GOS rows, n = sanity n)
    shared = k == len(x) and attack["restarts"] == 1 and len(attack_stages(defense, pool)) == 1
    t0 = time.perf_counter()
    if shared:
        dbl = attack_defense(defense, x, y, **{**akw, "steps": 2 * attack["steps"]}, snapshot=attack["steps"])
        adv = dbl.pop("snapshot")
    else:
        adv = attack_defense(defense, x, y, **akw)
    attack_s = time.perf_counter() - t0
    la, ra = defense.decide(adv["x_adv"], seed=seed)
    ok_adaptive = correct(la, ra, y, adversarial=True)
    worst = ok_transfer & ok_adaptive
    res = {"defense": defense.name, "detector": defense.detector, "random": defense.random, "threat": threat,
           "n": len(x), "clean_accuracy": r(ok_clean), "fpr": r(rc) if defense.detector else None,
           "robust_transfer": r(ok_transfer), "robust_adaptive": r(ok_adaptive), "robust_worst": r(worst),
           "ms_per_image": ms, "attack_seconds": attack_s, "queries": adv["queries"], "attack": attack,
           "surrogate": defense.surrogate_info(), "natural_start": pool is not None}
    if defense.detector:
        sc = defense.score(x)
        res["auroc_transfer"] = _auroc(sc, defense.score(x_transfer))
        res["auroc_adaptive"] = _auroc(sc, defense.score(adv["x_adv"]))
    # ---- sanity checks (Carlini et al. 2019), on the first sanity_n images; judged by sanity_reasons
    checks = {"n": k}
    if k:
        xs, ys = x[:k], y[:k]
        base = ok_adaptive[:k].float().mean().item()
        if not shared:
            dbl = attack_defense(defense, xs, ys, **{**akw, "steps": 2 * attack["steps"]})
        ld, rd = defense.decide(dbl["x_adv"], seed=seed)
        doubled = correct(ld, rd, ys, adversarial=True).float().mean().item()
        checks["steps_doubled"] = {"robust": doubled, "robust_base": base, "one_run": shared}
        checks["tolerance"] = subset_tolerance(k)
        if square_queries:  # on the images the gradient attack left standing: does Square win where it did not?
            alive = ok_adaptive[:k].to(xs.device)
            both = alive.clone()
            if alive.any():
                xq = xs.clone()
                xq[alive] = square_attack(defense, xs[alive], ys[alive], eps=eps, norm=norm, queries=square_queries,
                                          seed=seed)
                lq, rq = defense.decide(xq, seed=seed)  # the whole subset, in order (a random defense's draws)
                both &= correct(lq, rq, ys, adversarial=True)
            sq, attacked, won = both.float().mean().item(), int(alive.sum()), int((alive & ~both).sum())
            checks["square"] = {"robust": sq, "queries": square_queries, "attacked": attacked, "won": won}
        curve = []
        for e in eps_curve:
            if e == 0:  # the unperturbed images, judged as every point of the curve is (a rejection defends)
                rob_a = rob_t = correct(lc[:k], rc[:k], ys, adversarial=True).float().mean().item()
            else:
                if e == eps:  # the adaptive attack at the budget already ran on these images (issue 18: not twice)
                    rob_a = base
                else:
                    a = attack_defense(defense, xs, ys, **{**akw, "eps": e, "alpha": attack["alpha"] * e})
                    la_, ra_ = defense.decide(a["x_adv"], seed=seed)
                    rob_a = correct(la_, ra_, ys, adversarial=True).float().mean().item()
                xt = (x_transfer_curve or {}).get(e)
                if xt is not None:
                    lt_, rt_ = defense.decide(xt[:k], seed=seed)
                    rob_t = correct(lt_, rt_, ys, adversarial=True).float().mean().item()
                else:
                    rob_t = None
            curve.append({"eps": e, "robust_adaptive": rob_a, "robust_transfer": rob_t})
        checks["eps_curve"] = curve
    res["sanity"] = checks
    res["unreliable"] = sanity_reasons(res)
    res["x_adaptive"] = adv["x_adv"]
    return res
