"""The field's stock attacks against any defense (Croce & Hein 2020, AutoAttack): APGD-CE and APGD-T (DLR loss, one
run per target class) on the defense's differentiable surrogate, Square (Andriushchenko et al. 2020, gradient-free)
on the real defense — each through :mod:`xaiadv.leaderboard.module`'s logits, success judged by the real defense.

torchattacks' ``APGD``, ``APGDT`` and ``Square`` do the optimisation (their step-size schedule, momentum, checkpoints
and random starts, as in Croce & Hein's code). What we add, and why not torchattacks' own ``perturb``:

- the labels reach the logits: a detector's K+1 logits are folded per batch (:func:`~.module.fold_rejection`) with
  the labels of the very images the attack is stepping, so "rejected" counts as defended for every loss;
- the judge is the real defense, not the surrogate: after each restart (and each target class) the real defense
  decides on the iterates; images it still handles get the next restart. torchattacks keeps an image only where the
  surrogate says it is fooled and returns the clean image elsewhere; we keep the surrogate's best-loss iterate there
  too, so that a BPDA or EOT surrogate that disagrees with the real defense loses nothing;
- memory: the surrogate runs on chunks of images (an explainer inside a detector batches its own samples).

Every function returns ``{"x_adv": (N, C, H, W), "success": (N,) bool on CPU (the real defense, with the judge's
seed, was fooled), "queries": surrogate or real-defense evaluations of single images}``; :func:`apgd` also
``"agreement": {"agree", "n"}``: on how many of its final iterates the surrogate's verdict (fooled or not) was the
real defense's — a surrogate that disagrees often (a BPDA or EOT stand-in that is not the defense) makes the gradient
attacks' numbers an upper bound, and the row is marked.
"""

from __future__ import annotations

import torch

from ..defenses.base import correct
from ..explainers.base import images_per_pass
from .module import RealModule, SurrogateModule, fold_rejection


def num_classes(defense, x: torch.Tensor) -> int:
    """K: the classifier's number of classes (one forward pass of one image)."""
    with torch.no_grad():
        return int(defense.model(x[:1]).shape[1])


# A random defense's attack-time judgement: an iterate counts as won only when the real defense is fooled on this
# many independent draws. The row's numbers come from yet another draw; an iterate fooled on one draw only sits at the
# decision boundary, and a new draw flips it back about half the time (measured on the default's expected-gradients
# detector: 2 of 10 digits the steps-doubling attack had won were defended again on the row's draw).
JUDGE_DRAWS = 2


def judge(defense, x: torch.Tensor, y: torch.Tensor, seed: int, draws: int | None = None) -> torch.Tensor:
    """(N,) bool on ``x``'s device: whether the real defense was fooled (accepted and misclassified) on ``x`` — for a
    random defense on every one of ``draws`` draws (default :data:`JUDGE_DRAWS`; seeds ``seed``, ``seed`` +
    1,000,003, ...), for a deterministic one once."""
    n = (draws or JUDGE_DRAWS) if defense.random else 1
    fooled = torch.ones(len(x), dtype=torch.bool, device=x.device)
    for i in range(n):
        label, rejected = defense.decide(x, seed=seed + 1_000_003 * i)
        fooled &= ~correct(label.to(x.device), rejected.to(x.device), y, adversarial=True)
    return fooled


def _torchattacks():
    import torchattacks

    class _Folded:
        """Mixin: the module's K+1 logits folded with the labels of the images in the current run."""

        _y = None
        _k = 10

        def get_logits(self, inputs, labels=None, *args, **kwargs):
            return fold_rejection(self.model(inputs), self._y, self._k)

        def attack_single_run(self, x, y):
            self._y = y
            return super().attack_single_run(x, y)

    class FoldedAPGD(_Folded, torchattacks.APGD):
        pass

    class FoldedAPGDT(_Folded, torchattacks.APGDT):
        pass

    class FoldedSquare(torchattacks.Square):
        _k = 10

        def margin_and_loss(self, x, y):  # Square passes each subset's labels here: fold with them
            logits = fold_rejection(self.get_logits(x), y, self._k)
            u = torch.arange(len(x))
            y_corr = logits[u, y].clone()
            logits[u, y] = -float("inf")
            margin = y_corr - logits.max(dim=-1)[0]
            return margin, margin

    return FoldedAPGD, FoldedAPGDT, FoldedSquare


