"""One ablation row: an estimator with given parameters on a fixed split,
label accuracy from each single view and from all views, over seeds.

The split is fixed (stratified, ``random_state=0``: 450 test rows for the
digits sets, 1,000 for MNIST halves, 30% for breast cancer); the seed changes
which training rows keep labels and views (``hide_views_and_labels``) and the
model's ``random_state``. Besides ``predict``, ``--extra mean`` also decodes
the label at the posterior mean, and ``--extra lr`` fits a logistic
regression on ``transform()`` of the labeled training rows (from the same
views) and applies it to the test rows.

Every run appends one line to ``--log`` (default
``benchmarks/results/ablation_runs.log``):
``tag | config | mean over seeds``.

Usage:
    python benchmarks/ablation.py '{"tag": "poe", "est": "MultimodalPoEVAE",
        "params": {"max_iter": 30}, "data": "digits2", "labeled": 0.1,
        "mv": 1.0, "seeds": [0, 1, 2], "extra": ["mean", "lr"]}'

``data`` is one of digits2, digits3, mnist2, cancer; ``mv`` is the share of
unlabeled training rows that keep only one view (1.0: the paper's protocol).
"""

from __future__ import annotations

import json
import os
import sys
import time

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

import skpoe
from skpoe.data._validation import LABEL
from skpoe.datasets import (
    hide_views_and_labels,
    load_breast_cancer_views,
    load_digits_views,
    load_mnist_views,
)

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name):
    """(X_train, y_train, X_test, y_test) on the fixed split of data set ``name``."""
    if name == "digits2":
        (X, y), test = load_digits_views(2), 450
    elif name == "digits3":
        (X, y), test = load_digits_views(3), 450
    elif name == "mnist2":
        (X, y), test = load_mnist_views(2), 1000
    elif name == "cancer":
        (X, y), test = load_breast_cancer_views(), 0.3
    else:
        raise ValueError(f"unknown data set {name!r}")
    tr, te = train_test_split(np.arange(len(y)), test_size=test, stratify=y, random_state=0)
    return X[tr], y[tr], X[te], y[te]


def predict_at_mean(est, X):
    """Labels decoded at the posterior mean of the given views."""
    data, _ = est._views_data(X, "predict")
    mu, _ = est._inference().posterior(data)
    dec = est.module_.decoders[len(est.modalities_)]
    with torch.no_grad():
        z = torch.as_tensor(mu, dtype=torch.float32, device=est.device_)
        p = est.likelihoods_[LABEL].probabilities(dec(z))[0]
    return est.classes_[p.argmax(1).cpu().numpy()]


def run(est, params, data, seed, labeled, mv, extra):
    X_tr, y_tr, X_te, y_te = load(data)
    X_h, y_h = hide_views_and_labels(
        X_tr, y_tr, labeled=labeled, missing_views=mv, random_state=seed
    )
    model = getattr(skpoe, est)(random_state=seed, device="cpu", **params)
    t0 = time.perf_counter()
    model.fit(X_h, y_h)
    out = {"fit_s": round(time.perf_counter() - t0, 1)}
    lab = y_h != -1
    for v in list(X_te) + ["all"]:
        Xv = X_te if v == "all" else {v: X_te[v]}
        out[v] = float(np.mean(model.predict(Xv) == y_te))
        if "mean" in extra:
            out[v + "_mean"] = float(np.mean(predict_at_mean(model, Xv) == y_te))
        if "lr" in extra:
            Z = model.transform(X_h if v == "all" else {v: X_h[v][lab]})
            Z = Z[lab] if v == "all" else Z
            clf = LogisticRegression(max_iter=2000).fit(Z, y_h[lab].astype(int))
            out[v + "_lr"] = float(np.mean(clf.predict(model.transform(Xv)) == y_te))
    return out


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    torch.set_num_threads(1)
    cfg = json.loads(argv[0])
    log = cfg.pop("log", os.path.join(HERE, "results", "ablation_runs.log"))
    seeds, tag = cfg.pop("seeds", [0, 1, 2]), cfg.pop("tag", "")
    rows = []
    for s in seeds:
        rows.append(
            run(
                cfg["est"],
                cfg.get("params", {}),
                cfg.get("data", "digits2"),
                s,
                cfg.get("labeled", 0.1),
                cfg.get("mv", 1.0),
                cfg.get("extra", ()),
            )
        )
        print(tag, s, rows[-1], flush=True)
    summary = {k: round(float(np.mean([r[k] for r in rows])), 3) for k in rows[0]}
    line = f"{tag} | {json.dumps(cfg)} | seeds {seeds} | {summary}"
    print(line, flush=True)
    os.makedirs(os.path.dirname(log), exist_ok=True)
    with open(log, "a") as fh:
        fh.write(line + "\n")


if __name__ == "__main__":
    main()
