"""The estimator's side of training: a :class:`~skpoe.train._trainer.Trainer` set
up from the estimator's parameters, the fitted attributes it leaves, and
what a fit says when it ends (interrupts, convergence, the checkpoint file).
"""

from __future__ import annotations

import os
import warnings

import numpy as np

from skpoe.data._container import views_as_dict
from skpoe.data._graph import pseudo_label_targets
from skpoe.data._rows import check_label_index
from skpoe.data._validation import (
    append_labels,
    check_new_missing_entries,
    check_X,
    require_observed,
)
from skpoe.data.sources import as_source
from skpoe.distributed import is_main_process, local_device, shared_seed
from skpoe.exceptions import CheckpointError, ConvergenceWarning, FitInterruptedWarning
from skpoe.models.acceleration import autocast_dtype, resolve_device
from skpoe.models.masking import EntryMasking
from skpoe.noise import seeded_torch, start_state
from skpoe.train._trainer import Trainer, fit_seed
from skpoe.train.batches import split_rows
from skpoe.train.callbacks import check_callbacks
from skpoe.train.checkpoint import check_checkpoint_path, fingerprint, load_checkpoint
from skpoe.train.lazy import make_data
from skpoe.train.progress import Progress, still_falling

__all__ = ["prepare_fit", "make_trainer", "store_training", "report_fit_end"]


def prepare_fit(est, X, y, warm):
    """Validate, fit the likelihoods and build the module on a staged copy.

    Returns the staged estimator (``est``, the estimator being fitted, is
    untouched) and the :class:`~skpoe.train._trainer.Trainer` that will train the
    staged module.
    """
    callbacks = check_callbacks(est.callbacks)
    check_checkpoint_path(est.checkpoint_path)
    check_label_index(views_as_dict(X), y, "fit")
    new = object.__new__(type(est))
    new.__dict__.update(est.__dict__)
    if not warm:
        new._reset_fitted()
    names, arrays, observed = check_X(new, X, reset=not warm)
    if warm and (y is not None) != est.supervised_:
        raise ValueError(
            "warm_start=True: y must be given if and only if it was given to the first fit."
        )
    labels = None
    require_observed(observed, "fit")  # a label alone is no view: rows need one
    if y is not None:
        classes = est.classes_ if warm else None
        arrays, observed, labels = append_labels(arrays, observed, y, classes)
    device = local_device(resolve_device(est.device))  # distributed: cuda:LOCAL_RANK
    if not warm:
        new._fit_likelihoods(names, arrays, observed, labels)
    liks = list(new.likelihoods_.values())
    if warm:
        check_new_missing_entries(arrays, observed, liks)
    fp = None if est.checkpoint_path is None else fingerprint(new, arrays, observed)
    ckpt = None
    if fp is not None and os.path.exists(est.checkpoint_path):
        ckpt = load_checkpoint(est.checkpoint_path, fp)
    resume = getattr(est, "_resume_", None) if warm else None
    if ckpt is not None:
        seed = int(ckpt["seed"])
    elif resume is not None:
        seed = est._inference_seed
    else:
        seed = fit_seed(est.random_state, est.n_iter_ if warm else None)
    seed = shared_seed(seed)  # distributed: rank 0's seed on every process
    rng = np.random.RandomState(seed)
    train_rows, val_rows = split_rows(
        observed.shape[0], rng, est.early_stopping, est.validation_fraction
    )
    with seeded_torch(seed, device):  # one thread at a time: keep it to the build
        if not warm:
            new.module_ = new._new_module(liks)
        new.module_.to(device)
        new.module_.autocast_dtype = autocast_dtype(est.precision, device)
        torch_state = start_state(seed, device)
    new.device_ = device
    new._inference_seed = seed
    targets = None  # made before the encoded training data, whose memory it need not share
    if labels is not None and (est.pseudo_label_weight or est.agreement_weight):
        targets = unlabeled_targets(est, arrays[:-1], observed[:, :-1], liks, labels, train_rows)
    data = make_data(arrays, observed, liks, device)
    rates = getattr(new, "entry_masking_", {})
    rates = {m: rates.get(n, 0.0) for m, n in enumerate(names)}
    if any(rates.values()):
        data.entry_masking = EntryMasking(rates, {m: liks[m].fill_ for m in rates}, device)
    if targets is not None:
        data.set_unlabeled_targets(*targets)
    trainer = make_trainer(
        new,
        data,
        train_rows,
        val_rows,
        rng=rng,
        torch_state=torch_state,
        seed=seed,
        warm=warm,
        resume=resume,
        ckpt=ckpt,
        fingerprint=fp,
        estimator=est,
        callbacks=callbacks,
    )
    return new, trainer


