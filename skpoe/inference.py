"""Inference with a fitted module, over row chunks of bounded size.

:class:`Inference` holds what transform, predict_proba, score_samples,
impute and sample share: encoding new views into :class:`TensorData`, the
posterior over row chunks, the posterior noise shared by all rows, and
decoding into the user's units. It is given the fitted module, likelihoods
and seed, and knows nothing of the estimator.
"""

from __future__ import annotations

import numbers

import numpy as np
import torch
from sklearn.utils import check_random_state

from ._validation import encode
from .training import TensorData

__all__ = ["Inference", "CHUNK"]

CHUNK = 4096  # rows per forward pass
# score_samples: elements of one chunk's widest (K, rows, width) activation;
# 8 MiB of float32 stays in cache (4x this was 1.5x slower at K = 1000)
_SCORE_BUDGET = 1 << 21
# offsets of the inference seed, one per kind of draw
_PROBA, _SCORE, _SAMPLE = 1, 2, 3


class Inference:
    """Posterior, draws and decoding of a fitted multimodal module.

    Parameters
    ----------
    module : MultimodalModule
        The fitted networks; modalities ``0 .. len(views) - 1`` are the views
        and, with labels, the next one is the label.
    views : list of Likelihood
        Fitted likelihood of each view, in fitted order.
    label : Categorical or None
        Fitted likelihood of the labels (``None`` without labels).
    n_components : int
        Size of the latent space.
    seed : int
        The fitted model's inference seed: every draw derives from it.
    device : torch.device
        Device holding ``module``.
    """

    def __init__(self, module, views, label, n_components, seed, device):
        self.module = module
        self.views = list(views)
        self.label = label
        self.n_components = n_components
        self.seed = seed
        self.device = device

    # -- data and draws --------------------------------------------------
    def data(self, arrays, observed):
        """Views ``arrays`` (fitted order) as :class:`TensorData`.

        Each view's observed rows are checked against its likelihood; the
        label slot, if any, is unobserved.
        """
        for arr, obs, lik in zip(arrays, observed.T, self.views):
            lik.check(arr[obs])
        inputs, targets = encode(arrays, observed, self.views)
        if self.label is not None:
            n = observed.shape[0]
            inputs.append(np.zeros((n, self.label.n_inputs), np.float32))
            targets.append(np.zeros((n, 1), np.int64))
            observed = np.concatenate([observed, np.zeros((n, 1), bool)], 1)
        return TensorData(inputs, targets, observed, self.device)

    def shared_noise(self, n_draws, offset):
        """Standard normal draws (n_draws, 1, D) shared by all rows.

        Every row uses the same draws, so sampled outputs of a row depend on
        that row only, whatever the batch, order or subset it comes in.
        """
        g = torch.Generator(device=self.device)
        g.manual_seed(int(self.seed + offset) % (2**63 - 1))
        return torch.randn((n_draws, 1, self.n_components), generator=g, device=self.device)

    @torch.no_grad()
    def _over_chunks(self, data, fn, size=CHUNK):
        """``fn`` of each chunk of at most ``size`` rows, concatenated by rows.

        ``fn`` returns a tensor or a tuple of tensors.
        """
        self.module.eval()
        parts = [fn(batch) for _, batch in data.chunks(size)]
        if parts and not isinstance(parts[0], torch.Tensor):
            return tuple(torch.cat(p) for p in zip(*parts))
        return torch.cat(parts)

    @staticmethod
    def _numpy(t):
        return t.cpu().double().numpy()

    # -- what the estimator asks -----------------------------------------
    def posterior(self, data):
        """Posterior mean and variance (torch) of each row."""
        return self._over_chunks(data, self.module.infer)

    def transform(self, data):
        """Posterior means as a float64 array."""
        mu, _ = self.posterior(data)
        return self._numpy(mu)

    def predict_proba(self, data, n_samples):
        """Label probabilities averaged over ``n_samples`` posterior draws."""
        eps = self.shared_noise(int(n_samples), _PROBA)
        dec = self.module.decoders[len(self.views)]

        def proba(batch):
            z, _ = self.module.draw(batch, eps)
            return self.label.probabilities(dec(z))[0].mean(0)

        return self._numpy(self._over_chunks(data, proba))

    def score_samples(self, data, arrays, n_importance_samples):
        """Importance-weighted log-likelihood of each row, in the data's units."""
        K = int(n_importance_samples)
        if K < 1:
            raise ValueError(f"n_importance_samples must be >= 1, got {K}.")
        liks = self.views + ([self.label] if self.label is not None else [])
        hidden = [
            layer.out_features
            for dec in self.module.decoders
            for layer in dec.modules()
            if isinstance(layer, torch.nn.Linear)
        ]
        width = max([l.n_outputs for l in liks] + hidden)
        chunk = max(1, min(CHUNK, _SCORE_BUDGET // (K * max(width, self.n_components))))
        eps = self.shared_noise(K, _SCORE)
        ll = self._numpy(
            self._over_chunks(
                data, lambda batch: self.module.importance_log_likelihood(batch, eps), chunk
            )
        )
        log_det = np.array([lik.log_det() for lik in self.views])
        obs = data.mask[:, : len(self.views)].cpu().numpy()
        # missing entries of observed views have no change of units
        unseen = np.zeros(len(ll))
        for m, lik in enumerate(self.views):
            missing = np.isnan(arrays[m]) & obs[:, m : m + 1]
            if missing.any():
                unseen += missing @ lik.feature_log_det()
        return ll + obs @ log_det - unseen

    def impute(self, data, arrays):
        """Copies of ``arrays`` with every NaN decoded from the posterior mean."""
        mu, _ = self.posterior(data)
        out = []
        for m, arr in enumerate(arrays):
            filled = arr.copy()
            missing = np.isnan(filled)
            rows = missing.any(1)  # missing views and rows with missing entries
            if rows.any():
                decoded = self.decode(m, mu[torch.from_numpy(rows).to(mu.device)])
                filled[rows] = np.where(missing[rows], decoded, filled[rows])
            out.append(filled)
        return out

    @torch.no_grad()
    def decode(self, m, z):
        """Decoder mean of modality ``m`` at ``z``, in the user's units."""
        lik = self.label if m == len(self.views) else self.views[m]
        mean = self.module.decode_mean(m, z).cpu().double().numpy()
        return lik.inverse(mean)

    def sample(self, n_samples, random_state):
        """Decoded views (list) and label codes (or ``None``) for z ~ N(0, I)."""
        if not isinstance(n_samples, numbers.Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        g = torch.Generator(device=self.device)
        if random_state is None:
            g.manual_seed(self.seed + _SAMPLE)
        else:
            g.manual_seed(int(check_random_state(random_state).randint(2**31 - 1)))
        self.module.eval()
        z = torch.randn((n_samples, self.n_components), generator=g, device=self.device)
        views = [self.decode(m, z) for m in range(len(self.views))]
        codes = None
        if self.label is not None:
            codes = self.decode(len(self.views), z)[:, 0].astype(int)
        return views, codes
