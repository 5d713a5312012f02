"""The scikit-learn surface shared by every skpoe estimator.

:class:`BaseMultimodalVAE` holds parameters, their validation and the public
methods, which delegate to :mod:`skpoe._validation` (input checks),
:mod:`skpoe.training` (the loop) and :mod:`skpoe.inference` (the posterior).
A public estimator is a few lines naming its torch module and its defaults.
"""

from __future__ import annotations

import copy
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator, ClassifierMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
)
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ._params import COMMON_DOC, document, with_model_options  # noqa: F401  (re-exported)
from ._validation import (
    LABEL, append_labels, check_count, check_finite_output, check_new_missing_entries, check_X,
    encode, fit_likelihoods, hidden_sizes, per_modality, require_observed, resolve_device,
)
from .data import ModalityDict
from .inference import Inference
from .likelihoods import Likelihood
from .training import TensorData, fit_module, fit_seed, seeded_torch, split_rows

__all__ = ["BaseMultimodalVAE", "resolve_device", "with_model_options", "document"]

_DEFAULT_HIDDEN = (256, 256)
# The label's encoder and decoder are linear unless hidden_layer_sizes names
# "__label__": a softmax regression on z generalises better from few labels
# than an MLP decoder (benchmarks/results/model_quality_ablation.md).
_LABEL_HIDDEN = ()


