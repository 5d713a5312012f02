"""The product-of-experts VAE with substitute experts (Kutuzova et al., 2021).

Each modality's encoder has one head per slot: its own expert and a
substitute for every other modality. The posterior of an observed set S is
the prior times one expert per slot (own if observed, otherwise the
geometric mean of the observed modalities' substitutes), so its sharpness
does not depend on how many views are present. With only modality m
observed this is the prior times all of m's heads (the default
``single_posterior``). The objective is the shared leave-one-out one.
"""

from __future__ import annotations

from skpoe.models.base import MultimodalModule
from skpoe.models.experts import subset_posterior
from skpoe.models.leave_one_out import LeaveOneOut

__all__ = ["PoEModule"]


class PoEModule(LeaveOneOut, MultimodalModule):
    """Product of own and substitute experts; leave-one-out KL objective.

    Parameters
    ----------
    likelihoods, n_latent, hidden, weights, beta, encoder_bodies, decoder_bodies, names, label
        As in :class:`~skpoe.models.MultimodalModule`.
    **options
        Set as attributes: ``star`` (add each observed modality's single-modality
        terms) and ``view_supervision`` (weight of the label terms decoded from the
        views alone).

    See Also
    --------
    skpoe.models.leave_one_out.LeaveOneOut : The objective.
    MVAEModule : A plain product of experts.

    Examples
    --------
    >>> import torch
    >>> from skpoe.likelihoods import Gaussian
    >>> from skpoe.models import Batch, PoEModule
    >>> x = torch.randn(4, 3)
    >>> lik = Gaussian().fit(x.numpy(), "x")
    >>> module = PoEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
    >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
    >>> mu, var = module.infer(batch)
    >>> mu.shape
    torch.Size([4, 2])
    """

    @property
    def n_heads(self):  # type: ignore[override]  # the base's class constant, a property here
        """Gaussian heads per encoder: M, its own expert and a substitute for every other modality.

        See Also
        --------
        posterior : Combines them.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, PoEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = PoEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> module.n_heads
        2
        """
        return self.M

    def posterior(self, experts, subset):
        """q(z | x_S): the prior times one expert per slot, own if observed, else substitutes.

        Parameters
        ----------
        experts : Experts
            Encoder outputs of a batch (:meth:`encode`).
        subset : torch.Tensor of bool
            The modalities S of each row, shape (n, M) (or a stack (n, T, M)).

        Returns
        -------
        mu, var : torch.Tensor
            Mean and variance of q(z | x_S), shape (n, D) (or (n, T, D)).

        See Also
        --------
        skpoe.models.experts.subset_posterior : The product.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, PoEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = PoEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> mu, var = module.posterior(module.encode(batch), batch.mask)
        >>> mu.shape
        torch.Size([4, 2])
        """
        return subset_posterior(experts.mu, experts.prec, subset)

    paired_terms = LeaveOneOut.leave_one_out_terms
