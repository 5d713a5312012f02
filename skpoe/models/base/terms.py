"""The likelihood terms and the loss parts that every model shares.

A mixin of :class:`~skpoe.models.base.MultimodalModule`: the log-likelihood and the mean of a
decoder, and the parts (see :mod:`skpoe.models.fused`) of the reconstruction, single-modality
and star terms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from skpoe.models.experts import kl_to_prior, reparameterize
from skpoe.models.fused import decode_each, evaluate, gather
from skpoe.nn import full_precision

if TYPE_CHECKING:
    from skpoe.models._host import ModelHost
else:
    ModelHost = object  # the mixin's base at run time (skpoe.models._host)

__all__ = ["LossTerms"]


class LossTerms(ModelHost):
    """Mixin: the likelihood terms and loss parts of :class:`~skpoe.models.base.MultimodalModule`.

    See Also
    --------
    StepLoss : The loss of one step.
    Inference : Posteriors and importance weights.

    Examples
    --------
    >>> from skpoe.models import MultimodalModule
    >>> from skpoe.models.base.terms import LossTerms
    >>> issubclass(MultimodalModule, LossTerms)
    True
    """

    def evaluate(self, part):
        """Value of a loss part, each decode request run on its own.

        Parameters
        ----------
        part : generator
            A part (see :mod:`skpoe.models.fused`), e.g. from :meth:`paired_terms`.

        Returns
        -------
        value : torch.Tensor or float
            What the part returns once its requests are answered.

        See Also
        --------
        loss : Answers the requests of a whole step together instead.
        skpoe.models.fused.evaluate : The function behind this method.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> module.evaluate(module.reconstruction(torch.zeros(4, 2), batch)).shape
        torch.Size([4])
        """
        return evaluate(part, lambda requests: decode_each(self, requests))

    def log_lik(self, m, z, target):
        """log p(x_m | z), unweighted, summed over the features of each row.

        Missing entries of ``target`` (NaN, or code -1 for ``categorical``)
        are left out of the sum. Training looks for them only in modalities
        that had missing entries at fit time (no cost on complete data);
        inference always does, since new data may have them.

        Parameters
        ----------
        m : int
            The modality.
        z : torch.Tensor
            Codes of modality m, shape (..., n, width).
        target : torch.Tensor
            Likelihood targets of modality m, shape (n, n_features).

        Returns
        -------
        log_lik : torch.Tensor
            Shape ``z.shape[:-1]``.

        See Also
        --------
        decode_mean : The mean of p(x_m | z).
        reconstruction : The weighted sum over modalities, as a part.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> module.log_lik(0, torch.zeros(5, 4, 2), x).shape
        torch.Size([5, 4])
        """
        dec = self.decoders[m]
        lik = self.likelihoods[m]
        mask = None
        if lik.has_missing_entries or not self.training:
            target, mask = lik.split_missing(target)
            if not self.training and bool(mask.all()):
                mask = None  # complete data: the plain sum
        return lik.log_prob(full_precision(dec(z)), dec.extra, target, mask)

    def decode_mean(self, m, z):
        """Mean of p(x_m | z) in target space.

        Parameters
        ----------
        m : int
            The modality.
        z : torch.Tensor
            Codes of modality m, shape (n, width).

        Returns
        -------
        mean : torch.Tensor
            Shape (n, n_features) (class probabilities for ``categorical``).

        See Also
        --------
        log_lik : The log-likelihood of a target.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> module.decode_mean(0, torch.zeros(4, 2)).shape
        torch.Size([4, 3])
        """
        dec = self.decoders[m]
        return self.likelihoods[m].mean(dec(z), dec.extra)

    def reconstruction(self, z, batch, mask=None):
        """Part: sum over modalities in ``mask`` (default: observed) of w_m log p(x_m|z).

        Parameters
        ----------
        z : torch.Tensor
            Codes, shape (..., n, D); every modality is decoded from them.
        batch : Batch
            The rows, whose targets are scored.
        mask : torch.Tensor of bool, default=None
            Modalities to sum over, shape (..., n, M) (``None``: ``batch.mask``).

        Returns
        -------
        part : generator
            Its value is the weighted log-likelihood, shape ``z.shape[:-1]``.

        See Also
        --------
        log_lik : One modality's unweighted term.
        evaluate : The value of a part.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> z = torch.zeros(4, 2)
        >>> rec = module.evaluate(module.reconstruction(z, batch))
        >>> bool(torch.allclose(rec, module.log_lik(0, z, x) + module.log_lik(1, z, x)))
        True
        """
        mask = batch.mask if mask is None else mask
        present = list(batch.present)
        lps = yield [(m, z, batch.targets[m]) for m in present]
        total: torch.Tensor | float = 0.0
        for m, lp in zip(present, lps):
            lp = self.weights[m] * lp
            total = total + torch.where(mask[..., m], lp, torch.zeros_like(lp))
        return total

    def single_elbo_terms(self, m, mu_m, prec_m, target, sample=True):
        """Part: per-row -w_m log p(x_m|z) + beta KL(q(z|x_m) || p(z)), modality m alone.

        Parameters
        ----------
        m : int
            The modality.
        mu_m, prec_m : torch.Tensor
            Means and precisions of modality m's heads, shape (n, H, D).
        target : torch.Tensor
            Likelihood targets of modality m, shape (n, n_features).
        sample : bool, default=True
            Draw z from q(z | x_m) (``False``: its mean).

        Returns
        -------
        part : generator
            Its value is the negative single-modality ELBO per row, shape (n,).

        See Also
        --------
        single_posterior : The q(z | x_m) of this ELBO.
        single_loss : Its mean over a minibatch.
        star_terms : These terms on rows with several modalities.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> mu_m, prec_m = module.encoders[0](x)
        >>> module.evaluate(module.single_elbo_terms(0, mu_m, prec_m, x)).shape
        torch.Size([4])
        """
        q_mu, q_var = self.single_posterior(mu_m, prec_m, m)
        z = reparameterize(q_mu, q_var, sample)
        (lp,) = yield [(m, z, target)]
        return -self.weights[m] * lp + self.beta * kl_to_prior(q_mu, q_var)

    def star_terms(self, experts, sample=True):
        """Part: single-modality terms of each observed modality on paired rows.

        The sum, per row, of :meth:`single_elbo_terms` over the row's observed
        modalities (the ``star`` variants of the objectives add it).

        Parameters
        ----------
        experts : Experts
            Encoder outputs of the rows (:meth:`encode`).
        sample : bool, default=True
            Draw z (``False``: z at the posterior means).

        Returns
        -------
        part : generator
            Its value is the per-row sum, shape (n,).

        See Also
        --------
        single_elbo_terms : One modality's terms.
        paired_terms : The models' loss of such rows.

        Examples
        --------
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> from skpoe.models import Batch, MVAEModule
        >>> x = torch.randn(4, 3)
        >>> lik = Gaussian().fit(x.numpy(), "x")
        >>> module = MVAEModule([lik, lik], n_latent=2, hidden=[(8,)] * 2, weights=[1.0] * 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(4, 2, dtype=torch.bool))
        >>> module.evaluate(module.star_terms(module.encode(batch))).shape
        torch.Size([4])
        """
        batch = experts.batch
        present = list(batch.present)
        heads = [experts.single(m) for m in present]
        terms = yield from gather(
            self.single_elbo_terms(m, mu, prec, batch.targets[m], sample)
            for m, (mu, prec) in zip(present, heads)
        )
        total: torch.Tensor | float = 0.0
        for m, t in zip(present, terms):
            total = total + torch.where(batch.mask[:, m], t, torch.zeros_like(t))
        return total
