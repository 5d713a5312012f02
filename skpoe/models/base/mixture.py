"""The base of the models whose posterior is a uniform mixture: :class:`MixtureModule`."""

from __future__ import annotations

import abc

from skpoe.models.base.module import MultimodalModule
from skpoe.models.experts import mixture_draw, mixture_log_prob, mixture_moments

__all__ = ["MixtureModule"]


class MixtureModule(MultimodalModule, abstract=True):
    """Base of models whose posterior is a uniform mixture of Gaussians.

    A subclass defines :meth:`components`; the posterior used by
    ``transform`` is the mixture's moment-matched Gaussian, draws are
    stratified over the components and densities are exact mixtures.
    """

    @abc.abstractmethod
    def components(self, experts, subset):
        """Mixture components: ``mu, var`` (n, C, D) and ``active`` (n, C) bool."""

    def posterior(self, experts, subset):
        mu, var, active = self.components(experts, subset)
        return mixture_moments(mu, var, active)

    def draw(self, batch, eps):
        mu, var, active = self.components(self.encode(batch), batch.mask)
        z = mixture_draw(mu, var, active, eps)
        return z, mixture_log_prob(z, mu, var, active)
