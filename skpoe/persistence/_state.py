"""Estimator state as JSON plus tensors and arrays, and back.

:class:`StateEncoder` turns Python values into JSON-able data; tensors and
numpy arrays go to side tables (saved by :mod:`skpoe.persistence._files` in formats
that cannot run code when read) and are referenced by key. Types JSON lacks
are tagged objects ``{"__skpoe__": tag, ...}``. :func:`decode` inverts it.
Only the types listed in :class:`StateEncoder` are supported; anything else
raises :class:`UnsupportedStateError` naming where it was found, so no
object is ever rebuilt from a name read from a file (skpoe's likelihoods
excepted, resolved against :data:`skpoe.likelihoods.LIKELIHOODS`).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from skpoe.likelihoods import LIKELIHOODS, Likelihood, likelihood_from_state

__all__ = [
    "StateEncoder",
    "UnsupportedStateError",
    "StateDecodeError",
    "ModelFileError",
    "decode",
    "TAG",
    "NETWORKS",
]

TAG = "__skpoe__"
NETWORKS = ("encoders", "decoders")
"""Parameters holding user networks: saved as weights only, passed again at load."""


class UnsupportedStateError(TypeError):
    """A parameter or fitted attribute of a type that cannot be saved."""


class StateDecodeError(ValueError):
    """Saved state that does not decode (tampered with or damaged)."""


class ModelFileError(ValueError):
    """A file :func:`load` cannot read, with the file and what is wrong.

    Parameters
    ----------
    path : str
        The file (or a description of the file object).
    kind : str
        What is wrong, one of the kinds below.
    message : str
        The explanation, shown after the file name.

    Attributes
    ----------
    path : str
        The file (or a description of the file object).
    kind : str
        ``"not_skpoe"``, ``"truncated"``, ``"corrupt"``, ``"unsafe"``,
        ``"newer_format"``, ``"unknown_estimator"`` or ``"mismatch"``.

    See Also
    --------
    skpoe.load : Raises it.

    Examples
    --------
    >>> import os, tempfile
    >>> import skpoe
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skpoe")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(b"not a model")
    >>> try:
    ...     skpoe.load(path)
    ... except skpoe.ModelFileError as error:
    ...     print(error.kind)
    not_skpoe
    """

    def __init__(self, path, kind, message):
        super().__init__(f"Cannot load {path}: {message}")
        self.path = path
        self.kind = kind
        self.message = message

    def __reduce__(self):
        return type(self), (self.path, self.kind, self.message)


class StateEncoder:
    """Encode values to JSON-able data, collecting tensors and arrays.

    Supported: ``None``, bool, int, float (also NaN and infinities), str,
    list, tuple, dict (any keys of these types), slice, numpy scalars and
    arrays (string arrays of dtype object included), torch tensors,
    ``torch.device`` and skpoe's likelihoods.

    Attributes
    ----------
    tensors : dict of str to torch.Tensor
        Tensors found, detached and on the CPU, by key.
    arrays : dict of str to numpy.ndarray
        Numeric and fixed-width string arrays found, by key.
    """

    def __init__(self):
        self.tensors = {}
        self.arrays = {}

    def add_tensor(self, tensor, key=None):
        """Store ``tensor`` (on the CPU) under ``key`` (default: a new one); return the key."""
        key = f"t{len(self.tensors)}" if key is None else key
        if key in self.tensors:
            raise ValueError(f"tensor key {key!r} used twice")
        self.tensors[key] = tensor.detach().cpu().contiguous().clone()
        return key

    def __call__(self, value, where):
        """JSON-able form of ``value``; ``where`` names it in error messages."""
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, np.generic):
            return {TAG: "numpy", "dtype": value.dtype.str, "value": self(value.item(), where)}
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value) if math.isfinite(value) else {TAG: "float", "value": repr(value)}
        if isinstance(value, list):
            return [self(v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, tuple):
            return {TAG: "tuple", "items": [self(v, f"{where}[{i}]") for i, v in enumerate(value)]}
        if isinstance(value, dict):
            if all(isinstance(k, str) for k in value) and TAG not in value:
                return {k: self(v, f"{where}[{k!r}]") for k, v in value.items()}
            return {
                TAG: "dict",
                "items": [
                    [self(k, f"{where} key {k!r}"), self(v, f"{where}[{k!r}]")]
                    for k, v in value.items()
                ],
            }
        if isinstance(value, slice):
            parts = [self(v, where) for v in (value.start, value.stop, value.step)]
            return {TAG: "slice", "items": parts}
        if isinstance(value, np.ndarray):
            return self._array(value, where)
        if isinstance(value, torch.Tensor):
            return {TAG: "tensor", "key": self.add_tensor(value)}
        if isinstance(value, torch.device):
            return {TAG: "device", "value": str(value)}
        if isinstance(value, Likelihood):
            if LIKELIHOODS.get(value.name) is not type(value):
                raise UnsupportedStateError(
                    f"{where} is a {type(value).__name__}, a likelihood that is not "
                    f"one of skpoe's own ({sorted(LIKELIHOODS)}); it cannot be saved."
                )
            return {TAG: "likelihood", "state": self(value.get_state(), where)}
        raise self._unsupported(value, where)

    def _array(self, value, where):
        if value.dtype == object:
            if not all(isinstance(v, str) for v in value.flat):
                raise UnsupportedStateError(
                    f"{where} is a numpy array of dtype object holding values other "
                    "than str; skpoe can save numeric, bool and string arrays only."
                )
            return {
                TAG: "object_array",
                "shape": list(value.shape),
                "items": value.ravel().tolist(),
            }
        if value.dtype.kind not in "biufcUS" or value.dtype.fields is not None:
            raise UnsupportedStateError(
                f"{where} is a numpy array of dtype {value.dtype}, which skpoe cannot save."
            )
        key = f"a{len(self.arrays)}"
        self.arrays[key] = value
        return {TAG: "ndarray", "key": key}

    @staticmethod
    def _unsupported(value, where):
        return UnsupportedStateError(
            f"{where} is a {type(value).__module__}.{type(value).__qualname__}, which "
            "skpoe cannot save: supported are None, bool, int, float, str, lists, "
            "tuples, dicts, slices, numpy arrays and scalars, torch tensors, "
            "torch.device and skpoe likelihoods."
        )


def _expect(cond, what):
    if not cond:
        raise StateDecodeError(what)


def decode(node, tensors, arrays, where="state"):
    """Invert :class:`StateEncoder` given its ``tensors`` and ``arrays`` tables.

    Raises
    ------
    StateDecodeError
        If ``node`` is not something the encoder writes.
    """
    if node is None or isinstance(node, (bool, str, int, float)):
        return node
    if isinstance(node, list):
        return [decode(v, tensors, arrays, f"{where}[{i}]") for i, v in enumerate(node)]
    _expect(isinstance(node, dict), f"{where}: unexpected JSON value {node!r}")
    if TAG not in node:
        return {k: decode(v, tensors, arrays, f"{where}[{k!r}]") for k, v in node.items()}
    tag = node[TAG]
    try:
        return _DECODERS[tag](node, tensors, arrays, where)
    except StateDecodeError:
        raise
    except (KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise StateDecodeError(
            f"{where}: bad {tag!r} entry ({type(exc).__name__}: {exc})"
        ) from None


def _items(node, tensors, arrays, where):
    _expect(isinstance(node["items"], list), f"{where}: items must be a list")
    return [decode(v, tensors, arrays, f"{where}[{i}]") for i, v in enumerate(node["items"])]


def _float(node, *_):
    _expect(node["value"] in ("nan", "inf", "-inf"), f"bad float {node['value']!r}")
    return float(node["value"])


def _numpy(node, tensors, arrays, where):
    value = decode(node["value"], tensors, arrays, where)
    _expect(isinstance(value, (bool, int, float, complex, str)), f"{where}: bad numpy scalar")
    dtype = np.dtype(node["dtype"])
    # a scalar's dtype is as wide as its value, so a tampered one cannot allocate more
    width = 4 * len(value) + 4 if isinstance(value, str) else 32
    _expect(
        dtype.kind in "biufcUS" and dtype.itemsize <= width,
        f"{where}: bad numpy scalar dtype {dtype}",
    )
    return np.array(value, dtype=dtype)[()]


def _dict(node, tensors, arrays, where):
    items = _items(node, tensors, arrays, where)
    _expect(all(isinstance(kv, list) and len(kv) == 2 for kv in items), f"{where}: bad items")
    return {k: v for k, v in items}


def _table(table, kind):
    def get(node, tensors, arrays, where):
        source = tensors if table == "tensors" else arrays
        _expect(node["key"] in source, f"{where}: the {kind} {node['key']!r} is missing")
        return source[node["key"]]

    return get


def _object_array(node, tensors, arrays, where):
    items = node["items"]
    _expect(
        isinstance(items, list) and all(isinstance(v, str) for v in items),
        f"{where}: a string array must hold strings",
    )
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out.reshape(node["shape"])


def _likelihood(node, tensors, arrays, where):
    return likelihood_from_state(decode(node["state"], tensors, arrays, where))


_DECODERS = {
    "float": _float,
    "numpy": _numpy,
    "tuple": lambda node, t, a, w: tuple(_items(node, t, a, w)),
    "dict": _dict,
    "slice": lambda node, t, a, w: slice(*_items(node, t, a, w)),
    "tensor": _table("tensors", "tensor"),
    "ndarray": _table("arrays", "array"),
    "object_array": _object_array,
    "device": lambda node, *_: torch.device(node["value"]),
    "likelihood": _likelihood,
}
