"""The estimator classes that model files may name, filled as the classes are defined.

:class:`~skpoe.estimators.BaseMultimodalVAE` registers each of skpoe's public estimator classes
from ``__init_subclass__``, so neither saving nor loading imports the estimators to look a class
up, and a new estimator needs no edit here. Files name their class by its plain name
(``"MultimodalPoEVAE"``), as every version has written it; :func:`register` takes extra names
for a class that is renamed, so that older files keep loading.
"""

from __future__ import annotations

__all__ = ["estimator_class", "is_registered", "register", "registered_names"]

_CLASSES: dict[str, type] = {}


def register(cls, *aliases):
    """Record ``cls`` under its name and ``aliases``; skpoe's own public classes only.

    Classes outside the ``skpoe`` package (a user's subclass) and private ones
    (a leading underscore) are not recorded: a model file can name only skpoe's
    estimators.
    """
    if not cls.__module__.startswith("skpoe.") or cls.__name__.startswith("_"):
        return cls
    for name in (cls.__name__, *aliases):
        known = _CLASSES.get(name)
        if known is not None and known is not cls:
            raise RuntimeError(f"Two estimator classes are registered as {name!r}.")
        _CLASSES[name] = cls
    return cls


def estimator_class(name):
    """The registered class called ``name`` in a model file, or None."""
    return _CLASSES.get(name) if isinstance(name, str) else None


def is_registered(cls):
    """Whether ``cls`` itself (not a subclass) is a registered estimator class."""
    return _CLASSES.get(getattr(cls, "__name__", "")) is cls


def registered_names():
    """The names of the registered estimator classes, sorted."""
    return sorted({cls.__name__ for cls in _CLASSES.values()})
