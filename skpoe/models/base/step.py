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
    """Mixin: the step loss of :class:`~skpoe.models.base.MultimodalModule`.

    See Also
    --------
    LossTerms : The parts the step evaluates.
    Inference : Posteriors and importance weights.

    Examples
    --------
    >>> from skpoe.models import MultimodalModule
    >>> from skpoe.models.base.step import StepLoss
    >>> issubclass(MultimodalModule, StepLoss)
    True
    """

    def paired_loss(self, batch, sample=True):
        """Per-row loss of a batch of paired samples, computed on its own.

        Parameters
        ----------
        batch : Batch
            Rows with two or more observed modalities.
        sample : bool, default=True
            Draw z (``False``: z at the posterior means).

        Returns
        -------
        loss : torch.Tensor
            The value of :meth:`paired_terms` on the batch, shape (n,).

        See Also
        --------
        loss : The loss of a whole step, the groups fused.
        single_loss : The loss of rows with one observed modality.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> module.paired_loss(batch, sample=False).shape
        torch.Size([4])
        """
        return self.evaluate(self.paired_terms(self.encode(batch), sample))

    def single_loss(self, m, x, target, sample=True):
        """Mean single-modality loss of a minibatch drawn from modality m.

        Parameters
        ----------
        m : int
            The modality.
        x : torch.Tensor
            Encoder inputs of modality m, shape (n, n_inputs).
        target : torch.Tensor
            Likelihood targets of modality m, shape (n, n_features).
        sample : bool, default=True
            Draw z (``False``: z at the posterior means).

        Returns
        -------
        loss : torch.Tensor
            The mean of :meth:`single_elbo_terms` over the rows, a scalar.

        See Also
        --------
        single_elbo_terms : The per-row terms.
        loss : The loss of a whole step.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> module.single_loss(0, x, x).ndim
        0
        """
        mu_m, prec_m = self.encoders[m](x)
        return self.evaluate(self.single_elbo_terms(m, mu_m, prec_m, target, sample)).mean()

    def loss(self, paired, singles, sample=True, fused=True, weights=None):
        """Loss of one optimiser step: paired groups plus one group per modality.

        Each group is averaged over its own minibatch; groups are summed. The
        step runs under autocast when the module's ``autocast_dtype`` is set
        (see :mod:`skpoe.models.acceleration`).

        Parameters
        ----------
        paired : list of Batch
            Minibatches of rows with two or more observed modalities.
        singles : list of (int, torch.Tensor, torch.Tensor)
            Minibatches ``(m, x, target)`` of rows of modality m alone: its
            encoder inputs and likelihood targets.
        sample : bool, default=True
            Draw z (``False``: z at the posterior means).
        fused : bool, default=True
            Compute the paired groups as one batch (every paired term is a
            per-row quantity masked by the row's observed set), run each
            modality's encoder once over the rows of every group and its
            decoder once over every code the groups decode: the same numbers
            up to floating-point rounding (the same distribution of draws,
            not the same draws). ``False`` computes group by group.
        weights : list of float, default=None
            Factor of each group's mean in the total (paired groups first);
            data-parallel training scales a process's share of a group.

        Returns
        -------
        record : LossRecord
            The total, and the detached mean of each group, named
            ``paired_0, ...`` then ``single_<m>``.

        See Also
        --------
        paired_loss : One paired group on its own.
        single_loss : One single group on its own.
        skpoe.models.fused : How the groups are fused.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> record = module.loss([batch], [(0, x, x)])
        >>> sorted(record.terms)
        ['paired_0', 'single_0']
        >>> record.total.requires_grad
        True
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
        """Mean label terms of a minibatch of unlabeled rows (see :mod:`skpoe.models.unlabeled`).

        The soft pseudo-label terms (weighted by ``pseudo_label_weight``) and
        the cross-view agreement terms (``agreement_weight``), both times the
        label's weight; 0 when both weights are 0.

        Parameters
        ----------
        batch : Batch
            Unlabeled rows (the label modality unobserved in ``batch.mask``).
        soft : torch.Tensor
            Soft targets, shape (n, n_classes) (rows of zeros where there is none).
        weight : torch.Tensor
            Confidence of each row's target, shape (n,) (0: no pseudo-label term).
        sample : bool, default=True
            Draw z (``False``: z at the posterior means).

        Returns
        -------
        loss : torch.Tensor
            The mean over the rows, a scalar.

        See Also
        --------
        skpoe.models.unlabeled.unlabeled_label_terms : The per-row terms.
        loss : The loss of the labeled and paired groups.

        Examples
        --------
        >>> import numpy as np
        >>> import torch
        >>> from skpoe.likelihoods import Categorical, Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> y = np.array([[0], [1], [2], [0]])
        >>> liks = [Gaussian().fit(x.numpy(), "x"), Categorical().fit(y, "y")]
        >>> module = MVAEModule(
        ...     liks, n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2, label=1,
        ...     pseudo_label_weight=1.0,
        ... )
        >>> unlabeled = torch.tensor([[True, False]] * 4)
        >>> batch = Batch([x, torch.zeros(4, 3)], [x, torch.zeros(4, 1)], unlabeled)
        >>> soft = torch.full((4, 3), 1 / 3)
        >>> bool(module.unlabeled_label_loss(batch, soft, torch.ones(4)) > 0)
        True
        """
        with step_autocast(self):
            return unlabeled_label_terms(self, batch, soft, weight, sample).mean()
