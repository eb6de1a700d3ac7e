"""LIME (Ribeiro et al. 2016) for images, the ``lime`` package's ``LimeImageExplainer``, as Göpfert et al.
(2019) use it: LIME's own default segmentation (quickshift, kernel 4, max_dist 200, ratio 0.2), superpixels
hidden by their mean colour, a ridge surrogate weighted by an exponential kernel; the superpixels ranked by
their positive weight only (those that speak *for* the explained class).

All the cost should be model calls (``num_samples`` per image, in batches of ``lime_batch``). The lime package
builds each perturbed image in a Python loop over its hidden superpixels (``segments == z`` per superpixel,
~5 ms per 224 x 224 sample), which at the model's fastest batch on a CPU (EfficientNet-Lite0: 10) cost about
as much as the model. :class:`BatchedLimeImageExplainer` overrides only that method with a vectorised one that
draws the same samples from the same random state and so gives the same explanation
(``tests/test_localization.py`` checks it against the package's own).
"""

from __future__ import annotations

import numpy as np
import torch
from lime import lime_image


class BatchedLimeImageExplainer(lime_image.LimeImageExplainer):
    """``lime_image.LimeImageExplainer`` with a vectorised ``data_labels`` (same draws, same images, same labels)."""

    def data_labels(self, image, fudged_image, segments, classifier_fn, num_samples, batch_size=10, **_):
        ids, index = np.unique(segments, return_inverse=True)  # superpixel k = the k-th sorted label, as lime's
        index = index.reshape(segments.shape)
        data = self.random_state.randint(0, 2, num_samples * len(ids)).reshape((num_samples, len(ids)))
        data[0, :] = 1
        labels = []
        for i in range(0, num_samples, batch_size):
            off = (data[i:i + batch_size] == 0)[:, index]  # (B, H, W): pixels of hidden superpixels
            labels.extend(classifier_fn(np.where(off[..., None], fudged_image[None], image[None])))
        return data, np.array(labels)


def explain(model, x, target, *, num_samples: int, lime_batch: int, kernel_size: float, max_dist: float, ratio: float,
            max_superpixels: int, seed: int = 0, explainer_class=BatchedLimeImageExplainer):
    """LIME map per image: float32 (N, 1, H, W), each pixel the weight of its superpixel where that weight is
    positive and among the ``max_superpixels`` largest, else 0 (so ranking the map's distinct positive values
    gives S_1, S_2, ...: :func:`xaiadv.localization.metrics.superpixel_ranking`).

    ``x`` (N, C, H, W) in [0, 1], C = 3 (C = 1 is repeated to RGB for the segmentation); ``target`` (N,)
    the explained classes; ``seed`` seeds LIME's segmentation and sampling (reproducible superpixels and
    weights); ``explainer_class``: the package's ``LimeImageExplainer`` gives the same result, slower.
    Raises ``ValueError`` for C not in (1, 3).
    """
    from lime.wrappers.scikit_image import SegmentationAlgorithm

    if x.shape[1] not in (1, 3):
        raise ValueError(f"LIME needs 1 or 3 channels, got {x.shape[1]}")
    device = x.device
    channels = x.shape[1]

    @torch.no_grad()
    def classify(batch: np.ndarray) -> np.ndarray:  # (B, H, W, 3) float64 -> (B, classes) probabilities
        t = torch.from_numpy(np.ascontiguousarray(batch.transpose(0, 3, 1, 2), dtype=np.float32)).to(device)
        return torch.softmax(model(t[:, :channels]), dim=1).cpu().numpy()

    out = torch.zeros((len(x), 1, *x.shape[-2:]))
    for i in range(len(x)):
        img = x[i].detach().cpu().numpy().transpose(1, 2, 0).astype(np.float64)
        if channels == 1:
            img = np.repeat(img, 3, axis=2)
        seg = SegmentationAlgorithm("quickshift", kernel_size=kernel_size, max_dist=max_dist, ratio=ratio,
                                    random_seed=seed + i)
        label = int(target[i])
        exp = explainer_class(random_state=seed + i).explain_instance(
            img, classify, labels=(label,), top_labels=None, hide_color=None, num_features=100_000,
            num_samples=num_samples, batch_size=lime_batch, segmentation_fn=seg, random_seed=seed + i)
        weights = sorted(((w, s) for s, w in exp.local_exp[label] if w > 0), reverse=True)[:max_superpixels]
        m = np.zeros(exp.segments.shape, np.float32)
        for w, s in weights:
            m[exp.segments == s] = w
        out[i, 0] = torch.from_numpy(m)
    return out
