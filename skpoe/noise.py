"""Random draws of a training step, made row by row.

Every draw of a loss that belongs to rows (reparameterisation noise, random
subsets of views) goes through :func:`randn_rows` or :func:`rand_rows`, which
are told where the rows lie in the drawn shape (``row_dim``).

Outside :func:`row_shard` they are ``torch.randn`` and ``torch.rand`` of that
shape from torch's global generator, the usual stream. Inside
``row_shard(n_total, start, stop)`` the caller computes rows
``start:stop`` of a minibatch of ``n_total`` rows: the draw is made for all
``n_total`` rows, which advances the generator exactly as the whole minibatch
would, and rows ``start:stop`` are returned. A process that computes one shard
of a minibatch (data-parallel training, :mod:`skpoe.distributed`) thus gives
every row the noise a single process gives it. A step of several groups of
rows runs inside :func:`step_shards`, and :func:`shard_parts` puts each part
of its loss in the rows it holds of its groups.

Inside :func:`training_stream` (or :func:`use_generator`) the draws come from
a private generator instead of torch's global one, so fits running at once in
threads of one process (joblib's threading backend, Dask) do not share a
random stream. The networks are built from torch's global generators, seeded
inside :func:`seeded_torch`, which one thread at a time runs.

Inside :func:`draws_from` a draw is handed to a callable instead (the
compiled training step, :mod:`skpoe.train.compiled`, records the draws a
step makes and passes them into its compiled graph as tensors).

Contract for model code: draw per-row randomness only through these
functions, with the rows of the current call's minibatch along ``row_dim``.
"""

from __future__ import annotations

import contextlib
import inspect
import threading
from typing import Any

import numpy as np
import torch
from sklearn.utils import check_random_state

__all__ = [
    "GLOBAL_RNG_LOCK",
    "global_rng_state",
    "rand_rows",
    "randn_rows",
    "rng_state",
    "row_shard",
    "seeded_torch",
    "set_global_rng_state",
    "shard_parts",
    "start_state",
    "step_shards",
    "training_stream",
    "use_generator",
    "draws_from",
    "current_generator",
    "fit_seed",
]

_local = threading.local()


@contextlib.contextmanager
def row_shard(n_total, start, stop):
    """Draws inside the block are for rows ``start:stop`` of ``n_total`` rows."""
    with _rows(n_total, [(start, stop)]):
        yield


@contextlib.contextmanager
def _rows(n_total, ranges):
    """Draws inside the block are for the rows ``ranges`` (``(start, stop)``
    pairs, in order) of ``n_total`` rows."""
    for start, stop in ranges:
        if not 0 <= start <= stop <= n_total:
            raise ValueError(
                f"row_shard: need 0 <= start <= stop <= n_total, got {start}, {stop}, {n_total}."
            )
    previous = getattr(_local, "shard", None)
    _local.shard = (int(n_total), tuple((int(a), int(b)) for a, b in ranges))
    try:
        yield
    finally:
        _local.shard = previous


@contextlib.contextmanager
def step_shards(paired, singles):
    """A training step inside the block computes a share of each group's rows.

    ``paired`` and ``singles`` hold one ``(n_total, start, stop)`` per paired
    group and per single-modality group of the step, in the order the loss
    receives them. :func:`shard_parts` gives each loss part its rows.
    """
    previous = getattr(_local, "step", None)
    _local.step = (list(paired), list(singles))
    try:
        yield
    finally:
        _local.step = previous


def shard_parts(parts, n_paired):
    """Loss parts whose draws are for their rows of a step's share.

    ``parts`` are the parts of one step: ``n_paired`` paired parts (one per
    paired group, or one for all paired groups concatenated), then one per
    single-modality group. Outside :func:`step_shards` they are returned
    unchanged; inside, each part runs in :func:`row_shard` of its group's
    rows (the concatenated groups' rows follow each other).
    """
    step = getattr(_local, "step", None)
    if step is None:
        return parts
    paired, singles = step
    if n_paired == len(paired):
        specs = [(n, [(a, b)]) for n, a, b in paired]
    else:  # the paired groups as one batch
        offsets = [0]
        for n, _, _ in paired:
            offsets.append(offsets[-1] + n)
        specs = [(offsets[-1], [(o + a, o + b) for o, (_, a, b) in zip(offsets, paired)])]
    specs += [(n, [(a, b)]) for n, a, b in singles]
    return [_within(part, *spec) for part, spec in zip(parts, specs)]


