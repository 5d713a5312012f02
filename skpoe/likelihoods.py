"""Per-modality likelihoods.

A likelihood object holds the preprocessing state of one modality (numpy only,
fitted on the observed training rows) and the tensor functions of its decoder
distribution. The decoder network outputs ``n_outputs`` numbers per sample;
the likelihood may own ``n_extra`` free parameters per feature (a scale or a
dispersion), which the decoder module stores and passes back.

=================  ====================  =====================================
name               data                  decoder output
=================  ====================  =====================================
``bernoulli``      values in [0, 1]      logits
``gaussian``       real values           mean (standardized units) + scale
``laplace``        real values           location (standardized) + scale
``poisson``        counts >= 0           log rate
``negative_binomial`` counts >= 0        log mean + inverse dispersion
``categorical``    integer codes >= 0    logits per column and category
=================  ====================  =====================================
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

__all__ = [
    "Likelihood",
    "Bernoulli",
    "Gaussian",
    "Laplace",
    "Poisson",
    "NegativeBinomial",
    "Categorical",
    "get_likelihood",
    "auto_likelihood",
    "LIKELIHOODS",
]

_SCALE_FLOOR = 1e-3


class Likelihood:
    """Base class: preprocessing state plus decoder distribution.

    Subclasses set ``name`` and implement :meth:`log_prob` and :meth:`mean`.
    """

    name = "base"
    n_extra_per_feature = 0
    target_dtype = torch.float32

    def fit(self, X, modality="X"):
        """Learn preprocessing state from the observed rows ``X`` (numpy)."""
        self.modality = modality
        self._check_values(X)
        self.n_features_ = X.shape[1]
        return self

    def _check_values(self, X):
        return None

    def check(self, X):
        """Check observed rows of new data against this fitted likelihood."""
        self._check_values(X)

    # -- shapes ---------------------------------------------------------
    @property
    def n_inputs(self):
        """Width of the encoder input."""
        return self.n_features_

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
    def encoder_input(self, X):
        """Map observed rows to the encoder's input (float32 numpy)."""
        return X.astype(np.float32)

    def target(self, X):
        """Map observed rows to the values :meth:`log_prob` scores."""
        return X.astype(np.float32)

    def inverse(self, T):
        """Map target-space values (numpy) back to the user's units."""
        return T

    def log_det(self):
        """log |d target / d x| summed over features (density change of units)."""
        return 0.0

    # -- tensor functions ------------------------------------------------
    def log_prob(self, out, extra, target):
        """Log-likelihood of ``target`` given decoder output, summed over features."""
        raise NotImplementedError

    def mean(self, out, extra):
        """Mean of the decoder distribution in target space."""
        raise NotImplementedError

    def __repr__(self):
        return f"{type(self).__name__}()"


class Bernoulli(Likelihood):
    """Bernoulli likelihood (values in [0, 1], not binarized)."""

    name = "bernoulli"

    def _check_values(self, X):
        if X.size and (X.min() < 0 or X.max() > 1):
            raise ValueError(
                f"Modality {self.modality!r} has values outside [0, 1] "
                f"(min {X.min():.4g}, max {X.max():.4g}); the 'bernoulli' "
                "likelihood needs values in [0, 1]. Use 'gaussian' for real values."
            )

    def log_prob(self, out, extra, target):
        return -F.binary_cross_entropy_with_logits(
            out, target.expand_as(out), reduction="none"
        ).sum(-1)

    def mean(self, out, extra):
        return torch.sigmoid(out)


