"""Multimodal input containers and validation.

This module knows numpy and scikit-learn only. It turns what users pass
(a dict of arrays, a :class:`ModalityDict`, or a 2-D array with column groups)
into a validated ordered mapping of float arrays plus the observed-view mask
(:func:`skpoe.data._convert.as_modality_dict` gives them as lists), and encodes partial label vectors. A whole row of NaN in a modality marks that
view missing for that sample; NaN entries in a row that is only partly NaN
are missing entries of an observed view (the arrays keep them as NaN).
"""

from __future__ import annotations

import numbers

import numpy as np

from skpoe.data._arrays import column_names, is_view_sequence, to_numpy
from skpoe.data._labels import encode_labels
from skpoe.data._rows import align_views, check_row_indexes
from skpoe.data.sources import is_lazy, read_rows

__all__ = ["ModalityDict", "encode_labels", "views_as_dict"]


def _is_frame(value):
    """A pandas DataFrame (recognised by its methods; pandas is not imported)."""
    return (
        getattr(value, "ndim", None) == 2 and hasattr(value, "iloc") and hasattr(value, "columns")
    )


def _to_numpy(value, name="X"):
    """Convert numpy, torch or nested-list input to a numpy array.

    Sparse matrices, on-disk arrays (memmap, h5py, zarr) and pandas
    DataFrames stay as they are; a DataFrame with a column that is not plain
    numbers is converted once here, so that a non-numeric column is an error
    naming the modality and the column when the dict is made.
    """
    if is_lazy(value):
        return value
    if _is_frame(value):
        if not all(getattr(dt, "kind", "O") in "biuf" for dt in value.dtypes):
            to_numpy(value, name)  # raises for a non-numeric column
        return value
    return to_numpy(value, name)


