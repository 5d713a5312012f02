"""The likelihood base class and the numpy helpers that ignore missing entries."""

from __future__ import annotations

import numpy as np
import torch

from skpoe.data._moments import column_moments

__all__ = ["Likelihood"]

_SCALE_FLOOR = 1e-3
#: Largest distance from the training mean, in training standard deviations,
#: that new data may have: beyond it float32 squares overflow.
_DISTANCE_LIMIT = 1e10


def _observed_values(X):
    """The non-NaN entries of ``X`` (1-D)."""
    return X[~np.isnan(X)]


_BLOCK_ROWS = 8192  # rows per block of the checks below: temporaries are O(block)


def _blocks(X):
    for start in range(0, X.shape[0], _BLOCK_ROWS):
        yield X[start : start + _BLOCK_ROWS]


def _value_range(X):
    """``(min, max)`` of the non-NaN entries of ``X`` (floats), ``None`` if none,
    block by block (no copy of ``X``)."""
    lo, hi = np.inf, -np.inf
    for block in _blocks(X):
        v = _observed_values(block)
        if v.size:
            lo, hi = min(lo, float(v.min())), max(hi, float(v.max()))
    return None if lo > hi else (lo, hi)


def _all_observed_values(X, test):
    """Whether ``test`` (of a 1-D array) holds on the non-NaN entries of every block."""
    return all(bool(test(_observed_values(block))) for block in _blocks(X))


def _nonnegative_integers(X):
    """Whether every non-NaN entry of ``X`` is a non-negative integer (block by block)."""
    return _all_observed_values(
        X, lambda v: not v.size or (v.min() >= 0 and np.all(v == np.round(v)))
    )


def _any_nan(X):
    return any(bool(np.isnan(block).any()) for block in _blocks(X))


def _moments(X):
    """Per-column mean and std over non-NaN entries (0 and 1 for empty columns),
    computed in float64 whatever the dtype of ``X``, a block of rows at a time
    (:func:`~skpoe.data._moments.column_moments`)."""
    return column_moments(X)


