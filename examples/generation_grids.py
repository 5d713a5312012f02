"""Cross-modal generation with every multimodal VAE in skpoe
=========================================================

Needs the examples extra (matplotlib and pandas): pip install -e ".[examples]"

Each estimator of ``skpoe.ESTIMATORS`` is fitted on the 8x8 scikit-learn
digits split into a top and a bottom half, with 10% of the training labels
kept. For one test digit of each class the figure shows, per model:

* the real digit (first row, shared by all models),
* the real top with a bottom generated from the top alone
  (``model.impute({"top": tops})``),
* the real bottom with a top generated from the bottom alone.

A red line marks the border between the real and the generated half. The
script also prints each model's cross-coherence in both directions: the
accuracy of a logistic regression trained on whole real digits when it reads
a real half next to a generated one.

Run: python examples/generation_grids.py [--quick] [--out-dir DIR]
(writes ``generation_grids.png``; about a minute and a half on two CPU cores).
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

SIDE = 8  # digits are 8x8; each half is 4 rows of 8 pixels


def strip(images):
    """One image strip of 8x8 digits side by side, one blank column between."""
    h = images[0].shape[0]
    out = np.full((h, len(images) * (SIDE + 1) - 1), np.nan)
    for i, img in enumerate(images):
        out[:, i * (SIDE + 1) : i * (SIDE + 1) + SIDE] = img
    return out


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
    X_train, y_train = hide_views_and_labels(
        X[idx_train], y[idx_train], labeled=0.1, random_state=0
    )
    X_test, y_test = X[idx_test], y[idx_test]

    # the oracle: a classifier of whole real digits (top and bottom stacked)
    oracle = LogisticRegression(max_iter=5000).fit(
        np.hstack([X[idx_train]["top"], X[idx_train]["bottom"]]), y[idx_train]
    )
    oracle_acc = oracle.score(np.hstack([X_test["top"], X_test["bottom"]]), y_test)
    print(f"oracle accuracy on real test digits: {oracle_acc:.3f}")

    shown = [int(np.where(y_test == d)[0][0]) for d in range(10)]
    tops, bottoms = X_test["top"][shown], X_test["bottom"][shown]

    def whole(top, bottom):
        return [np.vstack([t.reshape(4, SIDE), b.reshape(4, SIDE)]) for t, b in zip(top, bottom)]

    rows = [("real digits", whole(tops, bottoms), None)]
    results = {}
    for Estimator in skpoe.ESTIMATORS:
        name = Estimator.__name__
        model = Estimator(max_iter=2 if quick else 40, batch_size=128, random_state=0)
        start = time.perf_counter()
        model.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        gen_bottoms = model.impute({"top": tops})["bottom"]
        gen_tops = model.impute({"bottom": bottoms})["top"]
        rows.append((f"{name}\nbottom from top", whole(tops, gen_bottoms), "bottom"))
        rows.append((f"{name}\ntop from bottom", whole(gen_tops, bottoms), "top"))
        results[name] = {
            "top_to_bottom": cross_coherence(
                model, X_test, y_test, oracle, source="top", oracle_views=["top", "bottom"]
            ),
            "bottom_to_top": cross_coherence(
                model, X_test, y_test, oracle, source="bottom", oracle_views=["top", "bottom"]
            ),
            "fit_seconds": seconds,
        }

    print("\ncross-coherence (oracle accuracy on a real half + a generated half)")
    print(f"| {'model':<16} | top -> bottom | bottom -> top | fit (s) |")
    print(f"|{'-' * 18}|---------------|---------------|---------|")
    for name, r in results.items():
        print(
            f"| {name:<16} | {r['top_to_bottom']:13.3f} | {r['bottom_to_top']:13.3f} "
            f"| {r['fit_seconds']:7.1f} |"
        )

    fig, axes = plt.subplots(len(rows), 1, figsize=(7.5, 0.8 * len(rows) + 0.6))
    for ax, (label, images, generated) in zip(axes, rows):
        ax.imshow(strip(images), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        if generated is not None:
            for i in range(len(images)):
                x0 = i * (SIDE + 1) - 0.5
                ax.plot([x0, x0 + SIDE], [3.5, 3.5], color="tab:red", lw=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
        for side in ax.spines.values():
            side.set_visible(False)
    fig.suptitle(
        "Cross-modal generation on digit halves (10% labels); red line: real | generated",
        fontsize=9,
    )
    fig.tight_layout()
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "generation_grids.png")
    if quick:
        mark_smoke_run(fig)  # the figure says it is no result
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"\nwrote {path}")
    return {"oracle_accuracy": float(oracle_acc), "coherence": results, "png": path}


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
