"""Rebuild an estimator from a checked model file's header, tensors and arrays.

Used by :func:`skpoe.persistence._files.load` once the container is read and its
checksums match: resolves the estimator class among skpoe's own, decodes the
parameters (custom networks come from the caller), sets the fitted
attributes, checks them against each other, rebuilds the torch module from
the parameters and loads the saved weights into it, checking every shape.
"""

from __future__ import annotations

import copy
import warnings

import torch
from torch import nn

from skpoe.data._validation import LABEL
from skpoe.exceptions import SkpoeWarning
from skpoe.models.acceleration import resolve_device
from skpoe.persistence._limits import check_weights
from skpoe.persistence._state import NETWORKS, TAG, ModelFileError, StateDecodeError, decode
from skpoe.persistence.registry import estimator_class, registered_names

__all__ = ["restore"]

_MODULE_PREFIX = "module_/"


def _estimator_class(header, name):
    cls = estimator_class(header["estimator"])
    if cls is None:
        raise ModelFileError(
            name,
            "unknown_estimator",
            f"it names the estimator {header['estimator']!r}, which is not one of skpoe's "
            f"({registered_names()}); skpoe loads only its own estimators and never imports a "
            "name read from a file.",
        )
    return cls


def _decoded(node, tensors, arrays, name, where):
    try:
        return decode(node, tensors, arrays, where)
    except StateDecodeError as exc:
        raise ModelFileError(name, "corrupt", f"the saved state does not decode: {exc}.") from None
    except RecursionError:
        raise ModelFileError(name, "corrupt", f"{where} is nested too deeply to decode.") from None


def _placeholders(kind, node, name):
    """``{modality: class name}`` of the custom networks saved in parameter ``kind``."""
    if node is None:
        return {}
    if not isinstance(node, dict) or TAG in node:
        raise ModelFileError(name, "corrupt", f"parameter {kind} is neither None nor a dict.")
    needed = {}
    for m, placeholder in node.items():
        if not (isinstance(placeholder, dict) and placeholder.get(TAG) == "network"):
            raise ModelFileError(name, "corrupt", f"parameter {kind}[{m!r}] is not a network.")
        needed[m] = str(placeholder.get("class"))
    return needed


def _networks(header, given, name):
    """The ``encoders`` and ``decoders`` parameters, taken from the caller."""
    needed = {kind: _placeholders(kind, header["params"].get(kind), name) for kind in NETWORKS}
    given = {kind: {} if given[kind] is None else given[kind] for kind in NETWORKS}
    for kind in NETWORKS:
        if not isinstance(given[kind], dict):
            raise TypeError(
                f"{kind} must be a dict of modality name to torch.nn.Module, "
                f"got {type(given[kind]).__name__}."
            )
    missing = {k: [m for m in needed[k] if m not in given[k]] for k in NETWORKS}
    if any(missing.values()):
        what = "; ".join(
            f"a custom {k[:-1]} for modality {m!r} (class {needed[k][m]})"
            for k in NETWORKS
            for m in missing[k]
        )
        call = ", ".join(
            f"{k}={{{', '.join(f'{m!r}: ...' for m in needed[k])}}}" for k in NETWORKS if needed[k]
        )
        raise ValueError(
            f"{name} was fitted with {what}; the file holds their weights but not their "
            f"code. Pass fresh instances of the same networks: skpoe.load(path, {call})."
        )
    for kind in NETWORKS:
        extra = [m for m in given[kind] if m not in needed[kind]]
        if extra:
            raise ValueError(
                f"{kind} were passed for modalities {extra}, but the model in {name} has no "
                f"custom {kind[:-1]} for them (custom {kind}: {sorted(needed[kind]) or 'none'})."
            )
        for m, net in given[kind].items():
            if not isinstance(net, nn.Module):
                raise TypeError(
                    f"{kind}[{m!r}] must be a torch.nn.Module, got {type(net).__name__}."
                )
            got = f"{type(net).__module__}.{type(net).__qualname__}"
            if got != needed[kind][m]:
                warnings.warn(
                    f"{kind}[{m!r}] is a {got}, but the model was saved with a "
                    f"{needed[kind][m]}; loading its weights into it anyway.",
                    SkpoeWarning,
                    stacklevel=4,
                )
    return {kind: dict(given[kind]) if needed[kind] else None for kind in NETWORKS}


def _params(cls, header, tensors, arrays, name, networks):
    params = _networks(header, networks, name)
    for key, node in header["params"].items():
        if key not in NETWORKS:
            params[key] = _decoded(node, tensors, arrays, name, f"parameter {key!r}")
    try:
        return cls(**params)
    except TypeError as exc:
        written = header.get("written_by")
        by = written.get("skpoe", "?") if isinstance(written, dict) else "?"
        raise ModelFileError(
            name,
            "mismatch",
            f"its parameters do not fit {cls.__name__} in this version of skpoe ({exc}); "
            f"it was written by skpoe {by}.",
        ) from None


