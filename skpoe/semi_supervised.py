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

import sys
import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.utils import _safe_indexing, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _check_method_params, _num_samples, check_is_fitted

from skpoe.data._container import ModalityDict
from skpoe.metrics import labeled_mask

__all__ = ["LabeledOnly", "PartialLabelsWarning", "check_labeled_classes"]


class PartialLabelsWarning(UserWarning):
    """Unlabeled rows (``-1`` / NaN / None) reach an estimator that reads them as a class.

    Given when a :class:`~sklearn.pipeline.Pipeline` passes partial labels
    through a skpoe estimator to a final classifier that would learn ``-1``
    as a class. Silence it with ``warnings.filterwarnings("ignore",
    category=skpoe.semi_supervised.PartialLabelsWarning)``.

    See Also
    --------
    LabeledOnly : Fit the final classifier on the labeled rows only.
    check_labeled_classes : Raise if a fitted classifier learned ``-1``.

    Examples
    --------
    >>> import warnings
    >>> from skpoe.semi_supervised import PartialLabelsWarning
    >>> warnings.filterwarnings("ignore", category=PartialLabelsWarning)
    >>> warnings.resetwarnings()
    """


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
    def predict(self, X: Any, **params: Any) -> np.ndarray:
        """``estimator_.predict`` on every row.

        Parameters
        ----------
        X : array-like, DataFrame or dict of views
            Rows to process, labeled or not.
        **params : dict
            Passed to ``estimator_.predict``.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            The inner estimator's predictions.

        See Also
        --------
        fit : Fit the inner estimator on the labeled rows.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skpoe.semi_supervised import LabeledOnly
        >>> X = np.array([[0.0], [0.1], [1.0], [1.1], [0.05], [1.05]])
        >>> y = np.array([0, 0, 1, 1, -1, -1])
        >>> clf = LabeledOnly(LogisticRegression()).fit(X, y)
        >>> clf.predict(X).shape
        (6,)
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict(X, **params)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X: Any, **params: Any) -> np.ndarray:
        """``estimator_.predict_proba`` on every row.

        Parameters
        ----------
        X : array-like, DataFrame or dict of views
            Rows to process, labeled or not.
        **params : dict
            Passed to ``estimator_.predict_proba``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The inner estimator's class probabilities.

        See Also
        --------
        fit : Fit the inner estimator on the labeled rows.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skpoe.semi_supervised import LabeledOnly
        >>> X = np.array([[0.0], [0.1], [1.0], [1.1], [0.05], [1.05]])
        >>> y = np.array([0, 0, 1, 1, -1, -1])
        >>> clf = LabeledOnly(LogisticRegression()).fit(X, y)
        >>> clf.predict_proba(X).shape
        (6, 2)
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_proba(X, **params)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X: Any, **params: Any) -> np.ndarray:
        """``estimator_.predict_log_proba`` on every row.

        Parameters
        ----------
        X : array-like, DataFrame or dict of views
            Rows to process, labeled or not.
        **params : dict
            Passed to ``estimator_.predict_log_proba``.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            The inner estimator's log-probabilities.

        See Also
        --------
        fit : Fit the inner estimator on the labeled rows.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skpoe.semi_supervised import LabeledOnly
        >>> X = np.array([[0.0], [0.1], [1.0], [1.1], [0.05], [1.05]])
        >>> y = np.array([0, 0, 1, 1, -1, -1])
        >>> clf = LabeledOnly(LogisticRegression()).fit(X, y)
        >>> clf.predict_log_proba(X).shape
        (6, 2)
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.predict_log_proba(X, **params)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X: Any, **params: Any) -> np.ndarray:
        """``estimator_.decision_function`` on every row.

        Parameters
        ----------
        X : array-like, DataFrame or dict of views
            Rows to process, labeled or not.
        **params : dict
            Passed to ``estimator_.decision_function``.

        Returns
        -------
        scores : ndarray
            The inner estimator's decision function.

        See Also
        --------
        fit : Fit the inner estimator on the labeled rows.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skpoe.semi_supervised import LabeledOnly
        >>> X = np.array([[0.0], [0.1], [1.0], [1.1], [0.05], [1.05]])
        >>> y = np.array([0, 0, 1, 1, -1, -1])
        >>> clf = LabeledOnly(LogisticRegression()).fit(X, y)
        >>> clf.decision_function(X).shape
        (6,)
        """
        check_is_fitted(self, "estimator_")
        return self.estimator_.decision_function(X, **params)

    @available_if(_estimator_has("transform"))
    def transform(self, X: Any, **params: Any) -> np.ndarray:
        """``estimator_.transform`` on every row.

        Parameters
        ----------
        X : array-like, DataFrame or dict of views
            Rows to process, labeled or not.
        **params : dict
            Passed to ``estimator_.transform``.

        Returns
        -------
        X_new : ndarray
            The inner estimator's transform.

        See Also
        --------
        fit : Fit the inner estimator on the labeled rows.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.decomposition import PCA
        >>> from skpoe.semi_supervised import LabeledOnly
        >>> X = np.array([[0.0, 1.0], [0.1, 0.9], [1.0, 0.2], [1.1, 0.0]])
        >>> LabeledOnly(PCA(1)).fit(X, [0, -1, 1, -1]).transform(X).shape
        (4, 1)
        """
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


# -- detection ---------------------------------------------------------------
def _handles_unlabeled(estimator):
    """Whether ``estimator`` reads -1 / NaN labels as "unlabeled"."""
    from sklearn.pipeline import Pipeline
    from sklearn.semi_supervised import LabelPropagation, LabelSpreading, SelfTrainingClassifier

    if isinstance(estimator, Pipeline):
        return _handles_unlabeled(estimator.steps[-1][1])
    if isinstance(estimator, (str, type(None))):  # "passthrough" / None
        return True
    if getattr(estimator, "_reads_unlabeled_rows", False) or isinstance(
        estimator, (SelfTrainingClassifier, LabelSpreading, LabelPropagation)
    ):
        return True
    # search wrappers (GridSearchCV, ...) around a label-aware estimator
    inner = getattr(estimator, "estimator", None)
    if inner is not None and inner is not estimator and hasattr(inner, "fit"):
        return _handles_unlabeled(inner)
    return not is_classifier(estimator)


def _calling_pipeline(max_depth=12):
    """The Pipeline whose ``fit`` is on the call stack, if any."""
    from sklearn.pipeline import Pipeline

    frame = sys._getframe(2)
    for _ in range(max_depth):
        if frame is None:
            return None
        owner = frame.f_locals.get("self")
        if isinstance(owner, Pipeline):
            return owner
        frame = frame.f_back
    return None


def warn_if_labels_leak(estimator, y):
    """Warn when a Pipeline passes partial labels on to a classifier that
    learns ``-1`` as a class (called by skpoe's ``fit_transform``)."""
    if y is None:
        return
    try:
        unlabeled = int((~labeled_mask(y)).sum())
    except (TypeError, ValueError):
        return  # fit reports bad labels itself
    if unlabeled == 0:
        return
    pipeline = _calling_pipeline()
    if pipeline is None:
        return
    name, final = pipeline.steps[-1]
    if final is estimator or _handles_unlabeled(final):
        return
    warnings.warn(
        f"{type(estimator).__name__}.fit_transform received y with unlabeled rows "
        f"(-1 / NaN / None), and the Pipeline passes the same y to its final step "
        f"{name!r} ({type(final).__name__}), which will learn -1 as a class: it predicts "
        "-1 and pipeline.score counts those rows as correct. Wrap it as "
        f"skpoe.semi_supervised.LabeledOnly({type(final).__name__}(...)) to fit it on the "
        "labeled rows only.",
        PartialLabelsWarning,
        stacklevel=3,
    )


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
