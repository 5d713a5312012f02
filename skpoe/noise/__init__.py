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

import torch

from skpoe.noise._generators import (
    GLOBAL_RNG_LOCK,
    fit_seed,
    global_rng_state,
    rng_state,
    seeded_torch,
    set_global_rng_state,
    start_state,
)
from skpoe.noise._shards import _rows as _rows, row_shard, shard_parts, step_shards
from skpoe.noise._streams import current_generator, draws_from, training_stream, use_generator
from skpoe.noise._thread import _local

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
    The draw comes from this thread's generator (:func:`use_generator`, torch's global one
    by default), or from the source of :func:`draws_from`.

    Parameters
    ----------
    like : torch.Tensor, default=None
        The draw has its shape, device, dtype and memory layout (as ``torch.randn_like``).
    shape : tuple of int, default=None
        Shape of the draw when ``like`` is ``None``.
    device : torch.device, default=None
        Device of the draw when ``like`` is ``None`` (torch's default device for ``None``).
    dtype : torch.dtype, default=None
        Dtype of the draw when ``like`` is ``None`` (torch's default dtype for ``None``).
    row_dim : int, default=0
        The dimension that indexes the minibatch's rows.

    Returns
    -------
    draw : torch.Tensor
        The draws; inside :func:`row_shard`, the shard's rows of a draw for every row.

    See Also
    --------
    rand_rows : Uniform draws.
    row_shard : Draws for a share of the rows.

    Examples
    --------
    >>> import torch
    >>> from skpoe.noise import randn_rows, row_shard
    >>> randn_rows(torch.zeros(4, 3)).shape
    torch.Size([4, 3])
    >>> with row_shard(8, 2, 4):  # rows 2:4 of 8 along dim 1
    ...     randn_rows(shape=(5, 2), row_dim=1).shape
    torch.Size([5, 2])
    """
    return _draw(_normal, like, shape, row_dim, device, dtype)


def rand_rows(like=None, *, shape=None, device=None, dtype=None, row_dim=0):
    """Uniform [0, 1) draws shaped as tensor ``like`` or as ``shape``.

    Dim ``row_dim`` indexes the rows of the minibatch (see :func:`row_shard`). The draw comes
    from the same source as those of :func:`randn_rows`.

    Parameters
    ----------
    like : torch.Tensor, default=None
        The draw has its shape, device, dtype and memory layout (as ``torch.rand_like``).
    shape : tuple of int, default=None
        Shape of the draw when ``like`` is ``None``.
    device : torch.device, default=None
        Device of the draw when ``like`` is ``None``.
    dtype : torch.dtype, default=None
        Dtype of the draw when ``like`` is ``None``.
    row_dim : int, default=0
        The dimension that indexes the minibatch's rows.

    Returns
    -------
    draw : torch.Tensor
        Draws in ``[0, 1)``; inside :func:`row_shard`, the shard's rows of a draw for every row.

    See Also
    --------
    randn_rows : Standard normal draws.

    Examples
    --------
    >>> import torch
    >>> from skpoe.noise import rand_rows
    >>> u = rand_rows(shape=(4,), dtype=torch.float64)
    >>> u.dtype, bool(((0 <= u) & (u < 1)).all())
    (torch.float64, True)
    """
    return _draw(_uniform, like, shape, row_dim, device, dtype)
