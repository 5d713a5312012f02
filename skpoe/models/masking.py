"""Observed entries hidden from the encoders at random during training.

A model whose encoders only ever saw complete rows (or rows with the fit's
own rate of missing entries) degrades fast when new rows miss more entries.
With entry masking each training step hides, in every row of a masked view,
a random share of the entries from that view's encoder: the row draws a rate
uniformly in ``[0, rate]`` and each entry is hidden with that probability,
taking the same fill (its column's training mean, in encoded space) that a
truly missing entry takes at predict time. The likelihood still scores the
full row, so the decoders learn to fill what the encoders did not see.
"""

from __future__ import annotations

import torch

from skpoe.models.batch import Batch

__all__ = ["EntryMasking", "masked_inputs", "masked_batch"]


class EntryMasking:
    """Masking rates and fills of the masked views.

    Parameters
    ----------
    rates : dict of int to float
        Largest per-row share of hidden entries, by modality index; views
        left out (or with rate 0) are never masked.
    fills : dict of int to array-like
        The encoded value a hidden entry takes, by modality index (the
        likelihood's ``fill_``).
    device : torch.device
    """

    def __init__(self, rates, fills, device):
        self.rates = {m: float(r) for m, r in rates.items() if r > 0}
        self.fills = {
            m: torch.as_tensor(fills[m], dtype=torch.float32).to(device) for m in self.rates
        }

    def __bool__(self):
        return bool(self.rates)

    def inputs(self, m, x):
        """Modality ``m``'s encoder input ``x`` with random entries hidden."""
        rate = self.rates.get(m)
        if rate is None or x.shape[0] == 0:
            return x
        row_rate = torch.rand(x.shape[0], 1, device=x.device) * rate
        hide = torch.rand(x.shape, device=x.device) < row_rate
        return torch.where(hide, self.fills[m].to(x.dtype), x)

    def batch(self, batch):
        """A :class:`~skpoe.models.base.Batch` whose masked views' inputs are masked."""
        inputs = [self.inputs(m, x) for m, x in enumerate(batch.inputs)]
        return Batch(inputs, batch.targets, batch.mask, batch.present, batch.max_observed)


def masked_inputs(data, m, x):
    """``x`` (modality ``m``'s encoder input from ``data``) after the data's masking, if any."""
    masking = getattr(data, "entry_masking", None)
    return masking.inputs(m, x) if masking else x


def masked_batch(data, batch):
    """``batch`` (from ``data``) after the data's masking, if any."""
    masking = getattr(data, "entry_masking", None)
    return masking.batch(batch) if masking else batch
