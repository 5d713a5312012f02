"""The per-thread state of the draws: the generator, the rows of a shard, the step's shares, a
draw source (each set by one context manager of :mod:`skpoe.noise`)."""

from __future__ import annotations

import threading

_local = threading.local()
