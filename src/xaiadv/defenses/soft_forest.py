"""A fitted scikit-learn random forest as a smooth function of its features, for an attacker who knows it.

A forest's probability is piecewise constant in its input: its gradient is zero almost everywhere, so a gradient
attack cannot see it, and a stand-in trained on the same labels (a logistic regression) need not share its decision
boundary (measured on the leaderboard: it does not). The attacker knows the deployed forest, so this surrogate is
the forest itself with every split indicator 1[f_k <= t] replaced by sigmoid((t - f_k) / T_k) (Athalye et al.
2018's BPDA with a smooth approximation of the exact function; the "soft" trees of Irsoy et al. 2012 with the
forest's own splits). As T -> 0 it is the forest. A leaf's probability of being reached is the product of the
sigmoids along its path, computed for every leaf of every tree at once as two sparse products in log space.

Our own code: scikit-learn has no differentiable forest; the attacks on tree ensembles in the literature (Kantchelian
et al. 2016's MILP, Chen et al. 2019) search the trees' splits directly, not the composite explainer -> forest a
Saito detector differentiates through.
"""

from __future__ import annotations

import numpy as np
import torch

# temperature grid, as a fraction of each feature's standard deviation on the fit rows: the smoothest one whose
# decisions agree with the forest's on at least AGREEMENT of the fit rows is used. The grid reaches 1e-4: on expected-
# gradients features of MNIST digits (many rows a hair from a split: 23% of (row, split) pairs within 3 x 0.003 std)
# the forest at 0.003 agreed on 50% of its fit rows, every probability lifted by about 0.5, and the adaptive attack
# had nothing to follow (the leaderboard row stayed at 100% robust); at 0.001, 100% (correlation 0.99995)
TAUS = (0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 3e-4, 1e-4)
AGREEMENT = 0.95


class SoftForest:
    """``forest``: a fitted ``RandomForestClassifier`` of two classes (0 = clean, 1 = adversarial) on feature rows (D,).

    :meth:`proba` is differentiable in the features; :meth:`calibrate` picks the temperature on rows the forest
    was fitted on. Raises ``ValueError`` for a forest of another number of classes."""

    def __init__(self, forest):
        if len(forest.classes_) != 2:
            raise ValueError(f"SoftForest: a forest of 2 classes, not {len(forest.classes_)}")
        feats, thrs, left_rows, left_cols, right_rows, right_cols, values = [], [], [], [], [], [], []
        n_int = n_leaf = 0
        for est in forest.estimators_:
            t = est.tree_
            internal = np.flatnonzero(t.children_left >= 0)
            idx = np.full(t.node_count, -1)
            idx[internal] = n_int + np.arange(len(internal))  # global index of each internal node
            feats.append(t.feature[internal])
            thrs.append(t.threshold[internal])
            stack = [(0, [])]  # (node, [(internal index, went left)]) — depth-first from the root
            while stack:
                node, path = stack.pop()
                if t.children_left[node] < 0:
                    for k, is_left in path:
                        (left_rows if is_left else right_rows).append(n_leaf)
                        (left_cols if is_left else right_cols).append(k)
                    v = t.value[node][0]
                    values.append(v[1] / max(v.sum(), 1e-12))
                    n_leaf += 1
                    continue
                stack.append((t.children_left[node], [*path, (idx[node], True)]))
                stack.append((t.children_right[node], [*path, (idx[node], False)]))
            n_int += len(internal)
        self.n_trees = len(forest.estimators_)
        self.feature = torch.from_numpy(np.concatenate(feats).astype(np.int64))
        self.threshold = torch.from_numpy(np.concatenate(thrs).astype(np.float32))
        shape = (n_int, n_leaf)
        sp = lambda r, c: torch.sparse_coo_tensor(torch.tensor([c, r], dtype=torch.long),
                                                  torch.ones(len(r)), shape, check_invariants=True).coalesce()
        self.left, self.right = sp(left_rows, left_cols), sp(right_rows, right_cols)
        self.value = torch.tensor(values, dtype=torch.float32)
        self.scale = torch.ones(int(self.feature.max()) + 1 if n_int else 1)
        self.tau = TAUS[-1]
        self.agreement = None

    def _log_reach(self, f: torch.Tensor, tau: float | None) -> torch.Tensor:
        """log P(row reaches leaf), (leaves, N), for feature rows ``f`` (N, D)."""
        tau = self.tau if tau is None else tau
        dev = f.device
        feat = self.feature.to(dev)
        z = (self.threshold.to(dev) - f[:, feat]) / (tau * self.scale.to(dev)[feat])  # (N, internal): > 0 goes left
        return torch.sparse.mm(self.left.to(dev).t(), torch.nn.functional.logsigmoid(z).t()) + \
            torch.sparse.mm(self.right.to(dev).t(), torch.nn.functional.logsigmoid(-z).t())

    def proba(self, f: torch.Tensor, tau: float | None = None) -> torch.Tensor:
        """The smoothed forest's probability of class 1, (N,), for feature rows ``f`` (N, D); differentiable in ``f``."""
        return (self._log_reach(f, tau).exp() * self.value.to(f.device)[:, None]).sum(0) / self.n_trees

    def log_odds(self, f: torch.Tensor, tau: float | None = None) -> torch.Tensor:
        """log(p / (1 - p)) of :meth:`proba`, (N,), computed in log space (two logsumexps over the leaves), so that
        its gradient does not vanish where p rounds to 0 or 1: at a temperature close to the forest's own
        decisions, pure leaves make p exactly 1 in float32 on most adversarial rows, and a clamped p has no
        gradient at all (measured on the leaderboard's saliency and expected-gradients forests)."""
        lr = self._log_reach(f, tau)
        v = self.value.to(f.device).clamp(1e-6, 1 - 1e-6)[:, None]
        return torch.logsumexp(lr + v.log(), 0) - torch.logsumexp(lr + (1 - v).log(), 0)

    def calibrate(self, rows: np.ndarray, forest) -> SoftForest:
        """Per-feature scale: the standard deviation of ``rows`` (N, D), the forest's fit rows; temperature: the
        largest of :data:`TAUS` whose decisions (p > 0.5) agree with ``forest``'s on at least :data:`AGREEMENT`
        of the rows (else the smallest). Sets ``tau`` and ``agreement``."""
        r = torch.from_numpy(np.asarray(rows, dtype=np.float32))
        self.scale = r.std(0).clamp(min=1e-6)
        hard = torch.from_numpy(forest.predict_proba(rows)[:, 1] > 0.5)
        with torch.no_grad():
            for tau in TAUS:
                agree = float(((self.proba(r, tau) > 0.5) == hard).float().mean())
                self.tau, self.agreement = tau, agree
                if agree >= AGREEMENT:
                    break
        return self
