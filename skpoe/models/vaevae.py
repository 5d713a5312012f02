"""VAEVAE (Wu & Goodman, 2019): single-modality encoders plus a joint encoder.

A row with one observed modality uses that modality's encoder directly (no
prior product). A row with two or more uses one extra *masked joint encoder*:
an MLP over the concatenated encoder inputs (unobserved ones zeroed) and the
observed mask. For two modalities this is the paper's q(z|x,y); for more it
replaces the authors' one network per subset with a single network that sees
which views are present. The objective is the same leave-one-out objective as
the product-of-experts model.
"""

from __future__ import annotations

import torch

from skpoe.models.base import MultimodalModule
from skpoe.models.leave_one_out import LeaveOneOut
from skpoe.nn import GaussianEncoder

__all__ = ["VAEVAEModule"]


class VAEVAEModule(LeaveOneOut, MultimodalModule):
    """Unimodal encoders used directly, a masked joint encoder for subsets.

    Parameters
    ----------
    likelihoods, n_latent, hidden, weights
        As in :class:`~skpoe.models.MultimodalModule`.
    **kwargs
        The other parameters of :class:`~skpoe.models.MultimodalModule` (``beta``,
        ``encoder_bodies``, ``decoder_bodies``, ``names``, ``label``) and options, set as
        attributes: ``star`` and ``view_supervision``, as for
        :class:`PoEModule`.

    See Also
    --------
    skpoe.models.leave_one_out.LeaveOneOut : The objective.
    JMVAEModule : The same networks, the JMVAE-kl objective.

    Examples
    --------
    >>> import torch
    >>> from skpoe.likelihoods import Gaussian
    >>> from skpoe.models import Batch, VAEVAEModule
    >>> x = torch.randn(4, 3)
    >>> lik = Gaussian().fit(x.numpy(), "x")
    >>> module = VAEVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
    >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
    >>> mu, var = module.infer(batch)
    >>> mu.shape
    torch.Size([4, 2])
    """

    n_heads = 1

    def __init__(self, likelihoods, n_latent, hidden, weights, **kwargs):
        super().__init__(likelihoods, n_latent, hidden, weights, **kwargs)
        n_in = sum(lik.n_inputs for lik in likelihoods) + self.M
        widest = max(self.hidden, key=lambda h: sum(h))
        self.joint = GaussianEncoder(n_in, widest, n_latent, 1, name="joint")

    def single_posterior(self, mu_m, prec_m, m):
        """q(z | x_m): modality m's encoder head used directly (no prior product).

        Parameters
        ----------
        mu_m, prec_m : torch.Tensor
            Means and precisions of modality m's heads, shape (n, H, D).
        m : int
            The modality.

        Returns
        -------
        mu, var : torch.Tensor
            Mean and variance of q(z | x_m), shape (n, D).

        See Also
        --------
        posterior : The posterior of a subset.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, VAEVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = VAEVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> mu, var = module.single_posterior(*module.encode(batch).single(0), 0)
        >>> mu.shape
        torch.Size([4, 2])
        """
        return mu_m[:, 0], 1.0 / prec_m[:, 0]

    def posterior(self, experts, subset):
        """q(z | x_S): the one encoder of a single view, else the masked joint encoder.

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
        single_posterior : The posterior of one view.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, VAEVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = VAEVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> mu, var = module.posterior(module.encode(batch), batch.mask)
        >>> mu.shape
        torch.Size([4, 2])
        """
        stacked = subset.dim() == 3
        sub = subset if stacked else subset[:, None]  # (n, T, M)
        n, T, M = sub.shape
        s = sub.to(experts.mu.dtype)
        x = torch.cat(
            [x[:, None] * s[..., m : m + 1] for m, x in enumerate(experts.batch.inputs)] + [s],
            -1,
        )
        j_mu, j_prec = self.joint(x.reshape(n * T, -1))
        j_mu, j_var = j_mu[:, 0].view(n, T, -1), 1.0 / j_prec[:, 0].view(n, T, -1)
        w = s[..., None]  # (n, T, M, 1)
        one_mu = (w * experts.mu[:, None, :, 0]).sum(2)
        one_var = (w / experts.prec[:, None, :, 0]).sum(2)
        single = (sub.sum(-1) == 1)[..., None]
        mu, var = torch.where(single, one_mu, j_mu), torch.where(single, one_var, j_var)
        return (mu, var) if stacked else (mu[:, 0], var[:, 0])

    paired_terms = LeaveOneOut.leave_one_out_terms
