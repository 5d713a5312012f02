"""The epochs of a fit and the faults it survives: :meth:`TrainingRun.run`, a mixin of ``Trainer``.

After every finished epoch the loop keeps a snapshot of the whole training state; a fault
(divergence, a failed checkpoint write, Ctrl-C, any other error) restores one of them, so the
model is never left with the weights of half an epoch.
"""

from __future__ import annotations

import time
import warnings
from typing import TYPE_CHECKING, Any

from skpoe.distributed import DataParallel, is_main_process
from skpoe.exceptions import CheckpointError, SkpoeWarning, TrainingDiverged
from skpoe.models.acceleration import compiled_networks
from skpoe.noise import training_stream
from skpoe.train._state import TrainingState
from skpoe.train.callbacks import EarlyStopping, builtin_callbacks, notify

if TYPE_CHECKING:
    from skpoe.train.batches import BatchGroups
    from skpoe.train.compiled import CompiledStep
    from skpoe.train.progress import Progress

__all__ = ["TrainingRun"]


class TrainingRun(TrainingState):
    """The epochs of a fit, its callbacks and its faults (a mixin of ``Trainer``)."""

    if TYPE_CHECKING:  # the trainer's attributes and steps used here (see Trainer)
        data: Any
        groups: BatchGroups
        n_train: int
        batch_size: int
        max_iter: int
        tol: float
        n_iter_no_change: int
        compile: bool
        compiled: CompiledStep | None
        compile_seconds: float
        parallel: DataParallel | None
        unlabeled: bool
        progress: Progress | None
        estimator: Any
        callbacks: list[Any]
        user_callbacks: list[Any]
        improved: bool
        stop_training: bool
        stopped_by: Any
        interrupted: bool
        checkpoint_error: CheckpointError | None
        _index_device: Any
        _optimizer_step: Any

        def run_epoch(self) -> dict[str, float]: ...

        def _start_compiled(self) -> None: ...

    # -- the loop -------------------------------------------------------------
    def epoch_batches(self):
        """Minibatch indices of the next epoch: ``(n_steps, paired, singles)``.

        Every step of the epoch has a minibatch of each paired group (rows that share their
        observed views) and of each view's own rows; a group smaller than ``batch_size`` gives
        minibatches of its size. Draws from :attr:`rng`.

        Returns
        -------
        n_steps : int
            Steps of the epoch: ``ceil(n_train / batch_size)``, at least 1.
        paired : list of torch.Tensor
            Per paired group, the ``(n_steps, b)`` row indices of its minibatches.
        singles : list of tuple
            ``(m, indices)``: per view ``m`` with training rows, its ``(n_steps, b)`` indices.

        See Also
        --------
        step : One step on a step's minibatches.

        Examples
        --------
        >>> import numpy as np
        >>> import torch
        >>> from skpoe.likelihoods import Bernoulli
        >>> from skpoe.models import PoEModule
        >>> from skpoe.train import Trainer
        >>> from skpoe.train.batches import TensorData
        >>> x = (np.arange(36).reshape(12, 3) % 2).astype(np.float32)
        >>> module = PoEModule([Bernoulli().fit(x)] * 2, 2, [(4,), (4,)], [1.0, 1.0])
        >>> data = TensorData([x, x], [x, x], np.ones((12, 2), bool), torch.device("cpu"))
        >>> trainer = Trainer(module, data, np.arange(12), np.arange(0), rng=np.random.RandomState(0),
        ...     torch_state={"cpu": torch.get_rng_state()}, seed=0, max_iter=2, batch_size=4,
        ...     learning_rate=0.01, tol=1e-4, n_iter_no_change=10, early_stopping=False,
        ...     view_names=["a", "b"])
        >>> n_steps, paired, singles = trainer.epoch_batches()
        >>> n_steps, [p.shape for p in paired], [(m, i.shape) for m, i in singles]
        (3, [torch.Size([3, 4])], [(0, torch.Size([3, 4])), (1, torch.Size([3, 4]))])
        """
        return self.groups.epoch(self.n_train, self.batch_size, self.rng, self._index_device)

    def _after_epoch(self, record):
        """Count the finished epoch and run every callback's ``on_epoch_end`` on it."""
        self.epoch += 1
        for cb in self.callbacks:
            hook = getattr(cb, "on_epoch_end", None)
            if hook is not None and hook(self.estimator, self, self.epoch, dict(record)):
                self.stop_training = True
                self.stopped_by = self.stopped_by or cb

    def keep_state(self):
        """Snapshot the finished epoch (see :class:`~skpoe.train.callbacks.KeepState`).

        The snapshot (weights, optimizer, generators, counters) becomes the state a fault
        restores (``last_good``), and, with early stopping, the best epoch's
        (``best_state``) when the epoch improved. Called inside :meth:`run` only, where the
        training stream is open.

        See Also
        --------
        run : Restores these snapshots on a fault.
        resume_state : The snapshot a warm start continues from.

        Examples
        --------
        :meth:`run` keeps a snapshot after every epoch:

        >>> import numpy as np
        >>> import torch
        >>> from skpoe.likelihoods import Bernoulli
        >>> from skpoe.models import PoEModule
        >>> from skpoe.train import Trainer
        >>> from skpoe.train.batches import TensorData
        >>> x = (np.arange(36).reshape(12, 3) % 2).astype(np.float32)
        >>> module = PoEModule([Bernoulli().fit(x)] * 2, 2, [(4,), (4,)], [1.0, 1.0])
        >>> data = TensorData([x, x], [x, x], np.ones((12, 2), bool), torch.device("cpu"))
        >>> trainer = Trainer(module, data, np.arange(12), np.arange(0), rng=np.random.RandomState(0),
        ...     torch_state={"cpu": torch.get_rng_state()}, seed=0, max_iter=2, batch_size=4,
        ...     learning_rate=0.01, tol=1e-4, n_iter_no_change=10, early_stopping=False,
        ...     view_names=["a", "b"])
        >>> trainer.run().last_good["epoch"]
        2
        """
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
        """Epochs run by this fit, those of earlier fits (a warm start) not counted.

        Returns
        -------
        n : int
            ``epoch - start_epoch``.

        See Also
        --------
        continue_from : Sets the epochs of earlier fits.

        Examples
        --------
        >>> import numpy as np
        >>> import torch
        >>> from skpoe.likelihoods import Bernoulli
        >>> from skpoe.models import PoEModule
        >>> from skpoe.train import Trainer
        >>> from skpoe.train.batches import TensorData
        >>> x = (np.arange(36).reshape(12, 3) % 2).astype(np.float32)
        >>> module = PoEModule([Bernoulli().fit(x)] * 2, 2, [(4,), (4,)], [1.0, 1.0])
        >>> data = TensorData([x, x], [x, x], np.ones((12, 2), bool), torch.device("cpu"))
        >>> trainer = Trainer(module, data, np.arange(12), np.arange(0), rng=np.random.RandomState(0),
        ...     torch_state={"cpu": torch.get_rng_state()}, seed=0, max_iter=2, batch_size=4,
        ...     learning_rate=0.01, tol=1e-4, n_iter_no_change=10, early_stopping=False,
        ...     view_names=["a", "b"])
        >>> trainer.continue_from(3, {"loss": [3.0, 2.0, 1.5]})
        >>> trainer.run().epoch, trainer.epochs_this_fit
        (5, 2)
        """
        return self.epoch - self.start_epoch

    def run(self):
        """Train until ``max_iter`` epochs of this fit ran or early stopping stops.

        On a NaN or infinite loss the last finished epoch is restored and
        :class:`TrainingDiverged` raised. A checkpoint that cannot be written
        ends the loop with the last finished epoch kept (``checkpoint_error``). On ``KeyboardInterrupt`` the best
        state so far is restored and ``interrupted`` set; when no epoch
        finished, the starting state is restored and the interrupt re-raised.
        Any other error restores the starting state and propagates.

        Inside an initialised process group each process computes its share of
        every step (:class:`~skpoe.distributed.DataParallel`). The callbacks
        (:func:`~skpoe.train.callbacks.builtin_callbacks`, then the user's) run
        after each epoch; the module is left in eval mode.

        Returns
        -------
        self : Trainer
            The trainer, with its ``history``, ``epoch`` and trained ``module``.

        Raises
        ------
        TrainingDiverged
            If the loss of an epoch is NaN or infinite.

        See Also
        --------
        run_epoch : One epoch.
        skpoe.train.callbacks.Callback : What runs after each epoch.

        Examples
        --------
        >>> import numpy as np
        >>> import torch
        >>> from skpoe.likelihoods import Bernoulli
        >>> from skpoe.models import PoEModule
        >>> from skpoe.train import Trainer
        >>> from skpoe.train.batches import TensorData
        >>> x = (np.arange(36).reshape(12, 3) % 2).astype(np.float32)
        >>> module = PoEModule([Bernoulli().fit(x)] * 2, 2, [(4,), (4,)], [1.0, 1.0])
        >>> data = TensorData([x, x], [x, x], np.ones((12, 2), bool), torch.device("cpu"))
        >>> trainer = Trainer(module, data, np.arange(12), np.arange(0), rng=np.random.RandomState(0),
        ...     torch_state={"cpu": torch.get_rng_state()}, seed=0, max_iter=2, batch_size=4,
        ...     learning_rate=0.01, tol=1e-4, n_iter_no_change=10, early_stopping=False,
        ...     view_names=["a", "b"])
        >>> trainer.run().epoch, len(trainer.history["loss"])
        (2, 2)
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
