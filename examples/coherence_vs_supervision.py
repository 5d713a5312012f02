"""Cross-modal coherence of every skpoe model against the supervision level
========================================================================

Needs the examples extra (matplotlib and pandas): pip install -e ".[examples]"

The 8x8 digits are split into a top and a bottom half. At a supervision
level ``s`` a share ``s`` of the training rows keeps both halves and its
label; every other row keeps one half only and no label
(``hide_views_and_labels(labeled=s, missing_views=1.0)``), the setting of
Kutuzova et al. (2021). Each model then generates the missing half of test
digits from the other half, and an oracle (a logistic regression trained on
whole real digits) classifies the real half stacked with the generated one:
the share it gets right is the cross-coherence
(:func:`skpoe.metrics.cross_coherence`).

On digits the real half alone lets that oracle score well, so the figure
also shows what a model that always generated the average half would get,
and a stricter variant: an oracle trained on the target half only, reading
the generated half alone (``oracle_views=[target]``).

Prints tables and writes ``coherence_vs_supervision.png`` (one line per
model; columns: direction, rows: oracle). The fits are short (40 epochs), so
read the curves as a quick comparison, not as converged results.

Run: python examples/coherence_vs_supervision.py [--quick] [--out-dir DIR]
(about a minute and a half on two CPU cores).
"""

import argparse
import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import skpoe  # noqa: E402
from skpoe.datasets import hide_views_and_labels, load_digits_views  # noqa: E402
from skpoe.metrics import cross_coherence  # noqa: E402
from skpoe.plotting import mark_smoke_run

LEVELS = (0.01, 0.1, 1.0)
DIRECTIONS = {"top -> bottom": ("top", "bottom"), "bottom -> top": ("bottom", "top")}
ORACLES = ("whole digit", "generated half only")


def main(quick=False, out_dir="."):
    if quick:
        print(
            "smoke run: tiny data and fits to check that the example works; "
            "the numbers mean nothing"
        )
    X, y = load_digits_views()
    if quick:
        X, y = X[:500], y[:500]
    idx_train, idx_test = train_test_split(
        np.arange(len(y)), test_size=0.25, stratify=y, random_state=0
    )
    X_real, y_real = X[idx_train], y[idx_train]
    X_test, y_test = X[idx_test], y[idx_test]
    whole = ["top", "bottom"]

    def logreg(views):
        """An oracle: logistic regression on the real training rows of ``views``."""
        return LogisticRegression(max_iter=5000).fit(np.hstack([X_real[v] for v in views]), y_real)

    oracles = {"whole digit": logreg(whole), "top": logreg(["top"]), "bottom": logreg(["bottom"])}
    oracle_acc = float(oracles["whole digit"].score(np.hstack([X_test[v] for v in whole]), y_test))
    print(f"whole-digit oracle on real test digits: {oracle_acc:.3f}")

    # references: the oracles on real data, and a model that always generates
    # the average training half
    reference = {}
    for direction, (source, target) in DIRECTIONS.items():
        average = {
            source: X_test[source],
            target: np.tile(X_real[target].mean(0), (len(y_test), 1)),
        }
        with_average = np.hstack([average[v] for v in whole])
        reference[direction] = {
            "whole digit": (oracle_acc, float(oracles["whole digit"].score(with_average, y_test))),
            "generated half only": (float(oracles[target].score(X_test[target], y_test)), 0.1),
        }
        print(
            f"{direction}: whole-digit oracle on real {source} + average {target}: "
            f"{reference[direction]['whole digit'][1]:.3f}; {target}-only oracle on real "
            f"{target}s: {reference[direction]['generated half only'][0]:.3f}"
        )

    start = time.perf_counter()
    coherence = {}  # model -> oracle -> direction -> list over LEVELS
    for level in LEVELS:
        X_train, y_train = hide_views_and_labels(
            X_real, y_real, labeled=level, missing_views=1.0, random_state=0
        )
        n_paired = int((y_train != -1).sum())
        print(
            f"supervision {level:g}: {n_paired} of {len(y_train)} training rows "
            "have both halves and a label",
            flush=True,
        )
        for Estimator in skpoe.ESTIMATORS:
            model = Estimator(max_iter=2 if quick else 40, batch_size=128, random_state=0)
            model.fit(X_train, y_train)
            per_model = coherence.setdefault(
                Estimator.__name__, {o: {d: [] for d in DIRECTIONS} for o in ORACLES}
            )
            for direction, (source, target) in DIRECTIONS.items():
                per_model["whole digit"][direction].append(
                    cross_coherence(
                        model, X_test, y_test, oracles["whole digit"], source, oracle_views=whole
                    )
                )
                per_model["generated half only"][direction].append(
                    cross_coherence(
                        model, X_test, y_test, oracles[target], source, oracle_views=[target]
                    )
                )
    print(f"{len(LEVELS) * len(skpoe.ESTIMATORS)} fits in {time.perf_counter() - start:.0f} s")

    header = " | ".join(f"{d} @ {lv:g}" for d in DIRECTIONS for lv in LEVELS)
    for oracle in ORACLES:
        print(f"\ncross-coherence, oracle: {oracle}\n| model | {header} |")
        print("|---" * (1 + len(LEVELS) * len(DIRECTIONS)) + "|")
        for name, per_model in coherence.items():
            cells = " | ".join(f"{c:.3f}" for d in DIRECTIONS for c in per_model[oracle][d])
            print(f"| {name} | {cells} |")

    fig, axes = plt.subplots(2, 2, figsize=(12.5, 7.5), sharex=True, sharey=True)
    for row, oracle in zip(axes, ORACLES):
        for ax, direction in zip(row, DIRECTIONS):
            source, target = DIRECTIONS[direction]
            for name, per_model in coherence.items():
                ax.plot(LEVELS, per_model[oracle][direction], marker="o", label=name)
            real, floor = reference[direction][oracle]
            ax.axhline(real, color="grey", ls="--", lw=1, label="oracle on real data")
            ax.axhline(
                floor,
                color="grey",
                ls=":",
                lw=1,
                label="average half generated" if oracle == "whole digit" else "chance",
            )
            ax.set_xscale("log")
            ax.set_xticks(LEVELS)
            ax.set_xticklabels([f"{lv:g}" for lv in LEVELS])
            ax.minorticks_off()
            ax.set_title(f"{target} generated from {source}; oracle: {oracle}", fontsize=10)
            ax.grid(alpha=0.3)
        row[0].set_ylabel("cross-coherence")
        row[1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    for ax in axes[1]:
        ax.set_xlabel("supervision level (share of paired, labeled training rows)")
    axes[0, 0].set_ylim(0, 1)
    fig.suptitle("Cross-modal coherence on digit halves against supervision", fontsize=11)
    fig.tight_layout()
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "coherence_vs_supervision.png")
    if quick:
        mark_smoke_run(fig)  # the figure says it is no result
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"\nwrote {path}")
    return {
        "levels": list(LEVELS),
        "oracle_accuracy": oracle_acc,
        "coherence": coherence,
        "png": path,
    }


if __name__ == "__main__":
    import torch
    from threadpoolctl import threadpool_limits

    # Small networks: one thread is as fast as two and does not collapse when
    # other processes share the CPU (OpenMP spin-waiting); the same holds for
    # scikit-learn's OpenMP and BLAS pools (t-SNE, logistic regression).
    torch.set_num_threads(1)
    threadpool_limits(1)
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny fits, for a smoke test")
    parser.add_argument("--out-dir", default=".", help="folder for the PNG")
    args = parser.parse_args()
    main(quick=args.quick, out_dir=args.out_dir)
