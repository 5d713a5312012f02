"""Opt-in speed options of a fit: mixed precision and ``torch.compile``.

``precision`` runs the training step under :func:`torch.autocast` (matrix
products in bfloat16 or float16, reductions and likelihoods in float32,
weights and optimiser state in float32); a float16 step scales its loss with
:class:`torch.amp.GradScaler` (:func:`grad_scaler`), so that small gradients
do not flush to zero in float16. ``compile`` compiles the whole training
step (:mod:`skpoe.train.compiled`), or, where that step cannot run
(data-parallel training, float16 loss scaling), every encoder and decoder
network with :func:`torch.compile` for the duration of the fit
(:func:`compiled_networks`). Inference always runs in float32 and
uncompiled.
"""

from __future__ import annotations

import contextlib

import torch

__all__ = [
    "PRECISIONS",
    "autocast_dtype",
    "compiled_networks",
    "grad_scaler",
    "resolve_device",
    "step_autocast",
]

PRECISIONS = {"float32": None, "bfloat16": torch.bfloat16, "float16": torch.float16}


def autocast_dtype(precision, device):
    """The autocast dtype of ``precision`` on ``device`` (``None``: float32).

    Raises
    ------
    ValueError
        For an unknown precision, and for ``"float16"`` off CUDA (CPU matrix
        products in float16 are emulated and slower than float32 on most
        processors; use ``"bfloat16"``).
    """
    if precision not in PRECISIONS:
        raise ValueError(
            f"The 'precision' parameter must be one of {sorted(PRECISIONS)}; got {precision!r}."
        )
    if precision == "float16" and device.type != "cuda":
        raise ValueError(
            f"precision='float16' needs a CUDA device; the fit runs on {device.type!r}. "
            "Use precision='bfloat16' (supported on CPU) or 'float32'."
        )
    return PRECISIONS[precision]


def step_autocast(module):
    """Autocast context of a training step of ``module`` (its ``autocast_dtype``)."""
    dtype = getattr(module, "autocast_dtype", None)
    if dtype is None:
        return contextlib.nullcontext()
    device = next(module.parameters()).device
    return torch.autocast(device_type=device.type, dtype=dtype)


def grad_scaler(module, device):
    """The loss scaler of a training step of ``module`` on ``device``.

    Enabled for float16 autocast on CUDA (float16's narrow exponent range
    would flush small gradients to zero): the loss is multiplied by a scale
    before backward, the gradients divided by it before clipping and the
    update, and a step whose gradients hold an infinity or NaN is skipped
    while the scale shrinks. Disabled otherwise: each call is then the plain
    step (``scale(loss)`` is ``loss``, ``step(optimizer)`` is
    ``optimizer.step()``), so float32 and bfloat16 fits are unchanged.
    """
    device = torch.device(device)
    enabled = getattr(module, "autocast_dtype", None) is torch.float16 and device.type == "cuda"
    return torch.amp.GradScaler(device.type, enabled=enabled)


@contextlib.contextmanager
def compiled_networks(module, enabled=True):
    """Compile every encoder and decoder of ``module`` inside the block.

    Each network is compiled in place (``nn.Module.compile``: parameter names
    and the state dict are unchanged) and restored to eager mode afterwards,
    so the fitted model pickles and runs inference without compiled code.
    """
    nets = []
    if enabled:
        joint = getattr(module, "joint", None)  # VAEVAE's joint encoder
        nets = [*module.encoders, *module.decoders] + ([joint] if joint is not None else [])
    for net in nets:
        net.compile()
    try:
        yield module
    finally:
        for net in nets:
            net._compiled_call_impl = None


def resolve_device(device):
    """Turn ``"auto"``, a string or a ``torch.device`` into a ``torch.device``."""
    if isinstance(device, str) and device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise ValueError(
            f"The 'device' parameter must be 'auto', 'cpu', 'cuda', 'cuda:N' or a "
            f"torch.device; got {device!r} ({exc})."
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} was requested but CUDA is not available on this "
            "machine; use device='auto' or 'cpu'."
        )
    return dev
