"""The training state a :class:`~skpoe.train._trainer.Trainer` keeps, restores and writes.

After every finished epoch the trainer keeps a snapshot of the whole state (weights, optimizer,
loss scaler, random generators, counters, history lengths). A fault restores one, a warm start
continues from :meth:`TrainingState.resume_state`, and a checkpoint file holds
:meth:`TrainingState.checkpoint_state`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch

from skpoe.distributed import is_main_process
from skpoe.train.checkpoint import (
    clone_state as _clone,
    cpu_state as _to_cpu,
    numpy_rng_state,
    save_checkpoint,
    set_numpy_rng_state,
)

__all__ = ["TrainingState"]


class TrainingState:
    """Snapshots, resume and checkpoints of a trainer's state (a mixin of ``Trainer``)."""

    if TYPE_CHECKING:  # the trainer's attributes used here (set in Trainer.__init__)
        module: torch.nn.Module
        optimizer: torch.optim.Optimizer
        scaler: torch.amp.GradScaler
        rng: np.random.RandomState
        learning_rate: float
        seed: int
        early_stopping: bool
        checkpoint: dict[str, Any] | None
        torch_state: dict[str, Any]
        epoch: int
        start_epoch: int
        history: dict[str, list[Any]]
        best: float
        no_improve: int
        best_state: dict[str, Any] | None
        last_good: dict[str, Any] | None  # the snapshot of the last finished epoch
        _stream: Callable[[], dict[str, Any]] | None  # the generator states, during run

    # -- state --------------------------------------------------------------
    def continue_from(self, epoch, history, resume=None):
        """Continue a fitted model: ``epoch`` epochs run, their ``history``,
        and its kept optimizer and generator states (``resume``), if any.

        With ``resume`` the optimiser continues from its kept state at the trainer's
        ``learning_rate`` (the parameter may have changed since).

        Parameters
        ----------
        epoch : int
            Epochs the model ran; this fit's epochs count from there.
        history : dict of str to list of float
            Their history, copied.
        resume : dict, default=None
            ``optimizer``, ``numpy_rng`` and ``torch_rng`` states, as
            :meth:`resume_state` gives; ``None`` starts them afresh.

        See Also
        --------
        resume_state : The states a warm start continues from.
        load : Resume from a checkpoint instead.

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
        >>> trainer.epoch, trainer.start_epoch
        (3, 3)
        """
        self.epoch = self.start_epoch = int(epoch)
        self.history = {k: list(v) for k, v in history.items()}
        if resume is not None:
            self.optimizer.load_state_dict(resume["optimizer"])
            for group in self.optimizer.param_groups:  # the parameter may have changed
                group["lr"] = self.learning_rate
            set_numpy_rng_state(self.rng, resume["numpy_rng"])
            self.torch_state = resume["torch_rng"]

    def load(self, state):
        """Resume from a checkpoint's full training state.

        Sets the weights, the optimizer, the loss scaler, the generators, the
        counters, the history and the best epoch's state.

        Parameters
        ----------
        state : dict
            The state of a checkpoint file (:meth:`checkpoint_state`,
            :func:`skpoe.train.checkpoint.load_checkpoint`).

        See Also
        --------
        checkpoint_state : The state this method reads.

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
        >>> trainer.checkpoint = {"path": "unused.ckpt", "every": 0, "fingerprint": "demo"}
        >>> state = trainer.run().checkpoint_state()  # every=0: no file written
        >>> trainer.continue_from(7, {"loss": [1.0] * 7})
        >>> trainer.load(state)
        >>> trainer.epoch, len(trainer.history["loss"])
        (2, 2)
        """
        self.module.load_state_dict(state["module"])
        self.optimizer.load_state_dict(state["optimizer"])
        if state.get("scaler"):  # float16 on CUDA
            self.scaler.load_state_dict(state["scaler"])
        set_numpy_rng_state(self.rng, state["numpy_rng"])
        self.torch_state = state["torch_rng"]
        self.epoch = int(state["epoch"])
        self.start_epoch = int(state["start_epoch"])
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.best = float(state["best"])
        self.no_improve = int(state["no_improve"])
        if state.get("best_module") is not None:
            self.best_state = {"module": state["best_module"], "optimizer": state["best_optimizer"]}

    def _snapshot(self, torch_state=None):
        return {
            "module": _clone(self.module.state_dict()),
            "optimizer": _clone(self.optimizer.state_dict()),
            "scaler": self.scaler.state_dict(),  # {} unless float16 on CUDA
            "numpy_rng": self.rng.get_state(),
            "torch_rng": torch_state or self._current_stream(),
            "epoch": self.epoch,
            "lengths": {k: len(v) for k, v in self.history.items()},
            "best": self.best,
            "no_improve": self.no_improve,
        }

    def _current_stream(self):
        """The generators' states now (a snapshot during ``run``, inside the training stream)."""
        assert self._stream is not None, "the training stream is open only during run"
        return self._stream()

    def _last_finished(self) -> dict[str, Any]:
        """The snapshot of the last finished epoch (``run`` takes the first as it starts)."""
        assert self.last_good is not None, "no snapshot before run"
        return self.last_good

    def _restore(self, snap, weights_only=False):
        self.module.load_state_dict(snap["module"])
        self.optimizer.load_state_dict(_clone(snap["optimizer"]))
        if weights_only:
            return
        self.rng.set_state(snap["numpy_rng"])
        self.torch_state = snap["torch_rng"]
        self.epoch = snap["epoch"]
        for k in list(self.history):
            n = snap["lengths"].get(k, 0)
            if n:
                del self.history[k][n:]
            else:
                del self.history[k]
        self.best, self.no_improve = snap["best"], snap["no_improve"]

    def resume_state(self):
        """What a warm start needs to continue exactly (on the CPU).

        The optimizer of the last finished epoch (the best epoch's with early
        stopping), the minibatch generator and the torch generators.

        Returns
        -------
        resume : dict
            ``optimizer``, ``numpy_rng`` and ``torch_rng``, as
            :meth:`continue_from` reads them.

        See Also
        --------
        continue_from : Continues from these states.

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
        >>> sorted(trainer.run().resume_state())
        ['numpy_rng', 'optimizer', 'torch_rng']
        """
        snap = self._last_finished()
        optimizer = snap["optimizer"]
        if self.early_stopping and self.best_state is not None:
            optimizer = self.best_state["optimizer"]
        return _to_cpu(
            {
                "optimizer": optimizer,
                "numpy_rng": numpy_rng_state(self.rng),
                "torch_rng": snap["torch_rng"],
            }
        )

    def checkpoint_state(self):
        """The full training state after the last finished epoch.

        Needs a ``checkpoint`` (its ``fingerprint`` ties the state to the fit).

        Returns
        -------
        state : dict
            Weights, optimizer, loss scaler, generators, counters, history and the
            best epoch's weights and optimizer, on the CPU, as :meth:`load` reads them.

        See Also
        --------
        write_checkpoint : Writes it to the checkpoint file.
        load : Resumes from it.

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
        >>> trainer.checkpoint = {"path": "unused.ckpt", "every": 0, "fingerprint": "demo"}
        >>> state = trainer.run().checkpoint_state()  # every=0: no file written
        >>> state["epoch"], state["fingerprint"], len(state["history"]["loss"])
        (2, 'demo', 2)
        """
        snap = self._last_finished()
        rng = np.random.RandomState()
        rng.set_state(snap["numpy_rng"])
        best = self.best_state
        assert self.checkpoint is not None, "a checkpoint state is made for a checkpoint file"
        state = {
            "fingerprint": self.checkpoint["fingerprint"],
            "seed": int(self.seed),
            "module": snap["module"],
            "optimizer": snap["optimizer"],
            "scaler": snap.get("scaler") or None,
            "numpy_rng": numpy_rng_state(rng),
            "torch_rng": snap["torch_rng"],
            "epoch": snap["epoch"],
            "start_epoch": self.start_epoch,
            "history": {k: v[: snap["lengths"].get(k, 0)] for k, v in self.history.items()},
            "best": snap["best"],
            "no_improve": snap["no_improve"],
            "best_module": None if best is None or best is snap else best["module"],
            "best_optimizer": None if best is None or best is snap else best["optimizer"],
        }
        if best is snap:
            state["best_module"], state["best_optimizer"] = snap["module"], snap["optimizer"]
        return _to_cpu(state)

    def write_checkpoint(self):
        """Write the state of the last finished epoch to the checkpoint file (rank 0).

        Writes nothing without a ``checkpoint``, before this fit finished an epoch,
        and on the other ranks of a process group (they hold the same state).

        Raises
        ------
        CheckpointError
            If the file cannot be written.

        See Also
        --------
        checkpoint_state : The state written.
        skpoe.train.callbacks.Checkpoint : Calls it every ``every`` epochs.

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
        >>> import os, tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     path = os.path.join(folder, "fit.ckpt")
        ...     trainer.checkpoint = {"path": path, "every": 5, "fingerprint": "demo"}
        ...     trainer.run().write_checkpoint()
        ...     os.path.exists(path)
        True
        """
        if not is_main_process():  # every process holds the same state
            return
        if self.checkpoint is not None and self._last_finished()["epoch"] > self.start_epoch:
            save_checkpoint(self.checkpoint["path"], self.checkpoint_state())
