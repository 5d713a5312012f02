"""The scikit-learn surface shared by every skpoe estimator.

:class:`BaseMultimodalVAE` holds parameters, validation, ``fit``,
``transform``, ``predict``, ``predict_proba``, ``score``, ``score_samples``,
``impute``, ``sample`` and pickling. A public estimator is a few lines naming
its torch module (``_module_class``) and its defaults.
"""

from __future__ import annotations

import copy
import inspect
import math
import numbers
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted, validate_data

from .data import ModalityDict, as_modality_dict, encode_labels
from .likelihoods import Categorical, Likelihood, get_likelihood
from .training import TensorData, fit_module

__all__ = ["BaseMultimodalVAE", "resolve_device", "with_model_options", "document"]

LABEL = "__label__"  # internal name of the label modality
_DEFAULT_HIDDEN = (256, 256)
# The label's encoder and decoder are linear unless hidden_layer_sizes names
# "__label__": a softmax regression on z generalises better from few labels
# than an MLP decoder (benchmarks/results/model_quality_ablation.md).
_LABEL_HIDDEN = ()
_INFERENCE_CHUNK = 4096


def resolve_device(device):
    """Turn ``"auto"``, a string or a ``torch.device`` into a ``torch.device``."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"The 'device' parameter must be 'auto', 'cpu', 'cuda', 'cuda:N' or a "
            f"torch.device; got {device!r} ({exc})."
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available on this "
            "machine; use device='auto' or 'cpu'."
        )
    return dev


COMMON_DOC = """
    Parameters
    ----------
    n_components : int, default=32
        Size of the latent space (the embedding returned by ``transform``).
    hidden_layer_sizes : int, tuple of int, or dict, default=(256, 256)
        Hidden layers of each encoder MLP (decoders mirror them). A dict maps
        modality names to sizes; modalities left out use ``(256, 256)``. The
        label modality's networks are linear by default (its decoder is a
        softmax regression on the latent code, which generalises better from
        few labels than an MLP); name ``"__label__"`` in the dict to give them
        hidden layers.
    likelihoods : str, Likelihood, or dict, default="auto"
        Per-modality likelihood: ``"auto"`` (``"bernoulli"`` for data in
        [0, 1], ``"gaussian"`` otherwise), ``"bernoulli"``, ``"gaussian"``,
        ``"laplace"``, ``"poisson"``, ``"negative_binomial"``,
        ``"categorical"`` or a :class:`skpoe.likelihoods.Likelihood`. Gaussian
        and Laplace data are standardized internally; results come back in the
        user's units. A dict maps modality names to one of these.
    encoders, decoders : dict of str to torch.nn.Module, default=None
        Custom networks for some modalities; see :mod:`skpoe.nn` for the
        contract (encoders return features, skpoe adds the Gaussian heads;
        decoders return the likelihood's parameters). An encoder of a
        modality with missing entries at fit time receives the observed
        indicators appended to its input.
    modalities : dict of str to slice or list of int, default=None
        Column groups when ``X`` is one 2-D array (``None``: one modality
        ``"X"``). Ignored for dict input.
    supervision_weight : float, default=50.0
        Weight of the label likelihood terms (the paper's c_y), the strength of
        supervision. Tune it with ``GridSearchCV``.
    beta : float, default=1.0
        Weight of the KL terms.
{extra_params}    batch_size : int, default=64
        Rows per minibatch of each batch group.
    max_iter : int, default=50
        Number of epochs (an epoch is ``ceil(n_samples / batch_size)`` steps).
        With few labels, longer training slowly overfits the labeled rows
        (digits halves, 10% labels: one-view accuracy 0.80 after 30 epochs,
        0.79 after 50, 0.79 after 100; see
        ``benchmarks/results/model_quality_ablation.md``); on other data,
        ``early_stopping=True`` with a larger ``max_iter`` chooses for you.
    learning_rate_init : float, default=1e-3
        Adam learning rate.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows, stop when the validation
        loss has not improved by ``tol`` for ``n_iter_no_change`` epochs and
        restore the best weights.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
        With ``early_stopping``, epochs without improvement of the validation
        loss before training stops. Without it, training runs ``max_iter``
        epochs: a VAE's training loss often plateaus for tens of epochs
        (posterior collapse) before it improves again.
    tol : float, default=1e-4
        Minimum decrease of the validation loss that counts as improvement.
    warm_start : bool, default=False
        Continue training the fitted networks on the next ``fit``.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, minibatches and sampling. Results are
        reproducible on CPU for a fixed seed; the global numpy and torch random
        states are left untouched.
    verbose : int, default=0
        1 prints progress about ten times per fit, 2 every epoch.
    device : str or torch.device, default="auto"
        ``"auto"`` uses CUDA when available, else the CPU.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained networks.
    modalities_ : list of str
        Modality names in fitted order.
    n_features_per_modality_ : dict of str to int
    likelihoods_ : dict of str to Likelihood
        Fitted likelihood per modality (``"__label__"`` for the labels).
    classes_ : ndarray of shape (n_classes,)
        Known classes (present when fitted with ``y``).
    supervised_ : bool
        Whether the model was fitted with labels.
    loss_curve_ : list of float
        Mean training loss per epoch.
    validation_loss_curve_ : list of float
        Validation loss per epoch (with ``early_stopping``).
    best_loss_ / best_validation_loss_ : float
        Best monitored loss.
    n_iter_ : int
        Epochs run.
    n_features_in_ : int
        Total number of features over modalities.
    feature_names_in_ : ndarray of str
        Column names, for a DataFrame passed on the 2-D route.
    device_ : torch.device
        Device holding the fitted networks.

    Notes
    -----
    Missing data: a row of NaN in a modality marks that view missing for that
    sample. NaN entries inside an otherwise observed row are missing entries:
    they are left out of the likelihood and of the standardization, and a
    modality that has any at fit time gets one observed-indicator input per
    feature in its encoder. :meth:`impute` fills both kinds.

"""


def document(summary, extra_params=""):
    """Class docstring: ``summary`` then the shared parameter and attribute docs."""
    return summary.rstrip() + "\n\n" + COMMON_DOC.strip("\n").replace(
        "{extra_params}", extra_params
    ) + "\n"


def with_model_options(**options):
    """Class decorator: add model-specific parameters to the shared ``__init__``.

    The generated ``__init__`` takes every parameter of
    :class:`BaseMultimodalVAE` plus ``options`` (keyword-only, with these
    defaults) and stores them unchanged, as scikit-learn requires; its
    signature is what ``get_params`` inspects. The options are passed on to
    the torch module.
    """

    def decorate(cls):
        base = inspect.signature(BaseMultimodalVAE.__init__)
        extra = [
            inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=v)
            for k, v in options.items()
        ]
        sig = base.replace(parameters=[*base.parameters.values(), *extra])

        def __init__(self, *args, **kwargs):
            bound = sig.bind(self, *args, **kwargs)
            bound.apply_defaults()
            for name, value in list(bound.arguments.items())[1:]:
                setattr(self, name, value)

        __init__.__signature__ = sig
        __init__.__doc__ = f"Set the parameters of {cls.__name__} (see the class docstring)."
        __init__.__qualname__ = f"{cls.__name__}.__init__"
        cls.__init__ = __init__
        cls._module_options = tuple(options)
        return cls

    return decorate


def _fresh_seed():
    return int(np.random.SeedSequence().generate_state(1)[0] >> 1)


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

    # ------------------------------------------------------------------
    # input handling
    # ------------------------------------------------------------------
    def _check_X(self, X, reset):
        """Validate X; returns (names, arrays, observed) in fitted order."""
        if sp.issparse(X):
            raise TypeError(
                "Sparse data was passed for X, but skpoe needs dense arrays; use "
                "X.toarray(), or a dict of dense arrays."
            )
        if not isinstance(X, dict):
            if X is None or isinstance(X, (str, bytes)):
                raise ValueError(
                    f"X must be a dict of 2-D arrays or a 2-D array, got {X!r}."
                )
            X = validate_data(
                self,
                X,
                reset=reset,
                ensure_all_finite="allow-nan",
                dtype="numeric",
                ensure_min_features=1,
            )
        names, arrays, observed = as_modality_dict(X, self.modalities)
        if reset:
            if isinstance(X, dict):
                self.n_features_in_ = int(sum(a.shape[1] for a in arrays))
                if hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_
            return names, arrays, observed
        known = self.modalities_
        unknown = [n for n in names if n not in self.n_features_per_modality_]
        if unknown:
            raise ValueError(
                f"X has modalities {unknown} that were not seen during fit; the "
                f"fitted modalities are {known}."
            )
        for name, arr in zip(names, arrays):
            expected = self.n_features_per_modality_[name]
            if arr.shape[1] != expected:
                raise ValueError(
                    f"Modality {name!r} has {arr.shape[1]} features, but "
                    f"{type(self).__name__} was fitted with {expected} features "
                    "for it."
                )
        # reorder to the fitted order; modalities left out are missing views
        n = arrays[0].shape[0]
        by_name = dict(zip(names, zip(arrays, observed.T)))
        out_arrays, out_obs = [], []
        for name in known:
            if name in by_name:
                a, o = by_name[name]
            else:
                a = np.full((n, self.n_features_per_modality_[name]), np.nan)
                o = np.zeros(n, bool)
            out_arrays.append(a)
            out_obs.append(o)
        return list(known), out_arrays, np.stack(out_obs, 1)

    def _per_modality(self, param, names, kind, default):
        """Expand a parameter given for all modalities or as a dict per name."""
        if isinstance(param, dict):
            unknown = [k for k in param if k not in names]
            if unknown:
                raise ValueError(
                    f"{kind} names modalities {unknown} that are not in X "
                    f"(modalities: {list(names)})."
                )
            return [param.get(n, default) for n in names]
        return [param if param is not None else default] * len(names)

    def _hidden_sizes(self, names):
        def norm(h, name):
            if isinstance(h, numbers.Integral):
                h = (h,)
            try:
                h = tuple(int(v) for v in h)
            except TypeError:
                raise ValueError(
                    f"hidden_layer_sizes for {name!r} must be an int or a sequence "
                    f"of ints, got {h!r}."
                ) from None
            if any(v < 1 for v in h):
                raise ValueError(
                    f"hidden_layer_sizes for {name!r} must be positive, got {h}."
                )
            return h

        sizes = self._per_modality(
            self.hidden_layer_sizes, names, "hidden_layer_sizes", _DEFAULT_HIDDEN
        )
        named = isinstance(self.hidden_layer_sizes, dict) and LABEL in self.hidden_layer_sizes
        if LABEL in names and not named:
            sizes[names.index(LABEL)] = _LABEL_HIDDEN
        return [norm(h, n) for h, n in zip(sizes, names)]

    def _encode(self, arrays, observed, liks):
        """Encoder inputs and targets per modality (zeros where unobserved).

        NaN entries of observed rows are missing entries: the likelihood
        zeroes them in the encoder input and marks them in the target.
        """
        inputs, targets = [], []
        for arr, obs, lik in zip(arrays, observed.T, liks):
            x = np.zeros((arr.shape[0], lik.n_inputs), np.float32)
            t_obs = lik.target(arr[obs])
            t = np.zeros((arr.shape[0],) + t_obs.shape[1:], t_obs.dtype)
            if obs.any():
                x[obs] = lik.encoder_input(arr[obs])
                t[obs] = t_obs
            inputs.append(x)
            targets.append(t)
        return inputs, targets

    def _require_observed(self, observed, what):
        empty = ~observed.any(1)
        if empty.any():
            rows = np.where(empty)[0]
            shown = ", ".join(str(r) for r in rows[:5])
            raise ValueError(
                f"Rows {shown}{', ...' if rows.size > 5 else ''} have no observed "
                f"view (every modality is NaN or absent); {what} needs at least "
                "one observed view per row."
            )

    def _check_new_missing_entries(self, arrays, observed, liks):
        """warm_start: a modality first fitted on complete data stays complete."""
        for arr, obs, lik in zip(arrays, observed.T, liks):
            if not lik.missing_indicators_ and np.isnan(arr[obs]).any():
                raise ValueError(
                    f"warm_start=True: modality {lik.modality!r} has missing entries "
                    "(NaN inside observed rows) but was first fitted on complete "
                    "rows, so its encoder has no missing-entry indicators; fit "
                    "from scratch (warm_start=False)."
                )

    # ------------------------------------------------------------------
    # fit
    # ------------------------------------------------------------------
    def _build_module(self, liks, names, hidden):
        enc = self._per_modality(self.encoders, self.modalities_, "encoders", None)
        dec = self._per_modality(self.decoders, self.modalities_, "decoders", None)
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
        names, arrays, observed = self._check_X(X, reset=not warm)
        n = observed.shape[0]
        supervised = y is not None
        if warm and supervised != self.supervised_:
            raise ValueError(
                "warm_start=True: y must be given if and only if it was given to "
                "the first fit."
            )
        if supervised:
            codes, labeled, classes = encode_labels(
                y, n, self.classes_ if warm else None
            )
            if not labeled.any():
                raise ValueError(
                    "y has no labeled rows (every label is -1 or NaN); pass y=None "
                    "to fit without labels."
                )
            arrays = arrays + [codes[:, None].astype(np.float64)]
            observed = np.concatenate([observed, labeled[:, None]], 1)
        self._require_observed(observed, "fit")
        device = resolve_device(self.device)
        rs = self.random_state
        seed = check_random_state(rs).randint(2**31 - 1) if rs is not None else _fresh_seed()
        if warm:
            seed = (seed + self.n_iter_) % (2**31 - 1)
        rng = np.random.RandomState(seed)

        if not warm:
            self.modalities_ = list(names)
            self.n_features_per_modality_ = {n_: a.shape[1] for n_, a in zip(names, arrays)}
            liks = self._per_modality(self.likelihoods, names, "likelihoods", "auto")
            fitted = [
                get_likelihood(spec, a[o], name)
                for spec, a, o, name in zip(liks, arrays, observed.T, names)
            ]
            all_names = list(names)
            if supervised:
                self.classes_ = classes
                fitted.append(Categorical(len(classes)).fit(codes[labeled][:, None], LABEL))
                all_names.append(LABEL)
            self.likelihoods_ = dict(zip(all_names, fitted))
            self.supervised_ = supervised
        liks = list(self.likelihoods_.values())
        if warm:
            self._check_new_missing_entries(arrays, observed, liks)
        inputs, targets = self._encode(arrays, observed, liks)

        rows = rng.permutation(n)
        if self.early_stopping:
            n_val = int(math.ceil(self.validation_fraction * n))
            if n_val < 1 or n - n_val < 1:
                raise ValueError(
                    f"early_stopping with validation_fraction={self.validation_fraction} "
                    f"leaves no training or validation rows for {n} samples."
                )
            val_rows, train_rows = np.sort(rows[:n_val]), np.sort(rows[n_val:])
        else:
            val_rows, train_rows = rows[:0], np.arange(n)

        fork_devices = [device] if device.type == "cuda" else []
        with torch.random.fork_rng(devices=fork_devices, device_type=device.type):
            torch.manual_seed(seed)
            if not warm:
                hidden = self._hidden_sizes(list(self.likelihoods_))
                self.module_ = self._build_module(liks, list(self.likelihoods_), hidden)
            self.module_.to(device)
            self.device_ = device
            data = TensorData(inputs, targets, observed, device)
            history = {
                "loss": list(self.loss_curve_) if warm else [],
                "val_loss": list(getattr(self, "validation_loss_curve_", [])) if warm else [],
            }
            try:
                fit_module(
                    self.module_,
                    data,
                    train_rows,
                    val_rows,
                    max_iter=self.max_iter,
                    batch_size=self.batch_size,
                    learning_rate=self.learning_rate_init,
                    rng=rng,
                    tol=self.tol,
                    n_iter_no_change=self.n_iter_no_change,
                    early_stopping=self.early_stopping,
                    verbose=self.verbose,
                    history=history,
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
        return self

    # ------------------------------------------------------------------
    # inference
    # ------------------------------------------------------------------
    def _views_data(self, X, what):
        """Validated views of X as TensorData (label slot unobserved)."""
        check_is_fitted(self, "module_")
        names, arrays, observed = self._check_X(X, reset=False)
        self._require_observed(observed, what)
        liks = [self.likelihoods_[n] for n in names]
        for arr, obs, lik in zip(arrays, observed.T, liks):
            lik.check(arr[obs])
        inputs, targets = self._encode(arrays, observed, liks)
        if self.supervised_:
            n = observed.shape[0]
            lab = self.likelihoods_[LABEL]
            inputs.append(np.zeros((n, lab.n_inputs), np.float32))
            targets.append(np.zeros((n, 1), np.int64))
            observed = np.concatenate([observed, np.zeros((n, 1), bool)], 1)
        return TensorData(inputs, targets, observed, self.device_), arrays

    def _shared_noise(self, n_draws, offset):
        """Standard normal draws (n_draws, 1, D) shared by all rows.

        Every row uses the same draws, so sampled outputs of a row depend on
        that row only, whatever the batch, order or subset it comes in.
        """
        g = torch.Generator(device=self.device_)
        g.manual_seed(int(self._inference_seed + offset) % (2**63 - 1))
        return torch.randn((n_draws, 1, self.n_components), generator=g, device=self.device_)

    @torch.no_grad()
    def _posterior(self, data):
        self.module_.eval()
        mus, vars_ = [], []
        for _, batch in data.chunks(_INFERENCE_CHUNK):
            mu, var = self.module_.infer(batch)
            mus.append(mu)
            vars_.append(var)
        return torch.cat(mus), torch.cat(vars_)

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
        mu, _ = self._posterior(data)
        return mu.cpu().double().numpy()

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
        data, _ = self._views_data(X, "predict_proba")
        eps = self._shared_noise(int(n_samples), 1)
        label = len(self.modalities_)
        lik = self.likelihoods_[LABEL]
        dec = self.module_.decoders[label]
        self.module_.eval()
        out = []
        with torch.no_grad():
            for _, batch in data.chunks(_INFERENCE_CHUNK):
                z, _ = self.module_.draw(batch, eps)
                out.append(lik.probabilities(dec(z))[0].mean(0))
        return torch.cat(out).cpu().double().numpy()

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
        data, arrays = self._views_data(X, "score_samples")
        K = int(n_importance_samples)
        if K < 1:
            raise ValueError(f"n_importance_samples must be >= 1, got {K}.")
        width = max(l.n_outputs for l in self.likelihoods_.values())
        chunk = max(1, min(_INFERENCE_CHUNK, (1 << 22) // (K * max(width, self.n_components))))
        eps = self._shared_noise(K, 2)
        self.module_.eval()
        out = []
        with torch.no_grad():
            for _, batch in data.chunks(chunk):
                out.append(self.module_.importance_log_likelihood(batch, eps))
        ll = torch.cat(out).cpu().double().numpy()
        log_det = np.array([self.likelihoods_[n].log_det() for n in self.modalities_])
        obs = data.mask[:, : len(self.modalities_)].cpu().numpy()
        # missing entries of observed views have no change of units
        unseen = np.zeros(len(ll))
        for m, name in enumerate(self.modalities_):
            missing = np.isnan(arrays[m]) & obs[:, m : m + 1]
            if missing.any():
                unseen += missing @ self.likelihoods_[name].feature_log_det()
        return ll + obs @ log_det - unseen

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
        mu, _ = self._posterior(data)
        out = {}
        for m, name in enumerate(self.modalities_):
            filled = arrays[m].copy()
            missing = np.isnan(filled)
            rows = missing.any(1)  # missing views and rows with missing entries
            if rows.any():
                decoded = self._decode(m, mu[torch.from_numpy(rows).to(mu.device)])
                filled[rows] = np.where(missing[rows], decoded, filled[rows])
            out[name] = filled
        return ModalityDict(out)

    @torch.no_grad()
    def _decode(self, m, z):
        lik = list(self.likelihoods_.values())[m]
        mean = self.module_.decode_mean(m, z).cpu().double().numpy()
        return lik.inverse(mean)

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
        if not isinstance(n_samples, numbers.Integral) or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
        g = torch.Generator(device=self.device_)
        if random_state is None:
            g.manual_seed(self._inference_seed + 3)
        else:
            g.manual_seed(int(check_random_state(random_state).randint(2**31 - 1)))
        self.module_.eval()
        z = torch.randn((n_samples, self.n_components), generator=g, device=self.device_)
        X = ModalityDict({n: self._decode(m, z) for m, n in enumerate(self.modalities_)})
        y = None
        if self.supervised_:
            y = self.classes_[self._decode(len(self.modalities_), z)[:, 0].astype(int)]
        return X, y

    # ------------------------------------------------------------------
    # pickling: always store on CPU, load onto the fitted device if present
    # ------------------------------------------------------------------
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
