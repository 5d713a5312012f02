"""Accuracy against training time for every estimator: how fast each model
reaches a given label accuracy, and its best accuracy.

Digits halves (or three strips), a stratified split per seed, ``--labeled``
of the training rows labeled with every view, the other rows keeping one view
(the paper's protocol). Each estimator, with its default parameters, is
trained in chunks of ``--chunk`` epochs (``warm_start=True``; Adam restarts at
each chunk) up to ``--epochs``; after each chunk the label accuracy on the
test rows from each single view and from all views is measured (evaluation
time excluded). Reported per model, mean over seeds: the accuracy curve, the
fit seconds and epochs to first reach ``--target`` (mean single-view accuracy)
and the best mean single-view accuracy with its epoch.

Usage: python benchmarks/convergence.py [--data digits-halves] [--seeds 3]
       [--epochs 100] [--chunk 5] [--target 0.75] [--out F]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import torch
from sklearn.model_selection import train_test_split

import skpoe
from skpoe.datasets import hide_views_and_labels, load_digits_views

HERE = os.path.dirname(os.path.abspath(__file__))


def curve(Estimator, X, y, seed, args):
    idx = np.arange(len(y))
    tr, te = train_test_split(idx, test_size=0.25, stratify=y, random_state=seed)
    X_h, y_h = hide_views_and_labels(
        X[tr], y[tr], labeled=args.labeled, missing_views=1.0, random_state=seed
    )
    X_te, y_te = X[te], y[te]
    model = Estimator(max_iter=args.chunk, warm_start=True, random_state=seed, device="cpu")
    points, fit_s = [], 0.0
    for _ in range(args.epochs // args.chunk):
        t0 = time.perf_counter()
        model.fit(X_h, y_h)
        fit_s += time.perf_counter() - t0
        single = np.mean([np.mean(model.predict({v: X_te[v]}) == y_te) for v in X_te])
        both = np.mean(model.predict(X_te) == y_te)
        points.append((model.n_iter_, fit_s, single, both))
    return np.array(points)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data", default="digits-halves", choices=["digits-halves", "digits-3strips"]
    )
    parser.add_argument("--models", nargs="+", default=[E.__name__ for E in skpoe.ESTIMATORS])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--labeled", type=float, default=0.1)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--chunk", type=int, default=5)
    parser.add_argument("--target", type=float, default=0.75)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    X, y = load_digits_views(2 if args.data == "digits-halves" else 3)
    lines = [
        f"# Convergence: label accuracy against training time ({args.data})",
        "",
        f"Command: `python benchmarks/convergence.py {' '.join(sys.argv[1:] if argv is None else argv)}`  ",
        f"skpoe {skpoe.__version__}, torch {torch.__version__}, 1 thread; labeled "
        f"{args.labeled:g}, unlabeled rows keep one view; default parameters; "
        f"chunks of {args.chunk} epochs; mean over {args.seeds} seeds. 'single' = mean "
        "accuracy from one view, 'all' = from every view.",
        "",
        f"| model | epochs to single >= {args.target} | seconds to it | best single (epoch) "
        "| all at that epoch | single at last epoch | all at last epoch |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    curves_md = [
        "",
        "Mean single-view accuracy after each chunk:",
        "",
        "| model | "
        + " | ".join(str(e) for e in range(args.chunk, args.epochs + 1, args.chunk))
        + " |",
        "|---|" + "---:|" * (args.epochs // args.chunk),
    ]
    out = args.out or os.path.join(HERE, "results", f"convergence_{args.data}.md")
    for name in args.models:
        runs = np.stack([curve(getattr(skpoe, name), X, y, s, args) for s in range(args.seeds)])
        mean = runs.mean(0)  # (chunks, 4): epoch, seconds, single, all
        hit = np.flatnonzero(mean[:, 2] >= args.target)
        reach = (
            (f"{int(mean[hit[0], 0])}", f"{mean[hit[0], 1]:.1f}") if hit.size else ("never", "-")
        )
        b = int(mean[:, 2].argmax())
        lines.append(
            f"| {name} | {reach[0]} | {reach[1]} | {mean[b, 2]:.3f} ({int(mean[b, 0])}) | "
            f"{mean[b, 3]:.3f} | {mean[-1, 2]:.3f} | {mean[-1, 3]:.3f} |"
        )
        curves_md.append(f"| {name} | " + " | ".join(f"{v:.3f}" for v in mean[:, 2]) + " |")
        print(lines[-1], flush=True)
        with open(out, "w") as fh:
            fh.write("\n".join(lines + curves_md) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
