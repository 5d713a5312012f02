"""One training loop for every model, and the faults it survives.

:class:`Trainer` runs the epochs of a fit: the minibatch indices of an epoch
(:meth:`Trainer.epoch_batches`), a step's loss, gradients and update
(:meth:`Trainer.step`; in data-parallel training DDP averages the gradients
during backward), divergence and Ctrl-C. What follows each finished epoch (the per-epoch
history, early stopping with best weights, progress, checkpoints, and the
user's callbacks) is a list of callbacks (:mod:`skpoe.train.callbacks`). After every finished epoch it
keeps a snapshot of the whole training state (weights, optimizer, random
generators, counters); a fault restores one of these snapshots, so the model
is never left with the weights of half an epoch. Losses are synchronised with the host once per epoch.

Training draws its noise from a private generator
(:func:`skpoe.noise.training_stream`), so fits in threads of one process do
not share a stream. Inside an initialised process group each process computes
its share of every step (:mod:`skpoe.distributed`); only rank 0 shows
progress and writes checkpoints.
"""

from __future__ import annotations

import math
import time
import warnings

import torch

from skpoe.distributed import DataParallel, is_main_process
from skpoe.exceptions import CheckpointError, SkpoeWarning, TrainingDiverged
from skpoe.models.acceleration import compiled_networks, grad_scaler
from skpoe.noise import fit_seed, training_stream
from skpoe.train._state import TrainingState
from skpoe.train.batches import (
    BatchGroups,
    TensorData,
    batches_loss,
    monitor_rows,
    monitor_terms,
    step_batches,
    step_loss as _step_loss,
    validation_loss,
)
from skpoe.train.callbacks import EarlyStopping, builtin_callbacks, notify
from skpoe.train.compiled import CompiledStep

__all__ = ["Trainer", "fit_seed"]


