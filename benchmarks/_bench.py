"""Helpers shared by ``flops.py`` and ``scaling.py``: data, timing, reports."""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

from skpoe import ModalityDict  # noqa: E402


def machine_line(threads):
    """One line naming torch, the CPU, the thread count and the load."""
    return (
        f"torch {torch.__version__} ({torch.backends.cpu.get_cpu_capability()}), "
        f"{platform.machine()}, {os.cpu_count()} CPUs visible, "
        f"`torch.set_num_threads({threads})`, load average at start {os.getloadavg()[0]:.2f}, "
        f"{time.strftime('%Y-%m-%d %H:%M')} UTC"
    )


def digits_rows(n, n_views=2, seed=0, label_every=10):
    """``n`` rows of digits (tiled, with jitter beyond 1,797) in ``n_views``
    vertical strips of the 64 pixels, every ``label_every``-th row labeled."""
    from sklearn.datasets import load_digits

    images, labels = load_digits(return_X_y=True)
    rng = np.random.RandomState(seed)
    idx = np.resize(rng.permutation(len(images)), n)
    X = (images[idx] / 16.0).astype(np.float32)
    if n > len(images):
        X = np.clip(X + rng.normal(0, 0.05, X.shape).astype(np.float32), 0, 1)
    cols = np.array_split(np.arange(64), n_views)
    views = ModalityDict({f"v{i}": X[:, c] for i, c in enumerate(cols)})
    y = np.where(np.arange(n) % label_every == 0, labels[idx], -1)
    return views, y


def wide_rows(n, n_views, n_features, seed=0, label_every=10):
    """``n`` rows of ``n_views`` views of ``n_features`` [0, 1] features each
    (independent uniform noise; the cost does not depend on the values)."""
    rng = np.random.RandomState(seed)
    views = ModalityDict(
        {f"v{i}": rng.rand(n, n_features).astype(np.float32) for i in range(n_views)}
    )
    y = np.where(np.arange(n) % label_every == 0, rng.randint(0, 10, n), -1)
    return views, y


def best_time(fn, repeats=3):
    """Best wall seconds of ``repeats`` calls of ``fn`` (after one warm-up call)."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def peak_rss_mb():
    """Peak resident memory of this process so far, MiB.

    Linux's ``VmHWM`` (reset by ``exec``; ``ru_maxrss`` is not, so a child
    process would report its parent's peak); ``ru_maxrss`` elsewhere.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class Report:
    """Lines printed as they come and written to a markdown file."""

    def __init__(self, path, title, command):
        self.path = Path(path)
        self.lines = []
        self.emit(f"# {title}")
        self.emit()
        self.emit(f"- command: `{command}`")

    def emit(self, line=""):
        print(line, flush=True)
        self.lines.append(line)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("\n".join(self.lines) + "\n")

    def table(self, header):
        self.emit("| " + " | ".join(header) + " |")
        self.emit("|" + "---|" * len(header))

    def row(self, cells):
        self.emit("| " + " | ".join(str(c) for c in cells) + " |")
