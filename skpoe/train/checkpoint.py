"""Checkpoint files of a fit in progress: atomic writes, safe reads, and the
fingerprint that ties a checkpoint to its data and parameters.

A checkpoint is a dict of tensors, numbers, strings and lists written with
:func:`torch.save` and read with ``torch.load(weights_only=True)``, which
never executes code from the file. Random generator states are stored as
tensors. A write goes to a temporary file in the same folder, is flushed to
disk (``fsync``) and renamed over the old file (``os.replace``), so a
process killed at any moment leaves either the previous checkpoint or the
new one, never a torn file.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile

import numpy as np
import torch

from skpoe.exceptions import CheckpointError

__all__ = [
    "FORMAT",
    "check_checkpoint_path",
    "fingerprint",
    "save_checkpoint",
    "load_checkpoint",
    "clone_state",
    "cpu_state",
    "numpy_rng_state",
    "set_numpy_rng_state",
]

FORMAT = "skpoe-checkpoint-1"

# Parameters that may change between a checkpoint and its resume: they do not
# change what one epoch computes.
_FREE_PARAMS = {
    "max_iter",
    "verbose",
    "warm_start",
    "checkpoint_path",
    "checkpoint_every",
    "n_threads",
    "device",
    "callbacks",
}


def _describe(value):
    """A stable text of a parameter value (object addresses removed)."""
    if hasattr(value, "randint") and not isinstance(value, (int, np.integer)):
        return "RandomState"  # an instance's state is in the checkpoint
    return re.sub(r" at 0x[0-9a-fA-F]+", "", repr(value))


def fingerprint(estimator, arrays, observed):
    """Hash of the estimator's class, its training parameters and the data.

    Parameters
    ----------
    estimator : BaseMultimodalVAE
    arrays : list of ndarray
        Validated views (and labels) in fitted order.
    observed : ndarray of shape (n_samples, n_modalities)
    """
    h = hashlib.blake2b(digest_size=16)
    h.update(type(estimator).__name__.encode())
    for key, value in sorted(estimator.get_params(deep=False).items()):
        if key not in _FREE_PARAMS:
            h.update(f"{key}={_describe(value)};".encode())
    h.update(np.ascontiguousarray(observed).tobytes())
    for a in arrays:
        if hasattr(a, "blocks"):  # a lazy view (sparse, on disk): shape and end rows
            h.update(f"{a.kind}{a.shape}{a.dtype}".encode())
            size = min(a.n, a.block_rows())
            for rows in (slice(0, size), slice(a.n - size, a.n)):
                h.update(np.ascontiguousarray(a.read(rows)).tobytes())
            continue
        # float32 views hash as their float64 values (as before they were kept as float32),
        # block by block: no copy of the whole view
        h.update(f"{a.shape}{np.result_type(a.dtype, np.float64)}".encode())
        step = max(1, (1 << 20) // max(1, a.shape[1] if a.ndim > 1 else 1))
        for start in range(0, a.shape[0], step):
            h.update(np.ascontiguousarray(a[start : start + step], dtype=np.float64).tobytes())
    return h.hexdigest()


def _map_tensors(obj, fn):
    """``obj`` (nested dicts, lists, tuples) with ``fn`` applied to every tensor."""
    if isinstance(obj, torch.Tensor):
        return fn(obj)
    if isinstance(obj, dict):
        return {k: _map_tensors(v, fn) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_map_tensors(v, fn) for v in obj)
    return obj


def clone_state(obj):
    """Deep copy of a (nested) state dict: tensors cloned, containers copied."""
    return _map_tensors(obj, lambda t: t.detach().clone())


def cpu_state(obj):
    """Copy of a (nested) state dict with every tensor on the CPU."""
    return _map_tensors(obj, lambda t: t.detach().cpu().clone())


def numpy_rng_state(rng):
    """A RandomState's state as a dict of a tensor and numbers."""
    name, keys, pos, has_gauss, gauss = rng.get_state()
    return {
        "keys": torch.from_numpy(keys.astype(np.int64)),
        "pos": int(pos),
        "has_gauss": int(has_gauss),
        "gauss": float(gauss),
    }


