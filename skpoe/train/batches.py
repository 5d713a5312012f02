"""Training rows on the device, the batch groups of an epoch, and what is
evaluated on rows between epochs.

Data lives on the device as whole tensors; each step indexes them with
precomputed minibatch indices (no per-sample Dataset, no collate). Data too
large for the device stays on the host and each minibatch is gathered there
and copied through pinned memory without blocking (``stage_on_host``). A step sums
the loss of one minibatch of samples with two or more observed modalities
(cycled, so scarce paired data is revisited often) and one minibatch per
modality drawn from all samples observing it.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from skpoe.models.batch import Batch
from skpoe.models.experts import kl_to_prior
from skpoe.models.masking import masked_batch, masked_inputs

__all__ = [
    "TensorData",
    "UnlabeledTargets",
    "BatchGroups",
    "host_to_device",
    "take_rows",
    "split_rows",
    "step_batches",
    "batches_loss",
    "step_loss",
    "validation_loss",
    "monitor_rows",
    "monitor_terms",
]


class UnlabeledTargets:
    """The targets of the unlabeled rows' label terms, kept on the data's device."""

    soft = soft_weight = None  # none until set: the fit trains without those terms
    device: torch.device  # the data's device, set by the subclass

    def set_unlabeled_targets(self, soft, weight):
        """Soft label targets (n, n_classes) and their weights (n,) for the unlabeled rows."""
        self.soft = torch.as_tensor(soft).to(self.device)
        self.soft_weight = torch.as_tensor(weight).to(self.device)


def host_to_device(tensor, device):
    """A host tensor on ``device``: pinned and copied without blocking for
    CUDA (the step's kernels queue behind the copy, the host runs on); as is
    on the CPU."""
    if device.type != "cuda":
        return tensor
    return tensor.pin_memory().to(device, non_blocking=True)


class _OnHost:
    """Rows of a host tensor, gathered on the host and sent to ``device``."""

    def __init__(self, tensor, device):
        self.tensor, self.device = tensor, device
        self.shape = tensor.shape

    def __len__(self):
        return len(self.tensor)

    def __getitem__(self, idx):
        if isinstance(idx, torch.Tensor):
            idx = idx.cpu()  # no copy for the host's own minibatch indices
        return host_to_device(self.tensor[idx], self.device)


def take_rows(a, idx):
    """``a[idx]`` for a 1-d index tensor ``idx`` of row numbers.

    A tensor's rows are gathered with ``index_select``: the same values as
    ``a[idx]``, at about half the cost for a minibatch (no int32 to int64
    copy of the index, no general indexing set-up), which a step pays for
    every view's inputs and targets. Anything else (a host-staged view, a
    boolean mask) is indexed as it is.
    """
    if (
        isinstance(a, torch.Tensor)
        and isinstance(idx, torch.Tensor)
        and idx.dim() == 1
        and idx.dtype in (torch.int32, torch.int64)
        and idx.device == a.device
    ):
        return a.index_select(0, idx)
    return a[idx]


class TensorData(UnlabeledTargets):
    """Per-modality encoder inputs, targets and the observed mask, on a device.

    With ``stage_on_host`` the inputs and targets stay on the host (the
    minibatch indices too: :attr:`index_device`); each minibatch's rows are
    gathered there and copied to the device through pinned memory
    (:func:`host_to_device`). The mask is small and lives on the device.
    """

    def __init__(self, inputs, targets, mask, device, stage_on_host=False):
        self.device = device
        self.stage_on_host = bool(stage_on_host)
        self.index_device = torch.device("cpu") if stage_on_host else device
        self.inputs = [self._place(x) for x in inputs]
        self.targets = [self._place(t) for t in targets]
        self.mask = torch.as_tensor(mask).to(device)

    def _place(self, a):
        tensor = torch.as_tensor(a)
        return _OnHost(tensor, self.device) if self.stage_on_host else tensor.to(self.device)

    def set_unlabeled_targets(self, soft, weight):
        """Soft label targets (n, n_classes) and their weights (n,) for the unlabeled rows."""
        self.soft = self._place(soft)
        self.soft_weight = self._place(weight)

    @property
    def n(self):
        return self.mask.shape[0]

    def batch(self, idx, present=None, max_observed=None):
        """Rows ``idx`` (a LongTensor on the device) as a :class:`Batch`."""
        return Batch(
            [take_rows(x, idx) for x in self.inputs],
            [take_rows(t, idx) for t in self.targets],
            take_rows(self.mask, idx.to(self.device, non_blocking=True)),
            present,
            max_observed,
        )

    def chunks(self, size):
        """Consecutive row batches of at most ``size`` rows."""
        for start in range(0, self.n, size):
            idx = torch.arange(start, min(start + size, self.n), device=self.device)
            yield idx, self.batch(idx)


def _row_indices(rows, n):
    """``rows`` as int32 when ``n`` rows allow it (the same values, half the memory
    of the groups and of every epoch's minibatch indices), else int64."""
    return np.asarray(rows).astype(np.int32 if n < 2**31 else np.int64, copy=False)


def _cycled(rows, n_steps, size, rng):
    """(n_steps, size) indices walking through shuffled copies of ``rows``."""
    need = n_steps * size
    reps = math.ceil(need / len(rows))
    order = np.concatenate([rng.permutation(rows) for _ in range(reps)])
    return order[:need].reshape(n_steps, size)


class BatchGroups:
    """Row sets of the batch groups.

    Rows with two or more observed modalities form the paired group. When a
    ``split_on`` modality is given (the labels), the paired group is split in
    two, rows observing it and rows not observing it, each with its own
    cycled minibatch: at low supervision the few labeled rows are then
    revisited every step instead of making up a small share of one batch.
    Every modality also has a group of all rows observing it. With
    ``unlabeled`` the rows not observing ``split_on`` also form their own
    group, for the label terms of unlabeled rows
    (:mod:`skpoe.models.unlabeled`), drawn only when it is asked for.
    """

    def __init__(self, mask_np, rows, split_on=None, unlabeled=False):
        rows = _row_indices(rows, len(mask_np))
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
        self.unlabeled = rows[:0]
        if unlabeled and split_on is not None:
            self.unlabeled = rows[~sub[:, split_on]]
            views = tuple(m for m in range(mask_np.shape[1]) if m != split_on)
            self.unlabeled_info = (views, int(sub[~sub[:, split_on]].sum(1).max(initial=0)))

    def unlabeled_epoch(self, n_steps, batch_size, rng, device):
        """(n_steps, b) indices of the unlabeled group's minibatches, or None without it."""
        if not len(self.unlabeled):
            return None
        b = min(batch_size, len(self.unlabeled))
        return torch.from_numpy(_cycled(self.unlabeled, n_steps, b, rng)).to(device)

    def epoch(self, n_rows, batch_size, rng, device):
        """Minibatch indices of one epoch: ``n_steps``, the paired groups'
        (n_steps, b) index tensors and ``(m, indices)`` per modality."""
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


def step_batches(data, groups, paired_idx, singles_idx, unlabeled_idx=None):
    """The minibatches of one step, gathered from ``data`` (after its masking).

    Returns ``(paired, singles, unlabeled)``: a :class:`Batch` per paired
    group, ``(m, x, target)`` per single-modality group, and ``None`` or
    ``(batch, soft, weight)`` of the unlabeled group's minibatch.
    """
    paired = [
        masked_batch(data, data.batch(idx, *info))
        for idx, info in zip(paired_idx, groups.paired_info)
    ]
    singles = [
        (m, masked_inputs(data, m, take_rows(data.inputs[m], idx)), take_rows(data.targets[m], idx))
        for m, idx in singles_idx
    ]
    return paired, singles, _unlabeled_batch(data, groups, unlabeled_idx)


def _unlabeled_batch(data, groups, idx):
    if idx is None:
        return None
    batch = masked_batch(data, data.batch(idx, *groups.unlabeled_info))
    return batch, take_rows(data.soft, idx), take_rows(data.soft_weight, idx)


def batches_loss(module, paired, singles, unlabeled=None, sample=True):
    """The :class:`~skpoe.models.base.LossRecord` of a step's gathered
    minibatches (:func:`step_batches`)."""
    return _add_unlabeled(module, module.loss(paired, singles, sample), unlabeled, sample)


def _add_unlabeled(module, record, unlabeled, sample):
    """``record`` plus the label terms of the unlabeled minibatch, if any
    (:meth:`~skpoe.models.base.MultimodalModule.unlabeled_label_loss`)."""
    if unlabeled is not None:
        extra = module.unlabeled_label_loss(*unlabeled, sample)
        record.terms["unlabeled"] = extra.detach()
        record.total = record.total + extra
    return record


def step_loss(module, data, groups, paired_idx, singles_idx, sample=True, unlabeled_idx=None):
    """The :class:`~skpoe.models.base.LossRecord` of one step's minibatches.

    ``unlabeled_idx`` indexes a minibatch of the unlabeled group, whose label
    terms are added to the total. The unlabeled rows are gathered (and
    masked) after the loss of the other groups, as they always were.
    """
    paired, singles, _ = step_batches(data, groups, paired_idx, singles_idx)
    record = module.loss(paired, singles, sample)
    return _add_unlabeled(module, record, _unlabeled_batch(data, groups, unlabeled_idx), sample)


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


def monitor_rows(rows, size=1000):
    """At most ``size`` of ``rows``, evenly spaced (no random draw)."""
    if len(rows) <= size:
        return np.asarray(rows)
    return np.asarray(rows)[np.linspace(0, len(rows) - 1, size).round().astype(int)]


@torch.no_grad()
def monitor_terms(module, data, rows, names, label=None, prefix="", batch_size=4096):
    """Per-term losses of the views' posterior on ``rows`` (mean per row).

    Each row is encoded from its observed views alone (the posterior that
    ``transform`` and ``predict`` use) and decoded at the posterior mean:
    ``rec[name]`` is -log p(x_m | z) over the rows observing view m, ``kl``
    the KL divergence of the posterior to the prior, and, over labeled rows,
    ``label`` the label's cross-entropy and ``accuracy`` the share of labels
    decoded right. Keys carry ``prefix``; rows without a view are skipped.
    """
    module.eval()
    # networks in eval mode, likelihood terms as in training: the data are
    # the fit's own, so only modalities fitted with missing entries have any
    module.training = True
    n_views = len(names)
    sums = np.zeros(n_views + 3)  # views, kl, label, correct
    counts = np.zeros(n_views + 3)
    idx_all = torch.from_numpy(np.asarray(rows, dtype=np.int64)).to(data.device)
    for idx in torch.split(idx_all, batch_size):
        b = data.batch(idx)
        views = b.mask[:, :n_views]
        keep = views.any(1)
        b = data.batch(idx[keep])
        mask = b.mask.clone()
        if label is not None:
            mask[:, label] = False
        mu, var = module.infer(Batch(b.inputs, b.targets, mask))
        for m in range(n_views):
            obs = mask[:, m]
            if bool(obs.any()):
                sums[m] -= float(module.log_lik(m, mu[obs], b.targets[m][obs]).sum())
                counts[m] += int(obs.sum())
        sums[n_views] += float(kl_to_prior(mu, var).sum())
        counts[n_views] += mu.shape[0]
        if label is not None:
            lab = b.mask[:, label]
            if bool(lab.any()):
                target = b.targets[label][lab]
                sums[n_views + 1] -= float(module.log_lik(label, mu[lab], target).sum())
                pred = module.decode_mean(label, mu[lab]).reshape(len(target), -1)
                sums[n_views + 2] += float((pred[:, 0].long() == target[:, 0]).sum())
                counts[n_views + 1 :] += int(lab.sum())
    module.train()
    keys = [f"rec[{n}]" for n in names] + ["kl", "label", "accuracy"]
    return {prefix + k: float(s / c) for k, s, c in zip(keys, sums, counts) if c > 0}
