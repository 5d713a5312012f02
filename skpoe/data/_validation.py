"""Input checking and encoding shared by fitting and inference.

Functions of arrays and parameters: checks of X and y, the labels as one more
modality, per-modality parameters, the likelihoods fitted to the data, and
the encoder inputs and targets they give. :func:`check_X` alone takes the
estimator, as :func:`sklearn.utils.validation.validate_data` does, to check
new data against its fitted modalities and record ``n_features_in_``.
"""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import validate_data

from skpoe.data._container import views_as_dict
from skpoe.data._convert import as_modality_dict
from skpoe.data._feature_names import (
    check_feature_names,
    record_column_slices,
    record_feature_names,
    view_column_names,
)
from skpoe.data._labels import encode_labels
from skpoe.data._rows import check_row_indexes
from skpoe.data.sources import ViewSource

__all__ = [
    "LABEL",
    "check_X",
    "append_labels",
    "encode",
    "require_observed",
    "require_each_view",
    "check_count",
    "check_finite_output",
    "check_new_missing_entries",
    "has_missing_entries",
]

LABEL = "__label__"  # internal name of the label modality


def check_X(estimator, X, reset):
    """The one entry check of X; returns (names, arrays, observed) in fitted order.

    Every X given to ``fit`` or to a fitted method passes here once: lists of
    views are named, :func:`~skpoe.data._convert.as_modality_dict` converts
    each view (with errors naming the modality, row or column), and the
    result is checked against the estimator.

    With ``reset`` (a fresh fit) ``n_features_in_`` and the feature names
    (``feature_names_in_``, ``feature_names_per_modality_``) are set on
    ``estimator``, and every modality must be observed in some row; otherwise
    the modalities and their column names are checked against the fitted
    ones, put in fitted order, and modalities left out become missing views.
    A list or tuple of views is named ``view0``, ``view1``, ...
    """
    if sp.issparse(X):
        raise TypeError(
            "A sparse matrix was passed for X; pass its views as a dict "
            "(e.g. ModalityDict(rna=X_rna, protein=X_protein)): sparse views "
            "are read one block of rows at a time."
        )
    X = views_as_dict(X)
    check_row_indexes(X, "fit" if reset else "X")
    names, arrays, observed = as_modality_dict(X, estimator.modalities)
    if not isinstance(X, dict):
        # n_features_in_ and feature_names_in_ as scikit-learn records them
        validate_data(estimator, X, reset=reset, skip_check_array=True)
        if reset:
            record_column_slices(estimator, estimator.modalities)
    if reset:
        if isinstance(X, dict):
            estimator.n_features_in_ = int(sum(a.shape[1] for a in arrays))
            record_feature_names(estimator, names, view_column_names(X))
        require_each_view(names, observed)
        return names, arrays, observed
    known = estimator.modalities_
    n_features = estimator.n_features_per_modality_
    unknown = [n for n in names if n not in n_features]
    if unknown:
        raise ValueError(
            f"X has modalities {unknown} that were not seen during fit; the "
            f"fitted modalities are {known}."
        )
    if isinstance(X, dict):
        check_feature_names(estimator, view_column_names(X))
    for name, arr in zip(names, arrays):
        expected = n_features[name]
        if arr.shape[1] != expected:
            raise ValueError(
                f"Modality {name!r} has {arr.shape[1]} features, but "
                f"{type(estimator).__name__} was fitted with {expected} features "
                "for it."
            )
    # reorder to the fitted order; modalities left out are missing views
    n = arrays[0].shape[0]
    by_name = dict(zip(names, zip(arrays, observed.T)))
    out_arrays, out_obs = [], []
    for name in known:
        if name in by_name:
            a, o = by_name[name]
        else:
            a = np.broadcast_to(np.nan, (n, n_features[name]))  # no memory
            o = np.zeros(n, bool)
        out_arrays.append(a)
        out_obs.append(o)
    return list(known), out_arrays, np.stack(out_obs, 1)


