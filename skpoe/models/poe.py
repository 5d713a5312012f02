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
    """Product of own and substitute experts; leave-one-out KL objective."""

    @property
    def n_heads(self):  # type: ignore[override]  # the base's class constant, a property here
        return self.M

    def posterior(self, experts, subset):
        return subset_posterior(experts.mu, experts.prec, subset)

    paired_terms = LeaveOneOut.leave_one_out_terms
