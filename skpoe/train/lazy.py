"""Data that is encoded one block of rows at a time.

:class:`LazyData` has the interface the training loop and inference use of
:class:`~skpoe.train._trainer.TensorData` (``n``, ``mask``, ``batch(idx, present,
max_observed)``, ``chunks(size)``, ``inputs[m][idx]`` and
``targets[m][idx]``), but keeps each view where it is (an in-memory array,
a sparse matrix or an on-disk array, see :mod:`skpoe.data.sources`) and encodes
only the rows a minibatch or chunk asks for. :func:`make_data` keeps dense
in-memory training data on the fast path (whole tensors on the device).
"""

from __future__ import annotations

import numpy as np
import torch

from skpoe.data._validation import encode, encoded_copy_bytes, own_inputs
from skpoe.data.sources import ViewSource, as_source
from skpoe.models.batch import Batch
from skpoe.train.batches import TensorData, UnlabeledTargets, host_to_device

__all__ = ["LazyData", "make_data"]


class _Column:
    """``data.inputs[m][idx]`` / ``data.targets[m][idx]`` of a LazyData."""

    def __init__(self, data, which):
        self.data, self.which = data, which

    def __getitem__(self, m):
        return _ColumnOf(self.data, m, self.which)

    def __len__(self):
        return len(self.data.sources)


class _ColumnOf:
    def __init__(self, data, m, which):
        self.data, self.m, self.which = data, m, which

    def __getitem__(self, idx):
        return self.data.encoded(self.m, idx)[self.which]


class LazyData(UnlabeledTargets):
    """Views encoded per minibatch or chunk; only the mask lives on the device.

    Parameters
    ----------
    sources : list of (ndarray, ViewSource or None)
        One per modality in fitted order; ``None`` is a modality observed
        in no row (the label slot at inference).
    mask : ndarray of bool of shape (n_samples, n_modalities)
    liks : list of Likelihood
    device : torch.device
    check : bool, default=False
        Check each block's observed rows against its fitted likelihood
        (new data at inference time).
    fill : callable or None, default=None
        ``fill(raws, observed)`` gives the raw views whose missing entries
        the encoders see filled (e.g.
        :func:`skpoe.data._neighbor_fill.fill_missing_entries`); the targets
        keep them missing. Used by the blocks of inference, not by training.
    """

    def __init__(self, sources, mask, liks, device, check=False, fill=None):
        self.sources = [
            None if s is None else as_source(s, lik.modality) for s, lik in zip(sources, liks)
        ]
        self.liks = list(liks)
        self.mask_np = np.asarray(mask, bool)
        self.mask = torch.as_tensor(self.mask_np).to(device)
        self.device = device
        self.index_device = torch.device("cpu")  # minibatch rows are read on the host
        self.check = check
        self.fill = fill
        self.inputs = _Column(self, 0)
        self.targets = _Column(self, 1)
        self._last = None

    @property
    def n(self):
        return self.mask_np.shape[0]

    def read(self, m, rows):
        """Raw rows of modality ``m`` (float64, NaN kept); NaN for ``None``."""
        src = self.sources[m]
        if src is None:
            k = len(range(self.n)[rows]) if isinstance(rows, slice) else len(rows)
            return np.full((k, self.liks[m].n_features_), np.nan)
        return src.read(rows)

    def _encode_block(self, m, raw, obs, filled=None):
        lik = self.liks[m]
        if self.check:
            lik.check(raw[obs])  # a fill is a mean of donors the fit checked
        (x,), (t,) = encode([raw], obs[:, None], [lik], inputs_from=[filled])
        return self._to_device(x), self._to_device(t)

    def _to_device(self, a):
        """A host block on the device (:func:`~skpoe.train.batches.host_to_device`)."""
        return host_to_device(torch.from_numpy(a), self.device)

    def encoded(self, m, idx):
        """(input, target) tensors of modality ``m`` at rows ``idx`` (tensor)."""
        if self._last is not None and self._last[0] == m and self._last[1] is idx:
            return self._last[2]
        rows = idx.cpu().numpy()
        out = self._encode_block(m, self.read(m, rows), self.mask_np[rows, m])
        self._last = (m, idx, out)
        return out

    def _batch(self, rows, mask, present=None, max_observed=None, raws=None):
        inputs, targets = [], []
        filled = raws
        if self.fill is not None and present is None:
            if raws is None:
                raws = [self.read(m, rows) for m in range(len(self.liks))]
            filled = self.fill(raws, self.mask_np[rows])
        for m, lik in enumerate(self.liks):
            obs = self.mask_np[rows, m]
            if present is not None and m not in present:
                raw = np.full((len(obs), lik.n_features_), np.nan)
                obs = np.zeros(len(obs), bool)
            else:
                raw = raws[m] if raws is not None else self.read(m, rows)
            fill = None if filled is raws or filled[m] is raw else filled[m]
            x, t = self._encode_block(m, raw, obs, fill)  # the encoder sees the fill
            inputs.append(x)
            targets.append(t)
        return Batch(inputs, targets, mask, present, max_observed)

    def batch(self, idx, present=None, max_observed=None):
        """Rows ``idx`` (a LongTensor on the device) as a :class:`Batch`."""
        mask = self.mask[idx.to(self.device, non_blocking=True)]
        return self._batch(idx.cpu().numpy(), mask, present, max_observed)

    def blocks(self, size):
        """``(rows, raws, batch)`` over consecutive blocks of at most ``size``
        rows: the slice, each modality's raw rows and the encoded batch."""
        for start in range(0, self.n, size):
            rows = slice(start, min(start + size, self.n))
            raws = [self.read(m, rows) for m in range(len(self.liks))]
            yield rows, raws, self._batch(rows, self.mask[rows], raws=raws)

    def chunks(self, size):
        """Consecutive row batches of at most ``size`` rows."""
        for rows, _, batch in self.blocks(size):
            yield torch.arange(rows.start, rows.stop, device=self.device), batch


