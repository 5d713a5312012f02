"""The scikit-learn surface shared by every skpoe estimator.

:class:`BaseMultimodalVAE` holds parameters, their validation and the public
methods, which delegate to :mod:`skpoe._validation` (input checks),
:mod:`skpoe.training` (the loop) and :mod:`skpoe.inference` (the posterior).
A public estimator is a few lines naming its torch module and its defaults.
"""

from __future__ import annotations

import copy
import os
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator, ClassifierMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, _fit_context
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._fit import prepare_fit, report_fit_end, store_training
from .acceleration import PRECISIONS, compiled_networks
from ._params import COMMON_DOC, document, with_model_options  # noqa: F401  (re-exported)
from ._threads import default_threads, limit_threads
from ._validation import (
    LABEL, check_count, check_finite_output, check_X, fit_likelihoods, hidden_sizes,
    per_modality, require_observed, resolve_device,
)
from ._output import as_frames, with_index
from .data import ModalityDict
from .distributed import is_main_process
from .exceptions import TrainingDiverged
from .inference import Inference
from .likelihoods import Likelihood

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
        "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
        "checkpoint_path": [str, os.PathLike, None],
        "checkpoint_every": [Interval(Integral, 1, None, closed="left")],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "compile": ["boolean"],
        "precision": [StrOptions(set(PRECISIONS))],
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
        max_grad_norm=None,
        checkpoint_path=None,
        checkpoint_every=1,
        n_threads=None,
        compile=False,
        precision="float32",
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
        self.max_grad_norm = max_grad_norm
        self.checkpoint_path = checkpoint_path
        self.checkpoint_every = checkpoint_every
        self.n_threads = n_threads
        self.compile = compile
        self.precision = precision

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.target_tags.required = False
        tags.classifier_tags.poor_score = True
        return tags

    # -- fit ----------------------------------------------------------------
    def _new_module(self, liks):
        """A new torch module for the fitted likelihoods ``liks`` (labels last)."""
        names = list(self.likelihoods_)
        hidden = hidden_sizes(self.hidden_layer_sizes, names, _DEFAULT_HIDDEN, _LABEL_HIDDEN)
        return self._build_module(liks, names, hidden)

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

        Raises
        ------
        TrainingDiverged
            The loss became NaN or infinite (the message names the epoch).

        Notes
        -----
        A fit changes the estimator only once it has a trained model to
        store. All input is validated and the networks are built first; a fit
        that fails there, or fails during training with any other error,
        leaves the estimator exactly as it was. When the loss diverges, a
        refit of a fitted estimator restores the previous model; a fresh fit
        keeps the weights of its last finished epoch, or stays unfitted when
        the first epoch diverged; a ``warm_start`` continuation keeps its last
        finished epoch (it extends the previous model).

        Ctrl-C (``KeyboardInterrupt``) after at least one finished epoch ends
        the fit with the weights of the last finished epoch (with
        ``early_stopping``, of the best validation epoch): the estimator is
        fitted, ``n_iter_`` counts the epochs that ran, a
        :class:`~skpoe.exceptions.FitInterruptedWarning` is given and ``self``
        returned; ``warm_start=True`` continues from there. An interrupt
        before the first epoch finishes leaves the estimator as it was and
        propagates.

        A warm start continues exactly: the optimizer state and the minibatch
        random stream are kept with the fitted model, so ``fit`` with
        ``max_iter=5`` twice equals one ``fit`` with ``max_iter=10`` (on the
        same data; the early-stopping patience restarts with each fit). With
        ``checkpoint_path`` a fit killed midway resumes where its last
        checkpoint left off (see ``docs/training.md``).
        """
        warm = self.warm_start and hasattr(self, "module_")
        new, trainer = prepare_fit(self, X, y, warm)
        with limit_threads(default_threads(self.n_threads, new.module_, new.device_)):
            try:
                with compiled_networks(new.module_, self.compile):
                    trainer.run()
            except TrainingDiverged:
                fresh = not hasattr(self, "module_")
                if warm or (fresh and trainer.epoch > 0):
                    self._commit(new, trainer)
                raise
        self._commit(new, trainer)
        report_fit_end(self, trainer)
        return self

    def _commit(self, new, trainer):
        """Make the staged estimator ``new`` this one, with its training results."""
        store_training(new, trainer)
        vars(self).clear()
        vars(self).update(vars(new))

    def _fit_likelihoods(self, names, arrays, observed, labels):
        """Set the fitted modalities, their likelihoods and the classes."""
        self.modalities_ = list(names)
        self.n_features_per_modality_ = {n_: a.shape[1] for n_, a in zip(names, arrays)}
        specs = per_modality(self.likelihoods, names, "likelihoods", "auto")
        self.likelihoods_ = fit_likelihoods(specs, names, arrays, observed, labels)
        self.likelihood_reasons_ = {n_: self.likelihoods_[n_].choice_reason_ for n_ in names}
        if self.verbose and is_main_process():
            for n_ in names:
                print(f"{type(self).__name__}: modality {n_!r} uses the "
                      f"{self.likelihoods_[n_].name} likelihood ({self.likelihood_reasons_[n_]})",
                      flush=True)
        if labels is not None:
            self.classes_ = labels[2]
        self.supervised_ = labels is not None

    def _threads(self):
        """The thread limit of inference with the fitted model."""
        return limit_threads(default_threads(self.n_threads, self.module_, self.device_))

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
        """Validated views of X as data encoded per chunk (label slot
        unobserved), and the views."""
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
            A DataFrame with the input's row index after
            ``set_output(transform="pandas")``.
        """
        data, _ = self._views_data(X, "transform")
        with self._threads():
            Z = check_finite_output(self._inference().transform(data), "transform")
        return with_index(self, Z, X)

    def fit_transform(self, X, y=None):
        """Fit, then return :meth:`transform` of ``X``.

        Parameters
        ----------
        X : dict of array-like, ModalityDict, or array-like
        y : array-like of shape (n_samples,), default=None

        Returns
        -------
        Z : ndarray of shape (n_samples, n_components)

        Warns
        -----
        PartialLabelsWarning
            When a :class:`~sklearn.pipeline.Pipeline` calls it with unlabeled
            rows in ``y`` and the pipeline's final classifier would learn
            ``-1`` as a class (see :mod:`skpoe.semi_supervised`).
        """
        from .semi_supervised import warn_if_labels_leak

        warn_if_labels_leak(self, y)
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

    def predict_proba(self, X, n_samples=32, random_state=None):
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
        """
        self._check_supervised("predict_proba")
        n_samples = check_count(n_samples, "n_samples")
        data, _ = self._views_data(X, "predict_proba")
        with self._threads():
            proba = self._inference().predict_proba(data, n_samples, random_state)
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

    def score_samples(self, X, n_importance_samples=100, random_state=None):
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
        """
        K = check_count(n_importance_samples, "n_importance_samples")
        data, _ = self._views_data(X, "score_samples")
        with self._threads():
            ll = self._inference().score_samples(data, K, random_state)
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
        X_imputed : ModalityDict, or dict of str to DataFrame
            Every fitted modality, with no NaN left (dense arrays, also for
            sparse or on-disk views: impute row slices of large data). When
            ``X`` has DataFrame views (or is a DataFrame), a dict of
            DataFrames with the input's row index; views given as DataFrames
            keep their columns, the others are named ``"<view>0"``,
            ``"<view>1"``, ...
        """
        data, _ = self._views_data(X, "impute")
        with self._threads():
            filled = check_finite_output(self._inference().impute(data), "impute")
        frames = as_frames(self.modalities_, filled, X, self.modalities)
        return ModalityDict(zip(self.modalities_, filled)) if frames is None else frames

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
        with self._threads():
            views, codes = self._inference().sample(n_samples, random_state)
        check_finite_output(views, "sample")
        y = None if codes is None else self.classes_[codes]
        return ModalityDict(zip(self.modalities_, views)), y

    # -- saving: delegated to skpoe.persistence -------------------------------
    def save(self, path):
        """Save the estimator to a file that :func:`skpoe.load` reads back safely.

        Weights are stored as tensors and everything else as JSON, with the
        skpoe, torch and format versions; loading never runs code from the
        file, so this is the way to share a model. Pickle and joblib files
        run code when loaded: use them only for files you trust. Custom
        ``encoders``/``decoders`` networks are saved as weights only; pass
        fresh instances to :func:`skpoe.load`. See :mod:`skpoe.persistence`.

        Parameters
        ----------
        path : str, os.PathLike or binary file object
            Where to write (``.skpoe`` is the customary suffix).
        """
        from .persistence import save

        save(self, path)

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