class Likelihood:
    """Base class: preprocessing state plus decoder distribution.

    Subclasses set ``name`` and implement :meth:`log_prob_terms` (one term
    per feature, or per column for ``categorical``) and :meth:`mean`; they map
    NaN-free values to the encoder input in :meth:`encode_values`.
    """

    name = "base"
    n_extra_per_feature = 0
    target_dtype = torch.float32
    missing_indicators_ = False  # models fitted before missing entries existed
    missing_entries_ = None  # older files: whether there were any is missing_indicators_
    fill_ = None  # older files: missing entries are 0 in encoded space

    def fit(self, X, modality="X"):
        """Learn preprocessing state from the observed rows ``X`` (numpy).

        NaN entries are missing (``missing_entries_``); if there are any, the
        encoder input gets one observed-indicator column per feature
        (``missing_indicators_``), unless :meth:`fill_with_means` turns them
        off.
        """
        self.modality = modality
        self._check_values(X)
        self.n_features_ = X.shape[1]
        self.missing_entries_ = self.missing_indicators_ = _any_nan(X)
        return self

    @property
    def has_missing_entries(self):
        """Whether the training rows had missing entries (their targets are masked)."""
        return self.missing_indicators_ if self.missing_entries_ is None else self.missing_entries_

    #: whether the encoded values are an affine function of the values, so that the mean of
    #: the encoded column is the encoded column mean (missing entries can then take it)
    affine_encoding = False

    def fill_with_means(self, column_means):
        """Encode missing entries as the encoded column means, without indicator columns.

        ``column_means`` (n_features,) are the means of the observed entries of
        the training rows (NaN for a column with none, which gets 0). Only for
        likelihoods with an :attr:`affine_encoding`; others keep their
        indicators.
        """
        if not self.affine_encoding:
            return self
        means = np.where(np.isfinite(column_means), column_means, np.nan)[None, :]
        fill = self.encode_values(np.where(np.isnan(means), 0.0, means))[0].astype(np.float32)
        fill[np.isnan(means[0])] = 0.0
        self.fill_ = fill
        self.missing_indicators_ = False
        return self

    def _check_values(self, X):
        return None

    def check(self, X):
        """Check observed rows of new data against this fitted likelihood."""
        self._check_values(X)
        self._check_distance(X)

    def standardized(self, X):
        """Observed rows in the encoder's standardized units (float64), or ``None``."""
        return None

    def _check_distance(self, X):
        Z = self.standardized(X) if X.size else None
        if Z is None:
            return
        with np.errstate(invalid="ignore"):
            far = np.abs(Z) > _DISTANCE_LIMIT
        if far.any():
            row, col = (int(v[0]) for v in np.nonzero(far))
            raise ValueError(
                f"Modality {self.modality!r} has value {X[row, col]:.4g} at observed row "
                f"{row}, column {col}: {abs(Z[row, col]):.3g} training standard "
                f"deviations from the training mean (at most {_DISTANCE_LIMIT:.0e} "
                "are allowed; beyond that skpoe's float32 computations overflow). "
                "Check the units of this view."
            )

    # -- shapes ---------------------------------------------------------
    @property
    def n_encoded(self):
        """Width of the encoded values (without missing-entry indicators)."""
        return self.n_features_

    @property
    def n_inputs(self):
        """Width of the encoder input (encoded values, then indicators if any)."""
        return self.n_encoded + (self.n_features_ if self.missing_indicators_ else 0)

    @property
    def n_outputs(self):
        """Width of the decoder output."""
        return self.n_features_

    @property
    def n_extra(self):
        """Number of free decoder parameters owned by this likelihood."""
        return self.n_extra_per_feature * self.n_features_

    def init_extra(self):
        """Initial value of the free parameters (a float32 tensor)."""
        return torch.zeros(self.n_extra)

    # -- numpy transforms -----------------------------------------------
    def encode_values(self, X):
        """Map NaN-free observed rows to the encoded values (float32 numpy)."""
        return X.astype(np.float32)

    def _encoded_columns(self, missing):
        """Expand a per-feature (n, n_features) mask to the encoded columns."""
        return missing

    def encoder_input(self, X):
        """Map observed rows (NaN entries allowed) to the encoder's input.

        Missing entries take ``fill_``, each encoded column's mean over the
        training rows' observed entries (0 in encoded space for models
        fitted with indicators, the mean for standardized data); with
        ``missing_indicators_`` a 0/1 observed indicator per feature is
        appended.
        """
        missing = np.isnan(X)
        if not missing.any():
            x = self.encode_values(X)
        else:
            x = self.encode_values(np.where(missing, 0.0, X))
            cols = self._encoded_columns(missing)
            x[cols] = 0.0 if self.fill_ is None else np.broadcast_to(self.fill_, x.shape)[cols]
        if self.missing_indicators_:
            x = np.concatenate([x, (~missing).astype(np.float32)], axis=1)
        return x

    def target(self, X):
        """Map observed rows to the values :meth:`log_prob` scores (NaN stays)."""
        return X.astype(np.float32)

    def split_missing(self, target):
        """``(target with missing entries set to 0, observed-entry mask)`` (torch)."""
        mask = ~torch.isnan(target)
        return torch.where(mask, target, torch.zeros_like(target)), mask

    def inverse(self, T):
        """Map target-space values (numpy) back to the user's units."""
        return T

    def feature_log_det(self):
        """``log |d target / d x|`` of each feature (density change of units)."""
        return np.zeros(self.n_features_)

    def log_det(self):
        """:meth:`feature_log_det` summed over features."""
        return float(self.feature_log_det().sum())

    # -- tensor functions ------------------------------------------------
    def log_prob_terms(self, out, extra, target):
        """Per-feature log-likelihood terms, shape ``(..., n_features)``."""
        raise NotImplementedError

    def log_prob(self, out, extra, target, mask=None):
        """Log-likelihood of ``target`` given decoder output, summed over features.

        ``mask`` (bool, broadcastable to the terms, ``(n, n_features)``) keeps
        the observed entries only; ``None`` keeps all.
        """
        terms = self.log_prob_terms(out, extra, target)
        if mask is not None:
            terms = torch.where(mask, terms, torch.zeros_like(terms))
        return terms.sum(-1)

    def mean(self, out, extra):
        """Mean of the decoder distribution in target space."""
        raise NotImplementedError

    # -- saving -----------------------------------------------------------
    def get_state(self):
        """Parameters and fitted state as JSON-able data (see :meth:`set_state`).

        Returns
        -------
        state : dict
            ``{"name": ..., "attributes": {...}}``; numpy arrays become
            ``{"ndarray": dtype, "shape": [...], "data": [...]}``.
        """
        attributes = {}
        for key, value in vars(self).items():
            if isinstance(value, np.ndarray):
                value = {
                    "ndarray": value.dtype.str,
                    "shape": list(value.shape),
                    "data": value.ravel().tolist(),
                }
            elif isinstance(value, np.generic):
                value = value.item()
            attributes[key] = value
        return {"name": self.name, "attributes": attributes}

    def set_state(self, attributes):
        """Restore the ``"attributes"`` of :meth:`get_state`; returns ``self``."""
        for key, value in attributes.items():
            member = getattr(type(self), key, None)
            if callable(member) or isinstance(member, property):
                raise ValueError(f"{key!r} is not a data attribute of {type(self).__name__}.")
            if isinstance(value, dict) and "ndarray" in value:
                data = np.asarray(value["data"], dtype=np.dtype(value["ndarray"]))
                value = data.reshape(value["shape"])
            setattr(self, key, value)
        return self

    def __repr__(self):
        return f"{type(self).__name__}()"
