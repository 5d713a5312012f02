"""Save and load fitted estimators in a file that cannot run code when loaded.

.. warning::
   Pickle and joblib files run code when they are loaded: open them only if
   you trust whoever wrote them. To share a model, use
   :meth:`~skpoe.estimators._base.BaseMultimodalVAE.save` and :func:`load`.

A model file is a zip archive (stored, not compressed) of three members:

``skpoe.json`` (always first)
    The header: format name and version, the skpoe, torch, numpy,
    scikit-learn and Python versions that wrote it, the estimator class
    name, its parameters and fitted attributes as JSON (see
    :mod:`skpoe.persistence._state`), and the size and SHA-256 of every other member.
``tensors.pt``
    A flat dict of CPU tensors (the module's ``state_dict`` and any tensor
    attribute) written by ``torch.save`` and read by ``torch.load`` with
    ``weights_only=True``, which refuses anything but tensors and plain
    containers.
``arrays.npz``
    The numpy arrays of the fitted attributes, read with
    ``allow_pickle=False``.

The estimator class is resolved only against the classes in :mod:`skpoe.persistence.registry` and
likelihoods only against :data:`skpoe.likelihoods.LIKELIHOODS`; no name read
from a file is ever imported. Custom networks passed as ``encoders`` or
``decoders`` are the one part not stored as code: their weights are in
``tensors.pt``, and :func:`load` takes fresh instances of the same networks.
"""

from __future__ import annotations

import platform
import warnings
from typing import Any

import numpy as np
import torch
from torch import nn

from skpoe._version import __version__
from skpoe.exceptions import SkpoeWarning
from skpoe.persistence._container import (
    FORMAT_VERSION,
    open_members,
    open_model,
    source,
    write_model,
)
from skpoe.persistence._restore import restore
from skpoe.persistence._state import (
    NETWORKS,
    TAG,
    ModelFileError,
    StateEncoder,
    UnsupportedStateError,
)
from skpoe.persistence.registry import is_registered, registered_names

__all__ = ["save", "load", "read_header", "ModelFileError", "FORMAT_VERSION"]


# -- saving -------------------------------------------------------------
def _versions():
    import sklearn

    return {
        "skpoe": __version__,
        "torch": torch.__version__,
        "numpy": np.__version__,
        "scikit-learn": sklearn.__version__,
        "python": platform.python_version(),
    }


def _network_placeholder(net, where):
    if not isinstance(net, nn.Module):
        raise UnsupportedStateError(f"{where} is a {type(net).__name__}, not a torch.nn.Module.")
    cls = type(net)
    return {TAG: "network", "class": f"{cls.__module__}.{cls.__qualname__}"}


def _encode_params(estimator, encoder):
    """``(params, their JSON form)``; custom networks become placeholders naming
    their class, a RandomState becomes ``None`` (with a warning)."""
    params = estimator.get_params(deep=False)
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key in NETWORKS and isinstance(value, dict):
            out[key] = {
                m: _network_placeholder(net, f"parameter {key}[{m!r}]") for m, net in value.items()
            }
        elif key == "random_state" and isinstance(value, np.random.RandomState):
            warnings.warn(
                "random_state is a numpy RandomState instance, which cannot be saved; "
                "the file stores random_state=None (a refit draws fresh seeds). The "
                "fitted model's own seed is saved, so its outputs are unchanged.",
                SkpoeWarning,
                stacklevel=3,
            )
            out[key] = None
        elif key == "callbacks" and value:
            warnings.warn(
                f"callbacks are code, which a model file does not hold: the file stores "
                f"callbacks=None and drops {len(value)} callback(s). Pass them again with "
                "set_params(callbacks=[...]) after skpoe.load (pickle keeps them).",
                SkpoeWarning,
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

    See Also
    --------
    load : Read the file back.
    read_header : What a file holds, without loading it.

    Examples
    --------
    >>> import os, tempfile
    >>> import skpoe
    >>> from skpoe.datasets import load_digits_views
    >>> X, y = load_digits_views()
    >>> model = skpoe.MultimodalPoEVAE(max_iter=1, random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skpoe")
    >>> from skpoe.persistence import save
    >>> save(model, path)
    >>> skpoe.load(path).n_iter_
    1
    """
    cls = type(estimator)
    if not is_registered(cls):
        raise TypeError(
            f"save() writes skpoe's own estimators ({registered_names()}); "
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
    header = {
        "written_by": _versions(),
        "estimator": cls.__name__,
        "params": header_params,
        "attributes": attributes,
    }
    write_model(path, header, encoder.tensors, encoder.arrays)


def read_header(path):
    """The header of a skpoe model file, after checking the archive and its checksums.

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

    See Also
    --------
    load : Read the whole estimator.

    Examples
    --------
    >>> import os, tempfile
    >>> import skpoe
    >>> from skpoe.datasets import load_digits_views
    >>> X, y = load_digits_views()
    >>> model = skpoe.MultimodalPoEVAE(max_iter=1, random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skpoe")
    >>> from skpoe.persistence import read_header
    >>> model.save(path)
    >>> read_header(path)["estimator"]
    'MultimodalPoEVAE'
    """
    with source(path) as (name, f, size):
        return open_members(name, f, size)[0]


# -- loading --------------------------------------------------------------
def load(path, *, encoders=None, decoders=None, device=None):
    """Load an estimator saved by :meth:`~skpoe.estimators._base.BaseMultimodalVAE.save`.

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
        truncated, corrupt (a checksum does not match, a member is compressed
        or declares more data than it holds, the header is over its cap, a
        weight is NaN, infinite or beyond any fit's range), unsafe (a member
        that would run code when unpickled), written by a newer format,
        naming an estimator that is not skpoe's, or weights whose names,
        shapes or dtypes do not match the networks the parameters describe
        (checked on the ``meta`` device, before the networks are allocated).
        Memory stays bounded by the file's size (``docs/persistence.md``).
    ValueError
        If custom networks are needed and not passed, or passed and not needed.

    See Also
    --------
    save : Write an estimator to a file.
    read_header : What a file holds, without loading it.

    Examples
    --------
    >>> import os, tempfile
    >>> import skpoe
    >>> from skpoe.datasets import load_digits_views
    >>> X, y = load_digits_views()
    >>> model = skpoe.MultimodalPoEVAE(max_iter=1, random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skpoe")
    >>> model.save(path)
    >>> loaded = skpoe.load(path)
    >>> bool((loaded.transform(X) == model.transform(X)).all())
    True
    """
    name, header, tensors, arrays = open_model(path)
    return restore(header, tensors, arrays, name, encoders, decoders, device)