class Trainer(TrainingState):
    """Train ``module`` on ``data`` in place.

    Parameters
    ----------
    module : MultimodalModule
    data : TensorData
    train_rows, val_rows : ndarray of int
        Rows to train on and rows held out for early stopping.
    rng : numpy.random.RandomState
        Draws the minibatches.
    torch_state : dict
        Torch generator states to train with (:func:`skpoe.noise.start_state`).
    seed : int
        The fit's seed (stored in checkpoints).
    max_iter, batch_size, learning_rate, tol, n_iter_no_change, early_stopping
        As the estimator's parameters.
    max_grad_norm : float or None
        Clip the gradients' total norm to this value before each update.
    split_on : int or None
        The label modality, whose rows get their own paired minibatch.
    view_names : list of str
        Names of the views, for the per-term history.
    progress : skpoe.train.progress.Progress or None
    checkpoint : dict or None
        ``path``, ``every`` and ``fingerprint`` of the checkpoint file.
    estimator : object or None
        The estimator being fitted, passed to the callbacks.
    callbacks : list
        The user's callbacks (:mod:`skpoe.train.callbacks`); they run after
        the built-in ones (history, early stopping, state, progress,
        checkpoints), which :attr:`callbacks` lists with them.
    compile : bool
        Compile the whole step's loss and backward as one graph
        (:class:`~skpoe.train.compiled.CompiledStep`); in data-parallel
        training and with float16's loss scaling, compile every encoder and
        decoder instead (:func:`~skpoe.models.acceleration.compiled_networks`).
    """

    compile_optimizer = False
    """With ``compile``, also compile the optimiser's update (``torch.compile``
    of ``optimizer.step``); off: the eager fused Adam update."""

    def __init__(
        self,
        module,
        data,
        train_rows,
        val_rows,
        *,
        rng,
        torch_state,
        seed,
        max_iter,
        batch_size,
        learning_rate,
        tol,
        n_iter_no_change,
        early_stopping,
        max_grad_norm=None,
        split_on=None,
        view_names=(),
        progress=None,
        checkpoint=None,
        estimator=None,
        callbacks=(),
        compile=False,
    ):
        self.module = module
        self.compile = bool(compile)
        self.compiled = None  # the compiled step during run, when compile
        self.compile_seconds = 0.0  # tracing and compiling, the first run of each graph
        self.data = data
        self.rng = rng
        self.torch_state = torch_state
        self.seed = seed
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.max_grad_norm = max_grad_norm
        self.learning_rate = learning_rate
        self.split_on = split_on
        self.view_names = list(view_names)
        self.progress = progress
        self.checkpoint = checkpoint
        self.estimator = estimator
        self.user_callbacks = list(callbacks)
        self.n_train = len(train_rows)
        mask_np = data.mask.cpu().numpy()
        # the label terms of unlabeled rows: a model asking for them, data holding their targets
        self.unlabeled = bool(
            split_on is not None
            and getattr(data, "soft", None) is not None
            and (module.pseudo_label_weight or module.agreement_weight)
        )
        self.groups = BatchGroups(mask_np, train_rows, split_on, self.unlabeled)
        self.val_groups = BatchGroups(mask_np, val_rows, split_on) if early_stopping else None
        self.val_rows = val_rows
        self.monitor = monitor_rows(train_rows)
        fused = data.device.type in ("cpu", "cuda")  # one kernel per parameter: 4x faster on CPU
        self.optimizer = torch.optim.Adam(
            module.parameters(), lr=learning_rate, fused=fused or None
        )
        self.scaler = grad_scaler(module, data.device)  # float16 on CUDA, else a no-op
        # minibatch indices live with the rows (the host, for rows copied per minibatch)
        self._index_device = getattr(data, "index_device", data.device)
        self.epoch = 0  # epochs run, earlier fits included
        self.start_epoch = 0  # epochs run before this fit
        self.history = {"loss": []}
        self.best = math.inf
        self.no_improve = 0
        self.best_state = None
        self.stop_training = False  # set by a callback (early stopping, or the user's)
        self.stopped_by = None  # the callback that stopped the fit
        self.improved = False  # whether the last epoch improved the monitored loss
        self.interrupted = False
        self.checkpoint_error = None  # a failed checkpoint write, which ended the fit
        self.last_good = None
        self.parallel = None  # the data-parallel step during run, in a process group
        self._optimizer_step = None  # the compiled update during run, with compile_optimizer
        self._stream = None  # the current generator states during run

    # -- the loop -------------------------------------------------------------
    def epoch_batches(self):
        """Minibatch indices of the next epoch: ``(n_steps, paired, singles)``."""
        return self.groups.epoch(self.n_train, self.batch_size, self.rng, self._index_device)

    def step(self, paired_idx, singles_idx, unlabeled_idx=None):
        """One optimiser step on a step's minibatches; returns its loss (a tensor).

        In data-parallel training the loss is this process's share of the
        step's loss, scaled so that the processes' mean gradient is the
        gradient of the whole step. float16 on CUDA scales the loss
        (:func:`~skpoe.models.acceleration.grad_scaler`, else a no-op).
        """
        grads = None
        if self.compiled is not None:
            batches = step_batches(self.data, self.groups, paired_idx, singles_idx, unlabeled_idx)
            out = self.compiled(*batches)  # None: a step that cannot be traced runs eagerly
            total, grads = (
                out if out is not None else (batches_loss(self.module, *batches).total, None)
            )
        elif self.parallel is None:
            total = _step_loss(
                self.module,
                self.data,
                self.groups,
                paired_idx,
                singles_idx,
                unlabeled_idx=unlabeled_idx,
            ).total
        else:  # this process's slice of every minibatch group
            total = self.parallel.step_loss(self.data, self.groups, paired_idx, singles_idx)
        self.optimizer.zero_grad(set_to_none=True)
        if grads is None:
            self.scaler.scale(total).backward()
        else:
            assert self.compiled is not None  # grads come from the compiled step only
            for p, g in zip(self.compiled.parameters(), grads):
                p.grad = g
        if self.max_grad_norm is not None:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.module.parameters(), self.max_grad_norm)
        if self._optimizer_step is not None:
            self._optimizer_step()
        else:
            self.scaler.step(self.optimizer)
        self.scaler.update()
        return total

    def run_epoch(self):
        """Train one epoch; returns its history record (raises on divergence)."""
        self.module.train()
        n_steps, paired, singles = self.epoch_batches()
        unlabeled = None
        if self.unlabeled and self.parallel is None:
            unlabeled = self.groups.unlabeled_epoch(
                n_steps, self.batch_size, self.rng, self._index_device
            )
        running = torch.zeros((), device=self.data.device)
        for s in range(n_steps):
            total = self.step(
                [idx[s] for idx in paired],
                [(m, idx[s]) for m, idx in singles],
                None if unlabeled is None else unlabeled[s],
            )
            running += total.detach()
        if self.parallel is not None:  # the loss over every process: all stop together
            running = self.parallel.mean(running)
        loss = float(running) / n_steps
        if not math.isfinite(loss):
            raise TrainingDiverged(
                f"The training loss became {loss} at epoch {self.epoch + 1}; training "
                "stopped. Try a smaller learning_rate_init or max_grad_norm, or check "
                "the scale of your data and the likelihood chosen for each modality."
            )
        record = {"loss": loss}
        record.update(self._terms(self.monitor, ""))
        if self.early_stopping:
            record["val_loss"] = validation_loss(
                self.module, self.data, self.val_groups, self._chunk()
            )
            record.update(self._terms(self.val_rows, "val_"))
        self.module.train()
        return record

    def _terms(self, rows, prefix):
        return monitor_terms(
            self.module,
            self.data,
            rows,
            self.view_names,
            self.split_on,
            prefix,
            self._chunk(),
        )

    def _chunk(self):
        """Rows per pass of the per-epoch evaluations: large for data already
        on the device, one minibatch for data read lazily (sparse, on disk)."""
        return 4096 if isinstance(self.data, TensorData) else self.batch_size

    def _after_epoch(self, record):
        """Count the finished epoch and run every callback's ``on_epoch_end`` on it."""
        self.epoch += 1
        for cb in self.callbacks:
            hook = getattr(cb, "on_epoch_end", None)
            if hook is not None and hook(self.estimator, self, self.epoch, dict(record)):
                self.stop_training = True
                self.stopped_by = self.stopped_by or cb

    def keep_state(self):
        """Snapshot the finished epoch (see :class:`~skpoe.train.callbacks.KeepState`)."""
        snap = self._snapshot()
        self.last_good = snap
        if self.improved and self.early_stopping:
            self.best_state = snap

    def _data_parallel(self):
        """The data-parallel step in an initialised process group, else ``None``.

        Every process must agree on the data, the networks and the epoch to
        continue from (a checkpoint only some processes can read would not).
        """
        sizes = [self.data.n, *map(len, self.groups.per_modality), self.epoch]
        return DataParallel.maybe(self.module, self.data.device, sizes)

    def _start_compiled(self):
        """The compiled step of a ``compile`` fit run in one process without
        loss scaling (else the networks alone are compiled)."""
        self.compiled = self._optimizer_step = None
        if self.compile and self.parallel is None and not self.scaler.is_enabled():
            self.compiled = CompiledStep(self.module)
            if self.compile_optimizer:
                self._optimizer_step = self._timed_once(torch.compile(self.optimizer.step))

    def _timed_once(self, fn):
        """``fn``, its first call (which compiles) counted in :attr:`compile_seconds`."""
        first = [True]

        def call():
            if not first[0]:
                return fn()
            start = time.perf_counter()
            fn()
            first[0] = False
            self.compile_seconds += time.perf_counter() - start

        return call

    @property
    def epochs_this_fit(self):
        return self.epoch - self.start_epoch

    def run(self):
        """Train until ``max_iter`` epochs of this fit ran or early stopping stops.

        On a NaN or infinite loss the last finished epoch is restored and
        :class:`TrainingDiverged` raised. A checkpoint that cannot be written
        ends the loop with the last finished epoch kept (``checkpoint_error``). On ``KeyboardInterrupt`` the best
        state so far is restored and ``interrupted`` set; when no epoch
        finished, the starting state is restored and the interrupt re-raised.
        Any other error restores the starting state and propagates.
        """
        self.last_good = initial = self._snapshot(self.torch_state)
        ran_before = self.epoch
        self.callbacks = builtin_callbacks(self) + self.user_callbacks
        try:
            notify(self.callbacks, "on_fit_begin", self.estimator, self)
            self.parallel = self._data_parallel()
            if self.parallel is not None and self.unlabeled and is_main_process():
                warnings.warn(
                    "Data-parallel training does not yet add the label terms of unlabeled "
                    "rows (pseudo_label_weight, agreement_weight); this fit trains without "
                    "them. Set both to 0 to silence this warning.",
                    SkpoeWarning,
                    stacklevel=2,
                )
            self._start_compiled()
            with (
                training_stream(self.torch_state, self.data.device) as self._stream,
                compiled_networks(self.module, self.compile and self.compiled is None),
            ):
                while self.epoch < self.start_epoch + self.max_iter and not self.stop_training:
                    self._after_epoch(self.run_epoch())
        except TrainingDiverged:
            self._restore(self.last_good)
            raise
        except CheckpointError as exc:  # a write failed: keep the last finished epoch
            self._restore(self.last_good)
            self.checkpoint_error = exc
            self.stop_training = True
            if self.progress is not None:
                self.progress.message(f"{exc} Stopping after epoch {self.epoch}.")
        except KeyboardInterrupt:
            if self.epoch == ran_before or self.last_good["epoch"] == ran_before:
                self._restore(initial)
                raise
            self._restore(self.last_good)
            self.interrupted = True
            if self.progress is not None:
                self.progress.message(
                    f"Interrupted during epoch {self.epoch + 1}; keeping the "
                    + ("best epoch's" if self.early_stopping else f"epoch {self.epoch}")
                    + " weights."
                )
            try:
                self.write_checkpoint()
            except CheckpointError as exc:
                self.checkpoint_error = exc
        except BaseException:
            self._restore(initial)
            raise
        finally:
            if self.compiled is not None:
                self.compile_seconds += self.compiled.compile_seconds
            self.parallel = self._stream = self.compiled = self._optimizer_step = None
            if self.progress is not None:
                self.progress.close()
        if self.stop_training and self.progress is not None and self.checkpoint_error is None:
            if isinstance(self.stopped_by, EarlyStopping):
                self.progress.message(
                    f"Validation loss did not improve more than tol={self.tol} for "
                    f"{self.n_iter_no_change} consecutive epochs; stopping."
                )
            else:
                self.progress.message(
                    f"Callback {type(self.stopped_by).__name__} stopped the fit after epoch "
                    f"{self.epoch}."
                )
        if self.early_stopping and self.best_state is not None:
            self._restore(self.best_state, weights_only=True)
        self.module.eval()
        return self
