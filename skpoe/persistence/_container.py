"""The model file container: a zip of a JSON header and checked members.

Writing (:func:`write_model`: fixed timestamps, stored members, header
first, atomic replace of a path) and reading (:func:`open_model`, which
returns the header and the tensors and arrays only after every check:
zip structure, CRC, SHA-256 of each member, format version, and loading
tensors with ``weights_only=True`` and arrays with ``allow_pickle=False``).
Every failure is a :class:`~skpoe.persistence._state.ModelFileError` naming the file
and what is wrong.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import pickle
import uuid
import zipfile

import numpy as np
import torch

from skpoe._version import __version__
from skpoe.persistence._limits import check_header_size, check_stored, inner_zip, npz_arrays
from skpoe.persistence._state import ModelFileError

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "HEADER",
    "TENSORS",
    "ARRAYS",
    "write_model",
    "open_model",
    "source",
    "open_members",
]

FORMAT = "skpoe.model"
FORMAT_VERSION = 1
"""Version of the file layout this skpoe writes; :func:`open_model` reads up to it."""

HEADER, TENSORS, ARRAYS = "skpoe.json", "tensors.pt", "arrays.npz"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # fixed, so equal models give equal files
_UNSAFE = (
    "holds objects other than tensors and arrays, which skpoe refuses to unpickle "
    "because unpickling them could run code; the file was tampered with or was "
    "not written by skpoe"
)


def write_model(path, header, tensors, arrays):
    """Write ``header`` (a JSON-able dict) with ``tensors`` and ``arrays`` to ``path``."""
    members = {
        TENSORS: _member_bytes(lambda f, o: torch.save(o, f), tensors),
        ARRAYS: _member_bytes(lambda f, o: np.savez(f, **o), arrays),
    }
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        **header,
        "members": {
            name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in members.items()
        },
    }
    members = {HEADER: json.dumps(header, indent=1, allow_nan=False).encode(), **members}
    _write(path, _zip(members))


def _member_bytes(writer, obj):
    buf = io.BytesIO()
    writer(buf, obj)
    return buf.getvalue()


def open_model(path):
    """``(name, header, tensors, arrays)`` of a checked model file."""
    with source(path) as (name, f, size):
        header, members = open_members(name, f, size)
    tensors, arrays = _tables(name, members)
    return name, header, tensors, arrays


def _zip(members):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return buf.getvalue()


def _write(path, data):
    """Write ``data`` to a file object, or atomically to a path (temporary file, rename)."""
    if hasattr(path, "write"):
        path.write(data)
        return
    path = os.fspath(path)
    tmp = f"{path}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    try:
        with open(tmp, "xb") as f:  # created with the usual permissions
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# -- reading the container ------------------------------------------------
@contextlib.contextmanager
def source(path):
    """``(name for messages, seekable binary file, its size)`` of a path or a file object.

    A path is opened and read member by member, never as a whole; a file
    object that cannot seek is read into memory first.
    """
    if not hasattr(path, "read"):
        with open(path, "rb") as f:
            yield repr(os.fspath(path)), f, os.fstat(f.fileno()).st_size
        return
    name = getattr(path, "name", None) or repr(path)
    probe = path.read(0)
    if not isinstance(probe, bytes):
        raise TypeError(
            f"skpoe.load needs a path or a file opened in binary mode ('rb'); "
            f"{path!r} returned {type(probe).__name__}."
        )
    seekable = getattr(path, "seekable", lambda: False)()
    start = path.tell() if seekable else None
    if not seekable or start:
        data = path.read()
        yield name, io.BytesIO(data), len(data)
        return
    size = path.seek(0, os.SEEK_END)
    path.seek(0)
    yield name, path, size


def _ends(f, size):
    """The first 64 and the last 22 bytes of ``f``, for the messages about bad files."""
    f.seek(0)
    head = f.read(64)
    f.seek(max(size - 22, 0))
    return head, f.read(22)


def _starts_as_model(head):
    """Whether ``head`` begins like a model file (a zip whose first member is the header)."""
    name = HEADER.encode()
    return head[:4] == b"PK\x03\x04"[: len(head[:4])] and name.startswith(head[30 : 30 + len(name)])


def _not_a_zip(name, f, size):
    """The error for a file that does not open as a zip archive."""
    if not size:
        return ModelFileError(name, "truncated", "the file is empty.")
    head, end = _ends(f, size)
    if _starts_as_model(head):
        # the end-of-archive record we write is the last 22 bytes; a file cut
        # short ends elsewhere, so its last 22 bytes do not start with it
        if size >= 22 and sum(a == b for a, b in zip(end[:4], b"PK\x05\x06")) >= 3:
            return ModelFileError(
                name,
                "corrupt",
                "the file is corrupt: it starts as a skpoe model file but the zip "
                "directory at its end is damaged.",
            )
        return ModelFileError(
            name,
            "truncated",
            f"the file is truncated: it starts as a skpoe model file but its end (the zip "
            f"directory) is missing after {size} bytes. It was probably cut short "
            "while being copied or written; copy or save it again.",
        )
    if head[:1] == b"\x80":
        return ModelFileError(
            name,
            "not_skpoe",
            "this is a pickle file (as written by pickle, joblib or torch.save), not a "
            "skpoe model file. Pickle files run code when loaded: open them with "
            "joblib.load only if you trust whoever wrote them.",
        )
    return ModelFileError(
        name,
        "not_skpoe",
        "not a skpoe model file (it is not a zip archive starting with skpoe.json); "
        "skpoe model files are written by estimator.save(path).",
    )


def open_members(name, f, size):
    """The header (a dict) and the other members' bytes, checked against it.

    ``f`` is a seekable binary file of ``size`` bytes. Nothing is read
    before the zip directory shows that no member expands beyond its stored
    size and that the header is within its cap.
    """
    try:
        zf = zipfile.ZipFile(f)
        names = zf.namelist()
    except Exception:
        raise _not_a_zip(name, f, size) from None
    if HEADER not in names and _starts_as_model(_ends(f, size)[0]):
        raise ModelFileError(
            name,
            "corrupt",
            f"the file is corrupt: it starts with {HEADER} but its zip directory does not list it.",
        )
    if HEADER not in names:
        raise ModelFileError(
            name,
            "not_skpoe",
            f"a zip archive without {HEADER}, so not a skpoe model file (a torch.save "
            "file is a zip archive too); skpoe model files are written by estimator.save(path).",
        )
    if len(set(names)) != len(names):
        raise ModelFileError(name, "corrupt", "the archive lists a member twice (tampered with).")
    check_stored(name, zf, "the file", size)  # no member can expand beyond the file's own size
    check_header_size(name, zf.getinfo(HEADER))
    header = _parse_header(name, _read_member(name, zf, HEADER))
    listed = header["members"]
    if set(names) != {HEADER, *listed}:
        raise ModelFileError(
            name,
            "corrupt",
            f"the archive holds {sorted(names)} but the header lists {sorted(listed)} "
            "besides skpoe.json (damaged or tampered with).",
        )
    members = {}
    for member, meta in listed.items():
        raw = _read_member(name, zf, member)
        if not isinstance(meta, dict) or hashlib.sha256(raw).hexdigest() != meta.get("sha256"):
            raise ModelFileError(
                name,
                "corrupt",
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
            name,
            "corrupt",
            f"member {member} cannot be read, the file is corrupt ({type(exc).__name__}: {exc}).",
        ) from None


def _parse_header(name, raw):
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ModelFileError(name, "corrupt", f"{HEADER} is not valid JSON ({exc}).") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ModelFileError(
            name,
            "not_skpoe",
            f"{HEADER} does not describe a skpoe model (format is not {FORMAT!r}).",
        )
    version = header.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ModelFileError(name, "corrupt", f"{HEADER} has no valid format_version.")
    if version > FORMAT_VERSION:
        written = header.get("written_by")
        by = written.get("skpoe", "?") if isinstance(written, dict) else "?"
        raise ModelFileError(
            name,
            "newer_format",
            f"it was written by skpoe {by} with format {version}; this version of skpoe "
            f"({__version__}) reads formats up to {FORMAT_VERSION}. Upgrade skpoe "
            "(pip install -U skpoe) to load it.",
        )
    for key, kind in (
        ("estimator", str),
        ("params", dict),
        ("attributes", dict),
        ("members", dict),
    ):
        if not isinstance(header.get(key), kind):
            raise ModelFileError(name, "corrupt", f"{HEADER} has no valid {key!r} entry.")
    return header


def _tables(name, members):
    """The tensors and arrays members, read without unpickling objects.

    Both are zip archives themselves; their members are checked as the
    file's are (:mod:`skpoe.persistence._limits`) before torch or numpy reads them.
    """
    if members[TENSORS][:1] == b"\x80":  # a bare pickle, not the zip torch.save writes
        raise ModelFileError(name, "unsafe", f"member {TENSORS} {_UNSAFE}.")
    inner_zip(name, members[TENSORS], TENSORS)
    try:
        tensors = torch.load(io.BytesIO(members[TENSORS]), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        raise ModelFileError(name, "unsafe", f"member {TENSORS} {_UNSAFE}.") from None
    except Exception as exc:
        raise ModelFileError(
            name, "corrupt", f"member {TENSORS} cannot be read ({type(exc).__name__}: {exc})."
        ) from None
    if not isinstance(tensors, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in tensors.items()
    ):
        raise ModelFileError(name, "corrupt", f"member {TENSORS} is not a dict of tensors.")
    try:
        arrays = npz_arrays(name, members[ARRAYS], ARRAYS)
    except ModelFileError:
        raise
    except ValueError as exc:
        if "allow_pickle" in str(exc):
            raise ModelFileError(name, "unsafe", f"member {ARRAYS} {_UNSAFE}.") from None
        raise ModelFileError(
            name, "corrupt", f"member {ARRAYS} cannot be read ({type(exc).__name__}: {exc})."
        ) from None
    except Exception as exc:
        raise ModelFileError(
            name, "corrupt", f"member {ARRAYS} cannot be read ({type(exc).__name__}: {exc})."
        ) from None
    return tensors, arrays