def set_numpy_rng_state(rng, state):
    """Inverse of :func:`numpy_rng_state`."""
    keys = state["keys"].cpu().numpy().astype(np.uint32)
    rng.set_state(("MT19937", keys, state["pos"], state["has_gauss"], state["gauss"]))


def check_checkpoint_path(path):
    """At the start of a fit: ``checkpoint_path`` names a file that can be written.

    Its folder must exist and accept a new file (one is created and removed),
    so a path under a regular file, in a missing or read-only folder, or on a
    file system such as ``/proc`` is refused before any epoch runs.

    Raises
    ------
    CheckpointError
        Naming the parameter, the path and the reason.
    """
    if path is None:
        return
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise CheckpointError(
            f"checkpoint_path={path!r} is a folder; it must name a file (for example "
            f"{os.path.join(path, 'fit.ckpt')!r})."
        )
    if not os.path.isdir(folder):
        what = "is not a folder" if os.path.exists(folder) else "does not exist"
        raise CheckpointError(
            f"checkpoint_path={path!r} cannot be written: its folder {folder!r} {what}. "
            "Create the folder or choose another checkpoint_path."
        )
    try:
        fd, probe = tempfile.mkstemp(prefix=".skpoe-", suffix=".probe", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise CheckpointError(
            f"checkpoint_path={path!r} cannot be written: no file can be created in its "
            f"folder {folder!r} ({_os_error(exc)}). Choose another checkpoint_path."
        ) from None


def _os_error(exc):
    """``[Errno 28] No space left on device`` and the like."""
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"{type(exc).__name__}: [Errno {exc.errno}] {exc.strerror}"
    return f"{type(exc).__name__}: {exc}"


def save_checkpoint(path, state):
    """Write ``state`` to ``path`` atomically (temporary file, fsync, rename).

    The state is serialised in memory first, so a failed write is the
    operating system's error (disk full, file-size limit, permission).

    Raises
    ------
    CheckpointError
        If the file cannot be written; it names the path and the error. The
        previous checkpoint, if any, is left as it was.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    buf = io.BytesIO()
    torch.save({"format": FORMAT, **state}, buf)
    tmp = None
    try:
        os.makedirs(folder, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".skpoe-", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "wb") as f:
            f.write(buf.getbuffer())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise CheckpointError(
            f"The checkpoint {path!r} could not be written ({_os_error(exc)}); the "
            "previous checkpoint, if any, is unchanged."
        ) from exc
    except BaseException:
        _remove(tmp)
        raise
    with _quiet():  # make the rename itself durable (POSIX)
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


def _remove(tmp):
    if tmp is not None:
        with _quiet():
            os.unlink(tmp)


class _quiet:
    """Ignore OSError (cleanup that may fail harmlessly)."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        return kind is not None and issubclass(kind, OSError)


def load_checkpoint(path, expected_fingerprint):
    """Read a checkpoint without executing code and check that it belongs here.

    Raises
    ------
    CheckpointError
        If the file is not a skpoe checkpoint, or was written for other data
        or other parameters.
    """
    path = os.fspath(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # unpickling errors come in many types
        raise CheckpointError(
            f"checkpoint_path={path!r} exists but cannot be read as a skpoe "
            f"checkpoint ({type(exc).__name__}: {exc}). Delete it or choose "
            "another checkpoint_path to start a new fit."
        ) from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(
            f"checkpoint_path={path!r} is not a skpoe checkpoint of format "
            f"{FORMAT!r}. Delete it or choose another checkpoint_path."
        )
    if state.get("fingerprint") != expected_fingerprint:
        raise CheckpointError(
            f"The checkpoint {path!r} was written by a fit of other data or with "
            "other parameters (only max_iter, verbose, warm_start, device, "
            "n_threads and the checkpoint parameters may change before resuming). "
            "Delete it or choose another checkpoint_path to start a new fit."
        )
    return state
