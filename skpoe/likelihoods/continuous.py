"""Likelihoods of values in [0, 1] and of real values (standardized internally)."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from skpoe.likelihoods.base import _SCALE_FLOOR, Likelihood, _moments, _value_range

__all__ = ["Bernoulli", "Gaussian", "Laplace"]


class Bernoulli(Likelihood):
    """Bernoulli likelihood (values in [0, 1], not binarized).

    The decoder outputs one logit per feature; a value ``t`` in [0, 1] scores
    ``t log sigmoid(out) + (1 - t) log(1 - sigmoid(out))``, so pixel
    intensities and proportions are soft labels. The encoder sees the values
    as they are.

    Attributes
    ----------
    n_features_ : int
        Number of features of the modality.
    missing_entries_ : bool
        Whether the training rows had missing entries (NaN).

    See Also
    --------
    Gaussian : For real values.
    choose_likelihood : Picks ``bernoulli`` for data in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skpoe.likelihoods import Bernoulli
    >>> lik = Bernoulli().fit(np.array([[0.0, 0.2], [1.0, 0.9]]))
    >>> out = torch.tensor([[2.0, -1.0]])
    >>> lik.mean(out, lik.init_extra())
    tensor([[0.8808, 0.2689]])
    >>> lik.log_prob(out, lik.init_extra(), torch.tensor([[1.0, 0.0]]))
    tensor([-0.4402])
    """

    affine_encoding = True

    name = "bernoulli"

    def _check_values(self, X):
        span = _value_range(X)  # block by block: no copy of the view
        if span is not None and (span[0] < 0 or span[1] > 1):
            raise ValueError(
                f"Modality {self.modality!r} has values outside [0, 1] "
                f"(min {span[0]:.4g}, max {span[1]:.4g}); the 'bernoulli' "
                "likelihood needs values in [0, 1]. Use 'gaussian' for real values."
            )

    def log_prob_terms(self, out, extra, target):
        return -F.binary_cross_entropy_with_logits(out, target.expand_as(out), reduction="none")

    def mean(self, out, extra):
        return torch.sigmoid(out)


class _Standardized(Likelihood):
    """Real-valued likelihood on internally standardized data."""

    affine_encoding = True

    n_extra_per_feature = 1

    def fit(self, X, modality="X"):
        super().fit(X, modality)
        self.center_, scale = _moments(X)
        scale[~(scale > 1e-12 * np.maximum(1.0, np.abs(self.center_)))] = 1.0
        self.scale_ = scale
        return self

    def standardized(self, X):
        return (X - self.center_) / self.scale_

    def encode_values(self, X):
        return self.standardized(X).astype(np.float32)

    target = encode_values

    def inverse(self, T):
        return T * self.scale_ + self.center_

    def feature_log_det(self):
        return -np.log(self.scale_)

    def init_extra(self):
        # softplus(0.5413) = 1: unit scale in standardized units
        return torch.full((self.n_extra,), 0.5413)

    def _scale(self, extra):
        return F.softplus(extra) + _SCALE_FLOOR

    def mean(self, out, extra):
        return out


class Gaussian(_Standardized):
    """Gaussian likelihood with a learned per-feature scale (data standardized).

    Values are standardized with the training mean and standard deviation
    (``center_``, ``scale_``) for the encoder and as targets; the decoder
    outputs the mean in these units and owns one free parameter per feature,
    the scale ``softplus(extra) + 1e-3``. :meth:`inverse` maps means back to
    the user's units and :meth:`feature_log_det` gives densities in them.

    Attributes
    ----------
    center_ : ndarray of shape (n_features,)
        Mean of the observed entries of each feature.
    scale_ : ndarray of shape (n_features,)
        Their standard deviation (1 for a constant feature).
    n_features_ : int
        Number of features of the modality.

    See Also
    --------
    Laplace : The same with heavier tails.
    Bernoulli : For values in [0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skpoe.likelihoods import Gaussian
    >>> lik = Gaussian().fit(np.array([[1.0], [3.0]]))
    >>> lik.center_.tolist(), lik.scale_.tolist()
    ([2.0], [1.0])
    >>> target = torch.from_numpy(lik.target(np.array([[2.0]])))
    >>> lik.log_prob(torch.zeros(1, 1), lik.init_extra(), target)
    tensor([-0.9199])
    """

    name = "gaussian"

    def log_prob_terms(self, out, extra, target):
        scale = self._scale(extra)
        z = (target - out) / scale
        return -0.5 * z * z - torch.log(scale) - 0.5 * math.log(2 * math.pi)


class Laplace(_Standardized):
    """Laplace likelihood with a learned per-feature scale (data standardized).

    As :class:`Gaussian` (standardized values, the decoder's location in
    these units, one free scale ``b = softplus(extra) + 1e-3`` per feature),
    with the Laplace density ``exp(-|t - out| / b) / (2 b)``: heavier tails,
    so outlying values cost less.

    Attributes
    ----------
    center_ : ndarray of shape (n_features,)
        Mean of the observed entries of each feature.
    scale_ : ndarray of shape (n_features,)
        Their standard deviation (1 for a constant feature).
    n_features_ : int
        Number of features of the modality.

    See Also
    --------
    Gaussian : The same with a Gaussian density.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from skpoe.likelihoods import Laplace
    >>> lik = Laplace().fit(np.array([[1.0], [3.0]]))
    >>> target = torch.from_numpy(lik.target(np.array([[2.0]])))
    >>> lik.log_prob(torch.zeros(1, 1), lik.init_extra(), target)
    tensor([-0.6941])
    """

    name = "laplace"

    def log_prob_terms(self, out, extra, target):
        scale = self._scale(extra)
        return -(target - out).abs() / scale - torch.log(2 * scale)
