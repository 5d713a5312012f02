"""Parameters given for every modality at once or as a dict by modality name."""

from __future__ import annotations

import numbers

from skpoe.data._validation import LABEL

__all__ = ["hidden_sizes", "per_modality"]


def per_modality(param, names, kind, default):
    """Expand a parameter given for all modalities or as a dict per name."""
    if isinstance(param, dict):
        unknown = [k for k in param if k not in names]
        if unknown:
            raise ValueError(
                f"{kind} names modalities {unknown} that are not in X (modalities: {list(names)})."
            )
        return [param.get(n, default) for n in names]
    return [param if param is not None else default] * len(names)


def hidden_sizes(param, names, default, label_default):
    """Hidden layer sizes per modality from ``hidden_layer_sizes``.

    Modalities a dict leaves out get ``default``; the label gets
    ``label_default`` unless the dict names :data:`LABEL`.
    """

    def norm(h, name):
        if isinstance(h, numbers.Integral):
            h = (h,)
        try:
            h = tuple(int(v) for v in h)
        except TypeError:
            raise ValueError(
                f"hidden_layer_sizes for {name!r} must be an int or a sequence of ints, got {h!r}."
            ) from None
        if any(v < 1 for v in h):
            raise ValueError(f"hidden_layer_sizes for {name!r} must be positive, got {h}.")
        return h

    sizes = per_modality(param, names, "hidden_layer_sizes", default)
    named = isinstance(param, dict) and LABEL in param
    if LABEL in names and not named:
        sizes[names.index(LABEL)] = label_default
    return [norm(h, n) for h, n in zip(sizes, names)]
