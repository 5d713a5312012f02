"""How right the pseudo-labels are, with each scaling of the graph (``neighbor_scaling``).

Before any training the estimators link every training row to its nearest neighbours and spread
the training labels over that graph (``skpoe.data._graph.pseudo_label_targets``, the function a
fit calls); each unlabeled row gets a label distribution and a confidence. This script builds
those targets on the splits of ``benchmarks/semi_supervised.py`` (``compare_estimators``' split;
labels hidden per class on the small tables) with the views' columns scaled

- ``features``: each column to variance 1 (``neighbor_scaling="features"``);
- ``view``: one scale for all of a view's columns, the root mean square of their standard
  deviations (``neighbor_scaling="view"``; ``"auto"`` picks it for views with a Bernoulli
  likelihood, the image views here, and ``features`` for the others),

and prints, per data set, protocol and label share, the share of the unlabeled training rows
whose most probable pseudo-label is their true class (``acc``, over the rows the graph reaches)
and the same share weighted by confidence (``weighted acc``, what the loss sees). No model is
fitted; one data set takes seconds (MNIST-5k under a minute).

Usage: python benchmarks/graph_scaling.py [--datasets ...] [--seeds 5] [--labeled 0.01 0.1]
       [--protocols paper dropout30] [--out F]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from skpoe.data._graph import pseudo_label_targets
from skpoe.model_selection._compare import _check_data, _split

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from semi_supervised import DEFAULT_PROTOCOLS, LOADERS, PROTOCOLS, TABLES  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SCALINGS = ("features", "view")


def target_accuracy(split, scaling):
    """(acc, weighted acc) of the pseudo-labels of the split's unlabeled training rows."""
    X_h, y_h, y_tr = split["X_h"], np.asarray(split["y_h"]), np.asarray(split["y_tr"])
    arrays = [np.asarray(X_h[m], dtype=np.float64) for m in X_h]
    observed = np.stack([~np.isnan(a).all(1) for a in arrays], axis=1)
    classes = np.unique(y_tr)
    labeled = y_h != -1
    codes = np.where(labeled, np.searchsorted(classes, y_h), 0)
    soft, weight = pseudo_label_targets(
        arrays,
        observed,
        codes,
        labeled,
        len(classes),
        space="joint",
        shared_scale=[scaling == "view"] * len(arrays),
    )
    reached = ~labeled & (weight > 0)
    right = soft[reached].argmax(1) == np.searchsorted(classes, y_tr[reached])
    return right.mean(), np.average(right, weights=weight[reached])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--datasets",
        nargs="+",
        choices=sorted(LOADERS),
        default=[
            "digits-halves",
            "digits-3strips",
            "mnist-halves",
            "breast-cancer-3views",
            "wine-3views",
        ],
    )
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--labeled", nargs="+", type=float, default=[0.01, 0.1])
    parser.add_argument(
        "--protocols", nargs="+", choices=sorted(PROTOCOLS), default=DEFAULT_PROTOCOLS
    )
    parser.add_argument("--out", default=os.path.join(HERE, "results", "graph_scaling.md"))
    args = parser.parse_args(argv)

    header = (
        "| data | protocol | labeled | "
        + " | ".join(f"{s} acc | {s} weighted acc" for s in SCALINGS)
        + " | view - features (acc, wins/seeds) |"
    )
    lines = [header, "|" + "---|" * (3 + 2 * len(SCALINGS) + 1)]
    print(header, flush=True)
    for name in args.datasets:
        X, y = _check_data(*LOADERS[name]())
        for protocol in args.protocols:
            for labeled in args.labeled:
                res = {s: [] for s in SCALINGS}
                for seed in range(args.seeds):
                    split = _split(
                        X,
                        y,
                        seed,
                        0.25,
                        labeled,
                        stratify_labels=name in TABLES,
                        **PROTOCOLS[protocol],
                    )
                    for s in SCALINGS:
                        res[s].append(target_accuracy(split, s))
                r = {s: np.asarray(v) for s, v in res.items()}
                diff = r["view"][:, 0] - r["features"][:, 0]
                cells = " | ".join(
                    f"{r[s][:, 0].mean():.3f} | {r[s][:, 1].mean():.3f}" for s in SCALINGS
                )
                line = (
                    f"| {name} | {protocol} | {labeled:g} | {cells} | "
                    f"{100 * diff.mean():+.1f} ({int((diff > 0).sum())}/{len(diff)}) |"
                )
                lines.append(line)
                print(line, flush=True)
    command = "python benchmarks/graph_scaling.py " + " ".join(
        sys.argv[1:] if argv is None else argv
    )
    with open(args.out, "w") as f:
        f.write("# Pseudo-label accuracy by the scaling of the graph\n\n")
        f.write(
            f"Command: `{command.strip()}` ({time.strftime('%Y-%m-%d')}). Share of the "
            f"unlabeled training rows whose most probable pseudo-label is right (`acc`; rows "
            f"the graph reaches) and the same weighted by confidence, mean over "
            f'{args.seeds} seeds; the joint graph (`neighbor_space="joint"`).\n\n'
        )
        f.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
