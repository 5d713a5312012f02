"""Likelihoods of values in [0, 1] and of real values (standardized internally)."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from skpoe.likelihoods.base import _SCALE_FLOOR, Likelihood, _moments, _value_range

__all__ = ["Bernoulli", "Gaussian", "Laplace"]


class Bernoulli(Likelihood):
    """Bernoulli likelihood (values in [0, 1], not binarized)."""

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
    """Gaussian likelihood with a learned per-feature scale (data standardized)."""

    name = "gaussian"

    def log_prob_terms(self, out, extra, target):
        scale = self._scale(extra)
        z = (target - out) / scale
        return -0.5 * z * z - torch.log(scale) - 0.5 * math.log(2 * math.pi)


class Laplace(_Standardized):
    """Laplace likelihood with a learned per-feature scale (data standardized)."""

    name = "laplace"

    def log_prob_terms(self, out, extra, target):
        scale = self._scale(extra)
        return -(target - out).abs() / scale - torch.log(2 * scale)