def unlabeled_targets(est, views, observed, liks, labels, train_rows):
    """The targets of the unlabeled rows' label terms.

    With ``pseudo_label_weight`` these are label spreading's distributions over
    the views' neighbourhood graph, built from the labels of the training rows
    (:func:`skpoe.data._graph.pseudo_label_targets`, which reads the views a
    block of rows at a time); with agreement alone, empty targets. Views read
    lazily (sparse, memmap, HDF5, zarr, and the memmaps joblib hands to
    parallel workers) are read once, densely, when their observed rows take at
    most :data:`GRAPH_MAX_BYTES` as float64, and a block of rows at a time,
    in several passes, past that: the same numbers either way.

    Returns
    -------
    soft : ndarray of shape (n_samples, n_classes)
        Soft targets, float32.
    weight : ndarray of shape (n_samples,)
        Confidence weights, float32.
    """
    codes, labeled, classes = labels
    n = len(codes)
    if not est.pseudo_label_weight:
        return np.zeros((n, len(classes)), np.float32), np.zeros(n, np.float32)
    in_train = np.zeros(n, bool)
    in_train[train_rows] = True
    return pseudo_label_targets(
        _graph_views(views, observed, liks),
        observed,
        codes,
        labeled & in_train,
        len(classes),
        est.n_neighbors,
        space=getattr(est, "neighbor_space", "views"),  # estimators pickled before it: "views"
        shared_scale=shared_scale(getattr(est, "neighbor_scaling", "features"), liks[: len(views)]),
    )


def shared_scale(scaling, liks):
    """Per view, whether the pseudo-labels' graph gives its columns one scale
    (``neighbor_scaling``: ``"view"``, ``"features"``, or ``"auto"``, one scale
    for views with a Bernoulli likelihood)."""
    if scaling == "auto":
        return [lik.name == "bernoulli" for lik in liks]
    return [scaling == "view"] * len(liks)


#: the most memory (bytes, float64) that the observed rows of lazily read views may take to be
#: read once, whole, for the pseudo-labels' graph; larger ones are read a block at a time
GRAPH_MAX_BYTES = 1 << 30


class _SourceRows:
    """A lazily read view as the graph reads it: ``view[rows]`` reads those rows (float64)."""

    def __init__(self, source):
        self.source = source
        self.shape = source.shape

    def __getitem__(self, rows):
        return self.source.read(rows)


def _graph_views(views, observed, liks):
    """The views for the graph: in-memory arrays as they are; lazily read ones
    read whole when they are small, else as :class:`_SourceRows`."""
    lazy = [m for m, v in enumerate(views) if not isinstance(v, np.ndarray)]
    size = sum(int(observed[:, m].sum()) * liks[m].n_features_ * 8 for m in lazy)
    views = list(views)
    for m in lazy:
        source = as_source(views[m], liks[m].modality)
        if size > GRAPH_MAX_BYTES:
            views[m] = _SourceRows(source)
            continue
        block = np.full((observed.shape[0], liks[m].n_features_), np.nan)
        rows = np.flatnonzero(observed[:, m])
        block[rows] = source.read(rows)
        views[m] = block
    return views


def _previous_history(est):
    if hasattr(est, "history_"):
        return est.history_
    history = {"loss": est.loss_curve_}
    if hasattr(est, "validation_loss_curve_"):
        history["val_loss"] = est.validation_loss_curve_
    return history


