"""Bernoulli or Gaussian for views in [0, 1]: label accuracy by the numbers.

``likelihoods="auto"`` used to pick Bernoulli for any view whose values lie
in [0, 1]. This script fits :class:`skpoe.MultimodalPoEVAE` twice on each
data set, once with ``likelihoods="bernoulli"`` and once with
``likelihoods="gaussian"``, on views that all lie in [0, 1]: images (digits
and MNIST halves, intensities scaled to [0, 1]), exactly binary images
(digits halves thresholded at 0.5) and continuous tables min-max scaled to
[0, 1] (breast cancer in three views, wine in two, iris in two, diabetes in
two with its target cut into tertiles), and the two tables divided by their
column maxima instead (in [0, 1] but bunched in part of it), with the
paper's protocol of :func:`skpoe.model_selection.compare_estimators`
(stratified split, 10% labeled rows, every unlabeled row keeping one view).

Reported per data set and likelihood: label accuracy on the test rows from one
view (mean over views), from all views, and of a logistic regression on the
embeddings (``latent_acc``), mean ± std over seeds. Test log-likelihoods are
left out: a Bernoulli "likelihood" of continuous values is not a density, so
the two are not comparable.

Usage: python benchmarks/likelihood_choice.py [--datasets ...] [--seeds 3]
       [--max-iter 30] [--jobs 1] [--out F]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np
import torch

import skpoe
from skpoe import ModalityDict, MultimodalPoEVAE
from skpoe.datasets import load_breast_cancer_views, load_digits_views, load_mnist_views
from skpoe.model_selection import compare_estimators

HERE = os.path.dirname(os.path.abspath(__file__))


def _minmax(X):
    """Each view min-max scaled to [0, 1] per column (over all rows)."""
    out = {}
    for name, v in X.items():
        v = np.asarray(v, dtype=np.float64)
        lo, hi = v.min(0), v.max(0)
        out[name] = (v - lo) / np.where(hi > lo, hi - lo, 1.0)
    return ModalityDict(out)


def _maxscale(X):
    """Each view divided by its column maxima: in [0, 1], but not spread over it."""
    return ModalityDict(
        {k: np.asarray(v, float) / np.asarray(v, float).max(0) for k, v in X.items()}
    )


def load(name):
    """Views in [0, 1] and labels of data set ``name``."""
    from sklearn import datasets

    if name == "digits-halves":
        return load_digits_views(2)
    if name == "digits-halves-binary":
        X, y = load_digits_views(2)
        return ModalityDict({k: (v > 0.5).astype(np.float64) for k, v in X.items()}), y
    if name == "mnist-halves":
        return load_mnist_views(2)
    if name == "breast-cancer-3views":
        X, y = load_breast_cancer_views()
        return _minmax(X), y
    if name == "breast-cancer-3views-maxscaled":
        return _maxscale(load_breast_cancer_views()[0]), load_breast_cancer_views()[1]
    if name == "wine-2views-maxscaled":
        A, y = datasets.load_wine(return_X_y=True)
        return _maxscale({"chemistry": A[:, :7], "phenols_colour": A[:, 7:]}), y
    if name == "wine-2views":
        A, y = datasets.load_wine(return_X_y=True)
        return _minmax({"chemistry": A[:, :7], "phenols_colour": A[:, 7:]}), y
    if name == "diabetes-2views":
        # a regression table: its target cut into tertiles gives three classes
        A, target = datasets.load_diabetes(return_X_y=True, scaled=False)
        y = np.digitize(target, np.quantile(target, [1 / 3, 2 / 3]))
        return _minmax({"clinical": A[:, :4], "serum": A[:, 4:]}), y
    if name == "iris-2views":
        A, y = datasets.load_iris(return_X_y=True)
        return _minmax({"sepal": A[:, :2], "petal": A[:, 2:]}), y
    raise ValueError(f"unknown data set {name!r}")


DATASETS = [
    "digits-halves",
    "digits-halves-binary",
    "breast-cancer-3views",
    "wine-2views",
    "iris-2views",
    "diabetes-2views",
    "breast-cancer-3views-maxscaled",
    "wine-2views-maxscaled",
    "mnist-halves",
]
LIKELIHOODS = ["bernoulli", "gaussian"]


def _fmt(values):
    values = np.asarray(values, dtype=float)
    return f"{values.mean():.3f} ± {values.std():.3f}"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=DATASETS, choices=DATASETS)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--max-iter", type=int, default=30)
    parser.add_argument("--labeled", type=float, default=0.1)
    parser.add_argument("--missing-views", type=float, default=1.0)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--out", default=os.path.join(HERE, "results", "likelihood_choice.md"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    command = " ".join(sys.argv[1:] if argv is None else argv)
    lines = [
        "# Bernoulli or Gaussian for views in [0, 1]",
        "",
        f"Command: `python benchmarks/likelihood_choice.py {command}`  ",
        f"skpoe {skpoe.__version__}, torch {torch.__version__}, {platform.machine()}, "
        f"{args.jobs} job(s) x 1 thread; MultimodalPoEVAE(max_iter={args.max_iter}) with "
        f"defaults otherwise; labeled {args.labeled:g}, missing views {args.missing_views:g}, "
        f"seeds 0..{args.seeds - 1}. Label accuracy on held-out rows, mean ± std over seeds.",
        "",
        "| data (views) | likelihood | one view (mean over views) | all views | latent_acc | "
        "fit s |",
        "|---|---|---:|---:|---:|---:|",
    ]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    for name in args.datasets:
        X, y = load(name)
        models = {
            lik: MultimodalPoEVAE(likelihoods=lik, max_iter=args.max_iter) for lik in LIKELIHOODS
        }
        t0 = time.perf_counter()
        table = compare_estimators(
            models,
            X,
            y,
            labeled=args.labeled,
            missing_views=args.missing_views,
            seeds=range(args.seeds),
            baselines=None,
            coherence=False,
            n_importance_samples=1,
            n_jobs=args.jobs,
            verbose=1,
        )
        views = [f"acc_{v}" for v in X]
        for lik in LIKELIHOODS:
            rows = table[table["estimator"] == lik]
            one_view = rows[views].to_numpy().mean(1)
            lines.append(
                f"| {name} ({len(y)} rows, {len(list(X.keys()))} views) | {lik} | {_fmt(one_view)} | "
                f"{_fmt(rows['acc_all'])} | {_fmt(rows['latent_acc'])} | "
                f"{rows['fit_time'].mean():.1f} |"
            )
        print("\n".join(lines[-2:]), f"({(time.perf_counter() - t0) / 60:.1f} min)", flush=True)
        with open(args.out, "w") as fh:  # rewritten after each data set: a stop loses little
            fh.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
