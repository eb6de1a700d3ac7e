"""Scoring explanations against a ground-truth region (Göpfert et al. 2019 §4, Eq. 2-3), beyond the paper
the pointing game.

An explanation of size k is a set P of k pixels; the region C is the attacked segment. Pixel maps are
reduced to one relevance per pixel as the paper does for saliency and guided backprop: negative values
discarded, then the l1 norm over colour channels (for LIME, its superpixels' positive weights).
"""

from __future__ import annotations

import numpy as np


def pixel_relevance(attribution: np.ndarray) -> np.ndarray:
    """(N, C, H, W) attributions -> (N, H, W) float64: the sum over channels of max(a, 0) (the paper: "we discard
    negative gradients in the input layer before we calculate the gradients' magnitudes")."""
    a = np.asarray(attribution, dtype=np.float64)
    if a.ndim != 4:
        raise ValueError(f"attribution must be (N, C, H, W), got {a.shape}")
    return np.clip(a, 0, None).sum(axis=1)


def superpixel_ranking(lime_map: np.ndarray, max_superpixels: int = 20) -> list[np.ndarray]:
    """LIME's ranked superpixels S_1, S_2, ... from its map (H, W): each pixel holds its superpixel's weight
    (0 where the weight is not positive). Returns bool masks (H, W), highest weight first, at most
    ``max_superpixels``; fewer when LIME found fewer superpixels that speak for the class."""
    m = np.asarray(lime_map, dtype=np.float64)
    values = np.unique(m[m > 0])[::-1][:max_superpixels]
    return [m == v for v in values]


def partial_union_sizes(superpixels: list[np.ndarray]) -> np.ndarray:
    """|S_1 ∪ ... ∪ S_n| for n = 1..len(superpixels), int64 (the explanation sizes every explainer is cut to)."""
    if not superpixels:
        return np.zeros(0, np.int64)
    return np.cumsum([int(s.sum()) for s in superpixels]).astype(np.int64)  # superpixels are disjoint


def top_k_masks(relevance: np.ndarray, sizes: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    """Masks (len(sizes), H, W) of the ``sizes[i]`` most relevant pixels of ``relevance`` (H, W).

    Ties (e.g. zero relevance) are broken by a random order from ``rng`` (seeded: reproducible), so a map
    that is flat somewhere gets a random pick there, not the top-left pixels. ``rng`` None: by pixel index.
    """
    flat = np.asarray(relevance, dtype=np.float64).ravel()
    tie = rng.permutation(flat.size) if rng is not None else np.arange(flat.size)
    order = np.lexsort((tie, -flat))  # descending relevance, then the tie order
    rank = np.empty(flat.size, np.int64)
    rank[order] = np.arange(flat.size)
    return (rank[None, :] < np.asarray(sizes)[:, None]).reshape(len(sizes), *np.shape(relevance))


def jaccard(p: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Eq. 2: |P ∩ C| / |P ∪ C| over the last two axes of bool masks (broadcast); 1.0 where both are empty."""
    inter = np.logical_and(p, c).sum(axis=(-2, -1))
    union = np.logical_or(p, c).sum(axis=(-2, -1))
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


def hamming_likeness(p: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Eq. 3: 1 - Ham(P, C) / N, N the number of pixels, over the last two axes of bool masks (broadcast)."""
    n = p.shape[-1] * p.shape[-2]
    return 1.0 - np.logical_xor(p, c).sum(axis=(-2, -1)) / n


def pointing_hit(relevance: np.ndarray, c: np.ndarray) -> float:
    """Pointing game (Zhang et al. 2016), beyond the paper: the share of ``relevance``'s (H, W) maximal pixels
    that lie in the region ``c``; 1/0 for a unique maximum, the expected hit of a random pick among ties
    (e.g. all pixels of LIME's top superpixel). NaN for a map with no positive relevance."""
    r = np.asarray(relevance)
    if not (r > 0).any():
        return float("nan")
    top = r == r.max()
    return float(np.logical_and(top, c).sum() / top.sum())


def ranks(scores: np.ndarray) -> np.ndarray:
    """Rank per row of ``scores`` (rows, explainers): 1 = highest score; ties share their mean rank."""
    from scipy.stats import rankdata

    return rankdata(-np.asarray(scores, dtype=np.float64), axis=1, method="average")
