"""Save and load fitted estimators in a file that cannot run code when loaded.

.. warning::
   Pickle and joblib files run code when they are loaded: open them only if
   you trust whoever wrote them. To share a model, use
   :meth:`~skpoe.base.BaseMultimodalVAE.save` and :func:`load`.

A model file is a zip archive (stored, not compressed) of three members:

``skpoe.json`` (always first)
    The header: format name and version, the skpoe, torch, numpy,
    scikit-learn and Python versions that wrote it, the estimator class
    name, its parameters and fitted attributes as JSON (see
    :mod:`skpoe._state`), and the size and SHA-256 of every other member.
``tensors.pt``
    A flat dict of CPU tensors (the module's ``state_dict`` and any tensor
    attribute) written by ``torch.save`` and read by ``torch.load`` with
    ``weights_only=True``, which refuses anything but tensors and plain
    containers.
``arrays.npz``
    The numpy arrays of the fitted attributes, read with
    ``allow_pickle=False``.

The estimator class is resolved only against :data:`skpoe.ESTIMATORS` and
likelihoods only against :data:`skpoe.likelihoods.LIKELIHOODS`; no name read
from a file is ever imported. Custom networks passed as ``encoders`` or
``decoders`` are the one part not stored as code: their weights are in
``tensors.pt``, and :func:`load` takes fresh instances of the same networks.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import platform
import tempfile
import warnings
import zipfile

import numpy as np
import torch
from torch import nn

from ._restore import restore
from ._state import TAG, ModelFileError, StateEncoder, UnsupportedStateError

__all__ = ["save", "load", "read_header", "ModelFileError", "FORMAT_VERSION"]

FORMAT = "skpoe.model"
FORMAT_VERSION = 1
"""Version of the file layout this skpoe writes; :func:`load` reads up to it."""

HEADER, TENSORS, ARRAYS = "skpoe.json", "tensors.pt", "arrays.npz"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so equal models give equal files
_NETWORKS = ("encoders", "decoders")
_UNSAFE = (
    "holds objects other than tensors and arrays, which skpoe refuses to unpickle "
    "because unpickling them could run code; the file was tampered with or was "
    "not written by skpoe"
)


# -- saving -------------------------------------------------------------
def _versions():
    import sklearn

    from . import __version__

    return {
        "skpoe": __version__, "torch": torch.__version__, "numpy": np.__version__,
        "scikit-learn": sklearn.__version__, "python": platform.python_version(),
    }


def _network_placeholder(net, where):
    if not isinstance(net, nn.Module):
        raise UnsupportedStateError(f"{where} is a {type(net).__name__}, not a torch.nn.Module.")
    cls = type(net)
    return {TAG: "network", "class": f"{cls.__module__}.{cls.__qualname__}"}


def _encode_params(estimator, encoder):
    """Parameters as JSON; the names of those stored differently (with a warning)."""
    params = estimator.get_params(deep=False)
    out = {}
    for key, value in params.items():
        if key in _NETWORKS and isinstance(value, dict):
            out[key] = {
                m: _network_placeholder(net, f"parameter {key}[{m!r}]") for m, net in value.items()
            }
        elif key == "random_state" and isinstance(value, np.random.RandomState):
            warnings.warn(
                "random_state is a numpy RandomState instance, which cannot be saved; "
                "the file stores random_state=None (a refit draws fresh seeds). The "
                "fitted model's own seed is saved, so its outputs are unchanged.",
                UserWarning,
                stacklevel=3,
            )
            out[key] = None
        else:
            out[key] = encoder(value, f"parameter {key!r}")
    return params, out


def _encode_module(module, encoder):
    for key, tensor in module.state_dict().items():
        encoder.add_tensor(tensor, f"module_/{key}")
    return {TAG: "module", "class": type(module).__name__}


def _member_bytes(writer, obj):
    buf = io.BytesIO()
    writer(buf, obj)
    return buf.getvalue()


def save(estimator, path):
    """Save a skpoe estimator (fitted or not) to ``path``.

    The file holds the weights as tensors and everything else as JSON, so
    :func:`load` never runs code from it; this is the way to share a model.
    Pickle and joblib files run code when loaded: use them only for files
    you trust.

    Parameters
    ----------
    estimator : BaseMultimodalVAE
        One of :data:`skpoe.ESTIMATORS`.
    path : str, os.PathLike or binary file object
        Where to write (``.skpoe`` is the customary suffix). A path is written
        to a temporary file that then replaces ``path``, so an interrupted
        save never leaves a partial file.

    Raises
    ------
    TypeError
        If ``estimator`` is not a skpoe estimator, or a parameter or fitted
        attribute has a type that cannot be saved (the error names it).
    """
    from .estimators import ESTIMATORS

    cls = type(estimator)
    if cls not in ESTIMATORS:
        raise TypeError(
            f"save() writes skpoe's own estimators ({[c.__name__ for c in ESTIMATORS]}); "
            f"got {cls.__module__}.{cls.__qualname__}."
        )
    encoder = StateEncoder()
    try:
        params, header_params = _encode_params(estimator, encoder)
        attributes = {}
        for key, value in estimator.__getstate__().items():
            if key in params or key == "_sklearn_version":
                continue
            if key == "module_":
                attributes[key] = _encode_module(value, encoder)
            else:
                attributes[key] = encoder(value, f"attribute {key}")
    except UnsupportedStateError as exc:
        raise UnsupportedStateError(f"Cannot save {cls.__name__}: {exc}") from None
    members = {
        TENSORS: _member_bytes(lambda f, o: torch.save(o, f), encoder.tensors),
        ARRAYS: _member_bytes(lambda f, o: np.savez(f, **o), encoder.arrays),
    }
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "written_by": _versions(),
        "estimator": cls.__name__,
        "params": header_params,
        "attributes": attributes,
        "members": {
            name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in members.items()
        },
    }
    members = {HEADER: json.dumps(header, indent=1, allow_nan=False).encode(), **members}
    _write(path, _zip(members))


def _zip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def _write(path, data):
    if hasattr(path, "write"):
        path.write(data)
        return
    path = os.fspath(path)
    fd, tmp = tempfile.mkstemp(prefix=".skpoe-", dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# -- reading the container ------------------------------------------------
def _read_bytes(path):
    if hasattr(path, "read"):
        return getattr(path, "name", None) or repr(path), path.read()
    name = repr(os.fspath(path))
    with open(path, "rb") as f:
        return name, f.read()


def _not_a_zip(name, data):
    """The error for bytes that do not open as a zip archive."""
    local = b"PK\x03\x04"
    expected_name = HEADER.encode()
    first_name = data[30 : 30 + len(expected_name)]
    if not data:
        return ModelFileError(name, "truncated", "the file is empty.")
    if data[:4] == local[: len(data[:4])] and expected_name.startswith(first_name):
        return ModelFileError(
            name, "truncated",
            f"the file is truncated: it starts as a skpoe model file but its end (the zip "
            f"directory) is missing after {len(data)} bytes. It was probably cut short "
            "while being copied or written; copy or save it again.",
        )
    if data[:1] == b"\x80":
        return ModelFileError(
            name, "not_skpoe",
            "this is a pickle file (as written by pickle, joblib or torch.save), not a "
            "skpoe model file. Pickle files run code when loaded: open them with "
            "joblib.load only if you trust whoever wrote them.",
        )
    return ModelFileError(
        name, "not_skpoe",
        "not a skpoe model file (it is not a zip archive starting with skpoe.json); "
        "skpoe model files are written by estimator.save(path).",
    )


def _open_members(name, data):
    """The header (a dict) and the other members' bytes, checked against it."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = zf.namelist()
    except Exception:
        raise _not_a_zip(name, data) from None
    if HEADER not in names:
        raise ModelFileError(
            name, "not_skpoe",
            f"a zip archive without {HEADER}, so not a skpoe model file (a torch.save "
            "file is a zip archive too); skpoe model files are written by estimator.save(path).",
        )
    if len(set(names)) != len(names):
        raise ModelFileError(name, "corrupt", "the archive lists a member twice (tampered with).")
    header = _parse_header(name, _read_member(name, zf, HEADER))
    listed = header["members"]
    if set(names) != {HEADER, *listed}:
        raise ModelFileError(
            name, "corrupt",
            f"the archive holds {sorted(names)} but the header lists {sorted(listed)} "
            "besides skpoe.json (damaged or tampered with).",
        )
    members = {}
    for member, meta in listed.items():
        raw = _read_member(name, zf, member)
        if not isinstance(meta, dict) or hashlib.sha256(raw).hexdigest() != meta.get("sha256"):
            raise ModelFileError(
                name, "corrupt",
                f"member {member} is corrupt: its SHA-256 does not match the one in the "
                "header (damaged or tampered with).",
            )
        members[member] = raw
    return header, members


