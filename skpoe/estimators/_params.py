"""The shared parameters' documentation, and model-specific parameters.

:data:`COMMON_DOC` documents the parameters and attributes every estimator
shares (:func:`document` builds a class docstring from it);
:func:`with_model_options` adds an estimator's own parameters to the shared
``__init__``.
"""

from __future__ import annotations

import difflib
import inspect

__all__ = [
    "COMMON_DOC",
    "document",
    "with_model_options",
]

COMMON_DOC = """
    Parameters
    ----------
    n_components : int, default=32
        Size of the latent space (the embedding returned by ``transform``).
    hidden_layer_sizes : "auto", int, tuple of int, or dict, default="auto"
        Hidden layers of each encoder MLP (decoders mirror them). ``"auto"``:
        ``(256, 256)``, or ``(64,)`` when ``fit`` gets fewer than 1,000 rows,
        where the wider networks overfit small tables (measured in
        ``benchmarks/results/semi_supervised_tuning_tables.md``; the choice is
        ``auto_hidden_layer_sizes_``). A dict maps modality names to sizes;
        modalities left out use ``(256, 256)``. The
        label modality's networks are linear by default (its decoder is a
        softmax regression on the latent code, which generalises better from
        few labels than an MLP); name ``"__label__"`` in the dict to give them
        hidden layers.
    likelihoods : str, Likelihood, or dict, default="auto"
        Per-modality likelihood: ``"auto"`` (``"bernoulli"`` for data in
        [0, 1], ``"gaussian"`` otherwise; the choice and its reason are
        stored in ``likelihood_reasons_`` and printed at ``verbose >= 1``), ``"bernoulli"``, ``"gaussian"``,
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
        Continue training the fitted networks on the next ``fit`` for
        ``max_iter`` more epochs. The optimizer state and the minibatch
        random stream are kept with the fitted model, so two warm fits of 5
        epochs equal one fit of 10 on the same data.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, minibatches and sampling. Results are
        reproducible on CPU for a fixed seed; the global numpy and torch random
        states are left untouched.
    verbose : int, default=0
        0 shows nothing. 1 shows progress: a tqdm bar in a terminal or a
        notebook when tqdm is installed (``pip install "skpoe[progress]"``),
        otherwise a line about ten times per fit. 2 prints a line every epoch.
        Lines read ``epoch 40/100``, the loss and its terms (see
        ``history_``), ``train_acc(labeled)`` (label accuracy on the labeled
        training rows), ``val_loss`` and ``val_acc`` (on the rows
        ``early_stopping`` holds out), and the elapsed and remaining time.
    device : str or torch.device, default="auto"
        ``"auto"`` uses CUDA when available, else the CPU.
    max_grad_norm : float, default=None
        Clip the total norm of the gradients to this value before each
        update (``None``: no clipping).
    checkpoint_path : str or path-like, default=None
        File that holds the full training state (weights, optimizer, random
        generators, epoch, history), rewritten atomically every
        ``checkpoint_every`` epochs. If it exists when ``fit`` starts, the fit
        resumes from it (a file of other data or parameters is refused with
        :class:`~skpoe.exceptions.CheckpointError`). A fit that ends normally
        removes it; an interrupted or diverged fit keeps it. Read without
        executing code (``torch.load(weights_only=True)``). Its folder must
        exist and be writable (checked when ``fit`` starts); a write that
        fails during the fit stops it with the last finished epoch's model
        kept and raises :class:`~skpoe.exceptions.CheckpointError`.
    checkpoint_every : int, default=1
        Epochs between checkpoints.
    n_threads : int, default=None
        Torch intra-op threads during ``fit`` and inference; the caller's
        ``torch.get_num_threads()`` is restored afterwards. ``None`` chooses
        by the work of each call on the CPU, rows per forward pass (the
        batch of a fit, the rows of an inference chunk, times K for
        ``score_samples``) times the model's parameters: one thread below
        ``5e8`` (``skpoe.estimators._threads.PARALLEL_WORK``), where a second
        thread gains little and a loaded machine makes it many times slower,
        and the caller's setting from there on (on a quiet 2-core machine two
        threads took 0.53-0.71 of one thread's time there; see
        ``benchmarks/results/threads.md``); on a GPU the setting stays.
    compile : bool, default=False
        Compile the whole training step (posterior, KL terms, likelihoods
        and backward) into one graph with ``torch.compile`` during ``fit``;
        the loss and gradients are the eager step's to float rounding. On
        the CPU a step ran about 2x faster at batch 64 and 1.2x at batch
        1024, but each fit first spends 10-40 s compiling: worth it for
        fits of more than a minute or so (see ``docs/speed.md``).
        Data-parallel fits and float16 fits compile every encoder and
        decoder instead.
    precision : {"float32", "bfloat16", "float16"}, default="float32"
        Mixed precision of the training step (``torch.autocast``: matrix
        products in the given type, likelihoods, weights and optimiser state
        in float32). ``"float16"`` needs a CUDA device. Inference runs in
        float32.
    callbacks : list of callback objects, default=None
        Called around the fit and after every epoch: any object with any of
        ``on_fit_begin(estimator, trainer)``,
        ``on_epoch_end(estimator, trainer, epoch, logs)`` (return ``True`` to
        stop) and ``on_fit_end(estimator, trainer)``; see
        :mod:`skpoe.train.callbacks`. ``clone`` copies them, pickling keeps
        them, :meth:`save` drops them (with a warning).
    pseudo_label_weight : float, default=0.2
        Weight, times ``supervision_weight``, of the soft pseudo-labels of
        unlabeled rows: label spreading over the views' neighbourhood graph
        (``n_neighbors`` per view) gives each unlabeled row a label
        distribution, and the label decoded from its views' posterior (and
        from each single view's) is pulled toward it, weighted by its
        confidence (see :mod:`skpoe.models.unlabeled` and
        ``docs/semi_supervised.md``). 0 turns it off; with
        ``agreement_weight=0`` and ``view_supervision=0`` the objective is the
        paper's.
    agreement_weight : float, default=0.2
        Weight, times ``supervision_weight``, of cross-view agreement on
        unlabeled rows with two or more views: each single view's label
        distribution is pulled toward the joint one (co-training). 0 turns it
        off.
    n_neighbors : int, default=10
        Neighbours per search in the graph of the pseudo-labels.
    neighbor_space : {"joint", "views"}, default="joint"
        Where the rows of that graph find their neighbours. ``"joint"``: a
        row with several views searches once in the space of all of them (the
        views' standardized columns side by side), among the rows that have
        them all, and each of those links counts once per view; it also
        searches each of its views among the rows that have that view but
        not all of the row's. A row with one view searches that view.
        ``"views"``: every row searches each of its views separately, among
        all the rows that have it (the only graph before this option). With
        every view in every row, ``"joint"`` is a kNN graph over the
        concatenated standardized views, as ``LabelSpreading`` builds on
        them. See ``docs/semi_supervised.md``.
    neighbor_scaling : {"auto", "features", "view"}, default="auto"
        How that graph scales each view's centered columns. ``"features"``:
        each column to variance 1 (as ``StandardScaler``), for features in
        different units. ``"view"``: all the view's columns by one scale, the
        root mean square of their standard deviations, for features that
        share a unit (the pixels of an image: rarely lit border pixels are
        not blown up to the weight of the strokes). ``"auto"``: ``"view"``
        for views with a Bernoulli likelihood (values in [0, 1]),
        ``"features"`` for the others. Either way a view's columns have a
        total variance of one per column, so views weigh as before in the
        joint space. See ``docs/semi_supervised.md``.
    missing_indicators : bool, default=False
        How the encoders see missing entries (NaN inside an observed row):
        ``False`` fills them with their column's mean over the observed
        training entries; ``True`` fills them with zeros in encoded space and
        appends one 0/1 observed indicator per feature (useful when *whether*
        a value is missing carries information). Either way they are left
        out of the likelihood.
    entry_masking : "auto" or float in [0, 1), default="auto"
        Training hides random observed entries from the encoders, so that
        predictions hold up when new rows miss entries: each row of a masked
        view draws a share uniformly in ``[0, entry_masking]`` and each entry
        is hidden with that probability, taking the fill a missing entry
        takes (the likelihood still scores the whole row). ``"auto"`` masks
        the views that had missing entries at fit time, up to 80% of their
        entries, and leaves complete views as they are; a number masks every
        view; 0 turns it off. Views encoded with indicator columns are not
        masked. See ``docs/training.md`` and
        ``benchmarks/results/missing_entries_predict.md``.
    entry_fill : {"mean", "neighbors"}, default="neighbors"
        What the encoders see in place of a missing entry at inference:
        ``"mean"`` its column's training mean; ``"neighbors"`` its mean over
        the 5 training rows nearest by the row's observed entries in every
        view, as ``KNNImputer`` computes it (Bernoulli, Gaussian and Laplace
        views; up to 5,000 training rows are kept in ``entry_donors_``). The
        likelihood still leaves the entry out; complete rows and training
        are unchanged.

    Attributes
    ----------
    module_ : torch.nn.Module
        The trained networks.
    modalities_ : list of str
        Modality names in fitted order.
    n_features_per_modality_ : dict of str to int
    auto_hidden_layer_sizes_ : tuple of int
        The hidden layers ``hidden_layer_sizes="auto"`` chose (only then).
    entry_masking_ : dict of str to float
        Per view, the largest share of entries that training hid from its
        encoder (``entry_masking``; 0 for views left unmasked).
    entry_donors_ : dict or None
        Training rows kept for ``entry_fill="neighbors"`` (else ``None``).
    likelihoods_ : dict of str to Likelihood
        Fitted likelihood per modality (``"__label__"`` for the labels).
    likelihood_reasons_ : dict of str to str
        Per modality, how its likelihood was chosen: for ``"auto"`` the
        range of the data that decided it, else the value given. Printed at
        ``verbose >= 1``.
    classes_ : ndarray of shape (n_classes,)
        Known classes (present when fitted with ``y``).
    supervised_ : bool
        Whether the model was fitted with labels.
    loss_curve_ : list of float
        Mean training loss per epoch.
    history_ : dict of str to list of float
        Per-epoch values, one list entry per epoch: ``loss`` (the training
        objective, as ``loss_curve_``), then terms evaluated after each
        epoch on up to 1,000 training rows encoded from their views alone
        (the posterior ``transform`` and ``predict`` use), decoded at the
        posterior mean: ``rec[<view>]`` (-log p(x_view | z) per row
        observing the view), ``kl`` (KL of the posterior to the prior),
        and with labels ``label`` (cross-entropy of the label) and
        ``accuracy`` (on labeled rows). With ``early_stopping``, ``val_loss``
        and the same terms on the held-out rows as ``val_<term>``.
    validation_loss_curve_ : list of float
        Validation loss per epoch (with ``early_stopping``).
    best_loss_ / best_validation_loss_ : float
        Best monitored loss.
    n_iter_ : int
        Epochs run.
    n_features_in_ : int
        Total number of features over modalities.
    feature_names_in_ : ndarray of str
        Column names of the input, defined only when they are all known: for
        a DataFrame on the 2-D route, the DataFrame's columns; for a dict (or
        list) of views that are all DataFrames with string column names,
        ``"<modality>__<column>"`` for every feature, in fitted modality
        order (``len == n_features_in_``).
    feature_names_per_modality_ : dict of str to (ndarray of str or None)
        Column names of each view given as a DataFrame (``None`` for views
        without names), defined when at least one view has them. At predict
        time a view whose columns are renamed, added, dropped or reordered
        raises a ``ValueError`` in scikit-learn's words ("The feature names
        should match those that were passed during fit"), naming the
        modality.
    device_ : torch.device
        Device holding the fitted networks.

    Notes
    -----
    Missing data: a row of NaN in a modality marks that view missing for that
    sample. NaN entries inside an otherwise observed row are missing entries:
    they are left out of the likelihood and of the standardization, and the
    encoder sees them as their column's training mean (or, with
    ``missing_indicators=True``, as 0 plus one observed indicator per
    feature). :meth:`impute` fills both kinds.

"""


