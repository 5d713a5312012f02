"""Partial labels through pipelines: the warning when a Pipeline would teach ``-1`` as a class.

:func:`warn_if_labels_leak` is called by skpoe's ``fit_transform``; it looks up the call stack
for the Pipeline whose ``fit`` called it and inspects its final step. The public names are
re-exported by :mod:`skpoe.semi_supervised`.
"""

from __future__ import annotations

import sys
import types
import warnings

from sklearn.base import is_classifier

from skpoe.exceptions import SkpoeWarning
from skpoe.metrics import labeled_mask

__all__ = ["PartialLabelsWarning", "warn_if_labels_leak"]


class PartialLabelsWarning(SkpoeWarning):
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

    frame: types.FrameType | None = sys._getframe(2)
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
