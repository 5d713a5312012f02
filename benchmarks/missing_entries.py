"""Imputation of missing entries: MultimodalPoEVAE next to scikit-learn's imputers.

Entries are hidden at random (NaN) in every view, then filled by

* ``MultimodalPoEVAE.impute``: the decoder mean at the posterior mean of the
  row's observed entries (default networks; ``max_iter`` epochs),
* ``SimpleImputer()``: the column mean,
* ``KNNImputer()`` (5 neighbours) on the views concatenated into one table;
  for breast cancer, whose features have different units, the table is
  standardized first (``StandardScaler`` ignores NaN) and the result mapped
  back.

Data: breast cancer (569 x 30, raw scale, three views of ten features: the
means, standard errors and worst values; Gaussian likelihood) and digits
(1797 x 64 scaled into [0, 1], top and bottom halves; Bernoulli likelihood).
The score is the RMSE over the hidden entries: for breast cancer in units of
each feature's standard deviation (otherwise the area features dominate), for
digits in pixel intensity. Mean and standard deviation over seeds; the seed
sets both the hidden entries and the model's ``random_state``.

Usage::

    python benchmarks/missing_entries.py        # ~2.5 min on one core
    python benchmarks/missing_entries.py --seeds 1 --fractions 0.1

Prints the table and writes ``benchmarks/results/missing_entries.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np
import torch
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.impute import KNNImputer, SimpleImputer
from sklearn.preprocessing import StandardScaler

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from skpoe import MultimodalPoEVAE  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def datasets(epochs_scale=1.0):
    """name -> (X, views as column slices, likelihood, scale KNN?, RMSE units, epochs)."""
    bc = load_breast_cancer().data
    digits = load_digits().data / 16.0
    return {
        "breast cancer (3 views)": (
            bc,
            {"mean": slice(0, 10), "error": slice(10, 20), "worst": slice(20, 30)},
            "gaussian",
            True,
            bc.std(0),
            int(round(100 * epochs_scale)),
        ),
        "digits (top/bottom)": (
            digits,
            {"top": slice(0, 32), "bottom": slice(32, 64)},
            "bernoulli",
            False,
            np.ones(64),
            int(round(100 * epochs_scale)),
        ),
    }


def knn(Xn, scale):
    if not scale:
        return KNNImputer().fit_transform(Xn)
    sc = StandardScaler().fit(Xn)
    return sc.inverse_transform(KNNImputer().fit_transform(sc.transform(Xn)))


def run_one(X, groups, lik, scale, units, epochs, fraction, seed):
    hidden = np.random.RandomState(seed).rand(*X.shape) < fraction
    Xn = np.where(hidden, np.nan, X)
    views = {k: Xn[:, s] for k, s in groups.items()}
    start = time.perf_counter()
    model = MultimodalPoEVAE(max_iter=epochs, likelihoods=lik, random_state=seed, device="cpu").fit(
        views
    )
    filled = model.impute(views)
    seconds = time.perf_counter() - start
    vae = np.concatenate([filled[k] for k in groups], 1)
    assert np.array_equal(vae[~hidden], X[~hidden])

    def rmse(A):
        return float(np.sqrt(np.mean(((A - X) / units)[hidden] ** 2)))

    scores = {
        "MultimodalPoEVAE.impute": rmse(vae),
        "column mean": rmse(SimpleImputer().fit_transform(Xn)),
        "KNNImputer": rmse(knn(Xn, scale)),
    }
    return scores, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.1, 0.3])
    parser.add_argument("--epochs-scale", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    given = sys.argv[1:] if argv is None else list(argv)
    command = " ".join(["python benchmarks/missing_entries.py", *given])
    methods = ["MultimodalPoEVAE.impute", "column mean", "KNNImputer"]
    rows = []
    total = time.perf_counter()
    for name, (X, groups, lik, scale, units, epochs) in datasets(args.epochs_scale).items():
        for fraction in args.fractions:
            per_seed, secs = [], []
            for seed in range(args.seeds):
                scores, s = run_one(X, groups, lik, scale, units, epochs, fraction, seed)
                per_seed.append([scores[m] for m in methods])
                secs.append(s)
                print(
                    f"{name}, {fraction:.0%} hidden, seed {seed}: "
                    + ", ".join(f"{m} {v:.4f}" for m, v in scores.items())
                    + f" ({s:.1f} s)",
                    flush=True,
                )
            a = np.array(per_seed)
            rows.append(
                (
                    name,
                    fraction,
                    lik,
                    epochs,
                    a.mean(0),
                    a.std(0),
                    (a[:, 0] / a[:, 1]).mean(),
                    float(np.mean(secs)),
                )
            )
    elapsed = time.perf_counter() - total

    lines = [
        "# Missing entries: RMSE on hidden entries",
        "",
        f"- command: `{command}`",
        f"- torch {torch.__version__}, {platform.machine()}, {args.threads} torch thread(s), "
        f"{args.seeds} seeds, total {elapsed:.0f} s ({time.strftime('%Y-%m-%d %H:%M')})",
        "- entries hidden at random in every view; RMSE over the hidden entries, mean ± std "
        "over seeds (breast cancer in units of each feature's std, digits in pixel "
        "intensity); lower is better",
        "- MultimodalPoEVAE: default networks and parameters except `max_iter` and "
        "`likelihoods`; impute = decoder mean at the posterior mean of the row's "
        "observed entries. KNNImputer (5 neighbours) on the concatenated views "
        "(standardized first for breast cancer). Column mean = SimpleImputer.",
        "",
        "| data | hidden | likelihood | epochs | "
        + " | ".join(methods)
        + " | VAE / column mean | VAE fit+impute (s) |",
        "|---|---|---|---|" + "---|" * len(methods) + "---|---|",
    ]
    for name, fraction, lik, epochs, mean, std, ratio, secs in rows:
        best = int(np.argmin(mean))
        cells = [
            (f"**{m:.3f}** ± {s:.3f}" if i == best else f"{m:.3f} ± {s:.3f}")
            for i, (m, s) in enumerate(zip(mean, std))
        ]
        lines.append(
            f"| {name} | {fraction:.0%} | {lik} | {epochs} | "
            + " | ".join(cells)
            + f" | {ratio:.2f} | {secs:.1f} |"
        )
    text = "\n".join(lines) + "\n"
    print()
    print(text)
    os.makedirs(RESULTS, exist_ok=True)
    with open(os.path.join(RESULTS, "missing_entries.md"), "w") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()
