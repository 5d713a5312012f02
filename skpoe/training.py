"""One training loop for every model.

Data lives on the device as whole tensors; each step indexes them with
precomputed minibatch indices (no per-sample Dataset, no collate). A step sums
the loss of one minibatch of samples with two or more observed modalities
(cycled, so scarce paired data is revisited often) and one minibatch per
modality drawn from all samples observing it. Losses are synchronised with
the host once per epoch.
"""

from __future__ import annotations

import contextlib
import math
import sys
import time

import numpy as np
import torch
from sklearn.utils import check_random_state

from .models.base import Batch

__all__ = ["TensorData", "fit_module", "TrainingDiverged", "fit_seed", "split_rows", "seeded_torch"]


class TrainingDiverged(ValueError):
    """The loss became NaN or infinite; the model keeps its last good weights."""


class TensorData:
    """Per-modality encoder inputs, targets and the observed mask, on a device."""

    def __init__(self, inputs, targets, mask, device):
        self.inputs = [torch.as_tensor(x).to(device) for x in inputs]
        self.targets = [torch.as_tensor(t).to(device) for t in targets]
        self.mask = torch.as_tensor(mask).to(device)
        self.device = device

    @property
    def n(self):
        return self.mask.shape[0]

    def batch(self, idx, present=None, max_observed=None):
        """Rows ``idx`` (a LongTensor on the device) as a :class:`Batch`."""
        return Batch(
            [x[idx] for x in self.inputs],
            [t[idx] for t in self.targets],
            self.mask[idx],
            present,
            max_observed,
        )

    def chunks(self, size):
        """Consecutive row batches of at most ``size`` rows."""
        for start in range(0, self.n, size):
            idx = torch.arange(start, min(start + size, self.n), device=self.device)
            yield idx, self.batch(idx)


def _cycled(rows, n_steps, size, rng):
    """(n_steps, size) indices walking through shuffled copies of ``rows``."""
    need = n_steps * size
    reps = math.ceil(need / len(rows))
    order = np.concatenate([rng.permutation(rows) for _ in range(reps)])
    return order[:need].reshape(n_steps, size)


class _Groups:
    """Row sets of the batch groups.

    Rows with two or more observed modalities form the paired group. When a
    ``split_on`` modality is given (the labels), the paired group is split in
    two, rows observing it and rows not observing it, each with its own
    cycled minibatch: at low supervision the few labeled rows are then
    revisited every step instead of making up a small share of one batch.
    Every modality also has a group of all rows observing it.
    """

    def __init__(self, mask_np, rows, split_on=None):
        sub = mask_np[rows]
        paired = sub.sum(1) >= 2
        if split_on is None:
            parts = [paired]
        else:
            parts = [paired & sub[:, split_on], paired & ~sub[:, split_on]]
        self.paired_groups = [rows[p] for p in parts if p.any()]
        # what each paired group's rows observe, known here on the host
        self.paired_info = [
            (tuple(np.flatnonzero(sub[p].any(0)).tolist()), int(sub[p].sum(1).max()))
            for p in parts
            if p.any()
        ]
        self.per_modality = [rows[sub[:, m]] for m in range(mask_np.shape[1])]

    def epoch(self, n_rows, batch_size, rng, device):
        n_steps = max(1, math.ceil(n_rows / batch_size))
        paired = []
        for r in self.paired_groups:
            b = min(batch_size, len(r))
            paired.append(torch.from_numpy(_cycled(r, n_steps, b, rng)).to(device))
        singles = []
        for m, r in enumerate(self.per_modality):
            if len(r):
                b = min(batch_size, len(r))
                singles.append((m, torch.from_numpy(_cycled(r, n_steps, b, rng)).to(device)))
        return n_steps, paired, singles


def _step_loss(module, data, groups, paired_idx, singles_idx, sample=True):
    paired = [data.batch(idx, *info) for idx, info in zip(paired_idx, groups.paired_info)]
    singles = [(m, data.inputs[m][idx], data.targets[m][idx]) for m, idx in singles_idx]
    return module.loss(paired, singles, sample)


@torch.no_grad()
def validation_loss(module, data, groups, batch_size=4096):
    """Objective on held-out rows with z at the posterior mean (deterministic)."""
    module.eval()
    total = 0.0
    for rows, info in zip(groups.paired_groups, groups.paired_info):
        idx = torch.from_numpy(rows).to(data.device)
        parts = [
            module.paired_loss(data.batch(i, *info), sample=False).sum()
            for i in torch.split(idx, batch_size)
        ]
        total += float(sum(parts)) / len(rows)
    for m, r in enumerate(groups.per_modality):
        if len(r):
            idx = torch.from_numpy(r).to(data.device)
            parts = [
                module.single_loss(m, data.inputs[m][i], data.targets[m][i], False) * len(i)
                for i in torch.split(idx, batch_size)
            ]
            total += float(sum(parts)) / len(r)
    module.train()
    return total


def _snapshot(module):
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def fit_seed(random_state, n_iter=None):
    """Seed of one fit (weights, minibatches and later inference draws).

    Drawn from ``random_state`` (fresh entropy for ``None``). A warm start
    passes the ``n_iter`` epochs already run, so it does not replay them.
    """
    if random_state is not None:
        seed = check_random_state(random_state).randint(2**31 - 1)
    else:
        seed = int(np.random.SeedSequence().generate_state(1)[0] >> 1)
    if n_iter is not None:
        seed = (seed + n_iter) % (2**31 - 1)
    return seed