def document(summary, extra_params="", see_also="", references=""):
    """Class docstring: ``summary`` then the shared parameter and attribute docs.

    Parameters
    ----------
    summary : str
        The class's own summary and description.
    extra_params : str, default=""
        Its own parameters, in numpydoc form, indented by four spaces.
    see_also : str, default=""
        The body of its See Also section.
    references : str, default=""
        The body of its References section (the papers of the model).

    Returns
    -------
    doc : str
        The docstring, sections in numpydoc order: Parameters, Attributes,
        See Also, Notes, References (the caller appends Examples).
    """
    body = COMMON_DOC.strip("\n").replace("{extra_params}", extra_params)
    head, notes = body.split("\n    Notes\n    -----\n")
    parts = [summary.rstrip(), "", head.rstrip()]
    if see_also:
        parts += ["", "    See Also", "    --------", see_also.rstrip("\n")]
    parts += ["", "    Notes", "    -----", notes.rstrip()]
    if references:
        parts += ["", "    References", "    ----------", references.rstrip("\n")]
    return "\n".join(parts) + "\n"


#: Names other libraries use for skpoe's parameters, for error messages.
_ALIASES = {
    "epochs": "max_iter",
    "n_epochs": "max_iter",
    "num_epochs": "max_iter",
    "lr": "learning_rate_init",
    "learning_rate": "learning_rate_init",
    "latent_dim": "n_components",
    "n_latent": "n_components",
    "latent_size": "n_components",
    "z_dim": "n_components",
    "seed": "random_state",
    "patience": "n_iter_no_change",
    "hidden_dims": "hidden_layer_sizes",
    "hidden_sizes": "hidden_layer_sizes",
    "likelihood": "likelihoods",
}


