"""Label accuracy when test rows miss entries: the model against imputer + logistic regression.

Digits halves, per seed: a stratified 75/25 split; in the training part 10% of the rows keep
their label, 10% of the unlabeled rows keep one half, and 10% of the observed entries are
missing (NaN). Each test row then has 0, 10, 20 or 40% of its entries missing (at least one
kept per half). Compared, all fitted on the same training rows:

* ``MultimodalPoEVAE``: defaults (training hides up to 80% of the observed entries of each row
  from the encoders, ``entry_masking="auto"``; at predict time the encoders see each missing
  entry filled from the 5 nearest of up to 5,000 training rows kept at fit time,
  ``entry_fill="neighbors"``);
* ``MultimodalPoEVAE, impute first``: the same model, predicting from ``impute(X)``;
* ``MultimodalPoEVAE (mean fill)``: ``entry_fill="mean"``, missing entries encoded as their
  column's training mean (the default before the neighbour fill);
* ``MultimodalPoEVAE (no masking)``: ``entry_masking=0, entry_fill="mean"``, the defaults
  before masking;
* ``MultimodalPoEVAE (indicators)``: ``missing_indicators=True, entry_masking=0``, the encoding
  before both (zeros plus a 0/1 observed indicator per feature; no fill);
* ``KNNImputer + LR``: ``KNNImputer`` fitted on every training row (both halves side by side),
  then a standardized logistic regression on the labeled rows;
* ``mean imputer + LR``: the same with ``SimpleImputer``.

Usage: python benchmarks/missing_entries_predict.py [--seeds 5] [--first-seed 0] [--jobs 2]
       [--out F]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import warnings

import numpy as np
import torch
from joblib import Parallel, delayed
from sklearn.impute import KNNImputer, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skpoe
from skpoe import MultimodalPoEVAE
from skpoe.datasets import hide_views_and_labels, load_digits_views

HERE = os.path.dirname(os.path.abspath(__file__))
RATES = (0.0, 0.1, 0.2, 0.4)
METHODS = [
    "MultimodalPoEVAE",
    "MultimodalPoEVAE, impute first",
    "MultimodalPoEVAE (mean fill)",
    "MultimodalPoEVAE (no masking)",
    "MultimodalPoEVAE (indicators)",
    "KNNImputer + LR",
    "mean imputer + LR",
]


def hide_entries(X, rate, rng):
    """Each observed entry missing with probability ``rate``; every observed row keeps one."""
    out = {}
    for name, v in X.items():
        v = np.array(v, dtype=float)
        obs = ~np.isnan(v).all(1)
        drop = (rng.rand(*v.shape) < rate) & obs[:, None]
        drop[drop.all(1), 0] = False
        v[drop] = np.nan
        out[name] = v
    return out


def one_seed(seed):
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    X, y = load_digits_views()
    tr, te = train_test_split(np.arange(len(y)), test_size=0.25, stratify=y, random_state=seed)
    X_h, y_h = hide_views_and_labels(
        X[tr], y[tr], labeled=0.1, missing_views=0.1, random_state=seed
    )
    X_h = hide_entries(X_h, 0.1, np.random.RandomState([seed, 1]))
    models = {
        METHODS[0]: MultimodalPoEVAE(random_state=seed).fit(X_h, y_h),
        METHODS[2]: MultimodalPoEVAE(random_state=seed, entry_fill="mean").fit(X_h, y_h),
        METHODS[3]: MultimodalPoEVAE(random_state=seed, entry_masking=0.0, entry_fill="mean").fit(
            X_h, y_h
        ),
        METHODS[4]: MultimodalPoEVAE(
            random_state=seed, missing_indicators=True, entry_masking=0.0
        ).fit(X_h, y_h),
    }
    flat = np.hstack([X_h["top"], X_h["bottom"]])
    lab = y_h != -1
    pipes = {}
    for name, imputer in ((METHODS[5], KNNImputer()), (METHODS[6], SimpleImputer())):
        imputer.fit(flat)
        lr = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        pipes[name] = (imputer, lr.fit(imputer.transform(flat[lab]), y_h[lab]))
    rows = []
    for rate in RATES:
        X_t = hide_entries({k: X[te][k] for k in X}, rate, np.random.RandomState([seed, 2]))
        acc = {name: float(np.mean(m.predict(X_t) == y[te])) for name, m in models.items()}
        filled = models[METHODS[0]].impute(X_t)
        acc[METHODS[1]] = float(np.mean(models[METHODS[0]].predict(filled) == y[te]))
        test_flat = np.hstack([X_t["top"], X_t["bottom"]])
        for name, (imputer, lr) in pipes.items():
            acc[name] = float(np.mean(lr.predict(imputer.transform(test_flat)) == y[te]))
        rows.append((seed, rate, acc))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--first-seed", type=int, default=0, help="seeds first..first+seeds-1")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--out", default=os.path.join(HERE, "results", "missing_entries_predict.md")
    )
    args = parser.parse_args(argv)
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    results = [
        r for rows in Parallel(n_jobs=args.jobs)(delayed(one_seed)(s) for s in seeds) for r in rows
    ]
    lines = [
        "# Label accuracy with missing entries at predict time",
        "",
        f"Command: `python benchmarks/missing_entries_predict.py {' '.join(sys.argv[1:] if argv is None else argv)}`  ",
        f"skpoe {skpoe.__version__}, torch {torch.__version__}, {platform.machine()}; digits halves, "
        f"10% labels, 10% of unlabeled rows with one half, 10% of training entries missing; "
        f"seeds {seeds.start}..{seeds.stop - 1}, mean ± std of test accuracy from both halves.",
        "",
        "| missing test entries | " + " | ".join(METHODS) + " |",
        "|---:|" + "---:|" * len(METHODS),
    ]
    for rate in RATES:
        cells = []
        for name in METHODS:
            vals = [acc[name] for _, r, acc in results if r == rate]
            cells.append(f"{np.mean(vals):.3f} ± {np.std(vals):.3f}")
        lines.append(f"| {rate:.0%} | " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()
