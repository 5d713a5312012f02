"""What the model mixins use of the model they are mixed into, stated for the type checker.

:class:`~skpoe.models.private.PrivateLatents` and :class:`~skpoe.models.leave_one_out.LeaveOneOut`
are inherited before :class:`~skpoe.models.base.MultimodalModule`, whose attributes and methods
they read (and, for ``PrivateLatents``, extend with ``super()``). They derive from
:class:`ModelHost` only while type checking (at run time their base is ``object``), so that
these uses are checked without the mixins importing the model they extend. The mixins that
:class:`~skpoe.models.base.MultimodalModule` is made of (:mod:`skpoe.models.base.terms`,
:mod:`skpoe.models.base.step`, :mod:`skpoe.models.base.inference`) derive from it the same way.
"""

from __future__ import annotations

from torch import nn

__all__ = ["ModelHost"]


class ModelHost:
    """The members of :class:`~skpoe.models.base.MultimodalModule` that its mixins use."""

    M: int
    n_latent: int
    label: int | None
    weights: list[float]
    beta: float
    encoders: nn.ModuleList
    decoders: nn.ModuleList
    likelihoods: list
    training: bool

    def encode(self, batch): ...

    def evaluate(self, part): ...

    def posterior(self, experts, subset): ...

    def single_posterior(self, mu_m, prec_m, m): ...

    def paired_terms(self, experts, sample=True): ...

    def stack_experts(self, batch, heads): ...

    def log_lik(self, m, z, target): ...

    def decode_mean(self, m, z): ...

    def reconstruction(self, z, batch, mask=None): ...

    def single_elbo_terms(self, m, mu_m, prec_m, target, sample=True): ...

    def star_terms(self, experts, sample=True): ...

    def draw(self, batch, eps): ...
