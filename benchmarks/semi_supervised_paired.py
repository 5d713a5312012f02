"""Paired differences of the semi-supervised benchmark: the model minus each baseline, seed by seed.

Every estimator of one block of ``benchmarks/semi_supervised.py`` sees the same split and the
same hidden labels at a given seed, so the difference of two estimators is best read seed by
seed. Per data set, protocol, label rate and view, this prints the mean of the model's
accuracy minus each baseline's, its standard error over seeds (std / sqrt(seeds)) and how many
seeds the model wins; ``*`` marks a mean more than two standard errors from zero.

Usage: python benchmarks/semi_supervised_paired.py CSV [CSV ...] [--model NAME]
       [--against NAME ...] [--out F]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import pandas as pd
from semi_supervised_summary import BASELINES, read_blocks

HERE = os.path.dirname(os.path.abspath(__file__))


def paired(frame, model, baselines=BASELINES):
    """Rows of (data, protocol, labeled, view, seeds, model mean, then per baseline
    (mean difference, standard error, wins))."""
    rows = []
    views = [c[4:] for c in frame.columns if c.startswith("acc_")]
    for (data, protocol, labeled), block in frame.groupby(
        ["dataset", "protocol", "labeled"], sort=False
    ):
        wide = {e: b.set_index("seed") for e, b in block.groupby("estimator", sort=False)}
        if model not in wide:
            continue
        for v in views:
            own = wide[model][f"acc_{v}"].dropna()
            if own.empty:
                continue
            cells = []
            for base in baselines:
                if base not in wide or wide[base][f"acc_{v}"].isna().all():
                    cells.append(None)
                    continue
                d = (own - wide[base][f"acc_{v}"]).dropna()
                se = d.std(ddof=1) / np.sqrt(len(d)) if len(d) > 1 else np.nan
                cells.append((d.mean(), se, int((d > 0).sum()), len(d)))
            rows.append((data, protocol, labeled, v, len(own), own.mean(), cells))
    return rows


def to_markdown(rows, model, baselines=BASELINES):
    head = ["data", "protocol", "labeled", "view", "seeds", model]
    lines = [
        "| " + " | ".join(head + [f"- {b}" for b in baselines]) + " |",
        "|" + "---|" * 4 + "---:|" * (2 + len(baselines)),
    ]
    for data, protocol, labeled, v, n, mean, cells in rows:
        out = [data, protocol, f"{labeled:g}", v, str(n), f"{mean:.3f}"]
        for c in cells:
            if c is None:
                out.append("–")
                continue
            d, se, wins, k = c
            star = "*" if np.isfinite(se) and abs(d) > 2 * se else ""
            out.append(f"{d:+.3f} ± {se:.3f}{star} ({wins}/{k})")
        lines.append("| " + " | ".join(out) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("csv", nargs="+")
    parser.add_argument("--model", default="MultimodalPoEVAE")
    parser.add_argument(
        "--against", nargs="+", default=BASELINES, help="the estimators the model is compared to"
    )
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    frame = pd.concat([b for path in args.csv for b in read_blocks(path)], ignore_index=True)
    text = "\n".join(
        [
            "# Paired differences: the model minus each baseline, seed by seed",
            "",
            "Command: `python benchmarks/semi_supervised_paired.py "
            f"{' '.join(sys.argv[1:] if argv is None else argv)}`  ",
            "Mean over seeds of (model accuracy - baseline accuracy) on the same split ± its "
            "standard error (std / sqrt(seeds)); `*`: more than two standard errors from zero; "
            "(wins/seeds).",
            "",
            to_markdown(paired(frame, args.model, args.against), args.model, args.against),
            "",
        ]
    )
    print(text)
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