class _Standardized(Likelihood):
    """Real-valued likelihood on internally standardized data."""

    n_extra_per_feature = 1

    def fit(self, X, modality="X"):
        super().fit(X, modality)
        if X.shape[0]:
            self.center_ = X.mean(axis=0)
            scale = X.std(axis=0)
        else:
            self.center_ = np.zeros(X.shape[1])
            scale = np.ones(X.shape[1])
        scale[~(scale > 1e-12 * np.maximum(1.0, np.abs(self.center_)))] = 1.0
        self.scale_ = scale
        return self

    def encoder_input(self, X):
        return ((X - self.center_) / self.scale_).astype(np.float32)

    target = encoder_input

    def inverse(self, T):
        return T * self.scale_ + self.center_

    def log_det(self):
        return -float(np.log(self.scale_).sum())

    def init_extra(self):
        # softplus(0.5413) = 1: unit scale in standardized units
        return torch.full((self.n_extra,), 0.5413)

    def _scale(self, extra):
        return F.softplus(extra) + _SCALE_FLOOR

    def mean(self, out, extra):
        return out


class Gaussian(_Standardized):
    """Gaussian likelihood with a learned per-feature scale (data standardized)."""

    name = "gaussian"

    def log_prob(self, out, extra, target):
        scale = self._scale(extra)
        z = (target - out) / scale
        return (-0.5 * z * z - torch.log(scale) - 0.5 * math.log(2 * math.pi)).sum(-1)


class Laplace(_Standardized):
    """Laplace likelihood with a learned per-feature scale (data standardized)."""

    name = "laplace"

    def log_prob(self, out, extra, target):
        scale = self._scale(extra)
        return (-(target - out).abs() / scale - torch.log(2 * scale)).sum(-1)


class _Counts(Likelihood):
    """Count likelihoods: encoder sees standardized log1p counts."""

    def _check_values(self, X):
        if X.size and (X.min() < 0 or not np.all(X == np.round(X))):
            raise ValueError(
                f"Modality {self.modality!r} must hold non-negative integer counts "
                f"for the {self.name!r} likelihood."
            )

    def fit(self, X, modality="X"):
        super().fit(X, modality)
        L = np.log1p(X)
        self.center_ = L.mean(axis=0) if X.shape[0] else np.zeros(X.shape[1])
        scale = L.std(axis=0) if X.shape[0] else np.ones(X.shape[1])
        scale[scale < 1e-12] = 1.0
        self.scale_ = scale
        return self

    def encoder_input(self, X):
        return ((np.log1p(X) - self.center_) / self.scale_).astype(np.float32)

    def mean(self, out, extra):
        return torch.exp(out.clamp(max=20.0))


class Poisson(_Counts):
    """Poisson likelihood for counts; the decoder outputs the log rate."""

    name = "poisson"

    def log_prob(self, out, extra, target):
        out = out.clamp(max=20.0)
        return (target * out - torch.exp(out) - torch.lgamma(target + 1)).sum(-1)


class NegativeBinomial(_Counts):
    """Negative binomial for over-dispersed counts (log mean + inverse dispersion)."""

    name = "negative_binomial"
    n_extra_per_feature = 1

    def log_prob(self, out, extra, target):
        log_mu = out.clamp(max=20.0)
        r = F.softplus(extra) + _SCALE_FLOOR
        log_r = torch.log(r)
        log_r_mu = torch.logaddexp(log_r, log_mu)
        return (
            torch.lgamma(target + r)
            - torch.lgamma(r)
            - torch.lgamma(target + 1)
            + r * (log_r - log_r_mu)
            + target * (log_mu - log_r_mu)
        ).sum(-1)