def _read_member(name, zf, member):
    try:
        return zf.read(member)
    except Exception as exc:
        raise ModelFileError(
            name, "corrupt", f"member {member} cannot be read, the file is corrupt ({exc})."
        ) from None


def _parse_header(name, raw):
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ModelFileError(name, "corrupt", f"{HEADER} is not valid JSON ({exc}).") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(
            name, "not_skpoe", f"{HEADER} does not describe a skpoe model (format is not {FORMAT!r})."
        )
    version = header.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelFileError(name, "corrupt", f"{HEADER} has no valid format_version.")
    if version > FORMAT_VERSION:
        written = header.get("written_by")
        by = written.get("skpoe", "?") if isinstance(written, dict) else "?"
        from . import __version__

        raise ModelFileError(
            name, "newer_format",
            f"it was written by skpoe {by} with format {version}; this version of skpoe "
            f"({__version__}) reads formats up to {FORMAT_VERSION}. Upgrade skpoe "
            "(pip install -U skpoe) to load it.",
        )
    for key, kind in (("estimator", str), ("params", dict), ("attributes", dict),
                      ("members", dict)):
        if not isinstance(header.get(key), kind):
            raise ModelFileError(name, "corrupt", f"{HEADER} has no valid {key!r} entry.")
    return header


def read_header(path):
    """The header of a skpoe model file, after checking the whole file.

    Parameters
    ----------
    path : str, os.PathLike or binary file object

    Returns
    -------
    header : dict
        Format version, versions that wrote it (``"written_by"``), estimator
        class, parameters and fitted attributes (as stored), members.

    Raises
    ------
    ModelFileError
        If the file is not a skpoe model file, or is truncated or corrupt.
    """
    name, data = _read_bytes(path)
    return _open_members(name, data)[0]


