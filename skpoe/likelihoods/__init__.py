"""Per-modality likelihoods.

A likelihood object holds the preprocessing state of one modality (numpy only,
fitted on the observed training rows) and the tensor functions of its decoder
distribution. The decoder network outputs ``n_outputs`` numbers per sample;
the likelihood may own ``n_extra`` free parameters per feature (a scale or a
dispersion), which the decoder module stores and passes back.

=================  ====================  =====================================
name               data                  decoder output
=================  ====================  =====================================
``bernoulli``      values in [0, 1]      logits
``gaussian``       real values           mean (standardized units) + scale
``laplace``        real values           location (standardized) + scale
``poisson``        counts >= 0           log rate
``negative_binomial`` counts >= 0        log mean + inverse dispersion
``categorical``    integer codes >= 0    logits per column and category
=================  ====================  =====================================

Missing entries (NaN inside an observed row) are ignored everywhere: the
preprocessing state is fitted on the observed entries, the encoder input has
zeros there (plus one observed-indicator column per feature when the
modality had missing entries at fit time), targets mark them (NaN, or code
-1 for ``categorical``) and :meth:`Likelihood.log_prob` drops their terms.
"""

from __future__ import annotations

from .base import Likelihood, _observed_values
from .continuous import Bernoulli, Gaussian, Laplace
from .discrete import Categorical, NegativeBinomial, Poisson

__all__ = [
    "Likelihood",
    "Bernoulli",
    "Gaussian",
    "Laplace",
    "Poisson",
    "NegativeBinomial",
    "Categorical",
    "get_likelihood",
    "auto_likelihood",
    "LIKELIHOODS",
    "likelihood_from_state",
]


LIKELIHOODS = {
    cls.name: cls
    for cls in (Bernoulli, Gaussian, Laplace, Poisson, NegativeBinomial, Categorical)
}


def auto_likelihood(X_observed):
    """Bernoulli for data in [0, 1], Gaussian otherwise (NaN entries ignored)."""
    v = _observed_values(X_observed)
    if v.size and v.min() >= 0 and v.max() <= 1:
        return Bernoulli()
    return Gaussian()


def get_likelihood(spec, X_observed, modality):
    """Build and fit a likelihood from ``"auto"``, a name or an instance."""
    if spec is None or (isinstance(spec, str) and spec == "auto"):
        lik = auto_likelihood(X_observed)
    elif isinstance(spec, str):
        if spec not in LIKELIHOODS:
            raise ValueError(
                f"Unknown likelihood {spec!r} for modality {modality!r}; choose "
                f"one of {sorted(LIKELIHOODS)} or 'auto'."
            )
        lik = LIKELIHOODS[spec]()
    elif isinstance(spec, Likelihood):
        import copy

        lik = copy.deepcopy(spec)
    else:
        raise TypeError(
            f"likelihoods[{modality!r}] must be a name or a skpoe.likelihoods."
            f"Likelihood, got {type(spec).__name__}."
        )
    return lik.fit(X_observed, modality)


def likelihood_from_state(state):
    """Rebuild a likelihood from :meth:`Likelihood.get_state` output.

    Only skpoe's own likelihoods (:data:`LIKELIHOODS`) are resolved; any other
    name raises ``ValueError``.
    """
    name = state.get("name") if isinstance(state, dict) else None
    if name not in LIKELIHOODS or not isinstance(state.get("attributes"), dict):
        raise ValueError(
            f"{name!r} is not a skpoe likelihood; known: {sorted(LIKELIHOODS)}."
        )
    cls = LIKELIHOODS[name]
    return cls.__new__(cls).set_state(state["attributes"])
