"""scikit-learn detectors: logistic regression (standardised features) and random forest."""

from __future__ import annotations

METHODS = ("logistic_regression", "random_forest")


def build(spec: dict, seed: int = 0):
    """An unfitted scikit-learn classifier for ``spec`` (``method`` plus its parameters).

    ``spec``'s defaults come from the schema (:func:`xaiadv.config.method_spec`). Raises ``ValueError`` for an
    unknown method, :class:`xaiadv.config.ConfigError` for a key the method does not read.
    """
    from ..config import method_spec

    if spec["method"] not in METHODS:
        raise ValueError(f"unknown detector {spec['method']!r}; allowed: {', '.join(METHODS)}")
    spec = method_spec("detectors", spec)
    method = spec["method"]
    if method == "logistic_regression":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), LogisticRegression(C=spec["C"], max_iter=spec["max_iter"],
                                                                  random_state=seed))
    if method == "random_forest":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=spec["n_estimators"], random_state=seed, n_jobs=1)
    raise ValueError(f"unknown detector {method!r}; allowed: {', '.join(METHODS)}")