def _tables(name, members):
    """The tensors and arrays members, read without unpickling objects."""
    try:
        tensors = torch.load(io.BytesIO(members[TENSORS]), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise ModelFileError(name, "unsafe", f"member {TENSORS} {_UNSAFE}.") from None
    except Exception as exc:
        raise ModelFileError(name, "corrupt", f"member {TENSORS} cannot be read ({exc}).") from None
    if not isinstance(tensors, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in tensors.items()
    ):
        raise ModelFileError(name, "corrupt", f"member {TENSORS} is not a dict of tensors.")
    try:
        with np.load(io.BytesIO(members[ARRAYS]), allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise ModelFileError(name, "unsafe", f"member {ARRAYS} {_UNSAFE}.") from None
        raise ModelFileError(name, "corrupt", f"member {ARRAYS} cannot be read ({exc}).") from None
    except Exception as exc:
        raise ModelFileError(name, "corrupt", f"member {ARRAYS} cannot be read ({exc}).") from None
    return tensors, arrays


# -- loading --------------------------------------------------------------
def load(path, *, encoders=None, decoders=None, device=None):
    """Load an estimator saved by :meth:`~skpoe.base.BaseMultimodalVAE.save`.

    Nothing in the file is executed: weights are read as tensors only
    (``torch.load(weights_only=True)``), arrays without pickle, everything
    else as JSON, and the class is looked up among skpoe's estimators.
    Pickle and joblib files, by contrast, run code when loaded: use them
    only for files you trust, and ``save``/``load`` to share models.

    Parameters
    ----------
    path : str, os.PathLike or binary file object
    encoders, decoders : dict of str to torch.nn.Module, default=None
        Required when the model was fitted with custom networks (the
        ``encoders``/``decoders`` parameters): their weights are in the file
        but their code is not. Pass fresh instances of the same networks,
        keyed by modality, as given to the estimator; the error without them
        names the modality and the class.
    device : str or torch.device, default=None
        Where to put the loaded model (also set as its ``device``
        parameter). ``None``: the device it was saved from if present here,
        otherwise the CPU (a model saved on ``"cuda"`` loads on a CPU-only
        machine with ``device_`` set to CPU).

    Returns
    -------
    estimator : BaseMultimodalVAE
        Its ``transform``, ``predict_proba``, ``score_samples``, ``impute``
        and ``sample`` give the same results as the saved estimator's; it can
        be refitted or warm-started.

    Raises
    ------
    ModelFileError
        A ``ValueError`` naming the file and what is wrong: not a skpoe file,
        truncated, corrupt (a checksum does not match), unsafe (a member that
        would run code when unpickled), written by a newer format, naming an
        estimator that is not skpoe's, or weights whose shapes do not match
        the parameters.
    ValueError
        If custom networks are needed and not passed, or passed and not needed.
    """
    name, data = _read_bytes(path)
    header, members = _open_members(name, data)
    tensors, arrays = _tables(name, members)
    return restore(header, tensors, arrays, name, encoders, decoders, device)
