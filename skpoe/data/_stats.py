"""The per-column statistics of a view, gathered by :func:`skpoe.data.sources.scan_view`."""

from __future__ import annotations

import numpy as np

__all__ = ["ViewStats"]


class ViewStats:
    """Per-column statistics of the observed rows of one view, by row blocks.

    Count, mean and sum of squared deviations of the values and of
    ``log1p`` of the values (merged across blocks by Chan's formula), the
    minimum and maximum, a non-integer value per column (NaN if none) and
    whether any entry is missing.
    """

    def __init__(self, n_features):
        d = n_features
        self.n_rows = 0
        self.count = np.zeros(d)
        self.mean = np.zeros(d)
        self.m2 = np.zeros(d)
        self.log_mean = np.zeros(d)
        self.log_m2 = np.zeros(d)
        self.min = np.full(d, np.inf)
        self.max = np.full(d, -np.inf)
        self.non_integer = np.full(d, np.nan)
        self.any_missing = False

    @staticmethod
    def _merge(count, mean, m2, x, nan):
        """Chan's merge of running (count, mean, m2) with the block ``x``."""
        if nan is None:
            c = np.full(x.shape[1], float(x.shape[0]))
            bm = x.mean(0, dtype=np.float64)
            d = x - bm.astype(x.dtype)
        else:
            c = (~nan).sum(0).astype(float)
            total = np.where(nan, 0, x).sum(0, dtype=np.float64)
            bm = np.where(c > 0, total / np.maximum(c, 1), 0.0)
            d = np.where(nan, 0, x - bm.astype(x.dtype))
        np.multiply(d, d, out=d)
        bm2 = d.sum(0, dtype=np.float64)
        tot = count + c
        delta = bm - mean
        frac = np.where(tot > 0, c / np.maximum(tot, 1), 0.0)
        return tot, mean + delta * frac, m2 + bm2 + delta**2 * count * frac

    def update(self, x, nan=None):
        """Add the observed rows ``x`` (floats, NaN = missing entry); ``nan``
        is ``np.isnan(x)`` if known, ``False`` if ``x`` has no NaN."""
        if x.shape[0] == 0:
            return
        self.n_rows += x.shape[0]
        nan = np.isnan(x) if nan is None else nan
        if nan is not False and nan.any():
            self.any_missing = True
            lo, hi = np.where(nan, np.inf, x).min(0), np.where(nan, -np.inf, x).max(0)
        else:
            nan = None
            lo, hi = x.min(0), x.max(0)
        count = self.count
        self.count, self.mean, self.m2 = self._merge(count, self.mean, self.m2, x, nan)
        self.min, self.max = np.fmin(self.min, lo), np.fmax(self.max, hi)
        todo = np.isnan(self.non_integer)
        if todo.any():  # a non-integer value per column, until each has one
            part = x[:, todo]
            frac = (part != np.round(part)) & ~np.isnan(part)
            found = frac.any(0)
            if found.any():
                cols = np.flatnonzero(todo)[found]
                self.non_integer[cols] = part[frac[:, found].argmax(0), np.flatnonzero(found)]
        if np.isfinite(self.log_mean).all() and (np.nan_to_num(lo, posinf=0.0) >= 0).all():
            _, self.log_mean, self.log_m2 = self._merge(
                count, self.log_mean, self.log_m2, np.log1p(x), nan
            )
        else:
            self.log_mean[:] = np.nan  # not counts: no log moments

    def moments(self, log=False):
        """Per-column mean and population std (0 and 1 for empty columns)."""
        mean = self.log_mean if log else self.mean
        m2 = self.log_m2 if log else self.m2
        seen = self.count > 0
        center = np.where(seen, mean, 0.0)
        with np.errstate(invalid="ignore"):
            scale = np.where(seen, np.sqrt(np.maximum(m2, 0) / np.maximum(self.count, 1)), 1.0)
        return center, scale

    def witness(self):
        """A small array (3, d) with each column's min, max and a non-integer
        value (NaN where a column has none): enough for the likelihoods'
        range and integer checks and for their category counts."""
        lo = np.where(self.count > 0, self.min, np.nan)
        hi = np.where(self.count > 0, self.max, np.nan)
        return np.stack([lo, hi, self.non_integer])