def split_rows(n, rng, early_stopping, validation_fraction):
    """Training and validation rows of ``n`` samples.

    With ``early_stopping`` a random ``validation_fraction`` of the rows is
    held out (both sets sorted); without it every row trains and the
    validation set is empty. ``rng`` draws one permutation either way.
    """
    rows = rng.permutation(n)
    if not early_stopping:
        return np.arange(n), rows[:0]
    n_val = int(math.ceil(validation_fraction * n))
    if n_val < 1 or n - n_val < 1:
        raise ValueError(
            f"early_stopping with validation_fraction={validation_fraction} "
            f"leaves no training or validation rows for {n} samples."
        )
    return np.sort(rows[n_val:]), np.sort(rows[:n_val])


@contextlib.contextmanager
def seeded_torch(seed, device):
    """Seed torch's global generators (CPU and ``device``) inside the block,
    and restore the caller's generator states after it."""
    fork_devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=fork_devices, device_type=device.type):
        torch.manual_seed(seed)
        yield


def fit_module(
    module,
    data,
    train_rows,
    val_rows,
    *,
    max_iter,
    batch_size,
    learning_rate,
    rng,
    tol,
    n_iter_no_change,
    early_stopping,
    verbose=0,
    history=None,
    epoch_offset=0,
    split_on=None,
):
    """Train ``module`` in place; returns the history dict.

    ``split_on`` names the modality (the labels) whose rows get their own
    paired minibatch (see :class:`_Groups`). The history holds ``loss`` and ``val_loss`` lists (extended if a history
    is passed, for warm starts), ``best_loss``, ``n_iter`` and ``stopped``.
    On a NaN or infinite loss the module is restored to the weights of the
    last finished epoch and :class:`TrainingDiverged` is raised.
    """
    if history is None:
        history = {"loss": [], "val_loss": []}
    mask_np = data.mask.cpu().numpy()
    groups = _Groups(mask_np, train_rows, split_on)
    val_groups = _Groups(mask_np, val_rows, split_on) if early_stopping else None
    # one fused kernel per parameter (4x faster than the default on CPU)
    fused = data.device.type in ("cpu", "cuda")
    optimizer = torch.optim.Adam(module.parameters(), lr=learning_rate, fused=fused or None)
    module.train()
    best = math.inf
    best_state = None
    no_improve = 0
    last_good = _snapshot(module)
    every = 1 if verbose > 1 else max(1, max_iter // 10)
    start = time.perf_counter()
    n_iter = 0
    for epoch in range(max_iter):
        n_steps, paired, singles = groups.epoch(len(train_rows), batch_size, rng, data.device)
        running = torch.zeros((), device=data.device)
        for step in range(n_steps):
            rec = _step_loss(
                module,
                data,
                groups,
                [idx[step] for idx in paired],
                [(m, idx[step]) for m, idx in singles],
            )
            optimizer.zero_grad(set_to_none=True)
            rec.total.backward()
            optimizer.step()
            running += rec.total.detach()
        epoch_loss = float(running) / n_steps
        if not math.isfinite(epoch_loss):
            module.load_state_dict(last_good)
            history["n_iter"] = epoch_offset + n_iter
            history["best_loss"] = best
            raise TrainingDiverged(
                f"The training loss became {epoch_loss} at epoch "
                f"{epoch_offset + epoch + 1}; training stopped and the model keeps "
                "the weights of the last finished epoch. Try a smaller "
                "learning_rate_init, or check the scale of your data and the "
                "likelihood chosen for each modality."
            )
        last_good = _snapshot(module)
        n_iter = epoch + 1
        history["loss"].append(epoch_loss)
        monitored = epoch_loss
        if early_stopping:
            monitored = validation_loss(module, data, val_groups)
            history["val_loss"].append(monitored)
        # as in scikit-learn's MLP: tol only drives the patience counter, the
        # best epoch (whose weights early stopping restores) is the true minimum
        no_improve = no_improve + 1 if monitored > best - tol else 0
        if monitored < best:
            best = monitored
            if early_stopping:
                best_state = last_good
        # only a validation loss stops training: a training loss often sits on
        # a plateau (posterior collapse) for tens of epochs before it improves
        stop = early_stopping and no_improve >= n_iter_no_change
        if verbose and (n_iter % every == 0 or n_iter == max_iter or stop):
            msg = f"epoch {epoch_offset + n_iter:4d}  loss {epoch_loss:11.4f}"
            if early_stopping:
                msg += f"  val {monitored:11.4f}"
            msg += f"  {time.perf_counter() - start:7.1f}s"
            print(msg, file=sys.stdout, flush=True)
        if stop:
            if verbose:
                print(
                    f"validation loss did not improve more than tol={tol} for "
                    f"{n_iter_no_change} consecutive epochs; stopping.",
                    flush=True,
                )
            break
    if early_stopping and best_state is not None:
        module.load_state_dict(best_state)
    history["best_loss"] = best
    history["n_iter"] = epoch_offset + n_iter
    module.eval()
    return history
