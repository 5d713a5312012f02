"""Public estimators: each names its torch module and its defaults."""

from __future__ import annotations

from .base import BaseMultimodalVAE
from .models import PoEModule

__all__ = ["MultimodalPoEVAE"]


class MultimodalPoEVAE(BaseMultimodalVAE):
    """Product-of-experts multimodal VAE with substitute experts.

    The model of Kutuzova et al. (2021), "Multimodal Variational Autoencoders
    for Semi-Supervised Learning: In Defense of Product-of-Experts". Each
    modality has its own Gaussian expert and, for every other modality, a
    substitute expert; the posterior of any set of observed views is the
    prior times exactly one expert per modality slot, so it is equally sharp
    however many views are missing. Partial labels are one more modality
    with a categorical likelihood, so the estimator is a semi-supervised
    classifier as well as a transformer to a shared latent space.

    Parameters
    ----------
    n_components : int, default=16
        Size of the latent space (the embedding returned by ``transform``).
    hidden_layer_sizes : int, tuple of int, or dict, default=(128, 128)
        Hidden layers of each encoder MLP (decoders mirror them). A dict maps
        modality names (and ``"__label__"`` for the labels) to sizes; modalities
        left out use ``(128, 128)``.
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
        decoders return the likelihood's parameters).
    modalities : dict of str to slice or list of int, default=None
        Column groups when ``X`` is one 2-D array (``None``: one modality
        ``"X"``). Ignored for dict input.
    supervision_weight : float, default=50.0
        Weight of the label likelihood terms (the paper's c_y), the strength of
        supervision. Tune it with ``GridSearchCV``.
    beta : float, default=1.0
        Weight of the KL terms.
    star : bool, default=False
        The authors' "star" variant: also apply each observed modality's
        single-modality terms to samples with several observed modalities.
    batch_size : int, default=64
        Rows per minibatch of each batch group.
    max_iter : int, default=100
        Number of epochs (an epoch is ``ceil(n_samples / batch_size)`` steps).
    learning_rate_init : float, default=1e-3
        Adam learning rate.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows, stop when the validation
        loss has not improved by ``tol`` for ``n_iter_no_change`` epochs and
        restore the best weights.
    validation_fraction : float, default=0.1
    n_iter_no_change : int, default=10
        Epochs without improvement (of the validation loss, or of the training
        loss without early stopping) before training stops.
    tol : float, default=1e-4
        Minimum decrease of the monitored loss that counts as improvement.
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

    See Also
    --------
    sklearn.semi_supervised.SelfTrainingClassifier

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_digits
    >>> from skpoe import MultimodalPoEVAE
    >>> images, labels = load_digits(return_X_y=True)
    >>> X = {"top": images[:, :32] / 16, "bottom": images[:, 32:] / 16}
    >>> y = np.where(np.arange(len(labels)) % 10 == 0, labels, -1)  # 10% labeled
    >>> model = MultimodalPoEVAE(max_iter=5, random_state=0).fit(X, y)
    >>> model.predict({"top": X["top"][:3]}).shape
    (3,)
    """

    _module_class = PoEModule
    _module_options = ("star",)
    _parameter_constraints = {
        **BaseMultimodalVAE._parameter_constraints,
        "star": ["boolean"],
    }

    def __init__(
        self,
        n_components=16,
        *,
        hidden_layer_sizes=(128, 128),
        likelihoods="auto",
        encoders=None,
        decoders=None,
        modalities=None,
        supervision_weight=50.0,
        beta=1.0,
        star=False,
        batch_size=64,
        max_iter=100,
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
        self.star = star
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
