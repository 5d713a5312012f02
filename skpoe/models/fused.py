"""The fused training step: one encoder and one decoder pass per modality.

A training step sums the losses of several groups of rows (the paired
minibatches and one minibatch per modality). Computed group by group, every
modality's encoder and decoder runs once per group that observes it: many
small matrix products. Fused, each modality's encoder runs once on the
concatenated rows of every group observing it, and its decoder once on every
latent code any group decodes with it, so a step is a handful of large
matrix products with the same result.

The loss terms of a group are written as *parts*: generators that yield a
list of decode requests ``(m, z, target)`` and receive, for each request, the
unweighted log-likelihood ``log p(target | z)`` under modality m's decoder
(shape ``z.shape[:-1]``), then return their value. :func:`gather` runs
several parts side by side as one part, and :func:`evaluate` answers a
part's requests with a decode function: :func:`decode_each` (one decoder
pass per request, the per-group computation) or :func:`decode_fused` (one
pass per modality). A value that is not a generator is a part already
finished.

The paired groups of a step are concatenated into one batch first
(:func:`concat_batches`): every paired term is a per-row quantity masked by
the row's observed set, so the paired losses, posteriors and KL terms are
also computed once per step instead of once per group.

Rows must be independent for the fusion to leave the numbers unchanged;
networks holding batch normalisation (whose output depends on the other
rows of the batch) are run group by group.
"""

from __future__ import annotations

import inspect
import weakref

import torch
from torch import nn

__all__ = [
    "gather",
    "evaluate",
    "decode_each",
    "decode_fused",
    "encode_groups",
    "concat_batches",
    "row_wise",
]


def gather(parts):
    """Run several parts side by side as one part.

    Each round advances every unfinished part to its next request list and
    yields their concatenation; the answers are handed back to each part in
    order. Returns the list of the parts' values.
    """
    parts = list(parts)
    values = [None] * len(parts)
    live = []
    for i, part in enumerate(parts):
        if inspect.isgenerator(part):
            live.append(i)
        else:
            values[i] = part
    answers = {i: None for i in live}
    while live:
        requests: list[tuple[int, torch.Tensor, torch.Tensor]] = []
        spans, still = [], []
        for i in live:
            try:
                asked = parts[i].send(answers[i])
            except StopIteration as stop:
                values[i] = stop.value
                continue
            spans.append((i, len(requests), len(asked)))
            requests.extend(asked)
            still.append(i)
        live = still
        if not live:
            break
        results = yield requests
        for i, start, count in spans:
            answers[i] = results[start : start + count]
    return values


def evaluate(part, decode):
    """Value of ``part``, its requests answered by ``decode(requests)``."""
    if not inspect.isgenerator(part):
        return part
    try:
        requests = next(part)
        while True:
            requests = part.send(decode(requests))
    except StopIteration as stop:
        return stop.value


_ROW_WISE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def row_wise(net):
    """Whether ``net`` treats rows independently (no batch normalisation).

    The answer is kept per network object: a step asks it of every encoder
    and decoder, and walking a network's modules costs more than the lookup.
    The networks of a module are built once, with the module.
    """
    known = _ROW_WISE.get(net)
    if known is None:
        known = _ROW_WISE[net] = not any(
            isinstance(mod, nn.modules.batchnorm._BatchNorm) for mod in net.modules()
        )
    return known


def decode_each(module, requests):
    """Answer each request with its own decoder pass (the per-group computation)."""
    return [module.log_lik(m, z, target) for m, z, target in requests]


def decode_fused(module, requests):
    """Answer all requests with one decoder pass per modality.

    The latent codes of every request for modality m are flattened to rows and
    concatenated, their targets broadcast to match; one pass of the decoder
    and one likelihood evaluation score them all, and the result is split
    back into the requests' shapes.
    """
    answers = [None] * len(requests)
    by_modality: dict[int, list[int]] = {}
    for i, (m, _, _) in enumerate(requests):
        by_modality.setdefault(m, []).append(i)
    for m, idx in by_modality.items():
        if len(idx) == 1 or not row_wise(module.decoders[m]):
            for i in idx:
                answers[i] = module.log_lik(*requests[i])
            continue
        zs = [requests[i][1] for i in idx]
        targets = [requests[i][2] for i in idx]
        width = zs[0].shape[-1]
        flat_z = torch.cat([z.reshape(-1, width) for z in zs])
        flat_t = torch.cat(
            [
                t.expand(*z.shape[:-1], t.shape[-1]).reshape(-1, t.shape[-1])
                for z, t in zip(zs, targets)
            ]
        )
        lp = module.log_lik(m, flat_z, flat_t)
        sizes = [z.shape[:-1].numel() for z in zs]
        for i, z, piece in zip(idx, zs, lp.split(sizes)):
            answers[i] = piece.view(z.shape[:-1])
    return answers


def concat_batches(batches):
    """The rows of several :class:`~skpoe.models.base.Batch` as one batch.

    Its ``present`` is the union and its ``max_observed`` the largest of the
    batches'; terms of modalities a row does not observe are masked per row.
    """
    if len(batches) == 1:
        return batches[0]
    first = batches[0]
    return type(first)(
        [torch.cat(xs) for xs in zip(*(b.inputs for b in batches))],
        [torch.cat(ts) for ts in zip(*(b.targets for b in batches))],
        torch.cat([b.mask for b in batches]),
        tuple(sorted(set().union(*(b.present for b in batches)))),
        max(b.max_observed for b in batches),
    )


def _over_rows(encoder, xs):
    """``encoder`` of each input in ``xs``; one pass over their concatenation."""
    if len(xs) <= 1 or not row_wise(encoder):
        return [encoder(x) for x in xs]
    mu, prec = encoder(torch.cat(xs))
    sizes = [x.shape[0] for x in xs]
    return list(zip(mu.split(sizes), prec.split(sizes)))


def encode_groups(module, paired, singles):
    """Encoder heads of every group of a step, one encoder pass per modality.

    Parameters
    ----------
    module : MultimodalModule
    paired : list of Batch
    singles : list of (m, x, target)

    Returns
    -------
    experts : list of Experts
        One per paired batch, as :meth:`MultimodalModule.encode` gives.
    heads : list of (mu, prec)
        Modality m's heads (n, H, D) for each single-modality group.
    """
    inputs: list[list[torch.Tensor]] = [[] for _ in range(module.M)]
    for batch in paired:
        for m in batch.present:
            inputs[m].append(batch.inputs[m])
    for m, x, _ in singles:
        inputs[m].append(x)
    outputs = [iter(_over_rows(enc, xs)) for enc, xs in zip(module.encoders, inputs)]
    experts = [
        module.stack_experts(batch, {m: next(outputs[m]) for m in batch.present})
        for batch in paired
    ]
    heads = [next(outputs[m]) for m, _, _ in singles]
    return experts, heads
