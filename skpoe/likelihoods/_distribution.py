"""The torch side of a likelihood: its free parameters and the decoder distribution's
tensor functions (a base of :class:`~skpoe.likelihoods.Likelihood`)."""

from __future__ import annotations

import torch

__all__: list[str] = []


class _Distribution:
    """Free parameters and tensor functions; documented as members of ``Likelihood``."""

    n_features_: int
    n_extra_per_feature: int

    @property
    def n_extra(self):
        """Number of free decoder parameters owned by this likelihood.

        ``n_extra_per_feature * n_features_``: one scale per feature for
        ``gaussian`` and ``laplace``, one inverse dispersion per feature for
        ``negative_binomial``, none for the others.

        See Also
        --------
        Likelihood.init_extra : Their initial value.
        skpoe.nn.Decoder : Stores them as its ``extra`` parameter.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.likelihoods import Bernoulli, Gaussian
        >>> Gaussian().fit(np.zeros((4, 3))).n_extra
        3
        >>> Bernoulli().fit(np.zeros((4, 3))).n_extra
        0
        """
        return self.n_extra_per_feature * self.n_features_

    def init_extra(self):
        """Initial value of the free parameters.

        Zeros, except for ``gaussian`` and ``laplace``: 0.5413, whose
        softplus is a unit scale in standardized units.

        Returns
        -------
        extra : torch.Tensor of shape (n_extra,), dtype float32
            The initial free parameters.

        See Also
        --------
        Likelihood.n_extra : Their number.
        Likelihood.log_prob : Takes them as ``extra``.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe.likelihoods import Gaussian, NegativeBinomial
        >>> Gaussian().fit(np.zeros((4, 2))).init_extra()
        tensor([0.5413, 0.5413])
        >>> NegativeBinomial().fit(np.zeros((4, 2))).init_extra()
        tensor([0., 0.])
        """
        return torch.zeros(self.n_extra)

    def split_missing(self, target):
        """Set the missing entries of a target to 0 and mark the observed ones.

        Missing entries are NaN, or code -1 for ``categorical`` (which sets
        them to code 0).

        Parameters
        ----------
        target : torch.Tensor of shape (n_rows, n_features)
            A target (:meth:`target`, as a tensor).

        Returns
        -------
        target : torch.Tensor of shape (n_rows, n_features)
            The target with its missing entries replaced, safe to score.
        mask : torch.Tensor of shape (n_rows, n_features), dtype bool
            True at the observed entries; the ``mask`` of :meth:`log_prob`.

        See Also
        --------
        Likelihood.log_prob : Drops the terms outside the mask.
        Likelihood.target : Makes the target, NaN kept.

        Examples
        --------
        >>> import numpy as np
        >>> import torch
        >>> from skpoe.likelihoods import Gaussian
        >>> lik = Gaussian().fit(np.zeros((4, 2)))
        >>> lik.split_missing(torch.tensor([[1.5, float("nan")]]))
        (tensor([[1.5000, 0.0000]]), tensor([[ True, False]]))
        """
        mask = ~torch.isnan(target)
        return torch.where(mask, target, torch.zeros_like(target)), mask

    # -- tensor functions ------------------------------------------------
    def log_prob_terms(self, out, extra, target):
        """Log-likelihood terms of ``target``, one per feature.

        Subclasses implement it: ``bernoulli`` the Bernoulli log-probability
        of the logits (values in [0, 1] as soft labels); ``gaussian`` and
        ``laplace`` the density in standardized units with scale
        ``softplus(extra) + 1e-3``; ``poisson`` the log rate's mass;
        ``negative_binomial`` the mass of the log mean with inverse
        dispersion ``softplus(extra) + 1e-3``; ``categorical`` one
        log-softmax term per column.

        Parameters
        ----------
        out : torch.Tensor of shape (..., n_outputs)
            Decoder output; leading dimensions (such as samples of the
            latent code) broadcast against ``target``.
        extra : torch.Tensor of shape (n_extra,)
            The free parameters (:meth:`init_extra`, then trained).
        target : torch.Tensor of shape (n_rows, n_features)
            Target values of :attr:`target_dtype`, missing entries replaced
            by :meth:`split_missing`.

        Returns
        -------
        terms : torch.Tensor of shape (..., n_features)
            One log-likelihood term per feature (per column for
            ``categorical``).

        See Also
        --------
        Likelihood.log_prob : The masked sum of the terms.

        Examples
        --------
        >>> import numpy as np
        >>> import torch
        >>> from skpoe.likelihoods import Bernoulli
        >>> lik = Bernoulli().fit(np.zeros((4, 2)))
        >>> lik.log_prob_terms(torch.zeros(1, 2), lik.init_extra(), torch.ones(1, 2))
        tensor([[-0.6931, -0.6931]])
        """
        raise NotImplementedError

    def log_prob(self, out, extra, target, mask=None):
        """Log-likelihood of ``target`` given decoder output, summed over features.

        Parameters
        ----------
        out : torch.Tensor of shape (..., n_outputs)
            Decoder output.
        extra : torch.Tensor of shape (n_extra,)
            The free parameters.
        target : torch.Tensor of shape (n_rows, n_features)
            Target values, missing entries replaced by :meth:`split_missing`.
        mask : torch.Tensor of bool, default=None
            Broadcastable to the terms, ``(n_rows, n_features)``: keeps the
            observed entries only; ``None`` keeps all.

        Returns
        -------
        log_prob : torch.Tensor of shape (...)
            The sum of the kept :meth:`log_prob_terms` over the last axis.

        See Also
        --------
        Likelihood.log_prob_terms : The terms per feature.
        Likelihood.split_missing : Makes the target and the mask.

        Examples
        --------
        >>> import numpy as np
        >>> import torch
        >>> from skpoe.likelihoods import Bernoulli
        >>> lik = Bernoulli().fit(np.zeros((4, 2)))
        >>> out, target = torch.zeros(1, 2), torch.ones(1, 2)
        >>> lik.log_prob(out, lik.init_extra(), target)
        tensor([-1.3863])
        >>> lik.log_prob(out, lik.init_extra(), target, torch.tensor([[True, False]]))
        tensor([-0.6931])
        """
        terms = self.log_prob_terms(out, extra, target)
        if mask is not None:
            terms = torch.where(mask, terms, torch.zeros_like(terms))
        return terms.sum(-1)

    def mean(self, out, extra):
        """Mean of the decoder distribution in target space.

        Subclasses implement it: ``sigmoid(out)`` for ``bernoulli``, ``out``
        (standardized units) for ``gaussian`` and ``laplace``, ``exp(out)``
        (the log rate or log mean clamped at 20) for the count likelihoods;
        ``categorical`` returns the most probable code.

        Parameters
        ----------
        out : torch.Tensor of shape (..., n_outputs)
            Decoder output.
        extra : torch.Tensor of shape (n_extra,)
            The free parameters.

        Returns
        -------
        mean : torch.Tensor of shape (..., n_features)
            The mean; :meth:`inverse` maps it to the user's units.

        See Also
        --------
        Likelihood.inverse : From target space to the user's units.
        Likelihood.log_prob : The log-likelihood of the same output.

        Examples
        --------
        >>> import numpy as np
        >>> import torch
        >>> from skpoe.likelihoods import Poisson
        >>> lik = Poisson().fit(np.array([[0.0], [3.0]]))
        >>> lik.mean(torch.log(torch.tensor([[2.0]])), lik.init_extra())
        tensor([[2.]])
        """
        raise NotImplementedError