class Categorical(Likelihood):
    """Independent categorical per column; values are integer codes 0..C-1.

    Parameters
    ----------
    n_categories : int or list of int, default=None
        Number of categories per column; learned from the data (max + 1)
        when ``None``.
    """

    name = "categorical"
    target_dtype = torch.int64

    def __init__(self, n_categories=None):
        self.n_categories = n_categories

    def _check_values(self, X):
        if X.size and (X.min() < 0 or not np.all(X == np.round(X))):
            raise ValueError(
                f"Modality {self.modality!r} must hold non-negative integer "
                "category codes for the 'categorical' likelihood."
            )

    def fit(self, X, modality="X"):
        super().fit(X, modality)
        if self.n_categories is None:
            learned = X.max(axis=0).astype(int) + 1 if X.shape[0] else np.ones(X.shape[1], int)
            self.n_categories_ = [int(max(c, 1)) for c in learned]
        elif np.ndim(self.n_categories) == 0:
            self.n_categories_ = [int(self.n_categories)] * X.shape[1]
        else:
            self.n_categories_ = [int(c) for c in self.n_categories]
        if X.shape[0] and np.any(X.max(axis=0) >= np.array(self.n_categories_)):
            raise ValueError(
                f"Modality {self.modality!r} has codes >= n_categories "
                f"{self.n_categories_}."
            )
        self.offsets_ = np.concatenate([[0], np.cumsum(self.n_categories_)]).tolist()
        return self

    @property
    def n_inputs(self):
        return self.offsets_[-1]

    n_outputs = n_inputs

    def check(self, X):
        self._check_values(X)
        if X.size:
            too_big = X >= np.array(self.n_categories_)
            if too_big.any():
                row, col = (int(v[0]) for v in np.nonzero(too_big))
                raise ValueError(
                    f"Modality {self.modality!r} has category code {X[row, col]:g} "
                    f"(observed row {row}, column {col}) not seen during fit; column "
                    f"{col} has {self.n_categories_[col]} categories."
                )

    def encoder_input(self, X):
        out = np.zeros((X.shape[0], self.offsets_[-1]), dtype=np.float32)
        codes = np.clip(X.astype(np.int64), 0, None)
        rows = np.arange(X.shape[0])
        for j in range(X.shape[1]):
            c = np.minimum(codes[:, j], self.n_categories_[j] - 1)
            out[rows, self.offsets_[j] + c] = 1.0
        return out

    def target(self, X):
        return X.astype(np.int64)

    def _logits(self, out):
        o = self.offsets_
        return [out[..., o[j] : o[j + 1]] for j in range(len(self.n_categories_))]

    def log_prob(self, out, extra, target):
        total = 0.0
        for j, logits in enumerate(self._logits(out)):
            lp = torch.log_softmax(logits, dim=-1)
            total = total + lp.gather(-1, target[..., j : j + 1].expand(*lp.shape[:-1], 1)).squeeze(-1)
        return total

    def probabilities(self, out):
        """Softmax per column: list of tensors (..., C_j)."""
        return [torch.softmax(l, dim=-1) for l in self._logits(out)]

    def mean(self, out, extra):
        """Most probable code per column (float, so it stacks with other views)."""
        return torch.stack([l.argmax(-1) for l in self._logits(out)], dim=-1).float()

    def __repr__(self):
        return f"Categorical(n_categories={self.n_categories!r})"


LIKELIHOODS = {
    cls.name: cls
    for cls in (Bernoulli, Gaussian, Laplace, Poisson, NegativeBinomial, Categorical)
}


def auto_likelihood(X_observed):
    """Bernoulli for data in [0, 1], Gaussian otherwise."""
    if X_observed.size and X_observed.min() >= 0 and X_observed.max() <= 1:
        return Bernoulli()
    return Gaussian()


def get_likelihood(spec, X_observed, modality):
    """Build and fit a likelihood from ``"auto"``, a name or an instance."""
    if spec is None or (isinstance(spec, str) and spec == "auto"):
        lik = auto_likelihood(X_observed)
    elif isinstance(spec, str):
        if spec not in LIKELIHOODS:
            raise ValueError(
                f"Unknown likelihood {spec!r} for modality {modality!r}; choose "
                f"one of {sorted(LIKELIHOODS)} or 'auto'."
            )
        lik = LIKELIHOODS[spec]()
    elif isinstance(spec, Likelihood):
        import copy

        lik = copy.deepcopy(spec)
    else:
        raise TypeError(
            f"likelihoods[{modality!r}] must be a name or a skpoe.likelihoods."
            f"Likelihood, got {type(spec).__name__}."
        )
    return lik.fit(X_observed, modality)
