"""Where a thread's draws come from: a private generator, or a callable that makes them."""

from __future__ import annotations

import contextlib

import torch

from skpoe.noise._generators import GLOBAL_RNG_LOCK, global_rng_state, set_global_rng_state
from skpoe.noise._thread import _local

__all__ = ["current_generator", "draws_from", "training_stream", "use_generator"]


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

    Parameters
    ----------
    state : dict of str to torch.Tensor
        Generator states, as :func:`start_state` or ``current()`` gives.
    device : str or torch.device
        The device of the private generator.

    Yields
    ------
    current : callable
        ``current()`` is the state to continue from later, in the same form.

    See Also
    --------
    start_state : The state a fit starts from.
    use_generator : Draws from a given generator.

    Examples
    --------
    >>> import torch
    >>> from skpoe.noise import randn_rows, seeded_torch, start_state, training_stream
    >>> device = torch.device("cpu")
    >>> with seeded_torch(0, device):
    ...     state = start_state(0, device)
    >>> with training_stream(state, device) as current:
    ...     first = randn_rows(shape=(2,))
    ...     later = current()
    >>> with training_stream(state, device):  # the same state, the same draws
    ...     torch.equal(randn_rows(shape=(2,)), first)
    True
    >>> with training_stream(later, device):  # continued: new draws
    ...     torch.equal(randn_rows(shape=(2,)), first)
    False
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
    """Draws of this thread inside the block come from ``generator``.

    Parameters
    ----------
    generator : torch.Generator or None
        The generator :func:`randn_rows` and :func:`rand_rows` draw from on this thread
        (``None``: torch's global one); the previous one comes back after the block.

    See Also
    --------
    current_generator : The generator in use.
    training_stream : A private generator for a training run.

    Examples
    --------
    >>> import torch
    >>> from skpoe.noise import randn_rows, use_generator
    >>> with use_generator(torch.Generator().manual_seed(0)):
    ...     draw = randn_rows(shape=(3,))
    >>> torch.equal(draw, torch.randn(3, generator=torch.Generator().manual_seed(0)))
    True
    """
    previous = getattr(_local, "generator", None)
    _local.generator = generator
    try:
        yield
    finally:
        _local.generator = previous


def current_generator():
    """The generator this thread's draws come from (``None``: torch's global one).

    Returns
    -------
    generator : torch.Generator or None
        The generator of the innermost :func:`use_generator` block of this thread.

    See Also
    --------
    use_generator : Sets it for a block.

    Examples
    --------
    >>> import torch
    >>> from skpoe.noise import current_generator, use_generator
    >>> current_generator() is None
    True
    >>> g = torch.Generator()
    >>> with use_generator(g):
    ...     current_generator() is g
    True
    """
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

    Parameters
    ----------
    source : callable
        ``source(fill, like, shape, device, dtype)``, returning a tensor.

    See Also
    --------
    skpoe.train.compiled.CompiledStep : Records a step's draws this way.

    Examples
    --------
    >>> import torch
    >>> from skpoe.noise import draws_from, randn_rows
    >>> def zeros(fill, like, shape, device, dtype):
    ...     return torch.zeros(shape, device=device, dtype=dtype)
    >>> with draws_from(zeros):
    ...     randn_rows(shape=(2,))
    tensor([0., 0.])
    """
    previous = getattr(_local, "source", None)
    _local.source = source
    try:
        yield
    finally:
        _local.source = previous
