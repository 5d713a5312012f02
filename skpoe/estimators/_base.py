"""The scikit-learn surface shared by every skpoe estimator.

:class:`BaseMultimodalVAE` holds parameters, their validation, ``fit``,
``save`` and pickling; ``fit`` delegates to :mod:`skpoe.estimators._fit` (validation and
building on a staged copy) and :mod:`skpoe.train._trainer` (the loop). The methods of
the fitted model (transform, predict, score, impute, sample) come from
:class:`skpoe.estimators._fitted.FittedModelMixin`, over :mod:`skpoe.estimators._inference`.
A public estimator is a few lines naming its torch module and its defaults.
"""

from __future__ import annotations

import copy
import os
from typing import BinaryIO, TypeVar

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context

from skpoe._typing import LabelsLike, ViewsLike
from skpoe.data._neighbor_fill import donor_set
from skpoe.distributed import is_main_process
from skpoe.estimators._constraints import PARAMETER_CONSTRAINTS
from skpoe.estimators._feature_names import LatentFeatureNamesMixin
from skpoe.estimators._fit import prepare_fit, report_fit_end, store_training
from skpoe.estimators._fitted import FittedModelMixin
from skpoe.estimators._per_modality import hidden_sizes, per_modality
from skpoe.estimators._threads import call_work, default_threads, limit_threads
from skpoe.exceptions import TrainingDiverged
from skpoe.likelihoods._fitting import entry_masking_rates, fit_likelihoods
from skpoe.models.base import MultimodalModule
from skpoe.persistence import registry, save as _save
from skpoe.semi_supervised import warn_if_labels_leak
from skpoe.train.callbacks import notify

__all__ = ["BaseMultimodalVAE"]

_DEFAULT_HIDDEN = (256, 256)
# hidden_layer_sizes="auto": one layer of 64 below this many training rows, where the wider
# default overfits small tables (benchmarks/results/semi_supervised_tuning_tables.md)
_SMALL_DATA_ROWS = 1000
_SMALL_DATA_HIDDEN = (64,)
# The label's encoder and decoder are linear unless hidden_layer_sizes names
# "__label__": a softmax regression on z generalises better from few labels
# than an MLP decoder (benchmarks/results/model_quality_ablation.md).
_LABEL_HIDDEN = ()


_Estimator = TypeVar("_Estimator", bound="BaseMultimodalVAE")


