"""Adversarial-example detectors on explanation features (Saito & Wang 2020): scikit-learn underneath.

Interface: ``build(spec)`` -> an estimator with ``fit(features, labels)`` and
``predict_proba``; :func:`xaiadv.detectors.evaluate.run_detection` splits by
image, fits, and scores. Fitted detectors are never pickled: predictions and
metrics are what we store.
"""

from .features import FEATURES, features
from .models import METHODS, build

__all__ = ["FEATURES", "METHODS", "build", "features"]
