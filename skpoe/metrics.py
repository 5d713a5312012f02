"""Metrics: scorers that respect partial labels (``-1`` / NaN = unlabeled),
and the paper's evaluation (coherence, latent accuracy, log-likelihood)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score
from sklearn.utils import _safe_indexing

from skpoe._typing import LabelsLike, RandomStateLike, ViewsLike
from skpoe.data._container import ModalityDict, encode_labels, views_as_dict
from skpoe.data._labels import labels_to_numpy, plain_values

__all__ = [
    "labeled_mask",
    "masked_accuracy",
    "labeled_scorer",
    "cross_coherence",
    "joint_coherence",
    "latent_accuracy",
    "test_log_likelihood",
]


def labeled_mask(y: LabelsLike) -> np.ndarray:
    """Boolean mask of labeled rows of a partial label vector.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        ``-1``, NaN or None mark unlabeled rows.

    Returns
    -------
    mask : ndarray of bool

    See Also
    --------
    masked_accuracy : Accuracy over these rows.

    Examples
    --------
    >>> from skpoe.metrics import labeled_mask
    >>> labeled_mask([3, -1, 0, -1]).tolist()
    [True, False, True, False]
    """
    y = labels_to_numpy(y)
    _, labeled, _ = encode_labels(y, y.shape[0])
    return labeled


def masked_accuracy(
    estimator: Any, X: ViewsLike, y: LabelsLike, sample_weight: Any = None
) -> float:
    """Accuracy of ``estimator.predict`` over the labeled rows of ``y``.

    Parameters
    ----------
    estimator : fitted classifier
        Anything with ``predict`` (a skpoe estimator fitted with labels).
    X : dict of array-like, ModalityDict, or array-like
        The views of the rows to score.
    y : array-like of shape (n_samples,)
        Partial labels; ``-1``, NaN or None rows are left out.
    sample_weight : array-like of shape (n_samples,), default=None
        Weights of the rows (those of unlabeled rows are ignored).

    Returns
    -------
    accuracy : float
        Share of the labeled rows predicted correctly (weighted).

    See Also
    --------
    labeled_scorer : The same as a scorer for ``scoring=``.
    labeled_mask : Which rows count as labeled.

    Examples
    --------
    >>> from skpoe import MultimodalPoEVAE
    >>> from skpoe.datasets import load_digits_views
    >>> from skpoe.metrics import masked_accuracy
    >>> X, y = load_digits_views()
    >>> model = MultimodalPoEVAE(max_iter=1, random_state=0).fit(X, y)
    >>> 0.0 <= masked_accuracy(model, X, y) <= 1.0
    True
    """
    return labeled_scorer()(estimator, X, y, sample_weight=sample_weight)


class _LabeledScorer:
    """Scorer applying ``metric`` to the labeled rows only (picklable).

    ``metric`` is a callable ``metric(y_true, y_pred, **kwargs)`` or a
    scikit-learn scorer (from :func:`sklearn.metrics.get_scorer`), which is
    called as ``metric(estimator, X, y)`` on the labeled rows.
    """

    def __init__(self, metric, response_method, kwargs, name=None):
        self.metric = metric
        self.response_method = response_method
        self.kwargs = kwargs
        self.name = name

    def __call__(self, estimator, X, y, sample_weight=None):
        y = labels_to_numpy(y)
        labeled = labeled_mask(y)
        if not labeled.any():
            raise ValueError("y has no labeled rows to score (all are -1 / NaN).")
        rows = np.where(labeled)[0]
        y_rows = plain_values(y[rows])
        X = views_as_dict(X)
        X_lab = ModalityDict(X)[rows] if isinstance(X, dict) else _safe_indexing(X, rows)
        weights = None if sample_weight is None else np.asarray(sample_weight)[rows]
        if self.name is not None:  # a scikit-learn scorer
            kw = {} if weights is None else {"sample_weight": weights}
            return float(self.metric(estimator, X_lab, y_rows, **kw))
        pred = getattr(estimator, self.response_method)(X_lab)
        kw = dict(self.kwargs)
        if weights is not None:
            kw["sample_weight"] = weights
        return float(self.metric(y_rows, pred, **kw))

    def __repr__(self):
        name = self.name or getattr(self.metric, "__name__", self.metric)
        return f"labeled_scorer({name!r})"


def labeled_scorer(
    metric: str | Callable[..., float] = accuracy_score,
    response_method: str = "predict",
    **kwargs: Any,
) -> Any:
    """A scorer for ``scoring=`` that ignores unlabeled rows.

    Parameters
    ----------
    metric : str or callable, default=sklearn.metrics.accuracy_score
        A scikit-learn scoring name, as ``scoring=`` strings are written
        (``"accuracy"``, ``"balanced_accuracy"``, ``"f1_macro"``,
        ``"neg_log_loss"``, ... : :func:`sklearn.metrics.get_scorer_names`),
        applied to the labeled rows with scikit-learn's own scorer; or a
        callable ``metric(y_true, y_pred, **kwargs)``.
    response_method : {"predict", "predict_proba"}, default="predict"
        What a callable ``metric`` receives; a scoring name brings its own.
    **kwargs
        Passed to a callable ``metric``.

    Returns
    -------
    scorer : callable ``(estimator, X, y) -> float``

    Examples
    --------
    >>> from sklearn.model_selection import cross_val_score
    >>> from skpoe.metrics import labeled_scorer
    >>> scorer = labeled_scorer()  # accuracy over rows with y != -1
    >>> scorer = labeled_scorer("balanced_accuracy")

    See Also
    --------
    masked_accuracy : The accuracy over labeled rows, as a function.
    """
    if isinstance(metric, str):
        from sklearn.metrics import get_scorer, get_scorer_names

        if metric not in get_scorer_names():
            raise ValueError(
                f"labeled_scorer: metric={metric!r} is not a scikit-learn scoring "
                "name; see sklearn.metrics.get_scorer_names(), or pass a callable "
                "metric(y_true, y_pred)."
            )
        if kwargs:
            raise TypeError(
                f"labeled_scorer: keyword arguments {sorted(kwargs)} need a callable "
                f"metric; the scoring name {metric!r} fixes its own."
            )
        return _LabeledScorer(get_scorer(metric), None, {}, name=metric)
    if not callable(metric):
        raise TypeError(
            "labeled_scorer: metric must be a scikit-learn scoring name or a "
            f"callable metric(y_true, y_pred), got {metric!r}."
        )
    if response_method not in ("predict", "predict_proba"):
        raise ValueError(
            "labeled_scorer: response_method must be 'predict' or 'predict_proba', "
            f"got {response_method!r}."
        )
    return _LabeledScorer(metric, response_method, kwargs)


# -- the paper's evaluation --------------------------------------------------
def _as_list(views):
    return [views] if isinstance(views, str) else list(views)


def _check_views(estimator, views, what):
    unknown = [v for v in views if v not in estimator.modalities_]
    if unknown:
        known = estimator.modalities_
        raise ValueError(f"{what} names modalities {unknown}; the model knows {known}.")


def _labeled_accuracy(y_true, y_pred):
    labeled = labeled_mask(y_true := np.asarray(y_true))
    if not labeled.any():
        raise ValueError("y has no labeled rows to score (all are -1 / NaN).")
    return float(np.mean(y_pred[labeled] == y_true[labeled]))


def cross_coherence(
    estimator: Any,
    X: Mapping[str, Any],
    y: LabelsLike,
    oracle: Any,
    source: str | Sequence[str],
    oracle_views: Sequence[str] | None = None,
) -> float:
    """Accuracy of an oracle classifier on views generated from other views.

    The model sees only the ``source`` views of each row, generates the
    others (:meth:`impute`), and ``oracle`` classifies the concatenation of
    ``oracle_views`` (real source views, generated others). With an oracle
    trained on whole samples (e.g. full digit images) this is the paper's
    cross-coherence; with one trained on the target view alone, pass that
    view as ``oracle_views``.

    Parameters
    ----------
    estimator : fitted skpoe estimator
    X : dict of array-like
        Real views (at least the source ones).
    y : array-like of shape (n_samples,)
        True labels (``-1`` rows are ignored).
    oracle : fitted classifier with ``predict``
    source : str or list of str
        Views the model conditions on.
    oracle_views : list of str, default=None
        Views the oracle reads, in order; default: every modality of the
        model not in ``source``.

    Returns
    -------
    coherence : float

    See Also
    --------
    joint_coherence : Agreement of oracles on views generated from the prior.
    latent_accuracy : Accuracy of a linear classifier on the embeddings.

    Examples
    --------
    >>> from skpoe import MultimodalPoEVAE
    >>> from skpoe.datasets import load_digits_views
    >>> X, y = load_digits_views()
    >>> model = MultimodalPoEVAE(max_iter=1, random_state=0).fit(X, y)
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skpoe.metrics import cross_coherence
    >>> oracle = LogisticRegression(max_iter=200).fit(X["bottom"], y)   # reads bottom halves
    >>> 0.0 <= cross_coherence(model, X, y, oracle, source="top") <= 1.0  # bottoms from tops
    True
    """
    source = _as_list(source)
    _check_views(estimator, source, "source")
    if oracle_views is None:
        oracle_views = [v for v in estimator.modalities_ if v not in source]
    oracle_views = _as_list(oracle_views)
    _check_views(estimator, oracle_views, "oracle_views")
    generated = estimator.impute({v: X[v] for v in source})
    features = np.hstack([np.asarray(generated[v]) for v in oracle_views])
    return _labeled_accuracy(y, oracle.predict(features))


def joint_coherence(
    estimator: Any,
    oracles: Mapping[Any, Any],
    n_samples: int = 1000,
    random_state: RandomStateLike = None,
) -> float:
    """Agreement of oracles on views generated jointly from the prior.

    Draw ``n_samples`` latent codes from the prior, decode every view and let
    each oracle classify its views; a draw is coherent when all predictions
    agree. A model fitted with labels adds its decoded label as one more
    prediction.

    Parameters
    ----------
    estimator : fitted skpoe estimator
    oracles : dict
        Maps a view name, or a tuple of view names (concatenated in order), to
        a fitted classifier.
    n_samples : int, default=1000
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    coherence : float
        Share of draws on which every prediction agrees.

    See Also
    --------
    cross_coherence : Oracle accuracy on views generated from other views.

    Examples
    --------
    >>> from skpoe import MultimodalPoEVAE
    >>> from skpoe.datasets import load_digits_views
    >>> X, y = load_digits_views()
    >>> model = MultimodalPoEVAE(max_iter=1, random_state=0).fit(X, y)
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skpoe.metrics import joint_coherence
    >>> oracles = {v: LogisticRegression(max_iter=200).fit(X[v], y) for v in ("top", "bottom")}
    >>> 0.0 <= joint_coherence(model, oracles, n_samples=50, random_state=0) <= 1.0
    True
    """
    X, y = estimator.sample(n_samples, random_state=random_state)
    predictions = [] if y is None else [np.asarray(y)]
    for views, clf in oracles.items():
        views = _as_list(views)
        _check_views(estimator, views, "oracles")
        predictions.append(np.asarray(clf.predict(np.hstack([X[v] for v in views]))))
    if len(predictions) < 2:
        raise ValueError(
            "joint_coherence needs at least two predictions per draw: give two "
            "oracles, or one oracle and a model fitted with labels."
        )
    first = predictions[0]
    return float(np.mean(np.all([p == first for p in predictions[1:]], axis=0)))


def latent_accuracy(
    estimator: Any,
    X_train: ViewsLike,
    y_train: LabelsLike,
    X_test: ViewsLike,
    y_test: LabelsLike,
    classifier: Any = None,
) -> float:
    """Accuracy of a linear classifier trained on embeddings.

    Parameters
    ----------
    estimator : fitted skpoe estimator
    X_train, y_train : training views and partial labels (only labeled rows
        train the classifier)
    X_test, y_test : test views and labels (labeled rows are scored)
    classifier : classifier, default=LogisticRegression(max_iter=2000)

    Returns
    -------
    accuracy : float

    See Also
    --------
    cross_coherence : Oracle accuracy on generated views.

    Examples
    --------
    >>> from skpoe import MultimodalPoEVAE
    >>> from skpoe.datasets import load_digits_views
    >>> X, y = load_digits_views()
    >>> model = MultimodalPoEVAE(max_iter=1, random_state=0).fit(X, y)
    >>> from skpoe.metrics import latent_accuracy
    >>> train, test = X.take_rows(range(1000)), X.take_rows(range(1000, 1797))
    >>> 0.0 <= latent_accuracy(model, train, y[:1000], test, y[1000:]) <= 1.0
    True
    """
    from sklearn.base import clone
    from sklearn.linear_model import LogisticRegression

    clf = clone(classifier) if classifier is not None else LogisticRegression(max_iter=2000)
    y_train = np.asarray(y_train)
    lab = labeled_mask(y_train)
    clf.fit(estimator.transform(X_train)[lab], y_train[lab])
    return _labeled_accuracy(y_test, clf.predict(estimator.transform(X_test)))


def test_log_likelihood(estimator: Any, X: ViewsLike, n_importance_samples: int = 1000) -> float:
    """Mean importance-sampled log-likelihood of the observed views (K = 1000).

    Uses the standard estimate log (1/K) sum_k w_k of
    :meth:`score_samples`, averaged over rows.

    Parameters
    ----------
    estimator : fitted skpoe estimator
        The model whose ``score_samples`` is averaged.
    X : dict of array-like, ModalityDict, or array-like
        Test views; each row's observed views are scored.
    n_importance_samples : int, default=1000
        Importance samples per row (K).

    Returns
    -------
    log_likelihood : float
        Mean over rows, in nats.

    See Also
    --------
    skpoe.MultimodalPoEVAE.score_samples : The per-row estimate.

    Examples
    --------
    >>> import numpy as np
    >>> from skpoe import MultimodalPoEVAE
    >>> from skpoe.datasets import load_digits_views
    >>> from skpoe.metrics import test_log_likelihood as tll
    >>> X, y = load_digits_views()
    >>> model = MultimodalPoEVAE(max_iter=1, random_state=0).fit(X)
    >>> bool(np.isfinite(tll(model, X.take_rows(range(20)), n_importance_samples=10)))
    True
    """
    return float(np.mean(estimator.score_samples(X, n_importance_samples=n_importance_samples)))


test_log_likelihood.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