def _closest(name, names):
    """The valid parameter a mistyped or foreign ``name`` most likely means."""
    if _ALIASES.get(name) in names:
        return _ALIASES[name]
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    return close[0] if close else None


def _bind(class_name, sig, self, args, kwargs):
    """``sig.bind`` with errors that name the class and the closest parameter."""
    names = [p for p in sig.parameters if p != "self"]
    unknown = [k for k in kwargs if k not in sig.parameters or k == "self"]
    if unknown:
        hints = []
        for k in unknown:
            close = _closest(k, names)
            hints.append(f"{k!r}" + (f" (did you mean {close!r}?)" if close else ""))
        raise TypeError(
            f"{class_name}() got unknown parameter{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(hints)}. Valid parameters: {', '.join(names)}."
        )
    try:
        return sig.bind(self, *args, **kwargs)
    except TypeError as exc:
        raise TypeError(
            f"{class_name}(): {exc}; only n_components may be passed by position, "
            "the other parameters by name."
        ) from None


def with_model_options(**options):
    """Class decorator: add model-specific parameters to the shared ``__init__``.

    The generated ``__init__`` takes every parameter of
    :class:`~skpoe.estimators._base.BaseMultimodalVAE` plus ``options`` (keyword-only, with these
    defaults) and stores them unchanged, as scikit-learn requires; its
    signature is what ``get_params`` inspects. The options are passed on to
    the torch module.
    """

    def decorate(cls):
        base = inspect.signature(cls.__init__)  # the shared __init__ it inherits
        extra = [
            inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=v)
            for k, v in options.items()
        ]
        sig = base.replace(parameters=[*base.parameters.values(), *extra])

        def __init__(self, *args, **kwargs):
            bound = _bind(type(self).__name__, sig, self, args, kwargs)
            bound.apply_defaults()
            for name, value in list(bound.arguments.items())[1:]:
                setattr(self, name, value)

        __init__.__signature__ = sig  # type: ignore[attr-defined]  # read by inspect.signature
        __init__.__doc__ = f"Set the parameters of {cls.__name__} (see the class docstring)."
        __init__.__qualname__ = f"{cls.__name__}.__init__"
        cls.__init__ = __init__
        cls._module_options = tuple(options)
        return cls

    return decorate
