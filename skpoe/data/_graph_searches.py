"""Where each row of the pseudo-label graph looks for its neighbours.

A *search* is one nearest-neighbour search: some rows (the queries) look for their nearest rows
among others (the pool), in the space of some views' columns side by side, standardized over the
search's rows. :func:`plan_searches` lists the searches of a graph for a ``space``:

* ``"views"``: every row searches in each view it observes, among the rows observing that view.
* ``"joint"``: a row with several views searches once in the space of all of them, among the rows
  that observe all of them (its neighbours there agree with it on every view it has), and each of
  those links counts once per view of that space. For each of its views it also searches that view
  among the rows that observe the view but not all of the row's views: the rows the joint space
  cannot compare with it. A row with one view searches it as under ``"views"``. Only the
  :data:`MAX_JOINT_SETS` most frequent sets of several views are searched jointly; rows of rarer
  sets search each of their views, as under ``"views"``.

On data where every row has every view, ``"joint"`` is a single search over all the views'
columns, as :class:`sklearn.semi_supervised.LabelSpreading` on the concatenated standardized
views; with one view, the two spaces are the same graph.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Search", "Columns", "index_dtype", "plan_searches", "MAX_JOINT_SETS", "SPACES"]

#: The spaces a graph may be searched in.
SPACES = ("joint", "views")

#: Sets of several views searched jointly, at most (the most frequent); each is one more search.
MAX_JOINT_SETS = 16


@dataclass
class Search:
    """One neighbour search of the graph.

    Attributes
    ----------
    views : tuple of int
        The views whose columns, side by side, are the space.
    rows : ndarray of int
        The search's rows, ascending: its queries and its pool. The columns
        are standardized over them.
    queries : ndarray of int or None
        Positions in ``rows`` of the rows that search (``None``: all).
    pool : ndarray of int or None
        Positions in ``rows`` of the rows searched among (``None``: all). A
        query in the pool finds itself, which is no link.
    weight : int
        How many times each link of the search counts in the graph.
    """

    views: tuple
    rows: np.ndarray
    queries: np.ndarray | None = None
    pool: np.ndarray | None = None
    weight: int = 1


class Columns:
    """Several views' columns side by side, read a set of rows at a time (float64)."""

    def __init__(self, arrays):
        self.arrays = list(arrays)
        self.shape = (self.arrays[0].shape[0], sum(a.shape[1] for a in self.arrays))

    def __getitem__(self, rows):
        return np.concatenate([np.asarray(a[rows], dtype=np.float64) for a in self.arrays], 1)


def index_dtype(size):
    """int32 for row numbers and counts below 2**31, else int64."""
    return np.int32 if size < 2**31 else np.int64


def _positions(members, rows):
    """Positions in ``rows`` of the True entries of ``members[rows]``."""
    return np.flatnonzero(members[rows]).astype(rows.dtype)


def plan_searches(observed, space="views"):
    """The searches of the graph over rows with the ``observed`` views.

    Parameters
    ----------
    observed : ndarray of shape (n_samples, n_views), bool
    space : {"joint", "views"}, default="views"
        See the module's description.

    Returns
    -------
    searches : list of Search
        Each with at least one query.
    """
    if space not in SPACES:
        raise ValueError(f"space must be one of {SPACES}, got {space!r}.")
    observed = np.asarray(observed, bool)
    n, n_views = observed.shape
    dtype = index_dtype(n)
    per_view = np.ones(n, bool)  # rows searching each of their views among all its rows
    joint = []  # (views, the rows of exactly those views)
    if space == "joint" and n_views > 1 and n:
        sets, which, sizes = np.unique(observed, axis=0, return_inverse=True, return_counts=True)
        which = which.reshape(-1)
        several = np.flatnonzero(sets.sum(1) > 1)
        several = several[np.argsort(-sizes[several], kind="stable")][:MAX_JOINT_SETS]
        for s in several:
            own = which == s
            joint.append((tuple(int(m) for m in np.flatnonzero(sets[s])), own))
            per_view &= ~own
    searches = []
    for m in range(n_views):
        rows = np.flatnonzero(observed[:, m]).astype(dtype)
        queries = None if per_view.all() else _positions(per_view, rows)
        if queries is None or len(queries):  # a view whose rows all search jointly: none
            searches.append(Search((m,), rows, queries))
    for views, own in joint:
        has_all = observed[:, views].all(1)
        rows = np.flatnonzero(has_all).astype(dtype)
        searches.append(Search(views, rows, _positions(own, rows), None, len(views)))
        for m in views:  # the rows of this view the joint space cannot compare
            rows = np.flatnonzero(observed[:, m] & (own | ~has_all)).astype(dtype)
            pool = _positions(~has_all, rows)
            if len(pool):
                searches.append(Search((m,), rows, _positions(own, rows), pool))
    return searches