def apgd(defense, x: torch.Tensor, y: torch.Tensor, *, eps: float, norm: str = "Linf", steps: int = 100,
         restarts: int = 1, loss: str = "ce", targets: int = 9, eot: int = 1, weight: float = 1.0, seed: int = 0,
         judge_seed: int = 0, branch=None, batch: int | None = None) -> dict:
    """APGD against ``defense`` on ``x`` (N, C, H, W) in [0, 1] with labels ``y`` (N,), within ``eps`` (``norm``
    "Linf" or "L2", [0, 1] scale): ``loss`` "ce" (APGD-CE, untargeted cross-entropy) or "dlr_t" (APGD-T: the targeted
    DLR loss, one run per each of the ``targets`` classes ranked highest after the true one), ``steps`` iterations
    per run (Croce & Hein's schedule: checkpoints at 22%, step halving on stalls), ``restarts`` random starts per
    run, ``eot`` surrogate draws averaged per step (random defenses). ``branch``: the defense whose surrogate is
    differentiated (a pipeline's stage); the real ``defense`` judges with ``judge_seed`` after each run, and only the
    images it still handles are attacked again. Raises ``ValueError`` for another ``loss`` or ``norm``."""
    if loss not in ("ce", "dlr_t"):
        raise ValueError(f"apgd: loss {loss!r}; allowed: ce, dlr_t")
    if norm not in ("Linf", "L2"):
        raise ValueError(f"apgd: norm {norm!r}; allowed: Linf, L2")
    FoldedAPGD, FoldedAPGDT, _ = _torchattacks()
    k = num_classes(defense, x)
    src = branch or defense
    module = SurrogateModule(defense, branch, weight=weight)
    if loss == "ce":
        atk = FoldedAPGD(module, norm=norm, eps=eps, steps=steps, n_restarts=1, seed=seed, loss="ce", eot_iter=eot)
        runs = [(r, None) for r in range(restarts)]
    else:
        atk = FoldedAPGDT(module, norm=norm, eps=eps, steps=steps, n_restarts=1, seed=seed, eot_iter=eot,
                          n_classes=k)
        runs = [(r, t) for t in range(2, min(targets, k - 1) + 2) for r in range(restarts)]
    atk._k = k
    chunk = batch or max(1, images_per_pass(x) // max(1, int(getattr(src, "surrogate_samples", 1))))
    x = x.detach()
    out = x.clone()
    success = torch.zeros(len(x), dtype=torch.bool, device=x.device)
    queries = 0
    agree = total = 0  # the surrogate's verdict on each candidate (fooled or not) against the real defense's
    for r, t in runs:
        idx = torch.nonzero(~success).flatten()
        if not len(idx):
            break
        if t is not None:
            atk.target_class = t
        torch.manual_seed(seed + 7919 * r + 104_729 * (t or 0))  # the random start of this run
        cand = torch.empty_like(x[idx])
        sur = torch.empty(len(idx), dtype=torch.bool, device=x.device)
        for c0 in range(0, len(idx), chunk):
            sel = idx[c0:c0 + chunk]
            best, acc, _loss, best_adv = atk.attack_single_run(x[sel], y[sel])
            sur[c0:c0 + len(sel)] = acc == 0
            fooled = (acc == 0).view(-1, *[1] * (x.dim() - 1))
            cand[c0:c0 + len(sel)] = torch.where(fooled, best_adv, best).detach()
        won = judge(defense, cand, y[idx], judge_seed)
        agree += int((sur == won).sum())
        total += len(idx)
        queries += len(idx) * (JUDGE_DRAWS if defense.random else 1)  # the real defense's judgements
        out[idx] = cand  # the latest iterate everywhere; a win is never attacked again
        success[idx[won]] = True
    return {"x_adv": out.detach(), "success": success.cpu(), "queries": module.calls + queries,
            "agreement": {"agree": agree, "n": total}}


def square(defense, x: torch.Tensor, y: torch.Tensor, *, eps: float, norm: str = "Linf", queries: int = 1000,
           seed: int = 0, judge_seed: int = 0, p_init: float = 0.8) -> dict:
    """Square (Andriushchenko et al. 2020; torchattacks' ``Square``, margin loss, one restart) on the **real**
    defense's logits (:class:`~.module.RealModule`, rejection folded), ``queries`` queries per image, on ``x`` (N, C,
    H, W) in [0, 1] with labels ``y`` (N,); the real defense judges the result with ``judge_seed``. Images the real
    logits already get wrong are returned unchanged (Square's rule)."""
    _, _, FoldedSquare = _torchattacks()
    if not len(x) or queries <= 0:
        return {"x_adv": x, "success": torch.zeros(len(x), dtype=torch.bool), "queries": 0}
    module = RealModule(defense, seed=judge_seed)
    atk = FoldedSquare(module, norm=norm, eps=eps, n_queries=queries, n_restarts=1, seed=seed, loss="margin",
                       p_init=p_init)
    atk._k = num_classes(defense, x)
    atk.init_hyperparam(x)
    torch.manual_seed(seed)
    out = x.clone()
    with torch.no_grad():
        todo = (atk.margin_and_loss(x, y)[0] > 0).nonzero().flatten()
        if len(todo):
            out[todo] = atk.attack_single_run(x[todo], y[todo])[1]
    won = judge(defense, out, y, judge_seed)
    return {"x_adv": out, "success": won.cpu(), "queries": module.calls}
