"""Which classes 1% labels leave unlabeled, and what that does to the pseudo-labels and predictions.

Digits halves under the paper's protocol (unlabeled rows keep one half), 1% labels hidden without
regard to class, as in ``benchmarks/semi_supervised.py``. Per seed: the labeled rows per class,
the accuracy of the pseudo-labels (``skpoe.data._graph.pseudo_label_targets``) on the unlabeled
training rows, the total-variation distance of their class frequencies to the true ones, and the
same for ``MultimodalPoEVAE``'s test predictions from both halves.

Usage: python benchmarks/class_coverage.py [--seeds 3] [--out F]
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from skpoe import MultimodalPoEVAE
from skpoe.data._graph import pseudo_label_targets
from skpoe.datasets import hide_views_and_labels, load_digits_views

HERE = os.path.dirname(os.path.abspath(__file__))


def tv(a, b, k=10):
    """Total-variation distance between the class frequencies of ``a`` and ``b``."""
    return (
        0.5
        * np.abs(np.bincount(a, minlength=k) / len(a) - np.bincount(b, minlength=k) / len(b)).sum()
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--out", default=os.path.join(HERE, "results", "class_coverage.md"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    X, y = load_digits_views()
    lines = [
        "# Classes without a label at 1%, and their cost",
        "",
        f"Command: `python benchmarks/class_coverage.py {' '.join(sys.argv[1:] if argv is None else argv)}`  ",
        "Digits halves, paper's protocol, 1% labels hidden without regard to class; defaults.",
        "",
        "| seed | labeled per class | classes labeled | pseudo-label acc | TV(pseudo, true) "
        "| test acc (both) | TV(pred, true) |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for seed in range(args.seeds):
        tr, te = train_test_split(np.arange(len(y)), test_size=0.25, stratify=y, random_state=seed)
        Xh, yh = hide_views_and_labels(
            X[tr], y[tr], labeled=0.01, missing_views=1.0, random_state=seed
        )
        lab = yh != -1
        views = [np.asarray(Xh[k]) for k in Xh]
        obs = np.stack([~np.isnan(v).all(1) for v in views], 1)
        soft, _ = pseudo_label_targets(views, obs, np.where(lab, yh, 0).astype(int), lab, 10, 10)
        pl, unl = soft.argmax(1), ~lab
        pred = MultimodalPoEVAE(random_state=seed).fit(Xh, yh).predict(X[te])
        per_class = np.bincount(yh[lab].astype(int), minlength=10)
        lines.append(
            f"| {seed} | {per_class.tolist()} | {int((per_class > 0).sum())} "
            f"| {np.mean(pl[unl] == y[tr][unl]):.3f} | {tv(pl[unl], y[tr][unl]):.3f} "
            f"| {np.mean(pred == y[te]):.3f} | {tv(pred, y[te]):.3f} |"
        )
        print(lines[-1], flush=True)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        fh.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