def append_labels(arrays, observed, y, classes=None):
    """Partial labels ``y`` as one more modality, observed where labeled.

    Returns ``arrays`` and ``observed`` extended by the label codes, and
    ``(codes, labeled, classes)``; ``classes`` fixes the known classes (warm
    starts).
    """
    codes, labeled, classes = encode_labels(y, observed.shape[0], classes)
    if not labeled.any():
        raise ValueError(
            "y has no labeled rows (every label is -1 or NaN); pass y=None to fit without labels."
        )
    arrays = arrays + [codes[:, None].astype(np.float64)]
    observed = np.concatenate([observed, labeled[:, None]], 1)
    return arrays, observed, (codes, labeled, classes)


#: Rows per block of :func:`encode` (its float64 temporaries are O(block)).
ENCODE_ROWS = 8192


def _encoded(fn, arr, obs, width, dtype):
    """``fn`` of the observed rows of ``arr``, block by block, in an (n, ...)
    array of zeros elsewhere (``width`` and ``dtype`` from a first block)."""
    out = np.zeros((arr.shape[0],) + width, dtype)
    for start in range(0, arr.shape[0], ENCODE_ROWS):
        rows = slice(start, start + ENCODE_ROWS)
        o = obs[rows]
        if o.all():
            out[rows] = fn(arr[rows])
        elif o.any():
            out[start + np.flatnonzero(o)] = fn(arr[rows][o])
    return out


def _same_as(fn, arr, obs, x):
    """Whether ``fn`` of the observed rows equals ``x`` there (dtype and values)."""
    for start in range(0, arr.shape[0], ENCODE_ROWS):
        rows = slice(start, start + ENCODE_ROWS)
        o = obs[rows]
        if o.any():
            t = fn(arr[rows][o])
            if (
                t.dtype != x.dtype
                or t.shape[1:] != x.shape[1:]
                or not np.array_equal(t, x[rows][o])
            ):
                return False
    return True


def _is_own_input(fn, arr, obs):
    """Whether the view ``arr`` is its own encoder input ``fn(arr)``, bit for bit.

    Only a writeable, C-contiguous float32 array observed in every row can
    be (it is then used as it is, no copy); its blocks are compared as
    raw bits, so that -0.0 and 0.0 count as different.
    """
    if not (
        isinstance(arr, np.ndarray)
        and arr.dtype == np.float32
        and arr.flags.c_contiguous
        and arr.flags.writeable
        and obs.all()
    ):
        return False
    for start in range(0, arr.shape[0], ENCODE_ROWS):
        block = arr[start : start + ENCODE_ROWS]
        x = np.asarray(fn(block))
        if x.dtype != np.float32 or x.shape != block.shape:
            return False
        if not np.array_equal(x.view(np.uint32), block.view(np.uint32)):
            return False
    return True


def own_inputs(arrays, observed, liks):
    """Per modality, whether its view is its own encoder input (:func:`_is_own_input`).

    One pass over the views that may be; :func:`encoded_copy_bytes` and
    :func:`encode` take the answer instead of making that pass each.
    """
    return [_is_own_input(lik.encoder_input, a, o) for a, o, lik in zip(arrays, observed.T, liks)]


def encode(arrays, observed, liks, inputs_from=None, own=None):
    """Encoder inputs and targets per modality (zeros where unobserved).

    ``inputs_from``, if given, holds per modality the array the encoder input
    is made from instead (``None``: the modality's own array), e.g. views whose
    missing entries are filled for the encoders while the targets keep them
    missing.

    NaN entries of observed rows are missing entries: the likelihood
    zeroes them in the encoder input and marks them in the target. Each is
    made once, block by block (:data:`ENCODE_ROWS` rows): float32 inputs,
    the likelihood's targets, and no second array where the target is the
    input (e.g. Bernoulli: the encoder reads what the decoder scores). A
    float32 view that is its own encoder input (Bernoulli data in [0, 1]
    without missing entries, for one) is used as it is, without a copy
    (:func:`_is_own_input`; ``own`` gives :func:`own_inputs`' answer when it
    is known); the fit only reads it.
    """
    inputs, targets = [], []
    sources = [None] * len(arrays) if inputs_from is None else inputs_from
    own = [None] * len(arrays) if own is None else own
    for arr, src, obs, lik, is_own in zip(arrays, sources, observed.T, liks, own):
        src = arr if src is None else src
        first = np.flatnonzero(obs)[:1]
        probe_x = np.asarray(lik.encoder_input(src[first]), np.float32)
        probe_t = lik.target(arr[first])
        if is_own is None:
            is_own = src is arr and _is_own_input(lik.encoder_input, arr, obs)
        if is_own and src is arr:
            x = arr
        else:
            x = _encoded(lik.encoder_input, src, obs, probe_x.shape[1:], np.float32)
        if src is arr and obs.all() and _same_as(lik.target, arr, obs, x):
            t = x
        else:
            t = _encoded(lik.target, arr, obs, probe_t.shape[1:], probe_t.dtype)
        inputs.append(x)
        targets.append(t)
    return inputs, targets


