"""scikit-learn detectors: logistic regression (standardised features) and random forest."""

from __future__ import annotations

METHODS = ("logistic_regression", "random_forest")


def build(spec: dict, seed: int = 0):
    """An unfitted scikit-learn classifier for ``spec`` (``method`` plus its parameters).

    Raises ``ValueError`` for an unknown method.
    """
    method = spec["method"]
    if method == "logistic_regression":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), LogisticRegression(C=spec.get("C", 1.0), max_iter=spec.get("max_iter", 1000),
                                                                  random_state=seed))
    if method == "random_forest":
        from sklearn.ensemble import RandomForestClassifier

        return RandomForestClassifier(n_estimators=spec.get("n_estimators", 100), random_state=seed, n_jobs=1)
    raise ValueError(f"unknown detector {method!r}; allowed: {', '.join(METHODS)}")
