"""One latent space for every subset of views
==========================================

Needs the examples extra (matplotlib and pandas): pip install -e ".[examples]"

A MultimodalPoEVAE is fitted on the 8x8 digits split into a top and a bottom
half, with 10% of the training labels and a fifth of the unlabeled rows
showing one half only. ``model.transform`` then embeds each test digit three
times: from its top only, from its bottom only, and from both halves. The
three sets of embeddings are projected to 2-D together (t-SNE; PCA with
``--quick``), so the panels share one map: with substitute experts, a digit
lands in the same region whichever half the model sees.

The script also prints the accuracy of a logistic regression trained on the
embeddings (from both halves) of the labeled training rows, applied to test
embeddings from each subset of views, next to the model's own ``predict``.

Run: python examples/latent_space.py [--quick] [--out-dir DIR]
(writes ``latent_space.png``; about half a minute on two CPU cores).
"""

import argparse
import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.decomposition import PCA  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.manifold import TSNE  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from skpoe import MultimodalPoEVAE  # noqa: E402
from skpoe.datasets import hide_views_and_labels, load_digits_views  # noqa: E402
from skpoe.plotting import mark_smoke_run


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
        X[idx_train], y[idx_train], labeled=0.1, missing_views=0.2, random_state=0
    )
    X_test, y_test = X[idx_test], y[idx_test]

    model = MultimodalPoEVAE(max_iter=2 if quick else 60, batch_size=128, random_state=0)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    print(f"fit: {time.perf_counter() - start:.1f} s for {model.n_iter_} epochs")

    subsets = {
        "top only": {"top": X_test["top"]},
        "bottom only": {"bottom": X_test["bottom"]},
        "top + bottom": X_test,
    }
    Z = {name: model.transform(views) for name, views in subsets.items()}

    # a linear probe trained on joint embeddings of the labeled training rows
    labeled = y_train != -1
    both_train = {v: X_train[v][labeled] for v in ("top", "bottom")}
    probe = LogisticRegression(max_iter=2000).fit(model.transform(both_train), y_train[labeled])
    results = {}
    print("\n| embedded from | probe on joint embeddings | model.predict |")
    print("|---|---|---|")
    for name, views in subsets.items():
        probe_acc = float(probe.score(Z[name], y_test))
        predict_acc = float(model.score(views, y_test))
        results[name] = {"probe_accuracy": probe_acc, "predict_accuracy": predict_acc}
        print(f"| {name} | {probe_acc:.3f} | {predict_acc:.3f} |")

    # how far a one-half embedding lies from the joint one, relative to spread
    spread = np.sqrt(((Z["top + bottom"] - Z["top + bottom"].mean(0)) ** 2).sum(1).mean())
    for name in ("top only", "bottom only"):
        gap = np.sqrt(((Z[name] - Z["top + bottom"]) ** 2).sum(1).mean())
        results[name]["distance_to_joint"] = float(gap / spread)
        print(f"RMS distance {name} -> joint embedding: {gap / spread:.2f} x the spread")

    stacked = np.vstack(list(Z.values()))
    if quick:
        method = "PCA"
        flat = PCA(n_components=2, random_state=0).fit_transform(stacked)
    else:
        method = "t-SNE"
        tsne = TSNE(n_components=2, init="pca", perplexity=30, random_state=0)
        flat = tsne.fit_transform(stacked)
    parts = np.split(flat, len(Z))

    fig, axes = plt.subplots(1, 3, figsize=(13, 4.6), sharex=True, sharey=True)
    cmap = plt.get_cmap("tab10")
    for ax, (name, P) in zip(axes, zip(Z, parts)):
        ax.scatter(P[:, 0], P[:, 1], c=y_test, cmap=cmap, vmin=-0.5, vmax=9.5, s=9, alpha=0.8)
        for d in range(10):
            cx, cy = np.median(P[y_test == d], axis=0)
            ax.text(
                cx,
                cy,
                str(d),
                fontsize=13,
                weight="bold",
                ha="center",
                va="center",
                bbox=dict(boxstyle="circle,pad=0.15", fc="white", ec=cmap(d), alpha=0.85),
            )
        acc = results[name]["predict_accuracy"]
        ax.set_title(f"embedded from {name}  (predict accuracy {acc:.2f})", fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(
        f"MultimodalPoEVAE embeddings of {len(y_test)} test digits, one shared {method} map "
        "(colour = true digit)",
        fontsize=11,
    )
    fig.tight_layout()
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "latent_space.png")
    if quick:
        mark_smoke_run(fig)  # the figure says it is no result
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"\nwrote {path}")
    return {"accuracy": results, "projection": method, "png": path}


if __name__ == "__main__":
    import torch
    from threadpoolctl import threadpool_limits

    # Small networks: one thread is as fast as two and does not collapse when
    # other processes share the CPU (OpenMP spin-waiting); the same holds for
    # scikit-learn's OpenMP and BLAS pools (t-SNE, logistic regression).
    torch.set_num_threads(1)
    threadpool_limits(1)
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny fit and PCA, for a smoke test")
    parser.add_argument("--out-dir", default=".", help="folder for the PNG")
    args = parser.parse_args()
    main(quick=args.quick, out_dir=args.out_dir)
