"""Column names of each view: recorded at fit, checked at predict time.

When views are pandas DataFrames with string column names, an estimator
records them per modality in ``feature_names_per_modality_`` (a dict; views
without names map to ``None``). When every view has names,
``feature_names_in_`` holds them all as ``"<modality>__<column>"`` in fitted
modality order, one per input feature, so ``n_features_in_`` and
``get_feature_names_out(input_features)`` agree with it. At predict time
each view's names are compared with the fitted ones in scikit-learn's
words, prefixed with the modality.
"""

from __future__ import annotations

import warnings

import numpy as np

from skpoe.data._arrays import column_names
from skpoe.exceptions import SkpoeWarning

__all__ = ["view_column_names", "record_feature_names", "check_feature_names"]


def view_column_names(X):
    """Column names (ndarray of str or ``None``) of each view of a dict."""
    stored = getattr(X, "column_names", None)
    out = {}
    for name, value in dict.items(X):
        names = column_names(value)
        if names is None and isinstance(stored, dict):
            names = stored.get(name)
        out[name] = names
    return out


def record_feature_names(estimator, names, per_view):
    """Set (or clear) ``feature_names_per_modality_`` and ``feature_names_in_``."""
    for attr in ("feature_names_per_modality_", "feature_names_in_"):
        if hasattr(estimator, attr):
            delattr(estimator, attr)
    if not any(per_view.get(n) is not None for n in names):
        return
    estimator.feature_names_per_modality_ = {n: per_view.get(n) for n in names}
    if all(per_view.get(n) is not None for n in names):
        estimator.feature_names_in_ = np.asarray(
            [f"{m}__{c}" for m in names for c in per_view[m]], dtype=object
        )


def record_column_slices(estimator, modalities):
    """2-D input: split scikit-learn's ``feature_names_in_`` by ``modalities``."""
    if hasattr(estimator, "feature_names_per_modality_"):
        del estimator.feature_names_per_modality_
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        return
    if modalities is None:
        estimator.feature_names_per_modality_ = {"X": names}
    else:
        estimator.feature_names_per_modality_ = {
            m: np.atleast_1d(names[cols]) for m, cols in modalities.items()
        }


def _list(names):
    shown = [f"- {n}\n" for n in names[:5]]
    return "".join(shown) + ("- ...\n" if len(names) > 5 else "")


def check_feature_names(estimator, per_view):
    """Compare each view's column names with those seen at fit.

    Raises
    ------
    ValueError
        A view's names differ from the fitted ones (renamed, added, dropped
        or reordered columns), in scikit-learn's wording.
    """
    fitted = getattr(estimator, "feature_names_per_modality_", None) or {}
    cls = type(estimator).__name__
    for name, new in per_view.items():
        old = fitted.get(name)
        if old is None and new is None:
            continue
        if old is None:
            warnings.warn(
                f"Modality {name!r} has feature names, but {cls} was fitted "
                "without feature names for it",
                SkpoeWarning,
                stacklevel=4,
            )
            continue
        if new is None:
            warnings.warn(
                f"Modality {name!r} does not have valid feature names, but {cls} "
                "was fitted with feature names for it",
                SkpoeWarning,
                stacklevel=4,
            )
            continue
        if len(old) == len(new) and np.all(old == new):
            continue
        unseen = sorted(set(new) - set(old))
        missing = sorted(set(old) - set(new))
        msg = (
            f"Modality {name!r}: The feature names should match those that were "
            "passed during fit.\n"
        )
        if unseen:
            msg += "Feature names unseen at fit time:\n" + _list(unseen)
        if missing:
            msg += "Feature names seen at fit time, yet now missing:\n" + _list(missing)
        if not unseen and not missing:
            msg += "Feature names must be in the same order as they were in fit.\n"
        raise ValueError(msg)