def _rows(value, rows):
    """``rows`` of one view: on-disk views read, DataFrames by position."""
    if is_lazy(value):
        return read_rows(value, rows)
    if _is_frame(value):
        return value.iloc[rows]
    return value[rows]


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
        pandas DataFrames are kept as DataFrames (row selection is by
        position, ``iloc``, and keeps their index and columns);
        ``scipy.sparse`` matrices, ``np.memmap``, ``h5py`` datasets and
        ``zarr`` arrays are kept as they are and read in row blocks.
    observed : dict of str to array-like of bool, default=None
        Keyword only. Rows in which a view is observed, per modality (other
        rows are missing views). Needed for sparse views, where a row of NaN
        does not exist; for dense views it combines with the NaN rows.
        Modalities left out are observed wherever they are not all NaN.

    Attributes
    ----------
    column_names : dict of str to (ndarray of str or None)
        Column names of the views given as pandas DataFrames (``None`` for
        other views), kept through row indexing so estimators can check them
        at predict time.

    See Also
    --------
    ModalityDict.align : Pair pandas views by their row index.
    skpoe.PerView : Preprocess each view; returns a ``ModalityDict``.
    skpoe.datasets.hide_views_and_labels : Hide views of a ``ModalityDict`` at random.

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
        self.column_names = {}
        if observed is None and len(args) == 1 and isinstance(args[0], ModalityDict):
            observed = args[0].observed  # a copy keeps the masks
        views = dict(*args, **kwargs)
        check_row_indexes(views, "ModalityDict")  # rows pair by position
        for key, value in views.items():
            self.column_names[key] = column_names(value)
            super().__setitem__(key, _to_numpy(value, key))
        self._check_lengths()
        self.observed: dict[str, np.ndarray] = self._check_observed(observed)

    @staticmethod
    def align(views, join="inner"):
        """A ``ModalityDict`` of pandas views reordered onto one row index.

        skpoe pairs the rows of the views by position. Views that are
        DataFrames or Series with differing indexes (tables loaded in
        different orders, or holding different samples) are refused by
        ``fit``, ``predict`` and the constructor; ``align`` pairs them by
        index label instead.

        Parameters
        ----------
        views : dict of str to pandas.DataFrame or pandas.Series
        join : {"inner", "outer"}, default="inner"
            ``"inner"`` keeps the labels found in every view, in the first
            view's order; ``"outer"`` keeps the labels found in any view, and
            a view lacking a label gets a missing row (all NaN) there.

        Returns
        -------
        ModalityDict

        See Also
        --------
        ModalityDict : The container; pairs rows by position.

        Examples
        --------
        >>> import numpy as np
        >>> import pandas as pd
        >>> from skpoe import ModalityDict
        >>> a = pd.DataFrame({"x": [1.0, 2.0, 3.0]}, index=["s1", "s2", "s3"])
        >>> b = pd.DataFrame({"y": [30.0, 10.0]}, index=["s3", "s1"])
        >>> np.asarray(ModalityDict.align({"a": a, "b": b})["b"]).ravel().tolist()
        [10.0, 30.0]
        >>> len(ModalityDict.align({"a": a, "b": b}, join="outer"))
        3
        """
        return ModalityDict(align_views(views, join))

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
        names = column_names(value)
        value = _to_numpy(value, key)
        n = self.n_samples if dict.__len__(self) else None
        if key in self and dict.__len__(self) == 1:
            n = None  # replacing the only modality may change the length
        if n is not None and value.ndim and value.shape[0] != n:
            raise ValueError(
                f"Modality {key!r} has {value.shape[0]} rows; the other modalities have {n}."
            )
        super().__setitem__(key, value)
        self.column_names[key] = names

    def __delitem__(self, key):
        super().__delitem__(key)
        self.column_names.pop(key, None)

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

        Returns
        -------
        ModalityDict
            The rows of every view, with their ``observed`` masks and column names.

        See Also
        --------
        ModalityDict.copy : All rows.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe import ModalityDict
        >>> X = ModalityDict(a=np.arange(8.0).reshape(4, 2))
        >>> X.take_rows([0, 3])["a"].tolist()
        [[0.0, 1.0], [6.0, 7.0]]
        """
        if isinstance(rows, numbers.Integral):
            rows = [rows]
        if not isinstance(rows, slice):
            rows = np.asarray(rows)
            if rows.size == 0:
                rows = rows.astype(np.intp)
            if rows.dtype == bool and rows.shape[0] != self.n_samples:
                raise IndexError(
                    f"Boolean row mask has length {rows.shape[0]}, expected {self.n_samples}."
                )
        return self._like(
            {k: _rows(v, rows) for k, v in self.items()},
            {k: m[rows] for k, m in self.observed.items()},
        )

    def _like(self, arrays, observed):
        """A ``ModalityDict`` of ``arrays`` keeping this one's column names."""
        out = ModalityDict(arrays, observed=observed)
        out.column_names = {k: self.column_names.get(k) for k in arrays}
        return out

    def __repr__(self):
        inner = ", ".join(
            f"{k!r}: {'DataFrame' if _is_frame(v) else 'array'}{tuple(getattr(v, 'shape', ()))}"
            for k, v in self.items()
        )
        return f"ModalityDict({{{inner}}})"

    def __reduce__(self):
        return (
            _rebuild,
            (self.__class__, dict(self.items()), self.observed),
            {"column_names": self.column_names},
        )

    def __setstate__(self, state):
        self.column_names = dict(state.get("column_names", {}))

    def copy(self):
        """Shallow copy as a ``ModalityDict`` (masks and column names kept).

        Returns
        -------
        ModalityDict
            A new container of the same arrays.

        See Also
        --------
        ModalityDict.take_rows : A copy of some rows.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe import ModalityDict
        >>> X = ModalityDict(a=np.zeros((3, 2)), observed={"a": np.array([True, False, True])})
        >>> Y = X.copy()
        >>> Y["a"] is X["a"], Y.observed["a"].tolist()
        (True, [True, False, True])
        """
        return self._like(dict(self.items()), dict(self.observed))


def _rebuild(cls, items, observed):
    return cls(items, observed=observed)


def views_as_dict(X):
    """A list or tuple of views as a dict named ``view0``, ``view1``, ...; else ``X``.

    Parameters
    ----------
    X : object
        What a user passed as the views.

    Returns
    -------
    dict or object
        A dict of the views for a list or tuple of 2-D views, else ``X`` itself.

    See Also
    --------
    skpoe.data.as_modality_dict : The full entry conversion of X.

    Examples
    --------
    >>> import numpy as np
    >>> from skpoe.data import views_as_dict
    >>> sorted(views_as_dict([np.zeros((2, 3)), np.ones((2, 1))]))
    ['view0', 'view1']
    """
    if is_view_sequence(X):
        return {f"view{i}": v for i, v in enumerate(X)}
    return X
