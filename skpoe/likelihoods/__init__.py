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

import numpy as np

from skpoe.likelihoods.base import Likelihood, _all_observed_values, _value_range
from skpoe.likelihoods.continuous import Bernoulli, Gaussian, Laplace
from skpoe.likelihoods.discrete import Categorical, NegativeBinomial, Poisson

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
    "choose_likelihood",
    "LIKELIHOODS",
    "likelihood_from_state",
]


LIKELIHOODS = {
    cls.name: cls for cls in (Bernoulli, Gaussian, Laplace, Poisson, NegativeBinomial, Categorical)
}


def choose_likelihood(X_observed):
    """The likelihood ``"auto"`` picks for a view, and why.

    Bernoulli when every observed value lies in [0, 1] (pixel intensities,
    proportions, 0/1 indicators, min-max scaled features), Gaussian
    otherwise. Measured on nine real data sets with views in [0, 1] (images,
    binary images, min-max scaled tables;
    ``benchmarks/results/likelihood_choice.md``), Bernoulli gave the same or
    better label accuracy from all views than Gaussian on every one, and was
    never clearly behind from one view.

    Parameters
    ----------
    X_observed : ndarray of shape (n_rows, n_features)
        The observed rows of the view (NaN entries are ignored).

    Returns
    -------
    likelihood : Likelihood
        Unfitted.
    reason : str
        One line saying what in the data decided it.

    See Also
    --------
    auto_likelihood : The likelihood alone.
    get_likelihood : Builds and fits the likelihood of a view.

    Examples
    --------
    >>> import numpy as np
    >>> from skpoe.likelihoods import choose_likelihood
    >>> choose_likelihood(np.array([[0.0, 1.0], [1.0, np.nan]]))
    (Bernoulli(), 'auto: only 0 and 1, so bernoulli')
    >>> choose_likelihood(np.array([[-1.0], [3.0]]))[0]
    Gaussian()
    """
    span = _value_range(X_observed)  # block by block: no copy of the view
    if span is None:
        return Gaussian(), "auto: no observed values, so gaussian"
    lo, hi = span
    if lo >= 0 and hi <= 1:
        if _all_observed_values(X_observed, lambda v: np.isin(v, (0.0, 1.0)).all()):
            return Bernoulli(), "auto: only 0 and 1, so bernoulli"
        return Bernoulli(), (
            f"auto: continuous values, all in [0, 1] (min {lo:.3g}, max {hi:.3g}), so "
            "bernoulli; likelihoods='gaussian' models them as real values instead"
        )
    return Gaussian(), (
        f"auto: values in [{lo:.4g}, {hi:.4g}], outside [0, 1], so gaussian "
        "(standardized internally)"
    )


def auto_likelihood(X_observed):
    """Bernoulli for data in [0, 1], Gaussian otherwise (NaN entries ignored).

    See :func:`choose_likelihood` for the reason it gives.

    Parameters
    ----------
    X_observed : ndarray of shape (n_rows, n_features)
        The observed rows of the view (NaN entries are ignored).

    Returns
    -------
    likelihood : Likelihood
        Unfitted.

    See Also
    --------
    choose_likelihood : The likelihood and the reason for it.

    Examples
    --------
    >>> import numpy as np
    >>> from skpoe.likelihoods import auto_likelihood
    >>> auto_likelihood(np.array([[0.2, 0.7]]))
    Bernoulli()
    """
    return choose_likelihood(X_observed)[0]


def get_likelihood(spec, X_observed, modality):
    """Build and fit a likelihood from ``"auto"``, a name or an instance.

    The fitted likelihood's ``choice_reason_`` says how it was chosen. An
    instance is deep-copied before it is fitted, so it is never changed.

    Parameters
    ----------
    spec : str, Likelihood or None
        ``"auto"`` or ``None`` (:func:`choose_likelihood`), a name of
        :data:`LIKELIHOODS`, or a likelihood instance.
    X_observed : ndarray of shape (n_rows, n_features)
        The observed rows of the view (NaN marks a missing entry).
    modality : str
        Name of the view, used in error messages.

    Returns
    -------
    likelihood : Likelihood
        The fitted likelihood.

    Raises
    ------
    ValueError
        For an unknown name, or data the likelihood does not model.
    TypeError
        If ``spec`` is neither a name nor a :class:`Likelihood`.

    See Also
    --------
    choose_likelihood : What ``"auto"`` picks.
    Likelihood.fit : Fits the likelihood.

    Examples
    --------
    >>> import numpy as np
    >>> from skpoe.likelihoods import get_likelihood
    >>> lik = get_likelihood("poisson", np.array([[0.0], [3.0]]), "counts")
    >>> lik, lik.modality, lik.choice_reason_
    (Poisson(), 'counts', "given: likelihoods='poisson'")
    """
    if spec is None or (isinstance(spec, str) and spec == "auto"):
        lik, reason = choose_likelihood(X_observed)
    elif isinstance(spec, str):
        if spec not in LIKELIHOODS:
            raise ValueError(
                f"Unknown likelihood {spec!r} for modality {modality!r}; choose "
                f"one of {sorted(LIKELIHOODS)} or 'auto'."
            )
        lik, reason = LIKELIHOODS[spec](), f"given: likelihoods={spec!r}"
    elif isinstance(spec, Likelihood):
        import copy

        lik, reason = copy.deepcopy(spec), f"given: {spec!r}"
    else:
        raise TypeError(
            f"likelihoods[{modality!r}] must be a name or a skpoe.likelihoods."
            f"Likelihood, got {type(spec).__name__}."
        )
    lik = lik.fit(X_observed, modality)
    lik.choice_reason_ = reason
    return lik


def likelihood_from_state(state):
    """Rebuild a likelihood from :meth:`Likelihood.get_state` output.

    Only skpoe's own likelihoods (:data:`LIKELIHOODS`) are resolved; any other
    name raises ``ValueError``.

    Parameters
    ----------
    state : dict
        ``{"name": ..., "attributes": {...}}``, as :meth:`Likelihood.get_state`
        returns it.

    Returns
    -------
    likelihood : Likelihood
        The likelihood of that name, with the attributes restored.

    Raises
    ------
    ValueError
        If ``state`` does not name one of skpoe's likelihoods or has no
        ``"attributes"`` dict.

    See Also
    --------
    Likelihood.get_state : Makes the state.
    Likelihood.set_state : Restores the attributes.

    Examples
    --------
    >>> import numpy as np
    >>> from skpoe.likelihoods import Gaussian, likelihood_from_state
    >>> state = Gaussian().fit(np.array([[0.0], [2.0]]), "v").get_state()
    >>> lik = likelihood_from_state(state)
    >>> lik, lik.modality, lik.center_.tolist()
    (Gaussian(), 'v', [1.0])
    """
    name = state.get("name") if isinstance(state, dict) else None
    if name not in LIKELIHOODS or not isinstance(state.get("attributes"), dict):
        raise ValueError(f"{name!r} is not a skpoe likelihood; known: {sorted(LIKELIHOODS)}.")
    cls = LIKELIHOODS[name]
    return cls.__new__(cls).set_state(state["attributes"])