class BaseMultimodalVAE(
    ClassNamePrefixFeaturesOutMixin, TransformerMixin, ClassifierMixin, BaseEstimator
):
    """Base class of the multimodal VAE estimators. Not for direct use."""

    _module_class = None
    _module_options = ()

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like", dict, Interval(Integral, 1, None, closed="left")],
        "likelihoods": [str, dict, Likelihood, None],
        "encoders": [dict, None],
        "decoders": [dict, None],
        "modalities": [dict, None],
        "supervision_weight": [Interval(Real, 0, None, closed="left")],
        "beta": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "device": [str, torch.device],
    }

    def __init__(
        self,
        n_components=32,
        *,
        hidden_layer_sizes=(256, 256),
        likelihoods="auto",
        encoders=None,
        decoders=None,
        modalities=None,
        supervision_weight=50.0,
        beta=1.0,
        batch_size=64,
        max_iter=50,
        learning_rate_init=1e-3,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        warm_start=False,
        random_state=None,
        verbose=0,
        device="auto",
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.likelihoods = likelihoods
        self.encoders = encoders
        self.decoders = decoders
        self.modalities = modalities
        self.supervision_weight = supervision_weight
        self.beta = beta
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.learning_rate_init = learning_rate_init
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose
        self.device = device

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.target_tags.required = False
        tags.classifier_tags.poor_score = True
        return tags

    # -- fit ----------------------------------------------------------------
    def _build_module(self, liks, names, hidden):
        enc = per_modality(self.encoders, self.modalities_, "encoders", None)
        dec = per_modality(self.decoders, self.modalities_, "decoders", None)
        extra = len(liks) - len(enc)
        weights = [1.0] * len(self.modalities_) + [self.supervision_weight] * extra
        options = {k: getattr(self, k) for k in self._module_options}
        return self._module_class(
            liks,
            self.n_components,
            hidden,
            weights,
            beta=self.beta,
            encoder_bodies=enc + [None] * extra,
            decoder_bodies=dec + [None] * extra,
            names=names,
            label=len(self.modalities_) if extra else None,
            **options,
        )

    def _reset_fitted(self):
        """Forget every fitted attribute (a fresh fit starts clean)."""
        for name in list(vars(self)):
            if name.endswith("_") and not name.startswith("__"):
                delattr(self, name)
        self.__dict__.pop("_inference_seed", None)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Fit the model to multimodal data with optional partial labels.

        Parameters
        ----------
        X : dict of array-like, ModalityDict, or array-like of shape (n_samples, n_features)
            Views keyed by modality name, each of shape (n_samples, n_features_m).
            A row of NaN marks that view missing for that sample; NaN entries in
            a partly observed row are missing entries, left out of the loss
            (modalities that have them get observed-indicator inputs in their
            encoders). A 2-D array is split into modalities by the
            ``modalities`` parameter.
        y : array-like of shape (n_samples,), default=None
            Partial labels: ``-1`` (or NaN / None) marks unlabeled rows; classes
            may be integers or strings. ``None`` fits without labels.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        warm = self.warm_start and hasattr(self, "module_")
        if not warm:
            self._reset_fitted()
        names, arrays, observed = check_X(self, X, reset=not warm)
        if warm and (y is not None) != self.supervised_:
            raise ValueError(
                "warm_start=True: y must be given if and only if it was given to "
                "the first fit."
            )
        labels = None
        if y is not None:
            classes = self.classes_ if warm else None
            arrays, observed, labels = append_labels(arrays, observed, y, classes)
        require_observed(observed, "fit")
        device = resolve_device(self.device)
        seed = fit_seed(self.random_state, self.n_iter_ if warm else None)
        rng = np.random.RandomState(seed)
        if not warm:
            self._fit_likelihoods(names, arrays, observed, labels)
        liks = list(self.likelihoods_.values())
        if warm:
            check_new_missing_entries(arrays, observed, liks)
        inputs, targets = encode(arrays, observed, liks)
        train_rows, val_rows = split_rows(
            observed.shape[0], rng, self.early_stopping, self.validation_fraction
        )
        with seeded_torch(seed, device):
            if not warm:
                all_names = list(self.likelihoods_)
                hidden = hidden_sizes(
                    self.hidden_layer_sizes, all_names, _DEFAULT_HIDDEN, _LABEL_HIDDEN
                )
                self.module_ = self._build_module(liks, all_names, hidden)
            self.module_.to(device)
            self.device_ = device
            data = TensorData(inputs, targets, observed, device)
            self._train(data, train_rows, val_rows, rng, seed, warm)
        return self

    def _fit_likelihoods(self, names, arrays, observed, labels):
        """Set the fitted modalities, their likelihoods and the classes."""
        self.modalities_ = list(names)
        self.n_features_per_modality_ = {n_: a.shape[1] for n_, a in zip(names, arrays)}
        specs = per_modality(self.likelihoods, names, "likelihoods", "auto")
        self.likelihoods_ = fit_likelihoods(specs, names, arrays, observed, labels)
        if labels is not None:
            self.classes_ = labels[2]
        self.supervised_ = labels is not None

    def _train(self, data, train_rows, val_rows, rng, seed, warm):
        """Train ``module_`` on ``data``, then store the loss history."""
        history = {
            "loss": list(self.loss_curve_) if warm else [],
            "val_loss": list(getattr(self, "validation_loss_curve_", [])) if warm else [],
        }
        try:
            fit_module(
                self.module_, data, train_rows, val_rows,
                max_iter=self.max_iter, batch_size=self.batch_size,
                learning_rate=self.learning_rate_init, rng=rng, tol=self.tol,
                n_iter_no_change=self.n_iter_no_change, early_stopping=self.early_stopping,
                verbose=self.verbose, history=history,
                epoch_offset=self.n_iter_ if warm else 0,
                split_on=len(self.modalities_) if self.supervised_ else None,
            )
        finally:
            # also on divergence: the model keeps its last good epoch
            self.module_.eval()
            self._inference_seed = seed
            self.loss_curve_ = history["loss"]
            self.n_iter_ = history.get("n_iter", len(history["loss"]))
            if self.early_stopping:
                self.validation_loss_curve_ = history["val_loss"]
        if self.early_stopping:
            self.best_validation_loss_ = history["best_loss"]
        else:
            self.best_loss_ = history["best_loss"]

    # -- inference: delegated to skpoe.inference -----------------------------
    def _inference(self):
        """The fitted model as an :class:`~skpoe.inference.Inference`."""
        return Inference(
            self.module_,
            [self.likelihoods_[n] for n in self.modalities_],
            self.likelihoods_[LABEL] if self.supervised_ else None,
            self.n_components,
            self._inference_seed,
            self.device_,
        )

    def _views_data(self, X, what):
        """Validated views of X as TensorData (label slot unobserved), and the arrays."""
        check_is_fitted(self, "module_")
        _, arrays, observed = check_X(self, X, reset=False)
        require_observed(observed, what)
        return self._inference().data(arrays, observed), arrays

    def transform(self, X):
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
        """
        data, _ = self._views_data(X, "transform")
        return check_finite_output(self._inference().transform(data), "transform")

    def fit_transform(self, X, y=None):
        """Fit, then return :meth:`transform` of ``X``.

        Parameters
        ----------
        X : dict of array-like, ModalityDict, or array-like
        y : array-like of shape (n_samples,), default=None

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)
        """
        return self.fit(X, y).transform(X)

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

    def predict_proba(self, X, n_samples=32):
        """Class probabilities from whatever views each row has.

        The categorical label decoder is averaged over ``n_samples`` draws of
        the posterior of the observed views.

        Parameters
        ----------
        X : dict of array-like, ModalityDict, or array-like
        n_samples : int, default=32
            Posterior samples to average.

        Returns
        -------
        proba : ndarray of shape (n_samples_X, n_classes)
        """
        self._check_supervised("predict_proba")
        n_samples = check_count(n_samples, "n_samples")
        data, _ = self._views_data(X, "predict_proba")
        proba = self._inference().predict_proba(data, n_samples)
        return check_finite_output(proba, "predict_proba")

    def predict(self, X):
        """Most probable class from whatever views each row has.

        Parameters
        ----------
        X : dict of array-like, ModalityDict, or array-like

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
        """
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(1)]

    def score(self, X, y=None, sample_weight=None):
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
        """
        check_is_fitted(self, "module_")
        if y is None or not self.supervised_:
            return float(np.average(self.score_samples(X), weights=sample_weight))
        from .metrics import masked_accuracy

        return masked_accuracy(self, X, y, sample_weight)

    def score_samples(self, X, n_importance_samples=100):
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

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
        """
        K = check_count(n_importance_samples, "n_importance_samples")
        data, arrays = self._views_data(X, "score_samples")
        ll = self._inference().score_samples(data, arrays, K)
        return check_finite_output(ll, "score_samples")

    def impute(self, X):
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
            Every fitted modality, with no NaN left.
        """
        data, arrays = self._views_data(X, "impute")
        filled = check_finite_output(self._inference().impute(data, arrays), "impute")
        return ModalityDict(zip(self.modalities_, filled))

    def sample(self, n_samples=1, random_state=None):
        """Generate all views jointly from the prior.

        Parameters
        ----------
        n_samples : int, default=1
        random_state : int, RandomState instance or None, default=None
            Seed of the latent draws (``None``: the fitted model's own seed).

        Returns
        -------
        X : ModalityDict
            Decoder means of every view for z ~ N(0, I).
        y : ndarray of shape (n_samples,) or None
            Most probable class of each draw (``None`` without labels).
        """
        check_is_fitted(self, "module_")
        n_samples = check_count(n_samples, "n_samples")
        views, codes = self._inference().sample(n_samples, random_state)
        check_finite_output(views, "sample")
        y = None if codes is None else self.classes_[codes]
        return ModalityDict(zip(self.modalities_, views)), y

    # -- pickling: always store on CPU, load onto the fitted device if present
    def __getstate__(self):
        state = super().__getstate__()
        if "module_" in state and self.device_.type != "cpu":
            state["module_"] = copy.deepcopy(self.module_).to("cpu")
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "module_" in state:
            dev = self.device_
            if dev.type == "cuda" and not torch.cuda.is_available():
                dev = torch.device("cpu")
            self.device_ = dev
            self.module_.to(dev)
