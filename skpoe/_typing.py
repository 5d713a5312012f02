"""Type aliases of the public API (for annotations only; nothing here runs at fit time)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np

#: Views as the estimators take them: a dict of 2-D arrays (numpy, pandas, torch, sparse,
#: on-disk) keyed by modality name, a :class:`~skpoe.ModalityDict`, a list of views, or one
#: 2-D array split by the ``modalities`` parameter.
ViewsLike: TypeAlias = "Mapping[str, Any] | Sequence[Any] | np.ndarray | Any"

#: Partial labels: integers or strings, ``-1`` / NaN / None for unlabeled rows.
LabelsLike: TypeAlias = "Sequence[Any] | np.ndarray | Any"

#: A seed, a ``numpy.random.RandomState`` or ``None``.
RandomStateLike: TypeAlias = "int | np.random.RandomState | None"

__all__ = ["LabelsLike", "RandomStateLike", "ViewsLike"]
