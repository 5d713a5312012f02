"""Partial labels through scikit-learn pipelines.

In a :class:`~sklearn.pipeline.Pipeline` every step receives the same ``y``.
A skpoe estimator reads ``-1`` (or NaN / None) as "unlabeled", but a plain
classifier after it learns ``-1`` as one more class: it predicts ``-1`` for
unlabeled-looking rows and ``pipeline.score`` counts the unlabeled rows it
"recognises" as correct. :class:`LabeledOnly` fits its classifier on the
labeled rows only and predicts for every row.

skpoe detects the trap where it can do so without false alarms:

- a skpoe estimator's ``fit_transform(X, y)`` called by a ``Pipeline`` (as
  the pipeline does for every step but the last) with unlabeled rows in ``y``
  warns with :class:`PartialLabelsWarning` when the pipeline's final step is
  a classifier that does not handle unlabeled rows (anything but
  :class:`LabeledOnly`, a skpoe estimator, or one of scikit-learn's
  ``SelfTrainingClassifier``, ``LabelSpreading`` and ``LabelPropagation``,
  possibly inside a nested pipeline);
- :func:`check_labeled_classes` raises on a fitted classifier or pipeline
  whose ``classes_`` contain an unlabeled marker.

A direct ``fit_transform(X, y)`` outside a pipeline does not warn: the
caller holds ``y`` and decides what to fit next.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _check_method_params, _num_samples, check_is_fitted

# the pipeline check lives in _label_leaks.py; its names stay importable from here
from skpoe._label_leaks import (  # noqa: F401
    PartialLabelsWarning,
    _handles_unlabeled,
    warn_if_labels_leak,
)
from skpoe.data._container import ModalityDict
from skpoe.metrics import labeled_mask

__all__ = ["LabeledOnly", "PartialLabelsWarning", "check_labeled_classes"]


def _is_views(X):
    """A dict of views (scipy's dok sparse matrices are dicts too)."""
    return isinstance(X, dict) and not sp.issparse(X)


def _n_rows(X):
    if _is_views(X):
        return ModalityDict(X).n_samples
    return _num_samples(X)


def _rows(X, rows):
    """Rows of X: a dict of views, a DataFrame, a sparse matrix or an array-like."""
    if _is_views(X):
        return ModalityDict(X)[rows]
    if sp.issparse(X):
        X = X.tocsr()  # not every sparse format can be indexed by rows
    elif not (hasattr(X, "iloc") or hasattr(X, "shape")):
        X = np.asarray(X)
    return _safe_indexing(X, rows)


def _labeled_targets(y, mask):
    """The labeled part of y, numeric when every label is a number."""
    y = np.asarray(y)
    y_lab = y[mask]
    if y_lab.dtype == object and all(isinstance(v, (int, float, np.number)) for v in y_lab):
        y_lab = np.array(y_lab.tolist())
    if y_lab.dtype.kind == "f" and y_lab.size and np.all(y_lab == np.round(y_lab)):
        y_lab = y_lab.astype(np.int64)  # NaN marked the unlabeled rows of integer classes
    return y_lab


def _estimator_has(attr):
    """``available_if`` check: the fitted (or else the unfitted) estimator has ``attr``."""

    def check(self):
        est = getattr(self, "estimator_", self.estimator)
        getattr(est, attr)  # raises AttributeError, which hides the method
        return True

    return check


_DELEGATED_DOC = """``estimator_.{name}`` on every row.

        Parameters
        ----------
        X : array-like, DataFrame or dict of views
            Rows to process, labeled or not.
        **params : dict
            Passed to ``estimator_.{name}``.

        Returns
        -------
        {returns}
            The inner estimator's {what}.

        See Also
        --------
        fit : Fit the inner estimator on the labeled rows.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.decomposition import PCA
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skpoe.semi_supervised import LabeledOnly
        >>> X = np.array([[0.0], [0.1], [1.0], [1.1], [0.05], [1.05]])
        >>> y = np.array([0, 0, 1, 1, -1, -1])
        >>> clf = LabeledOnly(LogisticRegression()).fit(X, y)
        >>> {call}
        {out}
        """


def _delegated(returns, what, call, out):
    """Give a method of :class:`LabeledOnly` that delegates to ``estimator_`` its docstring."""

    def decorate(method):
        method.__doc__ = _DELEGATED_DOC.format(
            name=method.__name__, returns=returns, what=what, call=call, out=out
        )
        return method

    return decorate


class LabeledOnly(MetaEstimatorMixin, BaseEstimator):
    """Fit an estimator on the labeled rows only; predict for every row.

    Use it for the classifier after a skpoe estimator in a
    :class:`~sklearn.pipeline.Pipeline` fitted with partial labels: the
    pipeline passes the same ``y`` (``-1`` for unlabeled rows) to every step,
    and a plain classifier would learn ``-1`` as a class.

    Parameters
    ----------
    estimator : estimator object
        A scikit-learn estimator (usually a classifier); cloned on ``fit``.

    Attributes
    ----------
    estimator_ : estimator object
        The clone fitted on the labeled rows.
    classes_ : ndarray of shape (n_classes,)
        The classes of ``estimator_`` (present when it has them).
    n_labeled_ : int
        Number of labeled rows ``estimator_`` was fitted on.
    n_features_in_ : int
        Passed on from ``estimator_`` when it has it.

    See Also
    --------
    skpoe.metrics.labeled_mask : which rows count as labeled.
    skpoe.metrics.labeled_scorer : a scorer for ``scoring=`` with partial labels.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skpoe.semi_supervised import LabeledOnly
    >>> X = np.array([[0.0], [0.1], [1.0], [1.1], [0.05], [1.05]])
    >>> y = np.array([0, 0, 1, 1, -1, -1])
    >>> clf = LabeledOnly(LogisticRegression()).fit(X, y)
    >>> clf.classes_
    array([0, 1])
    >>> clf.predict(X).tolist()
    [0, 0, 1, 1, 0, 1]
    """

    _reads_unlabeled_rows = True

    def __init__(self, estimator):
        self.estimator = estimator

    def fit(self, X: Any, y: Any, **fit_params: Any) -> LabeledOnly:
        """Fit a clone of ``estimator`` on the rows of ``X`` that have a label.

        Parameters
        ----------
        X : array-like, DataFrame or dict of views, with n_samples rows
        y : array-like of shape (n_samples,)
            Partial labels: ``-1``, NaN or None mark unlabeled rows.
        **fit_params : dict
            Passed to ``estimator.fit``; array-likes of length n_samples (such
            as ``sample_weight``) are cut to the labeled rows.

        Returns
        -------
        self : object

        See Also
        --------
        skpoe.metrics.labeled_mask : Which rows count as labeled.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skpoe.semi_supervised import LabeledOnly
        >>> X = np.array([[0.0], [0.1], [1.0], [1.1], [0.05], [1.05]])
        >>> y = np.array([0, 0, 1, 1, -1, -1])
        >>> clf = LabeledOnly(LogisticRegression()).fit(X, y)
        >>> clf.n_labeled_
        4
        """
        if y is None:
            raise ValueError(
                f"{type(self).__name__} requires y to be passed, but the target y is None "
                "(give partial labels: -1 / NaN / None = unlabeled)."
            )
        mask = labeled_mask(y)
        if mask.size != _n_rows(X):
            raise ValueError(
                f"{type(self).__name__}: X has {_n_rows(X)} rows but y has {mask.size} "
                "labels; they must match (use -1 for unlabeled rows)."
            )
        if not mask.any():
            raise ValueError(
                f"{type(self).__name__}: y has no labeled rows (all {mask.size} are "
                "-1 / NaN / None); there is nothing to fit the estimator on."
            )
        rows = np.flatnonzero(mask)
        params = _check_method_params(X, fit_params, rows)
        self.estimator_ = clone(self.estimator).fit(
            _rows(X, rows), _labeled_targets(y, mask), **params
        )
        self.n_labeled_ = int(rows.size)
        for attr in ("n_features_in_", "feature_names_in_"):
            if hasattr(self.estimator_, attr):
                setattr(self, attr, getattr(self.estimator_, attr))
        return self

    @property
    def classes_(self) -> np.ndarray:
        """Classes of the fitted estimator."""
        check_is_fitted(self, "estimator_")
        return self.estimator_.classes_

    @available_if(_estimator_has("predict"))
    @_delegated(
        "y_pred : ndarray of shape (n_samples,)", "its predictions", "clf.predict(X).shape", "(6,)"
    )
    def predict(self, X: Any, **params: Any) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X, **params)

    @available_if(_estimator_has("predict_proba"))
    @_delegated(
        "proba : ndarray of shape (n_samples, n_classes)",
        "its class probabilities",
        "clf.predict_proba(X).shape",
        "(6, 2)",
    )
    def predict_proba(self, X: Any, **params: Any) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(X, **params)

    @available_if(_estimator_has("predict_log_proba"))
    @_delegated(
        "log_proba : ndarray of shape (n_samples, n_classes)",
        "its log-probabilities",
        "clf.predict_log_proba(X).shape",
        "(6, 2)",
    )
    def predict_log_proba(self, X: Any, **params: Any) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_log_proba(X, **params)

    @available_if(_estimator_has("decision_function"))
    @_delegated(
        "scores : ndarray", "its decision function", "clf.decision_function(X).shape", "(6,)"
    )
    def decision_function(self, X: Any, **params: Any) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        return self.estimator_.decision_function(X, **params)

    @available_if(_estimator_has("transform"))
    @_delegated(
        "X_new : ndarray",
        "its transform",
        "LabeledOnly(PCA(1)).fit(X, y).transform(X).shape",
        "(6, 1)",
    )
    def transform(self, X: Any, **params: Any) -> np.ndarray:
        check_is_fitted(self, "estimator_")
        return self.estimator_.transform(X, **params)

    @available_if(_estimator_has("score"))
    def score(self, X: Any, y: Any, sample_weight: Any = None) -> float:
        """``estimator_.score`` over the labeled rows of ``y``.

        Parameters
        ----------
        X : array-like, DataFrame or dict of views
        y : array-like of shape (n_samples,)
            Partial labels; unlabeled rows are left out.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float

        See Also
        --------
        skpoe.metrics.masked_accuracy : The accuracy over labeled rows of any estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skpoe.semi_supervised import LabeledOnly
        >>> X = np.array([[0.0], [0.1], [1.0], [1.1], [0.05], [1.05]])
        >>> y = np.array([0, 0, 1, 1, -1, -1])
        >>> clf = LabeledOnly(LogisticRegression()).fit(X, y)
        >>> clf.score(X, y)
        1.0
        """
        check_is_fitted(self, "estimator_")
        mask = labeled_mask(y)
        if not mask.any():
            raise ValueError("y has no labeled rows to score (all are -1 / NaN / None).")
        rows = np.flatnonzero(mask)
        kw = {} if sample_weight is None else {"sample_weight": np.asarray(sample_weight)[rows]}
        return float(self.estimator_.score(_rows(X, rows), _labeled_targets(y, mask), **kw))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = inner.classifier_tags
        tags.regressor_tags = inner.regressor_tags
        tags.input_tags = inner.input_tags
        tags.target_tags.required = True
        return tags


