"""Multimodal input containers and validation.

This module knows numpy and scikit-learn only. It turns what users pass
(a dict of arrays, a :class:`ModalityDict`, or a 2-D array with column groups)
into a validated ordered mapping of float arrays plus the observed-view mask,
and encodes partial label vectors. A whole row of NaN in a modality marks that
view missing for that sample; NaN entries in a row that is only partly NaN
are missing entries of an observed view (the arrays keep them as NaN).
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.multiclass import check_classification_targets

from .sources import is_lazy, read_rows, scan_view

__all__ = ["ModalityDict", "as_modality_dict", "encode_labels"]


def _to_numpy(value):
    """Convert numpy, pandas, torch or nested-list input to a numpy array.

    Sparse matrices and on-disk arrays (memmap, h5py, zarr) stay as they are.
    """
    if is_lazy(value):
        return value
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch tensor
        return value.detach().cpu().numpy()
    if hasattr(value, "to_numpy"):  # pandas / polars
        return value.to_numpy()
    return np.asarray(value)


class ModalityDict(dict):
    """A dict of per-modality arrays that behaves like one sample-indexed array.

    Keys are modality names, values are 2-D arrays with one row per sample (a
    row of NaN marks that view missing for that sample, a NaN entry in an
    otherwise observed row a missing entry). Unlike a plain dict,
    a ``ModalityDict`` has ``len(X) == n_samples`` and ``X.shape ==
    (n_samples,)`` and can be indexed by rows, so scikit-learn's
    cross-validation, ``train_test_split`` and ``GridSearchCV`` can split it.

    Parameters
    ----------
    *args, **kwargs
        Anything ``dict`` accepts. Values are converted to numpy arrays;
        ``scipy.sparse`` matrices, ``np.memmap``, ``h5py`` datasets and
        ``zarr`` arrays are kept as they are and read in row blocks.
    observed : dict of str to array-like of bool, default=None
        Keyword only. Rows in which a view is observed, per modality (other
        rows are missing views). Needed for sparse views, where a row of NaN
        does not exist; for dense views it combines with the NaN rows.
        Modalities left out are observed wherever they are not all NaN.

    Examples
    --------
    >>> import numpy as np
    >>> from skpoe import ModalityDict
    >>> X = ModalityDict(a=np.zeros((4, 2)), b=np.ones((4, 3)))
    >>> len(X), X.shape
    (4, (4,))
    >>> X[[0, 2]]["b"].shape
    (2, 3)
    >>> X["a"].shape
    (4, 2)
    """

    def __init__(self, *args, observed=None, **kwargs):
        super().__init__()
        if observed is None and len(args) == 1 and isinstance(args[0], ModalityDict):
            observed = args[0].observed  # a copy keeps the masks
        for key, value in dict(*args, **kwargs).items():
            super().__setitem__(key, _to_numpy(value))
        self._check_lengths()
        self.observed = self._check_observed(observed)

    def _check_observed(self, observed):
        if observed is None:
            return {}
        if not isinstance(observed, dict):
            raise TypeError(
                "observed must be a dict of modality name to boolean array, got "
                f"{type(observed).__name__}."
            )
        out = {}
        for key, mask in observed.items():
            if not dict.__contains__(self, key):
                raise ValueError(
                    f"observed names modality {key!r}, which is not in the dict "
                    f"(modalities: {list(dict.keys(self))})."
                )
            mask = _to_numpy(mask)
            if mask.dtype != bool or mask.shape != (self.n_samples,):
                raise ValueError(
                    f"observed[{key!r}] must be a boolean array of shape "
                    f"({self.n_samples},), got dtype {mask.dtype} and shape {mask.shape}."
                )
            out[key] = mask
        return out

    def _check_lengths(self):
        lengths = {k: (v.shape[0] if v.ndim else None) for k, v in self.items()}
        if len(set(lengths.values())) > 1:
            raise ValueError(
                "All modalities must have the same number of samples (rows); got "
                + ", ".join(f"{k!r}: {n}" for k, n in lengths.items())
            )

    def __setitem__(self, key, value):
        value = _to_numpy(value)
        n = self.n_samples if dict.__len__(self) else None
        if key in self and dict.__len__(self) == 1:
            n = None  # replacing the only modality may change the length
        if n is not None and value.ndim and value.shape[0] != n:
            raise ValueError(
                f"Modality {key!r} has {value.shape[0]} rows; the other modalities "
                f"have {n}."
            )
        super().__setitem__(key, value)

    @property
    def n_samples(self):
        """Number of samples (rows), 0 for an empty dict."""
        for value in self.values():
            return int(value.shape[0]) if value.ndim else 0
        return 0

    @property
    def shape(self):
        """``(n_samples,)``, so scikit-learn treats the dict as sample-indexed."""
        return (self.n_samples,)

    def __len__(self):
        return self.n_samples

    @property
    def n_modalities(self):
        """Number of modalities (keys)."""
        return dict.__len__(self)

    def __getitem__(self, key):
        if isinstance(key, tuple):
            if len(key) == 2 and key[1] is Ellipsis:
                key = key[0]
            else:
                raise IndexError(
                    "ModalityDict supports a modality name, or row indices "
                    "(integer array, boolean mask, slice, or (rows, Ellipsis))."
                )
        if isinstance(key, str) or (
            not isinstance(key, (slice, list, np.ndarray, numbers.Integral))
            and dict.__contains__(self, key)
        ):
            return dict.__getitem__(self, key)
        return self.take_rows(key)

    def take_rows(self, rows):
        """Return a new ``ModalityDict`` holding only the given rows.

        Parameters
        ----------
        rows : int, slice, array-like of int or bool
            Row selector applied to every modality.
        """
        if isinstance(rows, numbers.Integral):
            rows = [rows]
        if not isinstance(rows, slice):
            rows = np.asarray(rows)
            if rows.size == 0:
                rows = rows.astype(np.intp)
            if rows.dtype == bool and rows.shape[0] != self.n_samples:
                raise IndexError(
                    f"Boolean row mask has length {rows.shape[0]}, "
                    f"expected {self.n_samples}."
                )
        return ModalityDict(
            {k: read_rows(v, rows) if is_lazy(v) else v[rows] for k, v in self.items()},
            observed={k: m[rows] for k, m in self.observed.items()},
        )

    def __repr__(self):
        inner = ", ".join(
            f"{k!r}: array{getattr(v, 'shape', ())}" for k, v in self.items()
        )
        return f"ModalityDict({{{inner}}})"

    def __reduce__(self):
        return (_rebuild, (self.__class__, dict(self.items()), self.observed))

    def copy(self):
        """Shallow copy as a ``ModalityDict``."""
        return ModalityDict(dict(self.items()), observed=dict(self.observed))


def _rebuild(cls, items, observed):
    return cls(items, observed=observed)


def _modality_values(name, value):
    """Validate one modality's array: 2-D, numeric, finite or NaN.

    Returns the float64 array (NaN entries kept) and the observed-view mask
    (rows that are not entirely NaN).
    """
    if sp.issparse(value):
        raise TypeError(
            f"Modality {name!r} is a sparse matrix; skpoe needs dense arrays "
            "(use .toarray())."
        )
    try:
        arr = _to_numpy(value)
    except Exception as exc:  # pragma: no cover - exotic containers
        raise TypeError(f"Modality {name!r}: cannot convert to an array ({exc}).")
    if arr.dtype == object or arr.dtype.kind in "USOV":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(
                f"Modality {name!r} contains non-numeric values (dtype "
                f"{arr.dtype}); every modality must be numeric."
            ) from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"Modality {name!r} has unsupported dtype {arr.dtype}; expected numbers."
        )
    if arr.ndim != 2:
        hint = (
            " Reshape your data with array.reshape(-1, 1) if it has a single "
            "feature or array.reshape(1, -1) if it contains a single sample."
            if arr.ndim == 1
            else ""
        )
        raise ValueError(
            f"Modality {name!r}: expected a 2D array, got {arr.ndim}D array "
            f"instead (shape {arr.shape}).{hint}"
        )
    if arr.shape[1] == 0:
        raise ValueError(f"Modality {name!r} has 0 features; at least 1 is required.")
    arr = np.asarray(arr, dtype=np.float64)
    nan = np.isnan(arr)
    if np.isinf(arr).any():
        row = int(np.where(np.isinf(arr).any(axis=1))[0][0])
        raise ValueError(
            f"Modality {name!r} contains infinity (first at row {row}); "
            "values must be finite (NaN marks a missing entry, a whole row of "
            "NaN a missing view)."
        )
    return arr, ~nan.all(axis=1)


def as_modality_dict(X, modalities=None, *, feature_slices=None):
    """Validate user input and return ``(names, arrays, observed)``.

    Parameters
    ----------
    X : dict of array-like, ModalityDict, or array-like of shape (n, n_features)
        A mapping from modality name to 2-D array, or one 2-D array whose
        columns are split into modalities by ``modalities``.
    modalities : dict of str to slice or list of int, default=None
        Column groups for 2-D input; ``None`` means one modality named ``"X"``.
        Ignored for dict input.

    Returns
    -------
    names : list of str
    arrays : list of ndarray of shape (n_samples, n_features_m), float64
    observed : ndarray of shape (n_samples, n_modalities), bool
    """
    if isinstance(X, dict) and not sp.issparse(X):
        if dict.__len__(X) == 0:
            raise ValueError(
                "X is an empty dict: pass at least one modality, e.g. "
                "{'view_a': array_a, 'view_b': array_b}."
            )
        items = list(dict.items(X))
    else:
        if X is None:
            raise ValueError("X is None; expected a dict of arrays or a 2-D array.")
        if isinstance(X, (str, bytes)):
            raise TypeError(f"X must be a dict of arrays or a 2-D array, got {X!r}.")
        arr = _to_numpy(X)
        if arr.ndim != 2:
            _modality_values("X", arr)  # raises a clear error
        if modalities is None:
            items = [("X", arr)]
        else:
            items = []
            for name, cols in modalities.items():
                try:
                    part = arr[:, cols]
                except IndexError as exc:
                    raise ValueError(
                        f"modalities[{name!r}] = {cols!r} does not index the "
                        f"{arr.shape[1]} columns of X ({exc})."
                    ) from None
                if part.ndim == 1:
                    part = part[:, None]
                items.append((name, part))
    names = []
    arrays = []
    masks = []
    lengths = {}
    explicit = getattr(X, "observed", None) if isinstance(X, ModalityDict) else None
    explicit = explicit or {}
    for name, value in items:
        if not isinstance(name, str):
            raise TypeError(f"Modality names must be strings, got {name!r}.")
        if is_lazy(value):  # sparse or on disk: one streaming pass
            arr, obs = scan_view(name, value, explicit.get(name))
        else:
            arr, obs = _modality_values(name, value)
            if name in explicit:
                obs = obs & explicit[name]
        names.append(name)
        arrays.append(arr)
        masks.append(obs)
        lengths[name] = arr.shape[0]
    if len(set(lengths.values())) > 1:
        raise ValueError(
            "All modalities must have the same number of samples; got "
            + ", ".join(f"{k!r}: {n}" for k, n in lengths.items())
        )
    n = arrays[0].shape[0]
    if n == 0:
        raise ValueError(
            "Found array with 0 sample(s) (shape=(0, ...)) while a minimum of 1 "
            "is required."
        )
    observed = np.stack(masks, axis=1) if masks else np.zeros((n, 0), bool)
    return names, arrays, observed


def encode_labels(y, n_samples, classes=None):
    """Encode a partial label vector.

    Unlabeled rows are marked by ``-1`` (integers or objects), or by ``NaN``
    or ``None``. Labeled values may be integers or strings.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
    n_samples : int
        Expected length.
    classes : ndarray, default=None
        Known classes (at predict/score time); ``None`` learns them.

    Returns
    -------
    codes : ndarray of int64, -1 for unlabeled rows and for labels that are not
        in ``classes`` when ``classes`` is given and ``unknown='ignore'``.
    labeled : ndarray of bool
    classes : ndarray
    """
    y = _to_numpy(y)
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please "
            "change the shape of y to (n_samples,), for example using ravel().",
            DataConversionWarning,
            stacklevel=3,
        )
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (one label per sample), got shape {y.shape}.")
    if y.shape[0] != n_samples:
        raise ValueError(
            f"y has {y.shape[0]} labels but X has {n_samples} samples; they must "
            "match (use -1 for unlabeled rows)."
        )
    if y.dtype.kind == "f":
        if np.isinf(y).any():
            raise ValueError("y contains infinity; use -1 or NaN for unlabeled rows.")
        unlabeled = np.isnan(y) | (y == -1)
    elif y.dtype.kind in "iub":
        unlabeled = y == -1
    else:
        # strings: numpy turns a -1 among strings into '-1', so it marks
        # unlabeled rows too (as do None and NaN)
        unlabeled = np.array(
            [
                v is None
                or (isinstance(v, float) and np.isnan(v))
                or (isinstance(v, numbers.Integral) and not isinstance(v, bool) and v == -1)
                or (isinstance(v, str) and v.strip() == "-1")
                for v in y
            ],
            dtype=bool,
        )
    labeled = ~unlabeled
    values = y[labeled]
    if y.dtype == object and values.size:
        kinds = {type(v) for v in values}
        if len(kinds) > 1 and not all(issubclass(k, numbers.Number) for k in kinds):
            raise TypeError(
                f"y mixes label types {sorted(k.__name__ for k in kinds)}; use one type."
            )
    if values.size:
        check_classification_targets(values)
    codes = np.full(n_samples, -1, dtype=np.int64)
    if classes is None:
        classes = np.unique(values)
        codes[labeled] = np.searchsorted(classes, values)
    else:
        pos = np.searchsorted(classes, values) if values.size else np.array([], int)
        pos = np.clip(pos, 0, max(len(classes) - 1, 0))
        known = classes[pos] == values if values.size else np.array([], bool)
        if not np.all(known):
            unknown = np.unique(values[~known])[:5]
            raise ValueError(
                f"y contains labels not seen during fit: {list(unknown)}; "
                f"known classes are {list(classes)}."
            )
        codes[labeled] = pos
    return codes, labeled, classes
