"""Outcomes of the generated bad-input cases of :mod:`fuzz.generators`.

:func:`run_case` calls every public method of a case's estimator and sorts
each call into ``ok``, ``clear``, ``unclear`` or ``nonfinite``;
:func:`classify_error` is the rule that makes an error clear.
"""

from __future__ import annotations

import os
import re
import traceback
import warnings

import numpy as np

__all__ = ["METHODS", "OUTCOMES", "classify_error", "run_case"]

METHODS = (
    "fit",
    "transform",
    "predict",
    "predict_proba",
    "score",
    "score_samples",
    "impute",
    "sample",
)
OUTCOMES = ("ok", "clear", "unclear", "nonfinite", "silent")


# -- outcomes --------------------------------------------------------------
_INTERNAL = (os.sep + "torch" + os.sep, os.sep + "numpy" + os.sep, os.sep + "pandas" + os.sep)


def classify_error(exc, names):
    """``"clear"`` or ``"unclear"`` for an exception raised by a method.

    Clear: a ``ValueError`` or ``TypeError`` whose message names a modality
    (quoted, as skpoe writes it), a row (the word "row"), or a parameter
    (a name from ``names``, written as a word), and which was raised by
    skpoe or scikit-learn code, not from inside torch, numpy or pandas.
    """
    if not isinstance(exc, (ValueError, TypeError)):
        return "unclear"
    frames = traceback.extract_tb(exc.__traceback__)
    if frames and any(p in frames[-1].filename for p in _INTERNAL):
        return "unclear"
    msg = str(exc)
    if re.search(r"\brows?\b", msg, re.I):
        return "clear"
    for name in names:
        if re.search(r"(?<![\w])" + re.escape(str(name)) + r"(?![\w])", msg):
            return "clear"
    return "unclear"


def _finite(a):
    a = np.asarray(a, dtype=float)
    return bool(np.all(np.isfinite(a)))


def _check_output(method, est, out, n, args):
    """True when ``out`` has the right shape and is finite."""
    if method == "fit":
        return out is est
    if method == "transform":
        return out.shape == (n, est.n_components) and _finite(out)
    if method == "predict":
        return out.shape == (n,) and np.isin(out, est.classes_).all()
    if method == "predict_proba":
        return (
            out.shape == (n, len(est.classes_))
            and _finite(out)
            and np.allclose(out.sum(1), 1, atol=1e-4)
        )
    if method == "score":
        return np.ndim(out) == 0 and _finite(out)
    if method == "score_samples":
        return out.shape == (n,) and _finite(out)
    if method == "impute":
        return all(
            out[k].shape == (n, est.n_features_per_modality_[k]) and _finite(out[k])
            for k in est.modalities_
        )
    views, y = out
    k = args["n_samples"]
    return all(
        views[m].shape == (k, est.n_features_per_modality_[m]) and _finite(views[m])
        for m in est.modalities_
    )


def _n_rows(X):
    if isinstance(X, dict):
        return len(next(iter(X.values())))
    if isinstance(X, (list, tuple)):
        return len(X[0])
    return len(X)


def run_case(case):
    """Run every method on ``case``; returns a list of ``(method, outcome, detail)``."""
    est = case["estimator"](**case["params"])
    known = set(est.get_params()) | {"X", "y", "n_samples", "n_importance_samples"}
    names = set(known)
    for X in (case["X"], case["X_new"]):
        if isinstance(X, dict):
            names |= {str(k) for k in X}
    names |= {f"view{i}" for i in range(4)} | set(case["params"].get("modalities") or {})
    results = []

    def call(method, fn, args=None):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                with np.errstate(all="ignore"):
                    out = fn()
        except Exception as exc:  # noqa: BLE001 - classified below
            outcome = classify_error(exc, names)
            results.append((method, outcome, f"{type(exc).__name__}: {exc}"[:300]))
            return None, False
        if method in case.get("must_refuse", ()):
            results.append((method, "silent", "accepted input it must refuse"))
            return out, method != "fit"
        n = _n_rows(case["X_new"]) if method not in ("fit", "score") else None
        try:
            good = _check_output(method, est, out, n, args or {})
        except Exception as exc:  # noqa: BLE001 - a wrong output type
            good = False
            out = f"{type(exc).__name__}: {exc}"
        results.append((method, "ok" if good else "nonfinite", "" if good else repr(out)[:300]))
        return out, good

    _, fitted = call("fit", lambda: est.fit(case["X"], case["y"]))
    if not fitted:
        return results
    X = case["X_new"]
    supervised = getattr(est, "supervised_", False)
    call("transform", lambda: est.transform(X))
    if supervised:
        call("predict", lambda: est.predict(X))
        kw = case["calls"]["predict_proba"]
        call("predict_proba", lambda: est.predict_proba(X, **kw), kw)
    call("score", lambda: est.score(case["X"], case["y"] if supervised else None))
    kw = case["calls"]["score_samples"]
    call("score_samples", lambda: est.score_samples(X, **kw), kw)
    call("impute", lambda: est.impute(X))
    kw = case["calls"]["sample"]
    call("sample", lambda: est.sample(**kw), kw)
    return results