def encoded_copy_bytes(arrays, observed, liks, own=None):
    """Bytes of the float32 encoder inputs :func:`encode` would allocate.

    A view that is its own encoder input (:func:`_is_own_input`, or as
    ``own`` from :func:`own_inputs` says) costs nothing; any other costs
    ``n_samples x encoded columns x 4`` bytes.
    """
    total = 0
    own = own_inputs(arrays, observed, liks) if own is None else own
    for arr, obs, lik, is_own in zip(arrays, observed.T, liks, own):
        if is_own:
            continue
        first = np.flatnonzero(obs)[:1]
        width = np.asarray(lik.encoder_input(arr[first])).reshape(len(first), -1).shape[1]
        total += arr.shape[0] * width * 4
    return total


def require_each_view(names, observed):
    """Fit: raise unless every modality is observed in at least one row."""
    never = [n for n, o in zip(names, observed.T) if not o.any()]
    if never:
        raise ValueError(
            f"Modality {never[0]!r} is missing (all NaN) in every training row, so "
            "its networks would learn nothing and its imputations would come from "
            "an untrained decoder; leave it out of X or give rows that observe it."
        )


def check_count(value, name):
    """A positive integer parameter of a method (``n_samples`` and the like)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    if value < 1:
        raise ValueError(f"{name} must be a positive integer (>= 1), got {value!r}.")
    return int(value)


def check_finite_output(out, what):
    """Raise a clear error, naming the rows, if an output is NaN or infinite.

    ``out`` is an array (rows first) or a list of them.
    """
    parts = out if isinstance(out, (list, tuple)) else [out]
    bad = np.zeros(len(parts[0]), bool) if parts else np.zeros(0, bool)
    for p in parts:
        p = np.asarray(p, dtype=float)
        bad |= ~np.isfinite(p).reshape(len(p), -1).all(1)
    if bad.any():
        rows = np.flatnonzero(bad)
        shown = ", ".join(str(r) for r in rows[:5]) + (", ..." if rows.size > 5 else "")
        raise ValueError(
            f"{what} is not finite for rows {shown}: the model's float32 "
            "computations overflowed, most likely because these rows hold values "
            "far outside the range of the training data. Check their scale."
        )
    return out


def require_observed(observed, what):
    """Raise unless every row has at least one observed view."""
    empty = ~observed.any(1)
    if empty.any():
        rows = np.where(empty)[0]
        shown = ", ".join(str(r) for r in rows[:5])
        raise ValueError(
            f"Rows {shown}{', ...' if rows.size > 5 else ''} have no observed "
            f"view (every modality is NaN or absent); {what} needs at least "
            "one observed view per row."
        )


def check_new_missing_entries(arrays, observed, liks):
    """warm_start: a modality first fitted on complete data stays complete."""
    for arr, obs, lik in zip(arrays, observed.T, liks):
        if not lik.has_missing_entries and has_missing_entries(arr, obs):
            raise ValueError(
                f"warm_start=True: modality {lik.modality!r} has missing entries "
                "(NaN inside observed rows) but was first fitted on complete "
                "rows, so its training terms do not leave missing entries out; "
                "fit from scratch (warm_start=False)."
            )


def has_missing_entries(arr, obs):
    """Whether the observed rows of a view (array or source) hold any NaN."""
    if isinstance(arr, ViewSource):
        return bool(arr.stats.any_missing) if arr.stats is not None else False
    return bool(np.isnan(arr[obs]).any())
