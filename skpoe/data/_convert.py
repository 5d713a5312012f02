"""The entry conversion of X: :func:`as_modality_dict`, to names, arrays and observed masks."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from skpoe.data._arrays import to_numpy, view_values
from skpoe.data._container import ModalityDict, views_as_dict
from skpoe.data.sources import is_lazy, scan_view

__all__ = ["as_modality_dict"]


def as_modality_dict(X, modalities=None, *, feature_slices=None):
    """Validate user input and return ``(names, arrays, observed)``.

    Parameters
    ----------
    X : dict of array-like, ModalityDict, list or tuple of array-like, or array-like of shape (n, n_features)
        A mapping from modality name to 2-D array, a list or tuple of 2-D
        arrays (named ``view0``, ``view1``, ...), or one 2-D array whose
        columns are split into modalities by ``modalities``.
    modalities : dict of str to slice or list of int, default=None
        Column groups for 2-D input; ``None`` means one modality named ``"X"``.
        Ignored for dict input.
    feature_slices : object, default=None
        Keyword only. Ignored; accepted for compatibility.

    Returns
    -------
    names : list of str
    arrays : list of ndarray of shape (n_samples, n_features_m), float64
    observed : ndarray of shape (n_samples, n_modalities), bool

    See Also
    --------
    skpoe.ModalityDict : The container that keeps views and their masks together.
    skpoe.data.views_as_dict : A list of views as a dict.

    Examples
    --------
    >>> import numpy as np
    >>> from skpoe.data import as_modality_dict
    >>> a = np.array([[1.0, 2.0], [np.nan, np.nan], [5.0, 6.0]])  # row 1: view "a" missing
    >>> names, arrays, observed = as_modality_dict({"a": a, "b": np.ones((3, 1))})
    >>> names, observed.tolist()
    (['a', 'b'], [[True, True], [False, True], [True, True]])
    """
    X = views_as_dict(X)
    if isinstance(X, dict) and not sp.issparse(X):
        if dict.__len__(X) == 0:
            raise ValueError(
                "X is an empty dict: pass at least one modality, e.g. "
                "{'view_a': array_a, 'view_b': array_b}."
            )
        items = list(dict.items(X))
    else:
        if X is None or isinstance(X, (str, bytes)):
            raise ValueError(
                f"X must be a dict of 2-D arrays, a list of them or a 2-D array, got {X!r}."
            )
        arr = X if is_lazy(X) else to_numpy(X)  # a DataFrame as one array, split below
        if arr.ndim != 2:
            view_values("X", arr)  # raises a clear error
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
            arr, obs = view_values(name, value)
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
        raise ValueError("X has 0 sample(s) (rows) while a minimum of 1 is required.")
    observed = np.stack(masks, axis=1) if masks else np.zeros((n, 0), bool)
    return names, arrays, observed
