"""The loss of one optimiser step, fused over groups, and the losses of single groups.

A mixin of :class:`~skpoe.models.base.MultimodalModule`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from skpoe.models.acceleration import step_autocast
from skpoe.models.batch import LossRecord
from skpoe.models.fused import concat_batches, decode_fused, encode_groups, evaluate, gather
from skpoe.models.unlabeled import unlabeled_label_terms
from skpoe.noise import shard_parts

if TYPE_CHECKING:
    from skpoe.models._host import ModelHost
else:
    ModelHost = object  # the mixin's base at run time (skpoe.models._host)

__all__ = ["StepLoss"]


class StepLoss(ModelHost):
    """Mixin: the step loss of :class:`~skpoe.models.base.MultimodalModule`."""

    def paired_loss(self, batch, sample=True):
        """Per-row loss (n,) of a batch of paired samples, computed on its own."""
        return self.evaluate(self.paired_terms(self.encode(batch), sample))

    def single_loss(self, m, x, target, sample=True):
        """Mean single-modality loss of a minibatch drawn from modality m."""
        mu_m, prec_m = self.encoders[m](x)
        return self.evaluate(self.single_elbo_terms(m, mu_m, prec_m, target, sample)).mean()

    def loss(self, paired, singles, sample=True, fused=True, weights=None):
        """Loss of one optimiser step: paired groups plus one group per modality.

        Each group is averaged over its own minibatch; groups are summed.

        Parameters
        ----------
        paired : list of Batch
            Minibatches of rows with two or more observed modalities.
        singles : list of (m, x, target)
        sample : bool
            Draw z (``False``: z at the posterior means).
        fused : bool
            Compute the paired groups as one batch (every paired term is a
            per-row quantity masked by the row's observed set), run each
            modality's encoder once over the rows of every group and its
            decoder once over every code the groups decode: the same numbers
            up to floating-point rounding (the same distribution of draws,
            not the same draws). ``False`` computes group by group.
        weights : list of float, default=None
            Factor of each group's mean in the total (paired groups first);
            data-parallel training scales a process's share of a group.

        The step runs under autocast when the module's ``autocast_dtype`` is
        set (see :mod:`skpoe.models.acceleration`).
        """
        with step_autocast(self):
            per_row = self._group_losses(paired, singles, sample, fused)
        names = [f"paired_{i}" for i in range(len(paired))] + [f"single_{m}" for m, _, _ in singles]
        terms = {}
        total: torch.Tensor | float = 0.0
        for i, (name, rows) in enumerate(zip(names, per_row)):
            mean = rows.mean()
            terms[name] = mean.detach()
            total = total + (mean if weights is None else weights[i] * mean)
        return LossRecord(total, terms)

    def _group_losses(self, paired, singles, sample, fused):
        """Per-row losses of each paired group, then of each single group."""
        if fused:
            sizes = [batch.n for batch in paired]
            merged = [concat_batches(paired)] if paired else []
            experts, heads = encode_groups(self, merged, singles)
        else:
            experts = [self.encode(batch) for batch in paired]
            heads = [self.encoders[m](x) for m, x, _ in singles]
        parts = [self.paired_terms(e, sample) for e in experts] + [
            self.single_elbo_terms(m, mu, prec, target, sample)
            for (m, _, target), (mu, prec) in zip(singles, heads)
        ]
        parts = shard_parts(parts, len(experts))  # data-parallel: each part's rows (skpoe.noise)
        if fused:
            per_row = evaluate(gather(parts), lambda requests: decode_fused(self, requests))
            per_row = list(per_row[0].split(sizes)) + per_row[1:] if paired else per_row
        else:
            per_row = [self.evaluate(part) for part in parts]
        return per_row

    def unlabeled_label_loss(self, batch, soft, weight, sample=True):
        """Mean label terms of a minibatch of unlabeled rows (see :mod:`skpoe.models.unlabeled`)."""
        with step_autocast(self):
            return unlabeled_label_terms(self, batch, soft, weight, sample).mean()
