"""Bounds on what reading a model file may cost, checked before anything is built.

A model file is read in this order, each step bounded by the file's own size:

- the zip directory: every member stored (not compressed), its inflated
  size equal to its stored size, and the members together no larger than
  the file (:func:`check_stored`);
- the header: at most :data:`MAX_HEADER_BYTES` (:func:`check_header_size`);
- the members ``tensors.pt`` and ``arrays.npz``, which are zip archives
  themselves: their own members checked the same way, and every array of
  ``arrays.npz`` declared with exactly the bytes it holds (:func:`check_npz`);
- the weights: finite, and no parameter beyond :data:`MAX_WEIGHT`
  (:func:`check_weights`), once their names, shapes and dtypes have been
  compared with networks built on the ``meta`` device (no memory).

Every failure is a :class:`~skpoe.persistence._state.ModelFileError` of kind
``"corrupt"`` naming the file and the member.
"""

from __future__ import annotations

import io
import math
import zipfile

import numpy as np
import torch
from numpy.lib import format as npy_format

from skpoe.persistence._state import ModelFileError

__all__ = [
    "MAX_HEADER_BYTES",
    "MAX_WEIGHT",
    "check_stored",
    "check_header_size",
    "check_npz",
    "check_weights",
]

MAX_HEADER_BYTES = 32 * 2**20
"""Largest header (``skpoe.json``) :func:`skpoe.load` reads: 32 MiB.

skpoe's own headers hold parameters, the fitted metadata and string arrays
such as feature names (a model of 100,000 named features writes about 2 MB).
Parsing JSON costs up to about 30 times its size in Python objects, so the
cap keeps a tampered header's cost to about a gigabyte at worst."""

MAX_WEIGHT = 1e15
"""Largest magnitude :func:`skpoe.load` accepts for a network parameter.

Training moves a weight by about ``learning_rate_init`` per step, so no fit
reaches it; float32 products of such weights with inputs overflow, and
every output would then be NaN or infinite."""


def check_stored(name, zf, where, budget):
    """Every member of the zip ``zf`` stored as is, all together within ``budget`` bytes.

    ``where`` names the archive in messages (``"the file"``, ``"member arrays.npz"``).
    """
    total = 0
    for info in zf.infolist():
        if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size:
            raise ModelFileError(
                name,
                "corrupt",
                f"{_member(where, info.filename)} is compressed, but skpoe stores every "
                "member uncompressed, so nothing in a model file can expand beyond the "
                "file's size (damaged or tampered with).",
            )
        total += info.file_size
    if total > budget:
        raise ModelFileError(
            name,
            "corrupt",
            f"the members of {where} declare {total} bytes, more than the {budget} bytes "
            "that hold them (damaged or tampered with).",
        )


def _member(where, filename):
    return f"member {filename}" if where == "the file" else f"{where} holds {filename!r}, which"


def check_header_size(name, info):
    """The header's stored size within :data:`MAX_HEADER_BYTES`."""
    if info.file_size > MAX_HEADER_BYTES:
        raise ModelFileError(
            name,
            "corrupt",
            f"its header {info.filename} is {info.file_size} bytes; skpoe writes headers "
            f"of a few megabytes and reads at most {MAX_HEADER_BYTES} bytes (see "
            "skpoe.persistence._limits.MAX_HEADER_BYTES), so the file was tampered with.",
        )


def inner_zip(name, raw, member):
    """The zip archive held in the bytes of ``member``, checked by :func:`check_stored`."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
        zf.infolist()
    except Exception as exc:
        raise ModelFileError(
            name, "corrupt", f"member {member} is not a zip archive ({type(exc).__name__}: {exc})."
        ) from None
    check_stored(name, zf, f"member {member}", len(raw))
    return zf


def check_npz(name, raw, member):
    """Every array of the npz ``raw`` declared with exactly the bytes it holds.

    Each ``.npy`` header is read (format 1.0 or 2.0, as numpy writes) and its
    shape and dtype compared with the member's size before numpy allocates
    anything.
    """
    zf = inner_zip(name, raw, member)
    for info in zf.infolist():
        where = f"member {member} holds {info.filename!r}, which"
        with zf.open(info) as f:
            try:
                version = npy_format.read_magic(f)
                if version == (1, 0):
                    shape, _, dtype = npy_format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, _, dtype = npy_format.read_array_header_2_0(f)
                else:
                    raise ValueError(f"format version {version} is not one numpy's savez writes")
            except Exception as exc:
                raise ModelFileError(
                    name, "corrupt", f"{where} is not a numpy array ({exc})."
                ) from None
            data = info.file_size - f.tell()
        if dtype.hasobject:
            continue  # pickled objects: numpy refuses them (allow_pickle=False)
        declared = math.prod(int(s) for s in shape) * dtype.itemsize
        if declared != data:
            raise ModelFileError(
                name,
                "corrupt",
                f"{where} declares {declared} bytes ({dtype}, shape {shape}) but holds "
                f"{data} bytes (damaged or tampered with).",
            )


def check_weights(name, state, parameters):
    """Every floating weight in ``state`` finite, and every parameter within :data:`MAX_WEIGHT`.

    ``parameters`` names the entries that are trained parameters (the rest
    are buffers, which only need to be finite).
    """
    for key, tensor in state.items():
        if not (tensor.is_floating_point() or tensor.is_complex()) or tensor.numel() == 0:
            continue
        finite = torch.isfinite(tensor)
        if not bool(finite.all()):
            bad = int((~finite).sum())
            raise ModelFileError(
                name,
                "corrupt",
                f"weight {key} holds {bad} NaN or infinite value(s); a fit never stores "
                "them (a diverged fit keeps its last finite epoch), so the file is "
                "damaged or was tampered with.",
            )
        if key in parameters:
            largest = float(tensor.detach().abs().max())
            if largest > MAX_WEIGHT:
                raise ModelFileError(
                    name,
                    "corrupt",
                    f"weight {key} holds a value of magnitude {largest:.3g}, beyond "
                    f"{MAX_WEIGHT:g}, which no fit reaches and which makes the float32 "
                    "outputs overflow; the file is damaged or was tampered with.",
                )


def npz_arrays(name, raw, member):
    """The arrays of the checked npz ``raw``, read without pickle."""
    check_npz(name, raw, member)
    with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}
