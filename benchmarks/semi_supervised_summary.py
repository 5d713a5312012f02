"""One table of the semi-supervised benchmark: the model, before, every baseline, per view.

Reads the CSV files ``benchmarks/semi_supervised.py`` appends to (one row per estimator and
seed) and writes, per data set, protocol, label rate and view, the mean accuracy of each
estimator over seeds, the margin of the first model over the best baseline (logistic
regression, LabelSpreading, SelfTraining) and the share of the distance from the logistic
regression to the supervised ceiling that it closes.

Usage: python benchmarks/semi_supervised_summary.py [CSV ...] [--out F]
"""

from __future__ import annotations

import argparse
import os
import sys

import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
BASELINES = ["LogisticRegression", "LabelSpreading", "SelfTraining"]
CEILING = "SVC ceiling (all labels)"


def read_blocks(path):
    """The CSV's blocks: each starts with its own header (views differ between data sets)."""
    import io

    text = open(path).read().splitlines()
    starts = [i for i, line in enumerate(text) if line.startswith("dataset,")] + [len(text)]
    return [pd.read_csv(io.StringIO("\n".join(text[a:b]))) for a, b in zip(starts, starts[1:])]


def summary(frame, model="MultimodalPoEVAE"):
    rows = []
    views = [c[4:] for c in frame.columns if c.startswith("acc_")]
    for (data, protocol, labeled), block in frame.groupby(
        ["dataset", "protocol", "labeled"], sort=False
    ):
        means = block.groupby("estimator", sort=False).mean(numeric_only=True)
        n_seeds = block.groupby("estimator").size().max()
        for v in views:
            col = f"acc_{v}"
            if col not in means or means[col].isna().all():
                continue
            m = means[col]
            best = max(m[b] for b in BASELINES if b in m)
            row = {
                "data": data,
                "protocol": protocol,
                "labeled": f"{labeled:.3g}",
                "view": v,
                "seeds": int(n_seeds),
            }
            row.update({name: f"{m[name]:.3f}" for name in m.index})
            row["margin"] = f"{m[model] - best:+.3f}"
            if CEILING in m and "LogisticRegression" in m:
                gap = m[CEILING] - m["LogisticRegression"]
                row["closed"] = (
                    f"{(m[model] - m['LogisticRegression']) / gap:.0%}" if gap > 0 else "-"
                )
            rows.append(row)
    return pd.DataFrame(rows)


def to_markdown(df):
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        lines.append("| " + " | ".join("" if pd.isna(r[c]) else str(r[c]) for c in cols) + " |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "csv",
        nargs="*",
        default=[
            os.path.join(HERE, "results", "semi_supervised.csv"),
            os.path.join(HERE, "results", "semi_supervised_mnist.csv"),
        ],
    )
    parser.add_argument(
        "--out", default=os.path.join(HERE, "results", "semi_supervised_summary.md")
    )
    args = parser.parse_args(argv)
    frames = [f for p in args.csv if os.path.exists(p) for f in read_blocks(p)]
    df = summary(pd.concat(frames, ignore_index=True))
    text = "\n".join(
        [
            "# Semi-supervised benchmark, one line per view",
            "",
            f"Command: `python benchmarks/semi_supervised_summary.py {' '.join(sys.argv[1:] if argv is None else argv)}` "
            "over the CSV files of `benchmarks/semi_supervised.py` (commands in "
            "`semi_supervised.md` and `semi_supervised_mnist.md`). Mean test accuracy over seeds; "
            "`margin` = MultimodalPoEVAE minus the best of LogisticRegression, LabelSpreading and "
            "SelfTraining; `closed` = the share of the distance from LogisticRegression to the "
            "SVC ceiling (all labels) that MultimodalPoEVAE closes.",
            "",
            to_markdown(df),
            "",
        ]
    )
    print(text)
    with open(args.out, "w") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()
