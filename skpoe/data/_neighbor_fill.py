"""Missing entries filled from the nearest training rows, for the encoders' inputs.

With ``entry_fill="neighbors"`` a fitted estimator keeps a bounded set of its training rows,
the *donors*: at most :data:`DONOR_ROWS` rows and :data:`DONOR_ENTRIES` entries of the views whose likelihood encodes values
affinely (Bernoulli, Gaussian, Laplace), side by side, in the units the encoders read: values
in [0, 1] as they are, real values standardized per feature on the donors' observed entries. At inference, a row's missing entries (NaN inside an observed view) are filled with the
mean of that feature over the :data:`FILL_NEIGHBORS` donors nearest to the row, by the
NaN-aware Euclidean distance over the entries the row observes in *every* such view (the
other views of the row help find its neighbours), as scikit-learn's ``KNNImputer`` does.

The fill only feeds the encoders: the likelihood still leaves those entries out, and rows
without missing entries are encoded exactly as before.
"""

from __future__ import annotations

import numpy as np

from skpoe.data._lazy import read_rows

__all__ = ["DONOR_ENTRIES", "DONOR_ROWS", "FILL_NEIGHBORS", "donor_set", "fill_missing_entries"]

#: Most training rows kept as donors (drawn with a fixed seed above it).
DONOR_ROWS = 5000
#: Most donor entries (16 MiB of float32): wide views keep fewer rows.
DONOR_ENTRIES = 2**22
#: Donors whose mean fills each missing entry.
FILL_NEIGHBORS = 5


def _dense(value, rows):
    if hasattr(value, "blocks"):  # a ViewSource: dense float64 rows, one block at a time
        step = max(1, int(value.block_rows()))
        parts = [value.read(rows[i : i + step]) for i in range(0, len(rows), step)]
        return np.vstack([np.asarray(p, np.float64) for p in parts])
    part = read_rows(value, rows)
    if hasattr(part, "toarray"):
        part = part.toarray()
    return np.asarray(part, dtype=np.float64)


def donor_set(arrays, observed, eligible, standardize):
    """The donors of a fit, or ``None`` when no view is eligible.

    Parameters
    ----------
    arrays : list of array-like
        The training views in fitted order (in memory or lazy); NaN rows are
        missing views.
    observed : ndarray of shape (n_samples, n_views) of bool
        Which views each row observes.
    eligible : list of bool
        Per view, whether it takes part (its likelihood encodes values
        affinely).
    standardize : list of bool
        Per view, whether its features are standardized for the distance
        (real values); the others (values in [0, 1]) are used as they are.

    Returns
    -------
    dict or None
        ``views`` (indices of the eligible views), ``slices`` (their
        ``[start, stop)`` columns in ``rows``), ``center`` and ``scale``
        (float64, per column) and ``rows`` (float32, standardized, NaN where
        the donor misses the entry or the view).
    """
    views = [m for m, ok in enumerate(eligible) if ok]
    if not views:
        return None
    candidates = np.flatnonzero(observed[:, views].any(1))
    width = sum(int(np.shape(arrays[m])[1]) for m in views)
    keep = max(1, min(DONOR_ROWS, DONOR_ENTRIES // max(width, 1)))
    if len(candidates) > keep:
        rng = np.random.RandomState(0)
        candidates = np.sort(rng.choice(candidates, keep, replace=False))
    blocks, slices, scaled, start = [], [], [], 0
    for m in views:
        block = _dense(arrays[m], candidates)
        block[~observed[candidates, m]] = np.nan
        blocks.append(block)
        slices.append([start, start + block.shape[1]])
        scaled.append(np.full(block.shape[1], bool(standardize[m])))
        start += block.shape[1]
    rows = np.hstack(blocks)
    count = (~np.isnan(rows)).sum(0)
    center = np.where(count > 0, np.nansum(rows, 0) / np.maximum(count, 1), 0.0)
    spread = np.sqrt(np.nansum((rows - center) ** 2, 0) / np.maximum(count, 1))
    unit = np.concatenate(scaled)
    center = np.where(unit, center, 0.0)
    scale = np.where(unit & (spread > 0), spread, 1.0)
    rows = ((rows - center) / scale).astype(np.float32)
    return dict(views=views, slices=slices, center=center, scale=scale, rows=rows)


def fill_missing_entries(donors, raws, observed):
    """Views of a block with their missing entries filled from the donors.

    Parameters
    ----------
    donors : dict
        As returned by :func:`donor_set`.
    raws : list of ndarray
        The block's raw views (float64, fitted order); NaN rows are views
        the row does not observe.
    observed : ndarray of shape (n_rows, n_views) of bool
        Which views each row of the block observes.

    Returns
    -------
    list of ndarray
        ``raws`` itself when no observed row of an eligible view misses an
        entry; otherwise a new list in which those views are copies with
        their missing entries filled (missing views stay NaN).
    """
    from sklearn.impute import KNNImputer

    views, slices = donors["views"], donors["slices"]
    holes = [np.isnan(raws[m]) & observed[:, m : m + 1] for m in views]
    needs = np.zeros(len(observed), bool)
    for h in holes:
        needs |= h.any(1)
    if not needs.any():
        return raws
    query = np.hstack([np.asarray(raws[m], np.float64)[needs] for m in views])
    for m, (a, b) in zip(views, slices):
        query[~observed[needs, m], a:b] = np.nan
    scaled = (query - donors["center"]) / donors["scale"]
    imputer = KNNImputer(n_neighbors=FILL_NEIGHBORS, keep_empty_features=True)
    imputer.fit(np.asarray(donors["rows"], np.float64))
    filled = imputer.transform(scaled) * donors["scale"] + donors["center"]
    out = list(raws)
    for m, (a, b), h in zip(views, slices, holes):
        if not h.any():
            continue
        view = np.array(raws[m], dtype=np.float64)
        block = view[needs]
        block[h[needs]] = filled[:, a:b][h[needs]]
        view[needs] = block
        out[m] = view
    return out
