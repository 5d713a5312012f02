"""What the label terms of unlabeled rows cost: fit time per epoch with them off and on.

Side by side in one run, alternating (off, on, off, on, ...), one torch thread: MultimodalPoEVAE
with the paper's objective (``pseudo_label_weight=0, agreement_weight=0``) and with both terms,
on digits halves (10 classes, 1,347 training rows, 10% labeled, the paper's protocol), and on
the same rows with 100 classes (each digit's rows split at random into 10 sub-classes), so the
label decoder and the spreading carry 100 classes. Reported: the median seconds per epoch of
the whole fit (the neighbourhood graph and the spreading included), and the ratio.

Usage: python benchmarks/unlabeled_cost.py [--epochs 20] [--reps 3] [--out F]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
import warnings

import numpy as np
import torch
from sklearn.model_selection import train_test_split

import skpoe
from skpoe import MultimodalPoEVAE
from skpoe.datasets import hide_views_and_labels, load_digits_views

HERE = os.path.dirname(os.path.abspath(__file__))
OFF = dict(pseudo_label_weight=0.0, agreement_weight=0.0)
ON = dict(pseudo_label_weight=0.2, agreement_weight=0.2)


def data(n_classes):
    X, y = load_digits_views()
    if n_classes == 100:
        y = y * 10 + np.random.RandomState(0).randint(10, size=len(y))
    tr, _ = train_test_split(np.arange(len(y)), test_size=0.25, random_state=0)
    return hide_views_and_labels(X[tr], y[tr], labeled=0.1, missing_views=1.0, random_state=0)


def seconds_per_epoch(X, y, params, epochs):
    est = MultimodalPoEVAE(max_iter=epochs, random_state=0, n_threads=1, **params)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    return (time.perf_counter() - start) / est.n_iter_


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(HERE, "results", "unlabeled_cost.md"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    lines = [
        "# Cost of the label terms of unlabeled rows",
        "",
        f"Command: `python benchmarks/unlabeled_cost.py {' '.join(sys.argv[1:] if argv is None else argv)}`  ",
        f"skpoe {skpoe.__version__}, torch {torch.__version__}, {platform.machine()}, one thread; "
        f"{args.epochs} epochs per fit, {args.reps} alternating repeats, median seconds per epoch "
        f"of the whole fit. Off: {OFF}; on: {ON}.",
        "",
        "| classes | off (s/epoch) | on (s/epoch) | on / off |",
        "|---:|---:|---:|---:|",
    ]
    for k in (10, 100):
        X, y = data(k)
        times = {"off": [], "on": []}
        for _ in range(args.reps):
            times["off"].append(seconds_per_epoch(X, y, OFF, args.epochs))
            times["on"].append(seconds_per_epoch(X, y, ON, args.epochs))
        off, on = np.median(times["off"]), np.median(times["on"])
        lines.append(f"| {k} | {off:.3f} | {on:.3f} | {on / off:.2f} |")
        print(lines[-1], flush=True)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