def make_trainer(
    est,
    data,
    train_rows,
    val_rows,
    *,
    rng,
    torch_state,
    seed,
    warm,
    resume,
    ckpt,
    fingerprint,
    estimator=None,
    callbacks=(),
):
    """The trainer of a fit of the staged estimator ``est``.

    ``warm`` continues ``est``'s fitted model (with its kept optimizer and
    generator states ``resume``, if any); ``ckpt`` is a checkpoint's full
    training state to resume from; ``fingerprint`` ties written checkpoints
    to this fit (``None`` without ``checkpoint_path``); ``estimator`` (the
    estimator whose fit runs) and ``callbacks`` go to the callbacks.
    """
    checkpoint = None
    if est.checkpoint_path is not None:
        checkpoint = {
            "path": est.checkpoint_path,
            "every": est.checkpoint_every,
            "fingerprint": fingerprint,
        }
    trainer = Trainer(
        est.module_,
        data,
        train_rows,
        val_rows,
        rng=rng,
        torch_state=torch_state,
        seed=seed,
        max_iter=est.max_iter,
        batch_size=est.batch_size,
        learning_rate=est.learning_rate_init,
        tol=est.tol,
        n_iter_no_change=est.n_iter_no_change,
        early_stopping=est.early_stopping,
        max_grad_norm=est.max_grad_norm,
        split_on=len(est.modalities_) if est.supervised_ else None,
        view_names=est.modalities_,
        checkpoint=checkpoint,
        estimator=estimator,
        callbacks=callbacks,  # callbacks see the estimator whose fit runs
        compile=est.compile,
    )
    if warm:
        trainer.continue_from(est.n_iter_, _previous_history(est), resume)
    if ckpt is not None:
        trainer.load(ckpt)
    verbose = est.verbose if is_main_process() else 0  # distributed: rank 0 shows progress
    trainer.progress = Progress(
        verbose,
        est.max_iter,
        done=trainer.epochs_this_fit,
        offset=trainer.start_epoch,
        name=type(est).__name__,
    )
    if ckpt is not None:
        trainer.progress.message(
            f"Resuming from checkpoint {os.fspath(est.checkpoint_path)!r} after epoch "
            f"{trainer.epoch} ({trainer.epochs_this_fit} of max_iter={est.max_iter} done)."
        )
    return trainer


def store_training(est, trainer):
    """Set the fitted attributes that training leaves on ``est``."""
    est.module_.eval()
    history = trainer.history
    est.history_ = history
    est.loss_curve_ = history["loss"]
    est.n_iter_ = trainer.epoch
    for name in ("validation_loss_curve_", "best_validation_loss_", "best_loss_"):
        est.__dict__.pop(name, None)
    if est.early_stopping:
        est.validation_loss_curve_ = history.get("val_loss", [])
        est.best_validation_loss_ = trainer.best
    else:
        est.best_loss_ = trainer.best
    est._resume_ = trainer.resume_state()


def report_fit_end(est, trainer):
    """Warnings at the end of a fit, and the checkpoint file's fate.

    An interrupted fit warns and keeps its checkpoint (written after the
    last finished epoch) for a later resume; a fit whose checkpoint write
    failed raises :class:`~skpoe.exceptions.CheckpointError` once its model
    is stored; a finished fit removes it and
    warns with :class:`~sklearn.exceptions.ConvergenceWarning` when
    ``max_iter`` ended while the monitored loss was still falling.
    """
    name = type(est).__name__
    failed = trainer.checkpoint_error
    kept = "best validation epoch" if est.early_stopping else "last finished epoch"
    if trainer.interrupted:
        warnings.warn(
            f"{name}.fit was interrupted after {trainer.epochs_this_fit} epochs of this fit "
            f"(n_iter_={est.n_iter_}); the estimator keeps the weights of its {kept} "
            "and is usable. Call fit again with warm_start=True to continue"
            + (", or with the same checkpoint_path to resume." if est.checkpoint_path else ".")
            + ("" if failed is None else f" {failed}"),
            FitInterruptedWarning,
            stacklevel=4,
        )
        return
    if failed is not None:  # the fit stopped there; an earlier checkpoint stays
        raise CheckpointError(
            f"{failed} {name}.fit stopped after {trainer.epochs_this_fit} epochs of this fit "
            f"(n_iter_={est.n_iter_}); the estimator keeps the weights of its {kept} and is "
            "usable. Free space or choose another checkpoint_path, then call fit again with "
            "warm_start=True to continue."
        ) from failed.__cause__
    path = est.checkpoint_path
    if path is not None and is_main_process() and os.path.exists(path):
        os.remove(path)
    if trainer.stop_training:
        return
    key = "val_loss" if est.early_stopping else "loss"
    drop = still_falling(est.history_.get(key, []))
    if drop is not None:
        which = "validation loss" if est.early_stopping else "training loss"
        warnings.warn(
            f"{name}: max_iter={est.max_iter} epochs ended while the {which} was still "
            f"falling (its last epochs brought "
            f"{100 * drop:.0f}% of the fit's progress, see skpoe.train.progress."
            "still_falling): more epochs would help. Raise max_iter, or use "
            "early_stopping=True with a larger max_iter to let the validation loss decide "
            "when to stop.",
            ConvergenceWarning,
            stacklevel=4,
        )
