"""Likelihoods fitted from one streaming pass over a view's row blocks.

:func:`fit_view_likelihood` fits a view held in memory as before, and a
:class:`~skpoe.data.sources.ViewSource` from the statistics its scan gathered
(:func:`skpoe.data.sources.scan_view`), without reading it again.
"""

from __future__ import annotations

import warnings

import numpy as np

from skpoe.data._validation import LABEL
from skpoe.data.sources import ViewSource
from skpoe.likelihoods import Bernoulli, Categorical, get_likelihood
from skpoe.likelihoods.continuous import _Standardized
from skpoe.likelihoods.discrete import _Counts

__all__ = ["fit_likelihoods", "fit_view_likelihood", "entry_masking_rates", "AUTO_ENTRY_MASKING"]

#: the largest per-row share of hidden entries that ``entry_masking="auto"`` gives a view
#: fitted with missing entries (benchmarks/missing_entries_predict.py)
AUTO_ENTRY_MASKING = 0.8


def _resolve_auto(src):
    """``likelihoods='auto'`` for a streamed view.

    Sparse views of non-negative integers with values above 1 are counts:
    negative binomial. Otherwise the rule of in-memory data (Bernoulli in
    [0, 1], Gaussian otherwise) applies.
    """
    st = src.stats
    counts = (
        st.count.any()
        and np.nanmin(st.witness()[0]) >= 0
        and np.isnan(st.non_integer).all()
        and np.nanmax(st.witness()[1]) > 1
    )
    return "negative_binomial" if src.sparse_like and counts else "auto"


def fit_view_likelihood(spec, arr, obs, name):
    """Fit the likelihood of one view (array or :class:`ViewSource`).

    A source is fitted from the statistics of its streaming pass: the
    likelihood is built and checked on a witness of each column's range and
    integrality, and its moments are set from the streamed ones. Likelihood
    classes without streamed moments are fitted on the observed rows read
    into memory.
    """
    if not isinstance(arr, ViewSource):
        # every row observed: no copy of the view
        return get_likelihood(spec, arr if obs.all() else arr[obs], name)
    st = arr.stats
    assert st is not None, "scan_view sets the statistics of a source"
    auto = spec is None or (isinstance(spec, str) and spec == "auto")
    if auto:
        spec = _resolve_auto(arr)
    lik = get_likelihood(spec, st.witness(), name)
    if auto and spec != "auto":
        lik.choice_reason_ = (
            "auto: sparse non-negative integer counts, so negative_binomial "
            "(likelihoods='poisson' for counts without over-dispersion)"
        )
    lik.missing_entries_ = lik.missing_indicators_ = bool(st.any_missing)
    if isinstance(lik, _Standardized):
        center, scale = st.moments()
        # two rows with exactly these moments: the likelihood's own rule
        # (floor of the scale) applies
        state = get_likelihood(lik, np.stack([center - scale, center + scale]), name)
        lik.center_, lik.scale_ = state.center_, state.scale_
    elif isinstance(lik, _Counts):
        lik.center_, scale = st.moments(log=True)
        scale[scale < 1e-12] = 1.0
        lik.scale_ = scale
    elif not isinstance(lik, (Bernoulli, Categorical)):
        lik = get_likelihood(lik, arr.read(np.flatnonzero(obs)), name)
    return lik


def _column_means(arr, obs):
    """Means of the observed entries of each column over the observed rows."""
    if isinstance(arr, ViewSource):
        st = arr.stats
        assert st is not None, "scan_view sets the statistics of a source"
        return np.where(st.count > 0, st.mean, np.nan)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a column with no observed entry: NaN
        return np.nanmean(np.asarray(arr if obs.all() else arr[obs], dtype=np.float64), 0)


def fit_likelihoods(specs, names, arrays, observed, labels=None, missing_indicators=True):
    """Likelihood per modality (a dict) fitted to its observed rows.

    ``specs`` holds each view's ``likelihoods`` entry; with ``labels`` (from
    :func:`append_labels`) a categorical likelihood of the codes comes last,
    under :data:`LABEL`. Without ``missing_indicators``, views with missing
    entries encode them as their columns' observed means
    (:meth:`~skpoe.likelihoods.Likelihood.fill_with_means`; likelihoods
    whose encoding is not affine keep the indicator columns).
    """
    fitted = []
    for spec, a, o, name in zip(specs, arrays, observed.T, names):
        lik = fit_view_likelihood(spec, a, o, name)
        if not missing_indicators and lik.missing_entries_:
            lik.fill_with_means(_column_means(a, o))
        fitted.append(lik)
    all_names = list(names)
    if labels is not None:
        codes, labeled, classes = labels
        fitted.append(Categorical(len(classes)).fit(codes[labeled][:, None], LABEL))
        all_names.append(LABEL)
    return dict(zip(all_names, fitted))


def entry_masking_rates(liks, names, arrays, observed, entry_masking):
    """Per view, the largest share of entries hidden from its encoder in training.

    ``entry_masking="auto"`` masks views that had missing entries at fit
    time, at :data:`AUTO_ENTRY_MASKING`; a number masks every view at that
    rate. Only views whose missing entries are encoded as column means
    (:meth:`~skpoe.likelihoods.Likelihood.fill_with_means`: an affine
    encoding, without indicator columns) can be masked; the others get 0. A
    masked view without a fill yet gets its column means, so that training
    and prediction fill hidden entries alike. Returns ``{name: rate}``.
    """
    rates = {}
    for lik, name, a, o in zip(liks, names, arrays, observed.T):
        if entry_masking == "auto":
            rate = AUTO_ENTRY_MASKING if lik.has_missing_entries else 0.0
        else:
            rate = float(entry_masking)
        if rate and (not lik.affine_encoding or lik.missing_indicators_):
            rate = 0.0
        if rate and lik.fill_ is None:
            lik.fill_with_means(_column_means(a, o))
        rates[name] = rate
    return rates
