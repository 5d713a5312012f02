"""The likelihood base class and the numpy helpers that ignore missing entries.

:class:`Likelihood` gathers four roles: fitting and checking (here), the numpy widths
and maps of the values (``_encoding.py``), the free parameters and tensor functions of
the decoder distribution (``_distribution.py``) and saving (``_state.py``).
"""

from __future__ import annotations

import numpy as np
import torch

from skpoe.data._moments import column_moments
from skpoe.likelihoods._distribution import _Distribution
from skpoe.likelihoods._encoding import _Encoding
from skpoe.likelihoods._state import _State

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


class Likelihood(_Encoding, _Distribution, _State):
    """Base class: preprocessing state plus decoder distribution.

    A likelihood holds the preprocessing state of one modality (numpy only,
    fitted on the observed training rows by :meth:`fit`) and the tensor
    functions of its decoder distribution. Subclasses set ``name`` and
    implement :meth:`log_prob_terms` (one term per feature, or per column for
    ``categorical``) and :meth:`mean`; they map NaN-free values to the encoder
    input in :meth:`encode_values`.

    Attributes
    ----------
    name : str
        The likelihood's name (``likelihoods={"view": name}``).
    n_extra_per_feature : int
        Free decoder parameters per feature (a scale, a dispersion).
    target_dtype : torch.dtype
        Dtype of the targets :meth:`log_prob` scores.
    affine_encoding : bool
        Whether the encoded values are an affine function of the values, so
        that missing entries can take the encoded column means
        (:meth:`fill_with_means`).
    modality : str
        Name of the modality, for error messages (set by :meth:`fit`).
    n_features_ : int
        Number of features of the modality.
    missing_entries_ : bool
        Whether the training rows had missing entries (NaN).
    missing_indicators_ : bool
        Whether the encoder input ends in one observed indicator per feature.
    fill_ : ndarray of shape (n_encoded,) or None
        Encoded value of a missing entry per encoded column; ``None`` is 0.
    choice_reason_ : str
        How the likelihood was chosen (set by :func:`get_likelihood`).

    See Also
    --------
    get_likelihood : Builds and fits a likelihood from a name or ``"auto"``.
    Gaussian : A likelihood of real values.
    Categorical : A likelihood of category codes.
    skpoe.nn.Decoder : The decoder whose output a likelihood scores.

    Examples
    --------
    A likelihood of real values with unit variance, in the user's units:

    >>> import math
    >>> import numpy as np
    >>> import torch
    >>> from skpoe.likelihoods import Likelihood
    >>> class UnitGaussian(Likelihood):
    ...     name = "unit_gaussian"
    ...     def log_prob_terms(self, out, extra, target):
    ...         return -0.5 * (target - out) ** 2 - 0.5 * math.log(2 * math.pi)
    ...     def mean(self, out, extra):
    ...         return out
    >>> lik = UnitGaussian().fit(np.zeros((4, 3)), "values")
    >>> lik.n_inputs, lik.n_outputs, lik.n_extra
    (3, 3, 0)
    >>> lik.log_prob(torch.zeros(1, 3), lik.init_extra(), torch.zeros(1, 3))
    tensor([-2.7568])
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
        off. Subclasses learn their own state from the observed entries:
        ``center_`` and ``scale_`` (of the values for ``gaussian`` and
        ``laplace``, of ``log1p`` of the counts for ``poisson`` and
        ``negative_binomial``), ``n_categories_`` for ``categorical``.

        Parameters
        ----------
        X : ndarray of shape (n_rows, n_features)
            The observed rows of the modality; NaN marks a missing entry.
        modality : str, default="X"
            Name of the modality, used in error messages.

        Returns
        -------
        self : Likelihood
            The fitted likelihood.

        Raises
        ------
        ValueError
            If ``X`` holds values the likelihood does not model (outside
            [0, 1] for ``bernoulli``, not non-negative integers for the
            count and category likelihoods).

        See Also
        --------
        get_likelihood : Builds and fits a likelihood.
        Likelihood.check : Checks new data against the fitted state.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.likelihoods import Gaussian
        >>> lik = Gaussian().fit(np.array([[0.0, 1.0], [2.0, np.nan], [4.0, 5.0]]))
        >>> lik.n_features_, lik.missing_entries_, lik.center_.tolist()
        (2, True, [2.0, 3.0])
        """
        self.modality = modality
        self._check_values(X)
        self.n_features_ = X.shape[1]
        self.missing_entries_ = self.missing_indicators_ = _any_nan(X)
        return self

    @property
    def has_missing_entries(self):
        """Whether the training rows had missing entries (their targets are masked).

        Reads ``missing_indicators_`` for likelihoods saved before
        ``missing_entries_`` existed.

        See Also
        --------
        Likelihood.split_missing : Masks the missing entries of a target.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.likelihoods import Gaussian
        >>> Gaussian().fit(np.array([[0.0], [np.nan]])).has_missing_entries
        True
        """
        return self.missing_indicators_ if self.missing_entries_ is None else self.missing_entries_

    #: whether the encoded values are an affine function of the values, so that the mean of
    #: the encoded column is the encoded column mean (missing entries can then take it)
    affine_encoding = False

    def fill_with_means(self, column_means):
        """Encode missing entries as the encoded column means, without indicator columns.

        Only for likelihoods with an :attr:`affine_encoding` (``bernoulli``,
        ``gaussian``, ``laplace``); others keep their indicators and are
        returned unchanged.

        Parameters
        ----------
        column_means : ndarray of shape (n_features,)
            Means of the observed entries of the training rows (NaN for a
            column with none, which gets 0).

        Returns
        -------
        self : Likelihood
            With ``fill_`` set and ``missing_indicators_`` off where the
            encoding is affine.

        See Also
        --------
        Likelihood.encoder_input : Uses ``fill_`` for missing entries.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.likelihoods import Bernoulli
        >>> X = np.array([[0.0, 1.0], [1.0, np.nan]])
        >>> lik = Bernoulli().fit(X).fill_with_means(np.nanmean(X, axis=0))
        >>> lik.n_inputs, lik.encoder_input(np.array([[0.5, np.nan]])).tolist()
        (2, [[0.5, 1.0]])
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
        """Check observed rows of new data against this fitted likelihood.

        The values must be of the kind :meth:`fit` accepts, lie within
        ``1e10`` training standard deviations of the training mean in the
        :meth:`standardized` units, and for ``categorical`` be codes seen
        during fit.

        Parameters
        ----------
        X : ndarray of shape (n_rows, n_features)
            Observed rows of new data; NaN marks a missing entry.

        Raises
        ------
        ValueError
            Naming the modality, and the row and column of the first bad
            value where there is one.

        See Also
        --------
        Likelihood.fit : Learns the state the data is checked against.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.likelihoods import Bernoulli
        >>> lik = Bernoulli().fit(np.zeros((2, 1)), "pixels")
        >>> lik.check(np.array([[0.5]]))
        >>> lik.check(np.array([[2.0]]))
        Traceback (most recent call last):
        ...
        ValueError: Modality 'pixels' has values outside [0, 1] (min 2, max 2); ...
        """
        self._check_values(X)
        self._check_distance(X)

    def standardized(self, X):
        """Observed rows in the encoder's standardized units, or ``None``.

        ``(X - center_) / scale_`` for ``gaussian`` and ``laplace``, the same
        of ``log1p(X)`` for the count likelihoods; ``None`` for the
        likelihoods that do not standardize (``bernoulli``, ``categorical``).

        Parameters
        ----------
        X : ndarray of shape (n_rows, n_features)
            Observed rows; NaN entries stay NaN.

        Returns
        -------
        Z : ndarray of shape (n_rows, n_features), dtype float64, or None
            The standardized values.

        See Also
        --------
        Likelihood.encode_values : The same values in float32.
        Likelihood.check : Bounds the standardized values of new data.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.likelihoods import Bernoulli, Gaussian
        >>> Gaussian().fit(np.array([[0.0], [2.0]])).standardized(np.array([[5.0]]))
        array([[4.]])
        >>> Bernoulli().fit(np.zeros((2, 1))).standardized(np.zeros((1, 1))) is None
        True
        """
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

    def __repr__(self):
        return f"{type(self).__name__}()"