def _check_fitted(est, name):
    """The fitted metadata the networks are built from must agree."""
    try:
        names = list(est.modalities_) + ([LABEL] if est.supervised_ else [])
        liks = est.likelihoods_
        problem = None
        if list(liks) != names:
            problem = f"likelihoods_ has modalities {list(liks)}, expected {names}"
        elif any(est.n_features_per_modality_[m] != liks[m].n_features_ for m in est.modalities_):
            problem = "n_features_per_modality_ does not match the likelihoods' n_features_"
        elif est.supervised_ and len(est.classes_) != liks[LABEL].n_categories_[0]:
            problem = f"{len(est.classes_)} classes_ but a label likelihood of another size"
    except (AttributeError, KeyError, TypeError, IndexError) as exc:
        problem = f"fitted attributes are missing or malformed ({type(exc).__name__}: {exc})"
    if problem:
        raise ModelFileError(name, "mismatch", f"the fitted metadata is inconsistent: {problem}.")


def _describe(est):
    return (
        f"n_components={est.n_components!r}, hidden_layer_sizes={est.hidden_layer_sizes!r}, "
        f"features per modality {getattr(est, 'n_features_per_modality_', None)}"
    )


def _build(est, name, device=None):
    """The module the parameters describe; on the ``meta`` device it takes no memory."""
    try:
        with torch.random.fork_rng(devices=[]):  # leave the caller's random state alone
            if device is None:
                return est._new_module(list(est.likelihoods_.values()))
            shell = copy.copy(est)  # the caller's custom networks, copied to ``device``
            for kind in NETWORKS:
                nets = getattr(est, kind)
                if isinstance(nets, dict):
                    setattr(shell, kind, {m: copy.deepcopy(n).to(device) for m, n in nets.items()})
            with torch.device(device):
                return shell._new_module(list(est.likelihoods_.values()))
    except Exception as exc:
        raise ModelFileError(
            name,
            "mismatch",
            f"the networks cannot be rebuilt from the saved parameters ({_describe(est)}): "
            f"{type(exc).__name__}: {exc}",
        ) from None


def _module(est, node, tensors, name):
    """The torch module built from the parameters, holding the saved weights.

    The architecture is first built on the ``meta`` device (shapes and dtypes,
    no memory) and every saved weight checked against it, so the real
    networks, built last, are never larger than the weights the file holds.
    """
    if not isinstance(node, dict) or node.get("class") != est._module_class.__name__:
        raise ModelFileError(
            name, "mismatch", f"module_ is not the {est._module_class.__name__} of this estimator."
        )
    shell = _build(est, name, "meta")
    expected = shell.state_dict()
    parameters = {key for key, _ in shell.named_parameters()}
    state = {
        k[len(_MODULE_PREFIX) :]: v for k, v in tensors.items() if k.startswith(_MODULE_PREFIX)
    }
    hint = (
        " If you passed encoders or decoders, they must be the networks the model was saved with."
    )
    if set(state) != set(expected):
        missing = sorted(set(expected) - set(state))[:3]
        unexpected = sorted(set(state) - set(expected))[:3]
        raise ModelFileError(
            name,
            "mismatch",
            f"the saved weights do not fit the networks built from its parameters ({_describe(est)}): "
            f"missing {missing}, unexpected {unexpected}.{hint}",
        )
    for key, ref in expected.items():
        got = state[key]
        if got.shape != ref.shape or got.dtype != ref.dtype:
            raise ModelFileError(
                name,
                "mismatch",
                f"weight {key} has shape {tuple(got.shape)} ({got.dtype}) in the file, but the "
                f"parameters ({_describe(est)}) give {tuple(ref.shape)} ({ref.dtype}).{hint}",
            )
    check_weights(name, state, parameters)
    del shell, expected
    module = _build(est, name)
    module.load_state_dict(state)
    return module.eval()


def _available(device):
    if device.type == "cpu":
        return True
    if device.type == "cuda":
        return torch.cuda.is_available() and (device.index or 0) < torch.cuda.device_count()
    if device.type == "mps":
        return torch.backends.mps.is_available()
    return False


def restore(header, tensors, arrays, name, encoders=None, decoders=None, device=None):
    """The estimator described by a checked file; see :func:`skpoe.persistence._files.load`."""
    cls = _estimator_class(header, name)
    est = _params(cls, header, tensors, arrays, name, {"encoders": encoders, "decoders": decoders})
    target = None
    if device is not None:
        target = resolve_device(device)
        est.set_params(device=device)
    params = est.get_params(deep=False)
    attributes = dict(header["attributes"])
    module_node = attributes.pop("module_", None)
    for key, node in attributes.items():
        if (
            not (key.isidentifier() and (key.startswith("_") or key.endswith("_")))
            or key.startswith("__")
            or key in params
            or hasattr(cls, key)
        ):
            raise ModelFileError(name, "corrupt", f"{key!r} is not a fitted attribute name.")
        setattr(est, key, _decoded(node, tensors, arrays, name, f"attribute {key}"))
    if module_node is not None:
        _check_fitted(est, name)
        module = _module(est, module_node, tensors, name)
        if target is None:
            saved = getattr(est, "device_", None)
            target = saved if isinstance(saved, torch.device) and _available(saved) else None
        target = target or torch.device("cpu")
        est.module_ = module.to(target)
        est.device_ = target
    return est
