"""Fit time with standardized views encoded whole against one minibatch at a time.

On the CPU, in-memory views whose encoded copy exceeds
``skpoe.train.lazy.STREAM_COPY_BYTES`` (Gaussian views, for one: their
standardized float32 inputs are a copy of the data) are encoded per minibatch
instead of once, so a fit holds no copy of them. This script fits the same
Gaussian views both ways, alternating, side by side in one run: the limit set
above the copy ("whole") and to 0 ("streamed"). It checks that the loss
curves are equal bit for bit and reports the best of ``--reps`` fit times.

Usage: python benchmarks/streamed_fit.py [--rows 50000] [--features 32]
[--batch-sizes 64 1024] [--epochs 2] [--reps 3] [--output FILE]
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np
import torch
from _bench import HERE, machine_line, wide_rows

import skpoe.train.lazy as lazy
from skpoe import MultimodalPoEVAE


def fit_seconds(X, y, batch_size, epochs, limit):
    lazy.STREAM_COPY_BYTES = limit
    est = MultimodalPoEVAE(
        likelihoods="gaussian",
        max_iter=epochs,
        batch_size=batch_size,
        pseudo_label_weight=0.0,
        agreement_weight=0.0,
        random_state=0,
        device="cpu",
    )
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    return time.perf_counter() - t0, list(est.loss_curve_)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--features", type=int, default=32)
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[64, 1024])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--output", default=str(HERE / "results" / "streamed_fit.md"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    X, y = wide_rows(args.rows, 2, args.features)
    copy_mib = sum(v.nbytes for v in X.values()) / 2**20
    rows = []
    for bs in args.batch_sizes:
        whole, streamed = [], []
        for _ in range(args.reps):  # alternate, so that load changes hit both
            t, curve_whole = fit_seconds(X, y, bs, args.epochs, 2**62)
            whole.append(t)
            t, curve_streamed = fit_seconds(X, y, bs, args.epochs, 0)
            streamed.append(t)
        same = np.array_equal(curve_whole, curve_streamed)
        rows.append(
            f"| {bs} | {min(whole):.2f} | {min(streamed):.2f} | "
            f"{min(streamed) / min(whole):.3f} | {'yes' if same else 'NO'} |"
        )
        print(rows[-1], flush=True)
    command = "python benchmarks/streamed_fit.py " + " ".join(sys.argv[1:])
    text = "\n".join(
        [
            "# Fit time: standardized views encoded whole or one minibatch at a time",
            "",
            f"- command: `{command.strip()}`",
            f"- {machine_line(1)}",
            f"- {args.rows:,} rows, two Gaussian views of {args.features} features "
            f"(encoded copy {copy_mib:.0f} MiB), 10% labeled, {args.epochs} epochs, no "
            f"unlabeled-row label terms; best of {args.reps} fits each, alternating",
            "",
            "| batch | whole s | streamed s | streamed / whole | same loss curve |",
            "|---:|---:|---:|---:|---|",
            *rows,
            "",
        ]
    )
    with open(args.output, "w") as f:
        f.write(text)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
