"""A fair comparison of multimodal VAEs and classical baselines on your data.

:func:`compare_estimators` reruns the paper's protocol (hide labels and views
at a chosen supervision level, fit, evaluate on held-out rows with every view)
for any dict of views and full labels; :func:`summarize` and
:func:`to_markdown` turn its long table into mean ± std per estimator.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import train_test_split

from skpoe.data._container import ModalityDict, encode_labels
from skpoe.datasets import drop_views, hide_views_and_labels
from skpoe.metrics import cross_coherence, latent_accuracy, test_log_likelihood
from skpoe.model_selection._baselines import ViewBaseline, baseline_catalogue, default_baselines
from skpoe.model_selection._tables import make_table, summarize, to_markdown

__all__ = ["compare_estimators", "summarize", "to_markdown", "ViewBaseline"]

ORACLE_ROW = "oracle (real views)"


def _default_oracle():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


# -- validation ----------------------------------------------------------------
def _named(estimators, what):
    if isinstance(estimators, dict):
        items = list(estimators.items())
    elif isinstance(estimators, (list, tuple)):
        items, seen = [], dict[str, int]()
        for est in estimators:
            base = type(est).__name__
            seen[base] = seen.get(base, 0) + 1
            items.append((base if seen[base] == 1 else f"{base}_{seen[base]}", est))
    else:
        raise TypeError(
            f"{what} must be a dict name -> estimator or a list; got {type(estimators).__name__}."
        )
    for name, est in items:
        if not (hasattr(est, "fit") and hasattr(est, "get_params")):
            raise TypeError(f"{what}[{name!r}] is not a scikit-learn estimator: {est!r}.")
    return items


def _check_baselines(baselines):
    if baselines is None:
        return []
    if isinstance(baselines, str) and baselines == "default":
        return list(default_baselines().items())
    if isinstance(baselines, (list, tuple)) and all(isinstance(b, str) for b in baselines):
        known = baseline_catalogue()
        unknown = [b for b in baselines if b not in known]
        if unknown:
            raise ValueError(f"Unknown baselines {unknown}; known: {list(known)}.")
        return [(b, known[b]) for b in baselines]
    if isinstance(baselines, dict):
        items = _named(baselines, "baselines")
        for name, clf in items:
            if not hasattr(clf, "predict"):
                raise TypeError(f"baselines[{name!r}] has no predict method: {clf!r}.")
        return items
    raise ValueError(
        "baselines must be 'default', None, a list of names or a dict name -> scikit-learn "
        f"classifier; got {baselines!r}."
    )


def _check_data(X, y):
    if not isinstance(X, dict) or not X:
        raise TypeError("X must be a non-empty dict (or ModalityDict) of views, 2-D arrays.")
    X = ModalityDict({k: np.asarray(v, dtype=np.float64) for k, v in X.items()})
    for name, view in X.items():
        if view.ndim != 2:
            raise ValueError(f"View {name!r} must be 2-D, got shape {view.shape}.")
        missing = np.isnan(view).any(axis=1)
        if missing.any():
            raise ValueError(
                f"View {name!r} is missing (NaN) in {int(missing.sum())} rows; compare_estimators "
                "needs every view of every row and hides views itself (missing_views=)."
            )
    codes, labeled, classes = encode_labels(y, X.n_samples)
    if not labeled.all():
        raise ValueError(
            f"y has {int((~labeled).sum())} unlabeled rows (-1 / NaN); pass the full true labels: "
            "compare_estimators hides labels itself (labeled=)."
        )
    counts = np.bincount(codes)
    if len(classes) < 2 or counts.min() < 2:
        raise ValueError(
            f"Too few rows per class for a stratified split: class {classes[counts.argmin()]!r} "
            f"has {counts.min()} row(s) (need at least 2 per class, and 2 classes)."
        )
    return X, codes


def _split(X, y, seed, test_size, labeled, missing_views, view_dropout=0.0, stratify_labels=False):
    """Seeded stratified split; labels and views hidden in the training part."""
    idx = np.arange(len(y))
    try:
        tr, te = train_test_split(idx, test_size=test_size, stratify=y, random_state=seed)
    except ValueError as exc:
        raise ValueError(
            f"Cannot split {len(y)} rows with test_size={test_size!r} stratified by class: {exc}"
        ) from None
    X_h, y_h = hide_views_and_labels(
        X[tr],
        y[tr],
        labeled=labeled,
        missing_views=missing_views,
        random_state=seed,
        stratify=stratify_labels,
    )
    if view_dropout:
        X_h = drop_views(X_h, view_dropout, np.random.RandomState([seed, 1]))
    lab = y_h != -1
    if np.unique(y_h[lab]).size < 2:
        raise ValueError(
            f"labeled={labeled} leaves {int(lab.sum())} labeled training rows of "
            f"{np.unique(y_h[lab]).size} class(es) at seed {seed}; raise labeled."
        )
    return dict(X_tr=X[tr], y_tr=y[tr], X_h=X_h, y_h=y_h, X_te=X[te], y_te=y[te])


# -- one fit, evaluated ----------------------------------------------------------
def _metric_names(views, coherence):
    names = [f"acc_{v}" for v in views] + ["acc_all", "latent_acc", "test_ll"]
    if coherence:
        names += [f"coh_{v}" for v in views] + [f"coh_full_{v}" for v in views]
    return names + ["fit_time", "n_iter"]


def _others(views, src):
    return tuple(v for v in views if v != src)


def _evaluate_model(model, s, views, oracles, K):
    row = {}
    if hasattr(model, "predict") and getattr(model, "supervised_", True):
        for v in views:
            row[f"acc_{v}"] = float(np.mean(model.predict({v: s["X_te"][v]}) == s["y_te"]))
        row["acc_all"] = float(np.mean(model.predict(s["X_te"]) == s["y_te"]))
    if hasattr(model, "transform"):
        row["latent_acc"] = latent_accuracy(model, s["X_h"], s["y_h"], s["X_te"], s["y_te"])
    if hasattr(model, "score_samples"):
        row["test_ll"] = test_log_likelihood(model, s["X_te"], K)
    if oracles and hasattr(model, "impute"):
        X_te, y_te = s["X_te"], s["y_te"]
        for src in views:
            others = _others(views, src)
            row[f"coh_{src}"] = cross_coherence(model, X_te, y_te, oracles[others], src, others)
            row[f"coh_full_{src}"] = cross_coherence(
                model, X_te, y_te, oracles[tuple(views)], src, views
            )
    n_iter = getattr(model, "n_iter_", np.nan)
    row["n_iter"] = float(n_iter) if np.ndim(n_iter) == 0 else np.nan
    return row


def _run_one(kind, name, est, seed, s, views, oracles, K, in_worker):
    """Fit one estimator (kind "model") or baseline on one seed; return its row."""
    if in_worker:
        import torch

        torch.set_num_threads(1)
    est = clone(est)
    if "random_state" in est.get_params(deep=False):
        est.set_params(random_state=seed)
    t0 = time.perf_counter()
    if kind == "model":
        est.fit(s["X_h"], s["y_h"])
        fit_time = time.perf_counter() - t0
        row = _evaluate_model(est, s, views, oracles, K)
    else:
        if getattr(est, "sees_all_labels", False):  # the supervised reference: every label
            base = ViewBaseline(est.classifier, views).fit(s["X_tr"], s["y_tr"])
        else:
            base = ViewBaseline(est, views).fit(s["X_h"], s["y_h"])
        fit_time = time.perf_counter() - t0
        row = {f"acc_{v}": float(np.mean(base.predict(s["X_te"], v) == s["y_te"])) for v in views}
        row["acc_all"] = float(np.mean(base.predict(s["X_te"]) == s["y_te"]))
    row["fit_time"] = fit_time
    return name, seed, row


def _oracle_row(s, views, oracles):
    """Accuracy of the oracles on real test views: the ceiling of coherence."""
    row = {}
    full = oracles[tuple(views)].predict(np.hstack([s["X_te"][v] for v in views]))
    for src in views:
        others = _others(views, src)
        pred = oracles[others].predict(np.hstack([s["X_te"][v] for v in others]))
        row[f"coh_{src}"] = float(np.mean(pred == s["y_te"]))
        row[f"coh_full_{src}"] = float(np.mean(full == s["y_te"]))
    return row


def _fmt(row):
    return ", ".join(f"{k} {v:.3f}" for k, v in row.items() if not np.isnan(v))


# -- public --------------------------------------------------------------------
def compare_estimators(
    estimators: Sequence[Any] | Mapping[str, Any],
    X: Mapping[str, Any],
    y: Any,
    *,
    labeled: float = 0.1,
    missing_views: float = 0.2,
    view_dropout: float = 0.0,
    stratify_labels: bool = False,
    test_size: float = 0.25,
    seeds: Sequence[int] = (0, 1, 2),
    baselines: Any = "default",
    coherence: bool = True,
    oracle: Any = None,
    n_importance_samples: int = 100,
    n_jobs: int | None = 1,
    verbose: int = 0,
) -> Any:
    """Compare multimodal VAEs and baselines at a chosen supervision level.

    For each seed: a stratified train/test split (``train_test_split(
    np.arange(n), test_size=test_size, stratify=y, random_state=seed)``),
    then ``skpoe.datasets.hide_views_and_labels(X_train, y_train,
    labeled=labeled, missing_views=missing_views, random_state=seed)`` on the
    training rows only: a share ``labeled`` of them keeps its label and every
    view; of the *other* (unlabeled) training rows, a share ``missing_views``
    keeps a single view chosen uniformly (the others become rows of NaN).
    Labeled rows therefore always have every view, and ``missing_views=1.0``
    is the paper's protocol (unpaired rows have one view). Test rows keep
    every view. Every estimator is fitted on the same hidden training data
    and evaluated on the same test rows.

    Parameters
    ----------
    estimators : dict of str to estimator, or list of estimators
        Unfitted skpoe estimators, cloned per seed with ``random_state=seed``
        when they have that parameter. A list is named by class names
        (repeats get ``_2``, ``_3``, ...).
    X : dict of array-like or ModalityDict
        Views keyed by name, each of shape (n_samples, n_features_v), with
        every view present in every row.
    y : array-like of shape (n_samples,)
        Full true labels (no ``-1``); labels are hidden by ``labeled``.
    labeled : float in (0, 1], default=0.1
        Share of training rows that keep their label (and every view).
    missing_views : float in [0, 1], default=0.2
        Share of the unlabeled training rows that keep only one view.
    view_dropout : float in [0, 1), default=0.0
        Then hide each view of every training row, labeled or not, with this
        probability, keeping at least one view per row
        (:func:`skpoe.datasets.drop_views`).
    stratify_labels : bool, default=False
        Keep ``labeled`` of each class's training rows, at least one per
        class (``hide_views_and_labels(..., stratify=True)``): low shares of
        small tables then still label every class.
    test_size : float or int, default=0.25
        As in :func:`sklearn.model_selection.train_test_split`.
    seeds : sequence of int, default=(0, 1, 2)
        One split, hiding and fit per seed.
    baselines : "default", dict of str to classifier, or None, default="default"
        Classical classifiers (see :class:`skpoe.model_selection._baselines.ViewBaseline`).
        ``"default"``: ``LogisticRegression`` (standardized, labeled rows) and
        ``LabelSpreading(kernel="knn", n_neighbors=10)`` (standardized, all
        training rows, ``-1`` for unlabeled). A classifier from
        :mod:`sklearn.semi_supervised` (or a Pipeline ending in one) gets all
        training rows, any other the labeled rows only. A baseline predicts
        from one view when fitted on that view's columns, and from all views
        when fitted on the concatenated views, missing views mean-imputed.
        A list names baselines of
        :func:`~skpoe.model_selection._baselines.baseline_catalogue`:
        ``["LogisticRegression", "LabelSpreading", "SelfTraining",
        "SVC ceiling (all labels)"]``; the last is a reference fitted on every
        training row's true label, not a baseline.
    coherence : bool, default=True
        Compute cross-coherence (needs two views or more) and add a reference
        row ``"oracle (real views)"``: the oracles' accuracy on real test
        views, the ceiling of the coherence columns.
    oracle : classifier, default=None
        Cloned and fitted once per view set on the *true labels of every
        training row* (an evaluation tool that sees all labels, as in the
        paper; no estimator sees them). Default:
        ``make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))``.
    n_importance_samples : int, default=100
        K of the importance-sampled test log-likelihood.
    n_jobs : int, default=1
        (estimator, seed) fits run in parallel with joblib; each worker uses
        one torch thread.
    verbose : int, default=0
        1 prints one line per finished fit.

    Returns
    -------
    table : pandas.DataFrame or numpy structured array
        One row per estimator (then baseline, then oracle) and seed: columns
        ``estimator``, ``seed`` and the metrics below; NaN where a metric
        does not apply (baselines have no latent space, likelihood or
        coherence; a model fitted without labels has no accuracy). A
        structured array with the same fields when pandas is missing.

        - ``acc_<view>``, ``acc_all``: label accuracy on the test rows
          predicted from that view alone, from all views.
        - ``latent_acc``: :func:`skpoe.metrics.latent_accuracy` (logistic
          regression on embeddings of the labeled training rows).
        - ``test_ll``: :func:`skpoe.metrics.test_log_likelihood` of the test
          rows (all views).
        - ``coh_<view>``: cross-coherence from that view, the oracle reading
          the generated other views alone (the headline coherence).
        - ``coh_full_<view>``: the oracle reading the real source view and the
          generated others (as in the paper; high floor, since the real view
          alone often suffices).
        - ``fit_time`` (seconds), ``n_iter`` (epochs run; NaN for baselines).

        The ``"oracle (real views)"`` row holds the oracles' accuracy on the
        real test views in the coherence columns: the ceiling of coherence.

    See Also
    --------
    summarize : mean and std per estimator.
    to_markdown : a markdown table of a summary, headed by what each column measures.
    describe_column : that sentence for one column.

    Examples
    --------
    >>> from skpoe import MVAE, MultimodalPoEVAE
    >>> from skpoe.datasets import load_digits_views
    >>> from skpoe.model_selection._compare import compare_estimators, summarize, to_markdown
    >>> X, y = load_digits_views()
    >>> table = compare_estimators(
    ...     {"PoE": MultimodalPoEVAE(max_iter=2), "MVAE": MVAE(max_iter=2)},
    ...     X[:400], y[:400], labeled=0.2, seeds=[0], n_importance_samples=10)
    >>> list(table["estimator"].unique())
    ['PoE', 'MVAE', 'LogisticRegression', 'LabelSpreading', 'oracle (real views)']
    >>> text = to_markdown(summarize(table))
    """
    models = _named(estimators, "estimators")
    bases = _check_baselines(baselines)
    if not (isinstance(labeled, Real) and 0.0 < labeled <= 1.0):
        raise ValueError(f"labeled must be in (0, 1], got {labeled!r}.")
    seeds_list = [] if isinstance(seeds, Integral) else list(seeds)
    if not seeds_list or not all(isinstance(s, Integral) for s in seeds_list):
        raise TypeError(
            f"seeds must be a non-empty sequence of ints, like range(3); got {seeds!r}."
        )
    seeds = [int(s) for s in seeds_list]
    if not (isinstance(n_importance_samples, Integral) and n_importance_samples >= 1):
        raise ValueError(f"n_importance_samples must be an int >= 1, got {n_importance_samples!r}.")
    X, y = _check_data(X, y)
    views = list(X)
    coherence = bool(coherence) and len(views) > 1
    names = [n for n, _ in models + bases] + ([ORACLE_ROW] if coherence else [])
    if len(set(names)) != len(names):
        raise ValueError(f"Estimator and baseline names must be unique; got {names}.")
    oracle = _default_oracle() if oracle is None else oracle

    splits, oracles = {}, {}
    for seed in seeds:
        s = splits[seed] = _split(
            X, y, seed, test_size, labeled, missing_views, view_dropout, stratify_labels
        )
        oracles[seed] = {}
        if coherence:
            for vs in {_others(views, v) for v in views} | {tuple(views)}:
                feats = np.hstack([s["X_tr"][v] for v in vs])
                oracles[seed][vs] = clone(oracle).fit(feats, s["y_tr"])
    K = int(n_importance_samples)
    tasks = [
        (kind, name, est, seed)
        for kind, items in (("model", models), ("baseline", bases))
        for name, est in items
        for seed in seeds
    ]
    in_worker = n_jobs not in (None, 1)
    data = {
        seed: {k: s[k] for k in ("X_h", "y_h", "X_te", "y_te", "X_tr", "y_tr")}
        for seed, s in splits.items()
    }
    calls = (
        (_run_one, (kind, name, est, seed, data[seed], views, oracles[seed], K, in_worker))
        for kind, name, est, seed in tasks
    )
    if in_worker:
        from joblib import Parallel, delayed

        try:
            par = Parallel(n_jobs=n_jobs, return_as="generator_unordered")
        except (TypeError, ValueError):  # joblib < 1.4
            par = Parallel(n_jobs=n_jobs)
        results = par(delayed(f)(*a) for f, a in calls)
    else:
        results = (f(*a) for f, a in calls)
    rows = {}
    for name, seed, row in results:
        rows[(name, seed)] = row
        if verbose:
            print(f"[compare_estimators] {name} seed={seed}: {_fmt(row)}", flush=True)
    if coherence:
        for seed in seeds:
            rows[(ORACLE_ROW, seed)] = _oracle_row(splits[seed], views, oracles[seed])

    metrics = _metric_names(views, coherence)
    keys = [(name, seed) for name in names for seed in seeds]
    columns = {"estimator": np.array([k[0] for k in keys]), "seed": np.array([k[1] for k in keys])}
    for m in metrics:
        columns[m] = np.array([rows[k].get(m, np.nan) for k in keys], dtype=np.float64)
    return make_table(columns)
