"""The leave-one-out objective of Kutuzova et al. (2021), as a mixin.

Used by the product-of-experts model and VAEVAE: a model class inherits
:class:`LeaveOneOut` before :class:`~skpoe.models.base.MultimodalModule` and
sets ``paired_terms = LeaveOneOut.leave_one_out_terms``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from skpoe.models.experts import kl_gaussians, reparameterize
from skpoe.models.fused import gather

if TYPE_CHECKING:
    from skpoe.models._host import ModelHost
else:
    ModelHost = object  # the mixin's base at run time (skpoe.models._host)

__all__ = ["LeaveOneOut"]


class LeaveOneOut(ModelHost):
    """Leave-one-out KL objective plus label terms decoded from the views.

    See Also
    --------
    skpoe.models.PoEModule : A model with this objective.
    skpoe.models.VAEVAEModule : Another.

    Examples
    --------
    >>> from skpoe.models import PoEModule
    >>> from skpoe.models.leave_one_out import LeaveOneOut
    >>> PoEModule.paired_terms is LeaveOneOut.leave_one_out_terms
    True
    """

    def leave_one_out_loss(self, batch, sample=True):
        """Per-row leave-one-out objective of a batch (see :meth:`leave_one_out_terms`).

        Parameters
        ----------
        batch : Batch
            Rows with two or more observed modalities.
        sample : bool, default=True
            Draw z (``False``: z at the posterior means).

        Returns
        -------
        loss : torch.Tensor
            Shape (n,).

        See Also
        --------
        leave_one_out_terms : The part.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, PoEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = PoEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> module.leave_one_out_loss(batch).shape
        torch.Size([4])
        """
        return self.evaluate(self.leave_one_out_terms(self.encode(batch), sample))

    def leave_one_out_terms(self, experts, sample=True):
        """The objective of Kutuzova et al. for samples with observed set S.

        Reconstruct every observed modality under q(z|S), add
        beta * KL(q(z|S) || q(z|S minus m)) for each m in S and, with more
        than two modalities, beta * KL(q(z|S) || q(z|m)) for each m in S when
        ``|S| > 2`` (for ``|S| = 2`` the leave-one-out term already is that one). With
        ``star``, add each observed modality's single-modality terms.

        All posteriors of a batch are formed in one call of :meth:`posterior`
        on a stack of subset masks (n, T, M), and all KL terms in one call.
        A part (see :mod:`skpoe.models.fused`).

        Parameters
        ----------
        experts : Experts
            Encoder outputs of a batch (:meth:`encode`).
        sample : bool, default=True
            Draw z (``False``: z at the posterior means).

        Returns
        -------
        part : generator
            Its value is the loss per row, shape (n,).

        See Also
        --------
        view_label_terms : The label terms decoded from the views.
        star_terms : The ``star`` terms.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, PoEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = PoEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> module.evaluate(module.paired_terms(module.encode(batch))).shape
        torch.Size([4])
        """
        batch = experts.batch
        s = batch.mask
        eye = torch.eye(self.M, dtype=torch.bool, device=s.device)
        present = list(batch.present)
        subsets = [s] + [s & ~eye[m] for m in present]
        weights = [s[:, m] for m in present]
        singles = self.M > 2 and batch.max_observed > 2
        if singles:
            count = s.sum(1)
            subsets += [s & eye[m] for m in present]
            weights += [s[:, m] & (count > 2) for m in present]
        p_mu, p_var = self.posterior(experts, torch.stack(subsets, 1))  # (n, T, D)
        q_mu, q_var = p_mu[:, 0], p_var[:, 0]
        z = reparameterize(q_mu, q_var, sample)
        kl = kl_gaussians(q_mu[:, None], q_var[:, None], p_mu[:, 1:], p_var[:, 1:])
        w = torch.stack(weights, 1).to(kl.dtype)
        star = self.star_terms(experts, sample) if getattr(self, "star", False) else 0.0
        rec, label, star = yield from gather(
            [
                self.reconstruction(z, batch),
                self.view_label_terms(batch, p_mu, p_var, singles, sample),
                star,
            ]
        )
        return -rec + self.beta * (kl * w).sum(1) + label + star

    def view_label_terms(self, batch, p_mu, p_var, singles, sample=True):
        """Part: -c_y log p(y | z) with z from the views alone, on labeled rows.

        For each labeled row with observed views V, the label is decoded from
        a draw of q(z | V) and, when V has two or more views, from a draw of
        each q(z | x_m), m in V; each term is weighted by ``view_supervision``
        times the supervision weight. ``p_mu, p_var`` (n, T, D) are the
        posteriors stacked by :meth:`leave_one_out_terms`: slot ``1 + i`` leaves
        out ``batch.present[i]``, and when ``singles`` is true slot
        ``1 + len(present) + i`` is the single modality ``batch.present[i]``.

        Parameters
        ----------
        batch : Batch
            The rows.
        p_mu, p_var : torch.Tensor
            The stacked posteriors, shape (n, T, D).
        singles : bool
            Whether the stack holds the single-modality posteriors.
        sample : bool, default=True
            Draw z (``False``: z at the posterior means).

        Returns
        -------
        part : generator
            Its value is the per-row label loss, shape (n,) (0.0 without a label
            or with ``view_supervision`` 0).

        See Also
        --------
        leave_one_out_terms : Stacks the posteriors.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, PoEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = PoEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> p = torch.zeros(4, 3, 2)
        >>> module.evaluate(module.view_label_terms(batch, p, p + 1, False))  # no label
        0.0
        """
        L = self.label
        vw = float(getattr(self, "view_supervision", 0.0))
        present = list(batch.present)
        if L is None or vw == 0.0 or L not in present:
            return 0.0
        s = batch.mask
        labeled = s[:, L]
        n_views = s.sum(1) - 1  # on labeled rows: the observed views besides the label
        picks = [1 + present.index(L)]  # q(z | V): the leave-the-label-out posterior
        use = [labeled & (n_views >= 1)]
        if singles:
            for i, m in enumerate(present):
                if m != L:
                    picks.append(1 + len(present) + i)  # q(z | x_m)
                    use.append(labeled & s[:, m] & (n_views >= 2))
        idx = torch.tensor(picks, device=s.device)
        z = reparameterize(p_mu[:, idx], p_var[:, idx], sample).transpose(0, 1)  # (T', n, D)
        (lp,) = yield [(L, z, batch.targets[L])]  # (T', n)
        keep = torch.stack(use, 0)
        return -vw * self.weights[L] * torch.where(keep, lp, torch.zeros_like(lp)).sum(0)
