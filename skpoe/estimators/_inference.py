"""Inference with a fitted module, over row chunks of bounded size.

:class:`Inference` holds what transform, predict_proba, score_samples,
impute and sample share: new views read and encoded one chunk of rows at a
time (:class:`~skpoe.train.lazy.LazyData`, so memory is bounded by the chunk and
not by the number of rows), the posterior over those chunks, the posterior noise shared by all rows, and
decoding into the user's units. It is given the fitted module, likelihoods
and seed, and knows nothing of the estimator.
"""

from __future__ import annotations

import functools
import numbers

import numpy as np
import torch
from sklearn.utils import check_random_state

from skpoe.data._neighbor_fill import fill_missing_entries
from skpoe.train.lazy import LazyData

__all__ = ["Inference", "CHUNK", "entry_fill", "score_chunk"]

CHUNK = 4096  # rows per forward pass
# score_samples: elements of one chunk's widest (K, rows, width) activation;
# 8 MiB of float32 stays in cache (4x this was 1.5x slower at K = 1000)
_SCORE_BUDGET = 1 << 21
# offsets of the inference seed, one per kind of draw
_PROBA, _SCORE, _SAMPLE = 1, 2, 3


def score_chunk(module, n_importance_samples, widths=(), chunk_size=CHUNK):
    """Rows per chunk of ``score_samples``: its widest (K, rows, width)
    activation (the decoders' layers and ``widths``: the likelihoods' outputs,
    the latent code) takes at most about :data:`_SCORE_BUDGET` elements."""
    hidden = [
        layer.out_features
        for dec in module.decoders
        for layer in dec.modules()
        if isinstance(layer, torch.nn.Linear)
    ]
    width = max([*widths, *hidden])
    return max(1, min(chunk_size, _SCORE_BUDGET // (n_importance_samples * width)))


def entry_fill(donors):
    """The ``fill`` of :class:`Inference` for a fit's donors (``None``: none)."""
    return None if donors is None else functools.partial(fill_missing_entries, donors)


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
    fill : callable or None, default=None
        What the encoders see in place of missing entries, block by block
        (``entry_fill="neighbors"``: :func:`skpoe.data._neighbor_fill.fill_missing_entries`
        with the fit's donors); ``None`` keeps the likelihoods' column means.
    """

    def __init__(self, module, views, label, n_components, seed, device, fill=None):
        self.chunk_size = CHUNK
        self.fill = fill
        self.module = module
        self.views = list(views)
        self.label = label
        self.n_components = n_components
        self.seed = seed
        self.device = device

    # -- data and draws --------------------------------------------------
    def data(self, arrays, observed):
        """Views ``arrays`` (fitted order) as :class:`~skpoe.train.lazy.LazyData`.

        Nothing is encoded here: each chunk of rows is read, checked against
        its likelihood and encoded when it is used, so memory is bounded by
        the chunk, whatever the number of rows. The label slot, if any, is
        unobserved.
        """
        sources, liks = list(arrays), list(self.views)
        if self.label is not None:
            n = observed.shape[0]
            sources.append(None)
            liks.append(self.label)
            observed = np.concatenate([observed, np.zeros((n, 1), bool)], 1)
        return LazyData(sources, observed, liks, self.device, check=True, fill=self.fill)

    def shared_noise(self, n_draws, offset, random_state=None, width=None):
        """Standard normal draws (n_draws, 1, width) shared by all rows.

        Every row uses the same draws, so sampled outputs of a row depend on
        that row only, whatever the batch, order or subset it comes in.
        ``random_state`` ``None`` uses the fitted model's own seed; ``width``
        ``None`` is the latent size (a joint draw of private latents is wider).
        Drawn on the CPU (a few numbers) and moved, so a model on a GPU draws
        the same noise as on the CPU.
        """
        g = torch.Generator()
        g.manual_seed(self._seed(offset, random_state))
        width = self.n_components if width is None else width
        return torch.randn((n_draws, 1, width), generator=g).to(self.device)

    def _seed(self, offset, random_state):
        if random_state is None:
            return int(self.seed + offset) % (2**63 - 1)
        return int(check_random_state(random_state).randint(2**31 - 1))

    @torch.no_grad()
    def _over_chunks(self, data, fn, size=None):
        """``fn`` of each chunk of at most ``size`` rows, stacked by rows.

        ``fn(batch, rows, raws)`` returns a tensor or array, or a tuple of
        them; each chunk's result is written into one float64 output array
        (or a tuple of them) allocated at the first chunk.
        """
        size = size or self.chunk_size
        self.module.eval()
        out = None
        for rows, raws, batch in data.blocks(size):
            part = _host(fn(batch, rows, raws))
            parts = part if isinstance(part, tuple) else (part,)
            if out is None:
                out = tuple(np.empty((data.n,) + p.shape[1:]) for p in parts)
            for o, p in zip(out, parts):
                o[rows] = p
        assert out is not None, "data.blocks yields at least one chunk"
        return out if isinstance(part, tuple) else out[0]

    # -- what the estimator asks -----------------------------------------
    def posterior(self, data):
        """Posterior mean and variance (numpy) of each row."""
        return self._over_chunks(data, lambda batch, *_: self.module.infer(batch))

    def transform(self, data):
        """Posterior means as a float64 array."""
        return self._over_chunks(data, lambda batch, *_: self.module.infer(batch)[0])

    def predict_proba(self, data, n_samples, random_state=None):
        """Label probabilities averaged over ``n_samples`` posterior draws."""
        if not isinstance(n_samples, numbers.Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        eps = self.shared_noise(int(n_samples), _PROBA, random_state)
        dec = self.module.decoders[len(self.views)]

        def proba(batch, *_):
            z, _ = self.module.draw(batch, eps)
            return self.label.probabilities(dec(z))[0].mean(0)

        return self._over_chunks(data, proba)

    def score_samples(self, data, n_importance_samples, random_state=None):
        """Importance-weighted log-likelihood of each row, in the data's units."""
        K = n_importance_samples
        if not isinstance(K, numbers.Integral) or K < 1:
            raise ValueError(f"n_importance_samples must be a positive integer, got {K!r}.")
        liks = self.views + ([self.label] if self.label is not None else [])
        widths = [lik.n_outputs for lik in liks] + [self.n_components]
        chunk = score_chunk(self.module, K, widths, self.chunk_size)
        eps = self.shared_noise(int(K), _SCORE, random_state, self.module.noise_width)
        log_det = np.array([lik.log_det() for lik in self.views])
        n_views = len(self.views)

        def score(batch, rows, raws):
            ll = _host(self.module.importance_log_likelihood(batch, eps))
            obs = data.mask_np[rows, :n_views]
            ll = ll + obs @ log_det
            # missing entries of observed views have no change of units
            for m, lik in enumerate(self.views):
                missing = np.isnan(raws[m]) & obs[:, m : m + 1]
                if missing.any():
                    ll = ll - missing @ lik.feature_log_det()
            return ll

        return self._over_chunks(data, score, chunk)

    def impute(self, data):
        """Every view with each NaN (and each missing view) decoded from the
        posterior mean; observed entries unchanged. Dense float64 arrays."""
        n_views = len(self.views)
        out = [np.empty((data.n, lik.n_features_)) for lik in self.views]

        def fill(batch, rows, raws):
            mu, _ = self.module.infer(batch)
            codes = self.module.impute_codes(batch, mu)  # mu, or with private latents
            obs = data.mask_np[rows, :n_views]
            for m in range(n_views):
                block = np.array(raws[m], dtype=np.float64)
                block[~obs[:, m]] = np.nan
                missing = np.isnan(block)
                need = missing.any(1)  # missing views and rows with missing entries
                if need.any():
                    decoded = self.decode(m, codes[torch.from_numpy(need).to(mu.device)])
                    block[need] = np.where(missing[need], decoded, block[need])
                out[m][rows] = block
            return np.zeros((block.shape[0], 0))

        self._over_chunks(data, fill)
        return out

    @torch.no_grad()
    def decode(self, m, z):
        """Decoder mean of modality ``m`` at ``z``, in the user's units."""
        lik = self.label if m == len(self.views) else self.views[m]
        mean = self.module.decode_mean(m, z).cpu().double().numpy()
        return lik.inverse(mean)

    def sample(self, n_samples, random_state):
        """Decoded views (list) and label codes (or ``None``) for z ~ N(0, I)
        (with private latents, a joint draw of z and every view's w_m)."""
        if not isinstance(n_samples, numbers.Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        g = torch.Generator()  # on the CPU, as shared_noise
        g.manual_seed(self._seed(_SAMPLE, random_state))
        self.module.eval()
        z = torch.randn((int(n_samples), self.module.noise_width), generator=g).to(self.device)
        views = [self.decode(m, z) for m in range(len(self.views))]
        codes = None
        if self.label is not None:
            codes = self.decode(len(self.views), z)[:, 0].astype(int)
        return views, codes


def _host(value):
    """Tensors (or a tuple of them) as float64 numpy arrays."""
    if isinstance(value, tuple):
        return tuple(_host(v) for v in value)
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().double().numpy()
    return np.asarray(value, dtype=np.float64)
