"""NDCG of a model's prediction on a modified image (adversarial, or rectified) against its prediction on the
benign image (Brama & Grinshpoun 2020, Eq. 3-7).

* Graded relevance from the benign image (Eq. 3): its top K1 classes, K1 the largest k whose top-k softmax mass is
  <= C_b, each graded by its pre-softmax value over the sum of the top K1's; every other class 0.
* The modified image's ranking (Eq. 4): its top K2 classes (mass <= C_a) take the benign grade of the same
  class; positions beyond K2 grade 0.
* DCG_k = sum_{j<=k} (2^R_j - 1) / log2(1 + j) (Eq. 5; the log base cancels in the ratio), normalised by the
  benign image's own DCG (Eq. 6-7). NDCG@k compares the first k positions of both.

Choices where the paper is silent (ours, stated): K1 and K2 are at least 1 (a top-1 probability above the
coverage would otherwise grade nothing); negative pre-softmax values among the top K1 grade 0.
"""

from __future__ import annotations

import numpy as np


def _softmax(logits: np.ndarray) -> np.ndarray:
    z = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def coverage_k(probs: np.ndarray, coverage: float) -> np.ndarray:
    """K per row of ``probs`` (N, classes): the largest k with the top-k mass <= ``coverage``, at least 1."""
    srt = -np.sort(-probs, axis=-1)
    k = (np.cumsum(srt, axis=-1) <= coverage + 1e-12).sum(axis=-1)
    return np.maximum(k, 1)


def benign_grades(logits_benign: np.ndarray, coverage: float = 0.99) -> np.ndarray:
    """Eq. 3: graded relevance per class (N, classes) from the benign logits (N, classes)."""
    lb = np.asarray(logits_benign, dtype=np.float64)
    probs = _softmax(lb)
    k1 = coverage_k(probs, coverage)
    order = np.argsort(-probs, axis=-1, kind="stable")
    grades = np.zeros_like(lb)
    for i in range(len(lb)):
        top = order[i, :k1[i]]
        vals = np.clip(lb[i, top], 0, None)
        total = vals.sum()
        grades[i, top] = vals / total if total > 0 else 1.0 / len(top)
    return grades


def dcg(rel_in_rank_order: np.ndarray, k: int) -> np.ndarray:
    """Eq. 5: DCG@k of relevances (N, positions) listed in rank order."""
    r = rel_in_rank_order[:, :k]
    disc = 1.0 / np.log2(np.arange(2, r.shape[1] + 2))
    return ((2.0 ** r - 1.0) * disc).sum(axis=1)


def ndcg_at(logits_benign: np.ndarray, logits_other: np.ndarray, ks=(1, 2, 3, 4, 5), coverage_benign: float = 0.99,
            coverage_other: float = 0.99) -> np.ndarray:
    """NDCG@k (N, len(ks)) in [0, 1] of ``logits_other`` (N, classes; an adversarial or cleaned image) against
    ``logits_benign`` (N, classes; the benign image it came from). Identical predictions give 1, a top list
    disjoint from the benign top K1 gives 0. Raises ``ValueError`` on mismatched shapes."""
    lb, lo = np.asarray(logits_benign, np.float64), np.asarray(logits_other, np.float64)
    if lb.shape != lo.shape or lb.ndim != 2:
        raise ValueError(f"logits must both be (N, classes), got {lb.shape} and {lo.shape}")
    grades = benign_grades(lb, coverage_benign)
    kmax = max(ks)
    # the benign image's own ranking (its ideal DCG) and the other image's, cut at K1 / K2
    pb, po = _softmax(lb), _softmax(lo)
    k1, k2 = coverage_k(pb, coverage_benign), coverage_k(po, coverage_other)
    ob, oo = np.argsort(-pb, axis=1, kind="stable")[:, :kmax], np.argsort(-po, axis=1, kind="stable")[:, :kmax]
    pos = np.arange(kmax)[None]
    rb = np.where(pos < k1[:, None], np.take_along_axis(grades, ob, 1), 0.0)
    ro = np.where(pos < k2[:, None], np.take_along_axis(grades, oo, 1), 0.0)
    out = np.stack([dcg(ro, k) / dcg(rb, k) for k in ks], axis=1)
    return out
