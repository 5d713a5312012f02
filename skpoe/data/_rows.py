"""How the rows of the views pair: by position, with pandas indexes checked.

skpoe pairs row ``i`` of every view (and label ``i``) as one sample. When every
view is a pandas DataFrame or Series, their row indexes say which sample each
row is; :func:`check_row_indexes` refuses views whose indexes differ, since
pairing them by position would silently mix samples, and :func:`align_views`
(``ModalityDict.align``) reorders them onto one index. Views that mix pandas
with arrays pair by position without a check, as arrays carry no index.
Knows pandas objects by their methods only.
"""

from __future__ import annotations

__all__ = ["check_row_indexes", "check_label_index", "align_views", "JOINS"]

JOINS = ("inner", "outer")


def _is_pandas(value):
    return all(hasattr(value, a) for a in ("index", "iloc", "reindex"))


def _difference(a, b, name_a, name_b):
    """A short description of how two indexes differ."""
    if len(a) == len(b) and set(a) == set(b):
        return "the same labels in another order"
    only_a = [v for v in a if v not in set(b)]
    shown = ", ".join(repr(v) for v in only_a[:3]) + (", ..." if len(only_a) > 3 else "")
    return f"{len(only_a)} label(s) of {name_a!r} are not in {name_b!r} ({shown})"


_ALIGN = (
    "skpoe pairs the rows of the views by position, not by index label: row i of "
    "every view must be the same sample. Align them on the index first: "
    "X = skpoe.ModalityDict.align(X, join='inner') keeps the labels found in every "
    "view, join='outer' the labels found in any view (a view lacking a label gets a "
    "missing row there). If the rows are already in the same order, drop the indexes "
    "(df.reset_index(drop=True))."
)


def check_row_indexes(X, what):
    """Raise unless the views of ``X`` (a dict) pair by index as they do by position.

    Only checked when every view is a pandas DataFrame or Series and they all
    have the same number of rows (otherwise the row count check speaks).
    ``what`` names the call (``"fit"``, ``"predict"``, ``"ModalityDict"``).
    """
    if not isinstance(X, dict) or dict.__len__(X) < 2:
        return
    views = list(dict.items(X))
    if not all(_is_pandas(v) for _, v in views):
        return
    first_name, first = views[0]
    for name, view in views[1:]:
        if len(view.index) != len(first.index) or first.index.equals(view.index):
            continue
        raise ValueError(
            f"{what}: views {first_name!r} and {name!r} are pandas objects whose row "
            f"indexes differ ({_difference(first.index, view.index, first_name, name)}). " + _ALIGN
        )


def check_label_index(X, y, what):
    """Raise if ``y`` is a pandas Series whose index differs from the all-pandas views'."""
    if y is None or not _is_pandas(y) or getattr(y, "ndim", 1) != 1 or not isinstance(X, dict):
        return
    views = list(dict.items(X))
    if not views or not all(_is_pandas(v) for _, v in views):
        return
    name, first = views[0]
    if len(y.index) == len(first.index) and not first.index.equals(y.index):
        raise ValueError(
            f"{what}: y is a pandas Series whose index differs from the index of view "
            f"{name!r} ({_difference(first.index, y.index, name, 'y')}). skpoe pairs "
            "labels with rows by position: reorder y onto the views' index first "
            "(y = y.reindex(X[name].index)), or drop both indexes if the order already "
            "matches (y.reset_index(drop=True))."
        )


def align_views(views, join="inner"):
    """The pandas views of ``views`` reindexed onto one row index.

    Parameters
    ----------
    views : dict of str to pandas.DataFrame or pandas.Series
    join : {"inner", "outer"}, default="inner"
        ``"inner"``: the labels found in every view, in the first view's
        order. ``"outer"``: the labels found in any view (the first view's,
        then each next view's new ones); a view lacking a label gets a row of
        NaN there, which skpoe reads as a missing view.

    Returns
    -------
    dict of str to pandas.DataFrame or pandas.Series
    """
    if join not in JOINS:
        raise ValueError(f"join must be one of {list(JOINS)}, got {join!r}.")
    if not isinstance(views, dict) or dict.__len__(views) == 0:
        raise TypeError("align needs a non-empty dict of DataFrames or Series, one per view.")
    for name, view in dict.items(views):
        if not _is_pandas(view):
            raise TypeError(
                f"align pairs rows by their index, so every view must be a pandas "
                f"DataFrame or Series; view {name!r} is a {type(view).__name__}."
            )
        if not view.index.is_unique:
            dup = view.index[view.index.duplicated()][:3].tolist()
            raise ValueError(
                f"view {name!r} has duplicate index labels ({dup}); align needs one row per label."
            )
    items = list(dict.items(views))
    index = items[0][1].index
    for _, view in items[1:]:
        index = (
            index.intersection(view.index, sort=False)
            if join == "inner"
            else index.union(view.index, sort=False)
        )
    if len(index) == 0:
        raise ValueError(
            "align(join='inner'): the views share no index label, so no sample is in "
            "every view; check the indexes, or use join='outer'."
        )
    return {name: view.reindex(index) for name, view in items}
