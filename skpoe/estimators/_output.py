"""pandas in, pandas out: row index and columns of DataFrame input, kept.

scikit-learn's ``set_output(transform="pandas")`` takes the row index from
the input only when the input itself is a DataFrame; skpoe's input is often a
dict of DataFrames. :func:`frame_info` reads the index and the columns of each
view from what the user passed, :func:`with_index` gives ``transform``'s
output that index when pandas output is configured, and :func:`as_frames`
turns ``impute``'s arrays back into DataFrames.
"""

from __future__ import annotations

import numpy as np

__all__ = ["frame_info", "with_index", "as_frames"]


def _is_frame(value):
    return hasattr(value, "columns") and hasattr(value, "index") and hasattr(value, "iloc")


def frame_info(X, modalities=None):
    """Row index and per-view columns of DataFrame input.

    Parameters
    ----------
    X : dict of array-like, or array-like
        What the user passed.
    modalities : dict of str to slice or list of int, default=None
        The estimator's column groups for a 2-D ``X``.

    Returns
    -------
    index : pandas.Index or None
        The index of the first DataFrame (or Series) view, or of ``X``.
    columns : dict of str to pandas.Index or ndarray
        Columns of each view given as a DataFrame.
    """
    if isinstance(X, dict):
        frames = {k: v for k, v in dict.items(X) if _is_frame(v)}
        series = [v for v in dict.values(X) if hasattr(v, "index") and hasattr(v, "name")]
        first = next(iter(frames.values()), series[0] if series else None)
        index = None if first is None else first.index
        return index, {k: v.columns for k, v in frames.items()}
    if not _is_frame(X):
        return None, {}
    cols = np.asarray(X.columns, dtype=object)
    groups = {"X": slice(None)} if modalities is None else modalities
    return X.index, {name: np.atleast_1d(cols[g]) for name, g in groups.items()}


def with_index(estimator, Z, X, method="transform"):
    """``Z`` as a DataFrame with the input's row index when ``estimator``'s
    output is set to pandas and the input had an index; else ``Z`` unchanged.

    scikit-learn's output wrapper keeps the index of a DataFrame it receives
    and renames its columns to ``get_feature_names_out()``.
    """
    from sklearn.utils._set_output import _get_output_config

    if _get_output_config(method, estimator)["dense"] != "pandas":
        return Z
    index, _ = frame_info(X, getattr(estimator, "modalities", None))
    if index is None:
        return Z
    import pandas as pd

    return pd.DataFrame(Z, index=index, columns=estimator.get_feature_names_out())


def as_frames(names, arrays, X, modalities=None):
    """Imputed views as DataFrames when the input had DataFrame views.

    Views given as DataFrames keep their columns; views left out of the
    input (or given as arrays) get columns ``"<view>0"``, ``"<view>1"``, ...
    Every frame carries the input's row index. Returns ``None`` when the
    input had no DataFrame.
    """
    index, columns = frame_info(X, modalities)
    if not columns:
        return None
    import pandas as pd

    return {
        name: pd.DataFrame(
            arr,
            index=index,
            columns=columns.get(name, [f"{name}{j}" for j in range(arr.shape[1])]),
        )
        for name, arr in zip(names, arrays)
    }
