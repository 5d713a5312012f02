"""Classical baselines for :func:`skpoe.model_selection._compare.compare_estimators`.

A scikit-learn classifier does not take a dict of views with missing rows, so
:class:`ViewBaseline` fits one copy per view (on the rows observing that view)
and one on all views concatenated, with missing views mean-imputed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.base import clone

__all__ = [
    "AllLabels",
    "ViewBaseline",
    "baseline_catalogue",
    "default_baselines",
    "is_semi_supervised",
]

#: The name of the supervised ceiling in :func:`baseline_catalogue`.
CEILING = "SVC ceiling (all labels)"


class AllLabels:
    """A reference, not a baseline: ``classifier`` fitted on every training row with its true
    label and every view. It shows how far the semi-supervised models are from the supervised
    ceiling; no estimator of the comparison sees those labels."""

    sees_all_labels = True

    def __init__(self, classifier):
        self.classifier = classifier

    def get_params(self, deep=True):
        return {"classifier": self.classifier}


def baseline_catalogue():
    """Every baseline :func:`~skpoe.model_selection.compare_estimators` knows by name.

    ``"LogisticRegression"`` (labeled rows), ``"LabelSpreading"`` (k-NN graph
    over all rows), ``"SelfTraining"`` (``SelfTrainingClassifier`` around the
    logistic regression, all rows), all on standardized input, and
    ``"SVC ceiling (all labels)"``: an RBF ``SVC`` on every training row's true
    label (:class:`AllLabels`), the supervised reference.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.semi_supervised import SelfTrainingClassifier
    from sklearn.svm import SVC

    out = default_baselines()
    out["SelfTraining"] = make_pipeline(
        StandardScaler(), SelfTrainingClassifier(LogisticRegression(max_iter=2000))
    )
    out[CEILING] = AllLabels(make_pipeline(StandardScaler(), SVC()))
    return out


def default_baselines():
    """The default baselines: a logistic regression on the labeled rows and
    label spreading (k-NN graph) on all rows, both on standardized input."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.semi_supervised import LabelSpreading

    return {
        "LogisticRegression": make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)),
        "LabelSpreading": make_pipeline(
            StandardScaler(), LabelSpreading(kernel="knn", n_neighbors=10)
        ),
    }


def is_semi_supervised(classifier):
    """Whether a classifier (or a Pipeline's final step) lives in
    :mod:`sklearn.semi_supervised`, and so learns from ``-1`` rows too."""
    final = getattr(classifier, "_final_estimator", classifier)
    return type(final).__module__.startswith("sklearn.semi_supervised")


class ViewBaseline:
    """A scikit-learn classifier applied to multimodal data with missing views.

    ``fit`` clones ``classifier`` once per view, fitted on that view's columns
    over the training rows observing it, and once on all views concatenated
    (in ``views`` order), each missing view replaced by its column means over
    the training rows that observe it. A semi-supervised classifier (see
    :func:`is_semi_supervised`) gets every such row with ``-1`` for unlabeled
    ones; any other classifier gets the labeled rows only. Where the labeled
    rows a classifier would see hold a single class (a view that few labeled
    rows observe), it is replaced by that constant prediction
    (``DummyClassifier``), as a user would have to.

    Parameters
    ----------
    classifier : scikit-learn classifier (unfitted)
    views : list of str
        View names, in the order used for the concatenation.

    Attributes
    ----------
    per_view_ : dict of str to classifier
        The classifier fitted on each view.
    all_ : classifier
        The classifier fitted on all views concatenated.
    means_ : dict of str to ndarray
        Column means of each view over the training rows that observe it.

    See Also
    --------
    compare_estimators : Fits these baselines next to the skpoe estimators.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skpoe.datasets import load_digits_views
    >>> from skpoe.model_selection import ViewBaseline
    >>> X, y = load_digits_views()
    >>> base = ViewBaseline(LogisticRegression(max_iter=500), ["top", "bottom"]).fit(X, y)
    >>> base.predict(X, view="top").shape
    (1797,)
    """

    def __init__(self, classifier, views):
        self.classifier = classifier
        self.views = list(views)

    def _rows(self, y, observed):
        return observed if is_semi_supervised(self.classifier) else observed & (y != -1)

    def fit(self, X: Mapping[str, Any], y: Any) -> ViewBaseline:
        """Fit the per-view and the all-view classifiers.

        Parameters
        ----------
        X : dict of ndarray
            Training views; a row of NaN marks a missing view.
        y : ndarray of int
            Class codes, ``-1`` for unlabeled rows.

        Returns
        -------
        self : ViewBaseline
            The fitted baseline.

        See Also
        --------
        predict : Predict from one view or from all.

        Examples
        --------
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skpoe.datasets import load_digits_views
        >>> from skpoe.model_selection import ViewBaseline
        >>> X, y = load_digits_views()
        >>> base = ViewBaseline(LogisticRegression(max_iter=500), ["top", "bottom"]).fit(X, y)
        >>> sorted(base.per_view_)
        ['bottom', 'top']
        """
        y = np.asarray(y)
        self.labels_ = y[y != -1]
        observed = {v: ~np.isnan(np.asarray(X[v], dtype=float)).all(axis=1) for v in self.views}
        self.per_view_ = {}
        for v in self.views:
            rows = self._rows(y, observed[v])
            self.per_view_[v] = self._fit_one(X[v][rows], y[rows])
        self.means_ = {v: np.asarray(X[v], dtype=float)[observed[v]].mean(0) for v in self.views}
        any_view = np.any([observed[v] for v in self.views], axis=0)
        rows = self._rows(y, any_view)
        self.all_ = self._fit_one(self._impute(X)[rows], y[rows])
        return self

    def _fit_one(self, X, y):
        """The classifier fitted on ``X, y``; a constant one where ``y`` labels one class.

        Where ``y`` labels no row (a view no labeled row observes), the constant
        is the most frequent class of all the labeled rows.
        """
        labels = y[y != -1]
        if np.unique(labels).size < 2:
            from sklearn.dummy import DummyClassifier

            if labels.size == 0:
                labels = self.labels_
            return DummyClassifier(strategy="most_frequent").fit(np.zeros((labels.size, 1)), labels)
        return clone(self.classifier).fit(X, y)

    def _impute(self, X):
        blocks = []
        for v in self.views:
            block = np.array(X[v], dtype=float)
            block[np.isnan(block).all(axis=1)] = self.means_[v]
            blocks.append(block)
        return np.hstack(blocks)

    def predict(self, X: Mapping[str, Any], view: str | None = None) -> np.ndarray:
        """Predict from one view (``view``) or from all views (``None``).

        Parameters
        ----------
        X : dict of ndarray
            Views; with ``view=None`` missing views get the training means.
        view : str, default=None
            The view to predict from; ``None``: all views.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Predicted class codes.

        See Also
        --------
        fit : Fit the per-view and the all-view classifiers.

        Examples
        --------
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skpoe.datasets import load_digits_views
        >>> from skpoe.model_selection import ViewBaseline
        >>> X, y = load_digits_views()
        >>> base = ViewBaseline(LogisticRegression(max_iter=500), ["top", "bottom"]).fit(X, y)
        >>> base.predict(X).shape
        (1797,)
        """
        if view is not None:
            return self.per_view_[view].predict(X[view])
        return self.all_.predict(self._impute(X))