def _within(part, n_total, ranges):
    """Run generator ``part`` with its draws in rows ``ranges`` of ``n_total``."""
    if not inspect.isgenerator(part):
        return part

    def run():
        answer: Any = None
        while True:
            with _rows(n_total, ranges):
                try:
                    requests = part.send(answer)
                except StopIteration as stop:
                    return stop.value
            answer = yield requests

    return run()


def rng_state(device):
    """The state of torch's global generator on ``device`` (CPU or CUDA)."""
    device = torch.device(device)
    return torch.cuda.get_rng_state(device) if device.type == "cuda" else torch.get_rng_state()


def global_rng_state(device):
    """torch's global generator states: ``cpu``, and ``cuda`` for a CUDA device."""
    device = torch.device(device)
    state = {"cpu": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_global_rng_state(state, device):
    """Inverse of :func:`global_rng_state`."""
    device = torch.device(device)
    torch.set_rng_state(state["cpu"])
    if device.type == "cuda" and state.get("cuda") is not None:
        torch.cuda.set_rng_state(state["cuda"], device)


#: Held while a thread seeds or sets torch's process-wide generators.
GLOBAL_RNG_LOCK = threading.RLock()


@contextlib.contextmanager
def seeded_torch(seed, device, state=None):
    """Seed torch's global generators (CPU and ``device``) inside the block,
    or set them to ``state`` (from :func:`global_rng_state`), and restore the
    caller's generator states after it.

    The generators are process-wide: one thread at a time runs such a block
    (keep it short: build the networks in it, then train inside
    :func:`training_stream`).
    """
    fork_devices = [device] if device.type == "cuda" else []
    with GLOBAL_RNG_LOCK, torch.random.fork_rng(devices=fork_devices, device_type=device.type):
        torch.manual_seed(seed)
        if state is not None:
            set_global_rng_state(state, device)
        yield


def start_state(seed, device):
    """The random state a fit's training starts from (the generator states
    of :func:`training_stream`).

    Called right after the networks are built from ``seed`` on torch's
    global generators: the rows' draws continue the global stream of
    ``device`` (the draws a fit made before private generators existed), and
    the global generators, which only randomness inside user-supplied
    networks (dropout) draws from during training, restart from a seed
    derived from ``seed``, so that their draws are not those of the rows.
    Sets the global generators: call it where they are restored afterwards
    (:func:`seeded_torch`).
    """
    rows = rng_state(device)
    derived = np.random.SeedSequence([int(seed), 1]).generate_state(1, np.uint64)[0]
    torch.manual_seed(int(derived))
    return {"rows": rows, **global_rng_state(device)}


@contextlib.contextmanager
def training_stream(state, device):
    """Random draws of a training run inside the block continue ``state``.

    ``state`` holds ``rows``, the state of a private generator on
    ``device`` from which :func:`randn_rows` and :func:`rand_rows` draw on
    this thread, so fits running at once in threads of one process do not
    share a stream; and the states of torch's global generators (as
    :func:`global_rng_state`), set for the block for randomness inside
    user-supplied networks (reproducible when one fit runs at a time). A
    state without ``rows`` (kept by an older model) starts the private
    generator from the global generator of ``device``. The caller's global
    states come back after the block.

    Yields
    ------
    current : callable
        ``current()`` is the state to continue from later, in the same form.
    """
    device = torch.device(device)
    g = torch.Generator(device=device)
    g.set_state(state.get("rows", state["cuda" if device.type == "cuda" else "cpu"]))
    with GLOBAL_RNG_LOCK:
        saved = global_rng_state(device)
        set_global_rng_state(state, device)
    try:
        with use_generator(g):
            yield lambda: {"rows": g.get_state(), **global_rng_state(device)}
    finally:
        with GLOBAL_RNG_LOCK:
            set_global_rng_state(saved, device)


@contextlib.contextmanager
def use_generator(generator):
    """Draws of this thread inside the block come from ``generator``."""
    previous = getattr(_local, "generator", None)
    _local.generator = generator
    try:
        yield
    finally:
        _local.generator = previous


def current_generator():
    """The generator this thread's draws come from (``None``: torch's global one)."""
    return getattr(_local, "generator", None)


@contextlib.contextmanager
def draws_from(source):
    """Draws of this thread inside the block are made by ``source``.

    ``source(fill, like, shape, device, dtype)`` returns the draw: ``fill``
    (``fill(tensor, generator)`` fills ``tensor`` in place and returns it)
    and the tensor ``like`` (or ``shape``, ``device`` and ``dtype``, when
    ``like`` is ``None``) describe what :func:`randn_rows` or
    :func:`rand_rows` was asked for. Draws inside :func:`row_shard` are
    refused.
    """
    previous = getattr(_local, "source", None)
    _local.source = source
    try:
        yield
    finally:
        _local.source = previous


def _normal(t, g):
    return t.normal_(generator=g)


def _uniform(t, g):
    return t.uniform_(generator=g)


def _draw(fill, like, shape, row_dim, device, dtype):
    """``fill`` (:func:`_normal` or :func:`_uniform`) of a new tensor, sliced in a shard.

    With ``like`` the tensor has ``like``'s shape, device, dtype and memory
    layout (as ``torch.randn_like``, which fills in memory order); without it
    it is contiguous (as ``torch.randn``).
    """
    if like is not None:
        shape, device, dtype = like.shape, like.device, like.dtype
    shape = tuple(shape)
    g = getattr(_local, "generator", None)
    shard = getattr(_local, "shard", None)
    source = getattr(_local, "source", None)
    if source is not None:
        if shard is not None:
            raise RuntimeError("draws_from does not support draws inside row_shard.")
        return source(fill, like, shape, device, dtype)
    if shard is None:
        if like is not None:
            return fill(torch.empty_like(like), g)
        return fill(torch.empty(shape, device=device, dtype=dtype), g)
    n_total, ranges = shard
    if shape[row_dim] != sum(b - a for a, b in ranges):
        held = ", ".join(f"{a}:{b}" for a, b in ranges)
        raise ValueError(
            f"a draw of shape {shape} has {shape[row_dim]} rows along dim {row_dim}, "
            f"but the shard holds rows {held} of {n_total}."
        )
    full = shape[:row_dim] + (n_total,) + shape[row_dim + 1 :]
    # the whole minibatch's draw, laid out in memory as the whole draw would be
    order = list(range(len(shape)))
    if like is not None:  # the layout torch.empty_like chooses for ``like``
        strides = torch.empty_like(like, device="meta").stride()
        order.sort(key=lambda d: -strides[d])
    buf = torch.empty([full[d] for d in order], device=device, dtype=dtype)
    # fill after the permute: torch's samplers differ for strided tensors
    buf = fill(buf.permute([order.index(d) for d in range(len(shape))]), g)
    parts = [buf.narrow(row_dim, a, b - a) for a, b in ranges]
    return parts[0] if len(parts) == 1 else torch.cat(parts, row_dim)


def randn_rows(like=None, *, shape=None, device=None, dtype=None, row_dim=0):
    """Standard normal draws shaped as tensor ``like`` or as ``shape``.

    Dim ``row_dim`` indexes the rows of the minibatch (see :func:`row_shard`).
    """
    return _draw(_normal, like, shape, row_dim, device, dtype)


def rand_rows(like=None, *, shape=None, device=None, dtype=None, row_dim=0):
    """Uniform [0, 1) draws shaped as tensor ``like`` or as ``shape``.

    Dim ``row_dim`` indexes the rows of the minibatch (see :func:`row_shard`).
    """
    return _draw(_uniform, like, shape, row_dim, device, dtype)


def fit_seed(random_state, n_iter=None):
    """Seed of one fit (weights, minibatches and later inference draws).

    Drawn from ``random_state`` (fresh entropy for ``None``). ``n_iter``
    offsets it, for a warm start of a model that kept no training state.
    """
    if random_state is not None:
        seed = check_random_state(random_state).randint(2**31 - 1)
    else:
        seed = int(np.random.SeedSequence().generate_state(1)[0] >> 1)
    if n_iter is not None:
        seed = (seed + n_iter) % (2**31 - 1)
    return seed