class BaseMultimodalVAE(LatentFeatureNamesMixin, FittedModelMixin, ClassifierMixin, BaseEstimator):
    """Base class of the multimodal VAE estimators. Not for direct use.

    A subclass names its torch module in ``_module_class`` and its own
    parameters with :func:`~skpoe.estimators._params.with_model_options`;
    skpoe's public subclasses are recorded in
    :mod:`skpoe.persistence.registry` as they are defined, so model files can
    name them.
    """

    _module_class: type[MultimodalModule] | None = None
    _module_options: tuple[str, ...] = ()
    # -1 labels mean "unlabeled" to this estimator (skpoe.semi_supervised reads it)
    _reads_unlabeled_rows = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls._module_class is not None:
            registry.register(cls)

    _parameter_constraints = PARAMETER_CONSTRAINTS

    def __init__(
        self,
        n_components=32,
        *,
        hidden_layer_sizes="auto",
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
        callbacks=None,
        pseudo_label_weight=0.2,
        agreement_weight=0.2,
        n_neighbors=10,
        neighbor_space="joint",
        neighbor_scaling="auto",
        missing_indicators=False,
        entry_masking="auto",
        entry_fill="neighbors",
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
        self.callbacks = callbacks
        self.pseudo_label_weight = pseudo_label_weight
        self.agreement_weight = agreement_weight
        self.n_neighbors = n_neighbors
        self.neighbor_space = neighbor_space
        self.neighbor_scaling = neighbor_scaling
        self.missing_indicators = missing_indicators
        self.entry_masking = entry_masking
        self.entry_fill = entry_fill

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
        param = self.hidden_layer_sizes
        if isinstance(param, str):  # "auto", resolved at fit from the number of rows
            param = self.auto_hidden_layer_sizes_
        hidden = hidden_sizes(param, names, _DEFAULT_HIDDEN, _LABEL_HIDDEN)
        return self._build_module(liks, names, hidden)

    def _build_module(self, liks, names, hidden):
        enc = per_modality(self.encoders, self.modalities_, "encoders", None)
        dec = per_modality(self.decoders, self.modalities_, "decoders", None)
        extra = len(liks) - len(enc)
        weights = [1.0] * len(self.modalities_) + [self.supervision_weight] * extra
        options = {k: getattr(self, k) for k in self._module_options}
        options.update(
            pseudo_label_weight=self.pseudo_label_weight, agreement_weight=self.agreement_weight
        )
        assert self._module_class is not None, "every concrete estimator names its module"
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
    def fit(self: _Estimator, X: ViewsLike, y: LabelsLike | None = None) -> _Estimator:
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

        ``checkpoint_path`` is checked before anything else: a path whose
        folder is missing or cannot take a new file raises
        :class:`~skpoe.exceptions.CheckpointError` at once. When a checkpoint
        write fails during the fit (disk full, a file-size limit), the fit
        stops there and keeps the model of its last finished epoch, as after
        Ctrl-C: the estimator is fitted and usable, ``n_iter_`` counts the
        epochs that ran, and :class:`~skpoe.exceptions.CheckpointError`,
        naming the path and the operating system's error, is raised; the
        previous checkpoint file, if any, is left as it was.

        A warm start continues exactly: the optimizer state and the minibatch
        random stream are kept with the fitted model, so ``fit`` with
        ``max_iter=5`` twice equals one ``fit`` with ``max_iter=10`` (on the
        same data; the early-stopping patience restarts with each fit). With
        ``checkpoint_path`` a fit killed midway resumes where its last
        checkpoint left off (see ``docs/training.md``).

        See Also
        --------
        fit_transform : Fit, then embed the same rows.
        save : Write the fitted model to a file that :func:`skpoe.load` reads.

        Examples
        --------
        >>> import numpy as np
        >>> from skpoe import MultimodalPoEVAE
        >>> from skpoe.datasets import load_digits_views
        >>> X, y = load_digits_views()
        >>> y = np.where(np.arange(len(y)) % 10 == 0, y, -1)   # 10% labeled
        >>> model = MultimodalPoEVAE(max_iter=1, random_state=0).fit(X, y)
        >>> model.n_iter_, list(model.modalities_)
        (1, ['top', 'bottom'])
        """
        warm = self.warm_start and hasattr(self, "module_")
        new, trainer = prepare_fit(self, X, y, warm)
        work = call_work(new.module_, "fit", batch_size=self.batch_size)
        with limit_threads(default_threads(self.n_threads, new.device_, work)):
            try:
                trainer.run()
            except TrainingDiverged:
                fresh = not hasattr(self, "module_")
                if warm or (fresh and trainer.epoch > 0):
                    self._commit(new, trainer)
                raise
        self._commit(new, trainer)
        report_fit_end(self, trainer)
        notify(trainer.callbacks, "on_fit_end", self, trainer)
        return self

    def _commit(self, new, trainer):
        """Make the staged estimator ``new`` this one, with its training results."""
        store_training(new, trainer)
        self.__dict__.clear()
        self.__dict__.update(new.__dict__)

    def _fit_likelihoods(self, names, arrays, observed, labels):
        """Set the fitted modalities, their likelihoods and the classes."""
        self.modalities_ = list(names)
        self.n_features_per_modality_ = {n_: a.shape[1] for n_, a in zip(names, arrays)}
        if isinstance(self.hidden_layer_sizes, str):
            small = arrays[0].shape[0] < _SMALL_DATA_ROWS
            self.auto_hidden_layer_sizes_ = _SMALL_DATA_HIDDEN if small else _DEFAULT_HIDDEN
        specs = per_modality(self.likelihoods, names, "likelihoods", "auto")
        self.likelihoods_ = fit_likelihoods(
            specs, names, arrays, observed, labels, self.missing_indicators
        )
        self.likelihood_reasons_ = {n_: self.likelihoods_[n_].choice_reason_ for n_ in names}
        views = [self.likelihoods_[n_] for n_ in names]
        self.entry_masking_ = entry_masking_rates(
            views, names, arrays, observed, getattr(self, "entry_masking", 0.0)
        )
        self.entry_donors_ = None
        if getattr(self, "entry_fill", "neighbors") == "neighbors":
            eligible = [v.affine_encoding and not v.missing_indicators_ for v in views]
            real = [v.name != "bernoulli" for v in views]
            self.entry_donors_ = donor_set(arrays[: len(names)], observed, eligible, real)
        if self.verbose and is_main_process():
            for n_ in names:
                print(
                    f"{type(self).__name__}: modality {n_!r} uses the "
                    f"{self.likelihoods_[n_].name} likelihood ({self.likelihood_reasons_[n_]})",
                    flush=True,
                )
        if labels is not None:
            self.classes_ = labels[2]
        self.supervised_ = labels is not None

    def fit_transform(self, X: ViewsLike, y: LabelsLike | None = None) -> np.ndarray:
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
        warn_if_labels_leak(self, y)
        return self.fit(X, y).transform(X)

    # -- saving: delegated to skpoe.persistence._files -------------------------------
    def save(self, path: str | os.PathLike[str] | BinaryIO) -> None:
        """Save the estimator to a file that :func:`skpoe.load` reads back safely.

        Weights are stored as tensors and everything else as JSON, with the
        skpoe, torch and format versions; loading never runs code from the
        file, so this is the way to share a model. Pickle and joblib files
        run code when loaded: use them only for files you trust. Custom
        ``encoders``/``decoders`` networks are saved as weights only; pass
        fresh instances to :func:`skpoe.load`. See :mod:`skpoe.persistence._files`.

        Parameters
        ----------
        path : str, os.PathLike or binary file object
            Where to write (``.skpoe`` is the customary suffix).

        See Also
        --------
        skpoe.load : Read the file back, with the same predictions bit for bit.
        skpoe.persistence.read_header : What a file holds, without loading it.

        Examples
        --------
        >>> import os, tempfile
        >>> import skpoe
        >>> from skpoe.datasets import load_digits_views
        >>> X, y = load_digits_views()
        >>> model = skpoe.MultimodalPoEVAE(max_iter=1, random_state=0).fit(X, y)
        >>> path = os.path.join(tempfile.mkdtemp(), "model.skpoe")
        >>> model.save(path)
        >>> loaded = skpoe.load(path)
        >>> bool((loaded.predict(X) == model.predict(X)).all())
        True
        """
        _save(self, path)

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
            self.device_: torch.device = dev
            self.module_.to(dev)
