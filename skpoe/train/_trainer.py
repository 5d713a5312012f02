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

import torch

from skpoe.exceptions import TrainingDiverged
from skpoe.models.acceleration import grad_scaler
from skpoe.noise import fit_seed
from skpoe.train._run import TrainingRun
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
from skpoe.train.compiled import CompiledStep

__all__ = ["Trainer", "fit_seed"]


class Trainer(TrainingRun):
    """Train ``module`` on ``data`` in place.

    :meth:`run` trains; the estimators build a trainer for each ``fit``, and its
    ``history`` and ``epoch`` become their ``history_`` and ``n_iter_``.

    Parameters
    ----------
    module : skpoe.models.MultimodalModule
        The networks to train, on ``data``'s device.
    data : skpoe.train.batches.TensorData
        Encoder inputs, targets and the observed mask (or a lazily read view, as
        :mod:`skpoe.train.lazy` gives).
    train_rows, val_rows : numpy.ndarray of int
        Rows to train on and rows held out for early stopping.
    rng : numpy.random.RandomState
        Draws the minibatches.
    torch_state : dict
        Torch generator states to train with (:func:`skpoe.noise.start_state`).
    seed : int
        The fit's seed (stored in checkpoints).
    max_iter : int
        Epochs this fit runs at most.
    batch_size : int
        Rows per minibatch of each group.
    learning_rate : float
        Adam's learning rate.
    tol : float
        The least improvement of the monitored loss that resets the patience counter.
    n_iter_no_change : int
        Epochs without such an improvement that stop the fit, with early stopping.
    early_stopping : bool
        Monitor the loss on ``val_rows``, stop when it stops improving and keep the
        best epoch's weights.
    max_grad_norm : float or None, default=None
        Clip the gradients' total norm to this value before each update.
    split_on : int or None, default=None
        The label modality, whose rows get their own paired minibatch.
    view_names : sequence of str, default=()
        Names of the views, for the per-term history.
    progress : skpoe.train.progress.Progress or None, default=None
        Progress lines or bar, shown after each epoch.
    checkpoint : dict or None, default=None
        ``path``, ``every`` and ``fingerprint`` of the checkpoint file.
    estimator : object or None, default=None
        The estimator being fitted, passed to the callbacks.
    callbacks : sequence, default=()
        The user's callbacks (:mod:`skpoe.train.callbacks`); they run after
        the built-in ones (history, early stopping, state, progress,
        checkpoints), which :attr:`callbacks` lists with them.
    compile : bool, default=False
        Compile the whole step's loss and backward as one graph
        (:class:`~skpoe.train.compiled.CompiledStep`); in data-parallel
        training and with float16's loss scaling, compile every encoder and
        decoder instead (:func:`~skpoe.models.acceleration.compiled_networks`).

    Attributes
    ----------
    history : dict of str to list of float
        Per-epoch ``loss``, per-term entries and ``val_*`` terms (earlier fits included).
    epoch : int
        Epochs run, earlier fits included.
    start_epoch : int
        Epochs run before this fit.
    optimizer : torch.optim.Adam
        The optimiser.
    callbacks : list
        During and after :meth:`run`: the built-in callbacks, then the user's.
    stop_training : bool
        Set by a callback (early stopping, or the user's) to end the fit.
    interrupted : bool
        Whether Ctrl-C ended the fit.
    checkpoint_error : CheckpointError or None
        A failed checkpoint write, which ended the fit.
    compile_seconds : float
        Seconds spent tracing and compiling, with ``compile``.

    See Also
    --------
    skpoe.train.callbacks.Callback : What runs around the epochs.
    skpoe.noise.training_stream : The private generator training draws from.
    skpoe.distributed.DataParallel : A step shared by the processes of a group.

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
    >>> trainer = trainer.run()
    >>> trainer.epoch, sorted(trainer.history)
    (2, ['kl', 'loss', 'rec[a]', 'rec[b]'])
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
    def step(self, paired_idx, singles_idx, unlabeled_idx=None):
        """One optimiser step on a step's minibatches; returns its loss (a tensor).

        In data-parallel training the loss is this process's share of the
        step's loss, scaled so that the processes' mean gradient is the
        gradient of the whole step. float16 on CUDA scales the loss
        (:func:`~skpoe.models.acceleration.grad_scaler`, else a no-op).

        Parameters
        ----------
        paired_idx : list of torch.Tensor
            One index tensor per paired group: the step's rows of that group.
        singles_idx : list of tuple
            ``(m, idx)``: the step's rows of view ``m``'s own group, one per view.
        unlabeled_idx : torch.Tensor, default=None
            The step's unlabeled rows, for the label terms of unlabeled rows.

        Returns
        -------
        loss : torch.Tensor
            The step's loss, a scalar, before the update (not synchronised with the host).

        See Also
        --------
        epoch_batches : The indices of an epoch's steps.
        skpoe.train.batches.step_loss : The loss of a step in one process.

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
        >>> _, paired, singles = trainer.epoch_batches()
        >>> loss = trainer.step([p[0] for p in paired], [(m, i[0]) for m, i in singles])
        >>> loss.shape
        torch.Size([])
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
        """Train one epoch; returns its history record (raises on divergence).

        Runs every step of :meth:`epoch_batches`, then the per-epoch monitors: the
        mean terms of a fixed sample of training rows and, with early stopping, the
        validation loss and terms. It does not count the epoch (:meth:`run` does).

        Returns
        -------
        record : dict of str to float
            ``loss`` (the mean of the steps' losses), the terms (``rec[<view>]``,
            ``kl``, ...) and, with early stopping, ``val_loss`` and ``val_*`` terms.

        Raises
        ------
        TrainingDiverged
            If the epoch's loss is NaN or infinite.

        See Also
        --------
        run : Every epoch of a fit.
        step : One step.

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
        >>> sorted(trainer.run_epoch())
        ['kl', 'loss', 'rec[a]', 'rec[b]']
        """
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

    def _start_compiled(self):
        """The compiled step of a ``compile`` fit run in one process without
        loss scaling (else the networks alone are compiled)."""
        self.compiled = self._optimizer_step = None
        if self.compile and self.parallel is None and not self.scaler.is_enabled():
            self.compiled = CompiledStep(self.module)
            if self.compile_optimizer:
                self._optimizer_step = self._timed_once(torch.compile(self.optimizer.step))