#: On the CPU, in-memory views whose encoded copy (the float32 encoder inputs
#: of views that are not their own input, e.g. standardized Gaussian views)
#: would take more than this many bytes are encoded one minibatch at a time
#: instead, as on-disk views are: the same values bit for bit, no copy of the
#: data, under 1% more time per step (``benchmarks/results/streamed_fit.md``).
STREAM_COPY_BYTES = 64 * 2**20

#: Share of a CUDA device's free memory that in-memory training data may
#: take; larger data stays on the host and is copied one minibatch at a time.
DEVICE_DATA_SHARE = 0.5


def fits_on_device(tensors, device):
    """Whether ``tensors`` (arrays) take at most :data:`DEVICE_DATA_SHARE` of
    ``device``'s free memory (always true off CUDA)."""
    if device.type != "cuda":
        return True
    free, _ = torch.cuda.mem_get_info(device)
    return sum(t.nbytes for t in tensors) <= DEVICE_DATA_SHARE * free


def make_data(arrays, observed, liks, device, stage_on_host=None):
    """Training data: whole tensors for in-memory arrays, else :class:`LazyData`.

    In-memory views whose encoded copy would exceed :data:`STREAM_COPY_BYTES`
    on the CPU are streamed through :class:`LazyData` as well.

    In-memory data goes to the device whole, unless ``stage_on_host`` (by
    default: when it does not fit, :func:`fits_on_device`) keeps it on the
    host, from where each minibatch is copied through pinned memory.
    """
    streamed = any(isinstance(a, ViewSource) for a in arrays)
    own = None  # which views are their own encoder input: one pass, asked twice
    if not streamed and device.type == "cpu":
        own = own_inputs(arrays, observed, liks)
        streamed = encoded_copy_bytes(arrays, observed, liks, own) > STREAM_COPY_BYTES
    if not streamed:
        inputs, targets = encode(arrays, observed, liks, own=own)
        if stage_on_host is None:
            unique = {id(t): t for t in inputs + targets}.values()  # a target may be its input
            stage_on_host = not fits_on_device(list(unique), device)
        return TensorData(inputs, targets, observed, device, stage_on_host)
    return LazyData(arrays, observed, liks, device)