def check_labeled_classes(estimator: Any) -> Any:
    """Raise if a fitted classifier or a pipeline's final step learned ``-1`` or NaN as a class.

    Parameters
    ----------
    estimator : fitted classifier or Pipeline

    Returns
    -------
    estimator : object
        The same object, for chaining.

    Raises
    ------
    ValueError
        If its ``classes_`` contain ``-1`` or NaN.

    See Also
    --------
    LabeledOnly : Fit a classifier on the labeled rows only.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skpoe.semi_supervised import check_labeled_classes
    >>> X, y = np.array([[0.0], [1.0], [0.5]]), np.array([0, 1, -1])
    >>> check_labeled_classes(LogisticRegression().fit(X, y))
    Traceback (most recent call last):
        ...
    ValueError: LogisticRegression has classes [-1, 0, 1]: it learned the unlabeled marker (-1 / NaN) as a class. Fit it on the labeled rows only, e.g. as skpoe.semi_supervised.LabeledOnly(...) in the pipeline.
    """
    final = estimator
    while hasattr(final, "steps"):
        final = final.steps[-1][1]
    classes = getattr(final, "classes_", None)
    if classes is None:
        return estimator
    classes = np.asarray(classes)
    if not labeled_mask(classes).all():
        raise ValueError(
            f"{type(final).__name__} has classes {classes.tolist()}: it learned the "
            "unlabeled marker (-1 / NaN) as a class. Fit it on the labeled rows only, "
            "e.g. as skpoe.semi_supervised.LabeledOnly(...) in the pipeline."
        )
    return estimator
