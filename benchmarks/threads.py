"""Fit and inference time with one and two torch intra-op threads.

MultimodalPoEVAE on the digits halves (1,797 rows, 10% labeled) with default
networks, and with wider networks to see where a second thread starts to pay.
For each thread count (``n_threads`` parameter) the script times a fit of
``--epochs`` epochs, ``predict_proba`` and ``transform`` of all rows, and
``score_samples`` with K = 100, alternating thread counts over ``--repeats``
rounds and reporting the median. The machine's load average is recorded
with the table: on a busy machine a second thread waits for a core at every
parallel operation.

Usage::

    python benchmarks/threads.py                 # ~3 min on 2 cores
    python benchmarks/threads.py --quick         # ~30 s

The table is printed and written to ``benchmarks/results/threads.md``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings

import numpy as np
import torch

from skpoe import MultimodalPoEVAE
from skpoe.datasets import load_digits_views

HERE = os.path.dirname(os.path.abspath(__file__))

CONFIGS = [
    ("default networks (256, 256), n_components=32", {}),
    (
        "wide networks (1024, 1024), n_components=64",
        {"hidden_layer_sizes": (1024, 1024), "n_components": 64},
    ),
]


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(params, threads, X, y, epochs):
    est = MultimodalPoEVAE(
        max_iter=epochs, random_state=0, device="cpu", n_threads=threads, **params
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = _timed(lambda: est.fit(X, y))
    size = sum(p.numel() for p in est.module_.parameters())
    return size, {
        "fit": fit,
        "predict_proba": _timed(lambda: est.predict_proba(X)),
        "transform": _timed(lambda: est.transform(X)),
        "score_samples": _timed(lambda: est.score_samples(X, 100)),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="2 epochs, 1 repeat")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "threads.md"))
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.repeats = 2, 1
    X, y = load_digits_views()
    y = np.where(np.arange(len(y)) % 10 == 0, y, -1)
    load_before = os.getloadavg()
    rows = []
    for name, params in CONFIGS:
        times = {1: [], 2: []}
        size = None
        for _ in range(args.repeats):
            for threads in (1, 2):
                size, t = measure(params, threads, X, y, args.epochs)
                times[threads].append(t)
        for what in ("fit", "predict_proba", "transform", "score_samples"):
            one = statistics.median(t[what] for t in times[1])
            two = statistics.median(t[what] for t in times[2])
            rows.append((name, f"{size:,}", what, one, two, two / one))
            print(f"{name} | {what}: 1 thread {one:.3f}s, 2 threads {two:.3f}s", flush=True)
    load_after = os.getloadavg()
    command = "python benchmarks/threads.py " + " ".join(argv if argv is not None else sys.argv[1:])
    lines = [
        "# Torch threads: fit and inference time with 1 and 2 intra-op threads",
        "",
        f"Command: `{command.strip()}` (torch {torch.__version__}, {os.cpu_count()} CPU cores, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; `n_threads` sets the "
        "count during each call). MultimodalPoEVAE on the digits halves (1,797 rows, 10% "
        f"labeled), fit of {args.epochs} epochs; predict_proba, transform and score_samples "
        f"(K=100) on all rows. Median of {args.repeats} alternating rounds, seconds.",
        f"Load average (1, 5, 15 min) before: {', '.join(f'{v:.2f}' for v in load_before)}; "
        f"after: {', '.join(f'{v:.2f}' for v in load_after)}.",
        "",
        "| model | parameters | call | 1 thread, s | 2 threads, s | 2 / 1 |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {n} | {s} | {w} | {a:.3f} | {b:.3f} | {r:.2f} |" for n, s, w, a, b, r in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
