"""Metrics that respect partial labels (``-1`` / NaN = unlabeled)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score
from sklearn.utils import _safe_indexing

from .data import ModalityDict, encode_labels

__all__ = ["labeled_mask", "masked_accuracy", "labeled_scorer"]


def labeled_mask(y):
    """Boolean mask of labeled rows of a partial label vector.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        ``-1``, NaN or None mark unlabeled rows.

    Returns
    -------
    mask : ndarray of bool
    """
    y = np.asarray(y)
    _, labeled, _ = encode_labels(y, y.shape[0])
    return labeled


def masked_accuracy(estimator, X, y, sample_weight=None):
    """Accuracy of ``estimator.predict`` over the labeled rows of ``y``."""
    return labeled_scorer()(estimator, X, y, sample_weight=sample_weight)


class _LabeledScorer:
    """Scorer applying ``metric`` to the labeled rows only (picklable)."""

    def __init__(self, metric, response_method, kwargs):
        self.metric = metric
        self.response_method = response_method
        self.kwargs = kwargs

    def __call__(self, estimator, X, y, sample_weight=None):
        y = np.asarray(y)
        labeled = labeled_mask(y)
        if not labeled.any():
            raise ValueError("y has no labeled rows to score (all are -1 / NaN).")
        rows = np.where(labeled)[0]
        X_lab = ModalityDict(X)[rows] if isinstance(X, dict) else _safe_indexing(X, rows)
        pred = getattr(estimator, self.response_method)(X_lab)
        kw = dict(self.kwargs)
        if sample_weight is not None:
            kw["sample_weight"] = np.asarray(sample_weight)[rows]
        return float(self.metric(y[rows], pred, **kw))

    def __repr__(self):
        return f"labeled_scorer({getattr(self.metric, '__name__', self.metric)})"


def labeled_scorer(metric=accuracy_score, response_method="predict", **kwargs):
    """A scorer for ``scoring=`` that ignores unlabeled rows.

    Parameters
    ----------
    metric : callable, default=sklearn.metrics.accuracy_score
        ``metric(y_true, y_pred, **kwargs)``.
    response_method : {"predict", "predict_proba"}, default="predict"
    **kwargs
        Passed to ``metric``.

    Returns
    -------
    scorer : callable ``(estimator, X, y) -> float``

    Examples
    --------
    >>> from sklearn.model_selection import cross_val_score
    >>> from skpoe.metrics import labeled_scorer
    >>> scorer = labeled_scorer()  # accuracy over rows with y != -1
    """
    return _LabeledScorer(metric, response_method, kwargs)
