"""Box-constrained L-BFGS attack (Szegedy et al. 2014, "Intriguing properties of neural networks" §4.1).

Minimise  c * ||x' - x||_2^2 + CE(f(x'), target)  over x' in [0, 1]^n with scipy's L-BFGS-B, and search c for the
largest value whose minimiser still reaches the target (the smallest perturbation): c grows by ``c_factor`` from
``c_init`` until the attack fails, then bisects ``search_steps`` times between the last success and the first
failure. foolbox 3 dropped this attack and no maintained PyTorch version exists: our own code.
Per image (scipy optimises one vector at a time); each function evaluation is one forward+backward pass.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def _minimise(model, x0: torch.Tensor, target: int, c: float, maxiter: int) -> tuple[np.ndarray, bool]:
    from scipy.optimize import minimize

    shape, dev = x0.shape, x0.device
    x0n = x0.detach().cpu().double().numpy().ravel()
    t = torch.tensor([target], device=dev)

    def fg(v):
        xt = torch.from_numpy(v.reshape(shape)).to(dev, torch.float32).requires_grad_(True)
        loss = c * ((xt - x0) ** 2).sum() + F.cross_entropy(model(xt[None]), t)
        (g,) = torch.autograd.grad(loss, xt)
        return loss.item(), g.detach().cpu().double().numpy().ravel()

    res = minimize(fg, x0n, jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * x0n.size,
                   options={"maxiter": maxiter})
    xa = np.clip(res.x, 0, 1).reshape(shape)
    with torch.no_grad():
        ok = int(model(torch.from_numpy(xa).to(dev, torch.float32)[None]).argmax(1)) == target
    return xa, ok


def attack(model, x, labels, *, targeted: bool = True, c_init: float, c_factor: float, max_c_steps: int,
           search_steps: int, maxiter: int, norm: str):
    """Targeted L-BFGS on ``x`` (N, C, H, W) in [0, 1] towards ``labels`` (N,) (the targets). Returns
    (N, C, H, W): the smallest-perturbation success found, or ``x`` unchanged where no c succeeded. Raises
    ``ValueError`` when not ``targeted`` (the attack is defined for a target class) or ``norm`` is not "L2"."""
    if norm != "L2":
        raise ValueError(f"norm = {norm!r}: {__name__.rsplit('.', 1)[1]} is an L2 attack")
    if not targeted:
        raise ValueError("lbfgs is a targeted attack: set target: random or second")
    out = x.detach().clone()
    for i in range(len(x)):
        best, c, fail_c = None, c_init, None
        for _ in range(max_c_steps):  # grow c while the attack still succeeds
            xa, ok = _minimise(model, x[i], int(labels[i]), c, maxiter)
            if not ok:
                fail_c = c
                break
            best, lo = xa, c
            c *= c_factor
        if best is None:  # even the smallest c failed: try smaller ones once
            xa, ok = _minimise(model, x[i], int(labels[i]), c_init / c_factor ** 2, maxiter)
            best, lo, fail_c = (xa, c_init / c_factor ** 2, c_init) if ok else (None, None, None)
        if best is not None and fail_c is not None:
            hi = fail_c
            for _ in range(search_steps):  # bisection (geometric) between success lo and failure hi
                mid = float(np.sqrt(lo * hi))
                xa, ok = _minimise(model, x[i], int(labels[i]), mid, maxiter)
                if ok:
                    best, lo = xa, mid
                else:
                    hi = mid
        if best is not None:
            out[i] = torch.from_numpy(best).to(out.device, out.dtype)
    return out
