"""From all views: the joint posterior's label against the product of the single views' labels.

Under the paper's protocol (every unlabeled row keeps one view) only the labeled rows are paired,
so a model whose joint posterior has its own terms (the product-of-experts VAE with substitute
experts) trains its all-views posterior on those rows alone, while MVAE's joint posterior is the
product of its single-view experts. This script measures, on one data set of
``benchmarks/semi_supervised.py`` (``--dataset``, digits halves by default) with its splits
(``compare_estimators``' split, labels hidden per class on the small tables), test accuracy
from:

- ``joint``: ``predict_proba`` of all views (the model's posterior given every view);
- ``views``: the product of the single views' label distributions divided by the labeled rows'
  class frequencies to the power (views - 1), the label-level product of experts;
- ``mix w``: the joint's log-probabilities times ``w`` plus the views' label-level product times
  ``1 - w``, renormalised (w = 0.25, 0.5, 0.75);
- each single view.

``--protocol dropout30`` hides every training view with probability 0.3 instead (labeled rows
too), so unlabeled rows are paired as well. Per-seed figures go to ``--csv``.

Usage: python benchmarks/joint_vs_views.py [--dataset digits-halves] [--seeds 5]
       [--labeled 0.01 0.1] [--protocol paper|dropout30] [--out F] [--csv F]
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings

import numpy as np
import torch

import skpoe
from skpoe.model_selection._compare import _check_data, _split

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from semi_supervised import LOADERS, PROTOCOLS, TABLES  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MIX_WEIGHTS = (0.25, 0.5, 0.75)


def accuracies(est, s):
    """Test accuracy from the joint, from the label-level product, and from each view."""
    X_te, y_te, y_h = s["X_te"], s["y_te"], s["y_h"]
    classes = est.classes_
    joint = est.predict_proba(X_te)
    singles = {v: est.predict_proba({v: X_te[v]}) for v in X_te}
    counts = np.bincount(np.searchsorted(classes, y_h[y_h != -1]), minlength=len(classes))
    prior = (counts + 1.0) / (counts + 1.0).sum()
    log_views = sum(np.log(p + 1e-12) for p in singles.values())
    log_views = log_views - (len(singles) - 1) * np.log(prior)
    log_joint = np.log(joint + 1e-12)
    out = {
        "joint": np.mean(classes[joint.argmax(1)] == y_te),
        "views": np.mean(classes[log_views.argmax(1)] == y_te),
    }
    for w in MIX_WEIGHTS:
        mix = w * log_joint + (1 - w) * log_views
        out[f"mix {w:g}"] = np.mean(classes[mix.argmax(1)] == y_te)
    out.update({v: np.mean(classes[p.argmax(1)] == y_te) for v, p in singles.items()})
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", choices=sorted(LOADERS), default="digits-halves")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--labeled", nargs="+", type=float, default=[0.01, 0.1])
    parser.add_argument("--models", nargs="+", default=["MultimodalPoEVAE", "MVAE"])
    parser.add_argument("--protocol", choices=sorted(PROTOCOLS), default="paper")
    parser.add_argument("--out", default=os.path.join(HERE, "results", "joint_vs_views.md"))
    parser.add_argument("--csv", default=None, help="per-seed figures (appended as they come)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    warnings.filterwarnings("ignore")
    X, y = _check_data(*LOADERS[args.dataset]())
    views = list(X)
    lines = [
        "# From all views: the joint posterior against the product of the single views",
        "",
        f"Command: `python benchmarks/joint_vs_views.py {' '.join(sys.argv[1:] if argv is None else argv)}`  ",
        f"skpoe {skpoe.__version__}, torch {torch.__version__}; {args.dataset}, protocol "
        f"`{args.protocol}`, defaults, seeds 0..{args.seeds - 1}. Test "
        "accuracy, mean ± std over seeds. `joint`: the posterior given every view; `views`: the "
        "product of the views' label distributions over the class frequencies; `mix w`: "
        "w x log joint + (1 - w) x log views.",
        "",
        "| model | labeled | joint | views | views - joint | "
        + " | ".join(f"mix {w:g}" for w in MIX_WEIGHTS)
        + " | "
        + " | ".join(views)
        + " |",
        "|---|---|---:|---:|---:|" + "---:|" * (len(MIX_WEIGHTS) + len(views)),
    ]
    for labeled in args.labeled:
        protocol = PROTOCOLS[args.protocol]
        stratify = args.dataset in TABLES
        splits = [
            _split(X, y, seed, 0.25, labeled, stratify_labels=stratify, **protocol)
            for seed in range(args.seeds)
        ]
        for name in args.models:
            rows = []
            for seed, s in enumerate(splits):
                est = getattr(skpoe, name)(random_state=seed).fit(s["X_h"], s["y_h"])
                rows.append(accuracies(est, s))
                print(name, labeled, seed, rows[-1], file=sys.stderr, flush=True)
                if args.csv:
                    with open(args.csv, "a") as f:
                        f.write(
                            ",".join(
                                [args.dataset, args.protocol, name, f"{labeled:g}", str(seed)]
                                + [f"{k}={v:.4f}" for k, v in rows[-1].items()]
                            )
                            + "\n"
                        )
            a = {k: np.array([r[k] for r in rows]) for k in rows[0]}
            cell = {k: f"{v.mean():.3f} ± {v.std():.3f}" for k, v in a.items()}
            diff = a["views"] - a["joint"]
            lines.append(
                f"| {name} | {labeled:g} | {cell['joint']} | {cell['views']} | "
                f"{diff.mean():+.3f} ({int((diff > 0).sum())}/{len(diff)} seeds up) | "
                + " | ".join(cell[f"mix {w:g}"] for w in MIX_WEIGHTS)
                + " | "
                + " | ".join(cell[v] for v in views)
                + " |"
            )
            print(lines[-1], flush=True)
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
