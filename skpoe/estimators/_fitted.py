"""The methods of a fitted skpoe estimator: transform, predict, score, impute, sample.

:class:`FittedModelMixin` validates new views against the fitted ones
(:func:`skpoe.data._validation.check_X`), wraps the fitted networks and likelihoods
in an :class:`~skpoe.estimators._inference.Inference` (the posterior over row chunks) and
returns the user's formats. :class:`~skpoe.estimators._base.BaseMultimodalVAE` combines it
with parameters and ``fit``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.base import TransformerMixin
from sklearn.utils.validation import check_is_fitted

from skpoe._typing import LabelsLike, RandomStateLike, ViewsLike
from skpoe.data._container import ModalityDict
from skpoe.data._validation import (
    LABEL,
    check_count,
    check_finite_output,
    check_X,
    require_observed,
)
from skpoe.estimators._inference import Inference, entry_fill
from skpoe.estimators._output import as_frames, with_index
from skpoe.estimators._threads import call_work, default_threads, limit_threads

__all__ = ["FittedModelMixin"]


class FittedModelMixin(TransformerMixin):
    """Inference methods shared by every skpoe estimator (needs ``module_``,
    ``likelihoods_``, ``modalities_``, ``supervised_`` and ``n_threads``).

    A :class:`~sklearn.base.TransformerMixin`, so that ``set_output`` wraps
    the ``transform`` defined here."""

    def _threads(self, call, n_rows, n_importance_samples=1):
        """The thread limit of an inference ``call`` on ``n_rows`` rows
        (:func:`~skpoe.estimators._threads.call_work`)."""
        work = call_work(self.module_, call, n_rows, n_importance_samples)
        return limit_threads(default_threads(self.n_threads, self.device_, work))

    # -- inference: delegated to skpoe.estimators._inference -----------------------------
    def _inference(self):
        """The fitted model as an :class:`~skpoe.estimators._inference.Inference`."""
        return Inference(
            self.module_,
            [self.likelihoods_[n] for n in self.modalities_],
            self.likelihoods_[LABEL] if self.supervised_ else None,
            self.n_components,
            self._inference_seed,
            self.device_,
            entry_fill(getattr(self, "entry_donors_", None)),
        )

    def _views_data(self, X, what):
        """Validated views of X as data encoded per chunk (label slot
        unobserved), and the views."""
        check_is_fitted(self, "module_")
        _, arrays, observed = check_X(self, X, reset=False)
        require_observed(observed, what)
        return self._inference().data(arrays, observed), arrays

    def _run(self, X, what, method, *args):
        """``Inference.<method>(data, *args)`` on the validated views of X,
        under the thread limit; a non-finite result is an error."""
        data, _ = self._views_data(X, what)
        K = args[0] if method == "score_samples" else 1
        with self._threads(method, data.n, K):
            out = getattr(self._inference(), method)(data, *args)
        return check_finite_output(out, what)

    def transform(self, X: ViewsLike) -> np.ndarray:
        """Posterior means of the latent code given each row's observed views.

        Parameters
        ----------
        X : dict of array-like, ModalityDict, or array-like
            Views as in :meth:`fit`; missing views (NaN rows or modalities left
            out of the dict) are allowed, but every row needs one observed view.
            Missing entries (NaN inside a row) are allowed too; a modality
            fitted on complete rows sees them as 0 in its standardized
            encoder input (the training mean), without indicators.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
            A DataFrame with the input's row index after
            ``set_output(transform="pandas")``.

        See Also
        --------
        impute : Fill missing views and entries from the same posterior.
        predict : The label from the same posterior.

        Examples
        --------
        >>> from skpoe import MultimodalPoEVAE
        >>> from skpoe.datasets import load_digits_views
        >>> X, y = load_digits_views()
        >>> model = MultimodalPoEVAE(max_iter=1, random_state=0).fit(X, y)
        >>> model.transform({"top": X["top"][:3]}).shape   # from the top halves alone
        (3, 32)
        """
        return with_index(self, self._run(X, "transform", "transform"), X)

    @property
    def _n_features_out(self):
        return self.n_components

    def _check_supervised(self, what):
        check_is_fitted(self, "module_")
        if not self.supervised_:
            raise ValueError(
                f"{what} needs labels, but this {type(self).__name__} was fitted "
                "without y; fit(X, y) with partial labels (-1 = unlabeled)."
            )

    def predict_proba(
        self, X: ViewsLike, n_samples: int = 32, random_state: RandomStateLike = None
    ) -> np.ndarray:
        """Class probabilities from whatever views each row has.

        The categorical label decoder is averaged over ``n_samples`` draws of
        the posterior of the observed views.

        Parameters
        ----------
        X : dict of array-like, ModalityDict, or array-like
        n_samples : int, default=32
            Posterior samples to average.
        random_state : int, RandomState instance or None, default=None
            Seed of the posterior draws (``None``: the fitted model's own
            seed, so repeated calls give the same result).

        Returns
        -------
        proba : ndarray of shape (n_samples_X, n_classes)
            Columns in the order of ``classes_``.

        See Also
        --------
        predict : The most probable class.

        Examples
        --------
        >>> from skpoe import MultimodalPoEVAE
        >>> from skpoe.datasets import load_digits_views
        >>> X, y = load_digits_views()
        >>> model = MultimodalPoEVAE(max_iter=1, random_state=0).fit(X, y)
        >>> proba = model.predict_proba({"bottom": X["bottom"][:2]})
        >>> proba.shape, bool(abs(proba.sum(axis=1) - 1).max() < 1e-5)
        ((2, 10), True)
        """
        self._check_supervised("predict_proba")
        n_samples = check_count(n_samples, "n_samples")
        return self._run(X, "predict_proba", "predict_proba", n_samples, random_state)

    def predict(self, X: ViewsLike) -> np.ndarray:
        """Most probable class from whatever views each row has.

        Parameters
        ----------
        X : dict of array-like, ModalityDict, or array-like

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Classes as given to :meth:`fit` (integers or strings).

        See Also
        --------
        predict_proba : The probabilities behind the prediction.
        score : Accuracy over labeled rows.

        Examples
        --------
        >>> from skpoe import MultimodalPoEVAE
        >>> from skpoe.datasets import load_digits_views
        >>> X, y = load_digits_views()
        >>> model = MultimodalPoEVAE(max_iter=1, random_state=0).fit(X, y)
        >>> model.predict({"top": X["top"][:3]}).shape
        (3,)
        """
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(1)]

    def score(self, X: ViewsLike, y: LabelsLike | None = None, sample_weight: Any = None) -> float:
        """Accuracy on labeled rows, or mean log-likelihood without labels.

        Parameters
        ----------
        X : dict of array-like, ModalityDict, or array-like
        y : array-like of shape (n_samples,), default=None
            Partial labels; rows marked ``-1`` / NaN are ignored. If ``None``
            (or the model was fitted without labels) the mean of
            :meth:`score_samples` is returned.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
            Accuracy over the labeled rows of ``y``, or the mean
            log-likelihood.

        See Also
        --------
        skpoe.metrics.masked_accuracy : The accuracy over labeled rows.
        score_samples : The log-likelihood of each row.

        Examples
        --------
        >>> from skpoe import MultimodalPoEVAE
        >>> from skpoe.datasets import load_digits_views
        >>> X, y = load_digits_views()
        >>> model = MultimodalPoEVAE(max_iter=1, random_state=0).fit(X, y)
        >>> 0.0 <= model.score(X, y) <= 1.0
        True
        """
        check_is_fitted(self, "module_")
        if y is None or not self.supervised_:
            return float(np.average(self.score_samples(X), weights=sample_weight))
        from skpoe.metrics import masked_accuracy

        return masked_accuracy(self, X, y, sample_weight)

    def score_samples(
        self,
        X: ViewsLike,
        n_importance_samples: int = 100,
        random_state: RandomStateLike = None,
    ) -> np.ndarray:
        """Importance-weighted log-likelihood of each row's observed views.

        ``log p(x_S) ~= log (1/K) sum_k p(x_S, z_k) / q(z_k | x_S)`` with
        ``z_k ~ q(z | x_S)`` and K = ``n_importance_samples``, in the units of
        the data (standardization is accounted for). Missing entries (NaN
        inside a row) are left out: the density is that of the observed
        entries.

        Parameters
        ----------
        X : dict of array-like, ModalityDict, or array-like
        n_importance_samples : int, default=100
        random_state : int, RandomState instance or None, default=None
            Seed of the importance samples (``None``: the fitted model's own
            seed, so repeated calls give the same result).

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            In nats, of the observed views of each row.

        See Also
        --------
        skpoe.metrics.test_log_likelihood : Its mean with K = 1000.
        score : The mean, when fitted without labels.

        Examples
        --------
        >>> from skpoe import MultimodalPoEVAE
        >>> from skpoe.datasets import load_digits_views
        >>> X, y = load_digits_views()
        >>> model = MultimodalPoEVAE(max_iter=1, random_state=0).fit(X, y)
        >>> model.score_samples(X.take_rows(range(4)), n_importance_samples=5).shape
        (4,)
        """
        K = check_count(n_importance_samples, "n_importance_samples")
        return self._run(X, "score_samples", "score_samples", K, random_state)

    def impute(self, X: ViewsLike) -> Any:
        """Fill missing views and entries by conditional generation.

        Each missing view, and each missing entry (NaN inside a partly
        observed row), is the decoder mean at the posterior mean of the row's
        observed data (probabilities for ``bernoulli``, values in the user's
        units for ``gaussian``, most likely code for ``categorical``).
        Observed entries are returned unchanged.

        Parameters
        ----------
        X : dict of array-like, ModalityDict, or array-like

        Returns
        -------
        X_imputed : ModalityDict
            Every fitted modality, with no NaN left (dense arrays, also for
            sparse or on-disk views: impute row slices of large data). When
            ``X`` has DataFrame views (or is a DataFrame), every view is a
            DataFrame with the input's row index; views given as DataFrames
            keep their columns, the others are named ``"<view>0"``,
            ``"<view>1"``, ...

        See Also
        --------
        transform : The posterior means that the imputations decode.
        sample : Views generated from the prior instead.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe import MultimodalPoEVAE
        >>> from skpoe.datasets import load_digits_views
        >>> X, y = load_digits_views()
        >>> model = MultimodalPoEVAE(max_iter=1, random_state=0).fit(X, y)
        >>> X_missing = X.take_rows(range(5))
        >>> X_missing["bottom"][0] = np.nan                 # a missing view
        >>> filled = model.impute(X_missing)
        >>> bool(np.isnan(filled["bottom"]).any())
        False
        """
        filled = self._run(X, "impute", "impute")
        frames = as_frames(self.modalities_, filled, X, self.modalities)
        return ModalityDict(zip(self.modalities_, filled) if frames is None else frames)

    def sample(
        self, n_samples: int = 1, random_state: RandomStateLike = None
    ) -> tuple[ModalityDict, np.ndarray | None]:
        """Generate all views jointly from the prior: returns a ``(views, labels)`` tuple.

        ``X_new, y_new = model.sample(100)``: ``y_new`` is ``None`` for a
        model fitted without labels.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None
            Seed of the latent draws (``None``: the fitted model's own seed).

        Returns
        -------
        X : ModalityDict
            First item of the tuple: decoder means of every view for
            z ~ N(0, I), each of shape (n_samples, n_features_m).
        y : ndarray of shape (n_samples,) or None
            Second item: the most probable class of each draw (``None``
            without labels).

        See Also
        --------
        impute : Views generated from the observed views instead.

        Examples
        --------
        >>> from skpoe import MultimodalPoEVAE
        >>> from skpoe.datasets import load_digits_views
        >>> X, y = load_digits_views()
        >>> model = MultimodalPoEVAE(max_iter=1, random_state=0).fit(X, y)
        >>> views, labels = model.sample(4, random_state=0)
        >>> views["top"].shape, labels.shape
        ((4, 32), (4,))
        """
        check_is_fitted(self, "module_")
        n_samples = check_count(n_samples, "n_samples")
        with self._threads("sample", n_samples):
            views, codes = self._inference().sample(n_samples, random_state)
        check_finite_output(views, "sample")
        y = None if codes is None else self.classes_[codes]
        return ModalityDict(zip(self.modalities_, views)), y
