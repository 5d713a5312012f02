"""Tune a MultimodalPoEVAE inside a scikit-learn Pipeline with GridSearchCV
========================================================================

Needs the examples extra (matplotlib and pandas): pip install -e ".[examples]"

The pipeline embeds two views of a digit (top and bottom halves of the 8x8
digits) with ``MultimodalPoEVAE`` and classifies the embedding with a
logistic regression. Only 10% of the training rows are labeled (``-1``
elsewhere) and a fifth of the unlabeled rows miss one half, so:

* the logistic regression is wrapped in ``skpoe.semi_supervised.LabeledOnly``,
  which fits it on the labeled rows only (a plain ``LogisticRegression``
  would learn ``-1`` as a class, and skpoe warns with a
  ``PartialLabelsWarning``);
* the VAE still sees every row, labeled or not, and ``supervision_weight``
  sets how strongly the labels shape its latent space;
* scoring uses ``skpoe.metrics.labeled_scorer()``: accuracy over the labeled
  rows of each validation fold.

The grid covers ``n_components`` and ``supervision_weight`` of the VAE
(``multimodalpoevae__...`` in the pipeline). The script prints the
``cv_results_`` summary, the test accuracy of the refitted best pipeline next
to the VAE's own ``predict`` (its ``score``: accuracy over labeled rows), and
writes ``grid_search.png``, a heat map of the mean validation accuracy.

The fits are short (25 epochs) and each validation fold has only about 45
labeled rows, so the scores are noisy. With weak supervision and short
training the latent space can stay collapsed onto the prior (posterior
collapse: near-constant embeddings), which is what the lowest cells show;
stronger supervision, or more epochs, pulls it out.

Run: python examples/grid_search.py [--quick] [--out-dir DIR]
(about a minute and a half on two CPU cores).
"""

import argparse
import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

from skpoe import MultimodalPoEVAE  # noqa: E402
from skpoe.datasets import hide_views_and_labels, load_digits_views  # noqa: E402
from skpoe.metrics import labeled_scorer  # noqa: E402
from skpoe.plotting import mark_smoke_run
from skpoe.semi_supervised import LabeledOnly  # noqa: E402


def main(quick=False, out_dir="."):
    if quick:
        print(
            "smoke run: tiny data and fits to check that the example works; "
            "the numbers mean nothing"
        )
    X, y = load_digits_views()
    if quick:
        X, y = X[:400], y[:400]
    idx_train, idx_test = train_test_split(
        np.arange(len(y)), test_size=0.25, stratify=y, random_state=0
    )
    X_train, y_train = hide_views_and_labels(
        X[idx_train],
        y[idx_train],
        labeled=0.1 if not quick else 0.3,
        missing_views=0.2,
        random_state=0,
    )
    X_test, y_test = X[idx_test], y[idx_test]

    pipe = make_pipeline(
        MultimodalPoEVAE(max_iter=2 if quick else 25, batch_size=128, random_state=0),
        LabeledOnly(LogisticRegression(max_iter=2000)),
    )
    grid = {
        "multimodalpoevae__n_components": [4, 16],
        "multimodalpoevae__supervision_weight": [10.0, 50.0] if quick else [10.0, 50.0, 200.0],
    }
    # GridSearchCV splits the dict of views by rows (skpoe's ModalityDict)
    # and stratifies on y, unlabeled rows (-1) included.
    search = GridSearchCV(pipe, grid, scoring=labeled_scorer(), cv=3)
    start = time.perf_counter()
    search.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    n_fits = len(search.cv_results_["params"]) * search.n_splits_ + 1
    print(f"grid search: {n_fits} fits in {seconds:.0f} s")

    res = pd.DataFrame(search.cv_results_)
    table = res[
        [
            "param_multimodalpoevae__n_components",
            "param_multimodalpoevae__supervision_weight",
            "mean_test_score",
            "std_test_score",
            "rank_test_score",
            "mean_fit_time",
        ]
    ].rename(columns=lambda c: c.replace("param_multimodalpoevae__", ""))
    print(table.sort_values("rank_test_score").to_string(index=False, float_format="%.3f"))
    print(f"best: {search.best_params_} (mean validation accuracy {search.best_score_:.3f})")

    best = search.best_estimator_
    vae = best.named_steps["multimodalpoevae"]
    pipeline_acc = float(best.score(X_test, y_test))  # the test set is fully labeled
    vae_acc = float(vae.score(X_test, y_test))  # the VAE's own label decoder
    print(
        f"test accuracy, refitted best pipeline (logistic regression on embeddings): "
        f"{pipeline_acc:.3f}"
    )
    print(f"test accuracy, its MultimodalPoEVAE's own predict: {vae_acc:.3f}")

    scores = table.pivot(
        index="supervision_weight", columns="n_components", values="mean_test_score"
    )
    stds = table.pivot(index="supervision_weight", columns="n_components", values="std_test_score")
    fig, ax = plt.subplots(figsize=(5.2, 4.2))
    im = ax.imshow(scores.to_numpy(), cmap="viridis", origin="lower", aspect="auto")
    for i in range(scores.shape[0]):
        for j in range(scores.shape[1]):
            ax.text(
                j,
                i,
                f"{scores.iat[i, j]:.3f}\n± {stds.iat[i, j]:.3f}",
                ha="center",
                va="center",
                color="white" if scores.iat[i, j] < scores.to_numpy().mean() else "black",
                fontsize=9,
            )
    ax.set_xticks(range(scores.shape[1]), [str(c) for c in scores.columns])
    ax.set_yticks(range(scores.shape[0]), [f"{w:g}" for w in scores.index])
    ax.set_xlabel("n_components")
    ax.set_ylabel("supervision_weight")
    ax.set_title(
        "Mean 3-fold validation accuracy (labeled rows)\n"
        "Pipeline(MultimodalPoEVAE, logistic regression)",
        fontsize=10,
    )
    fig.colorbar(im, ax=ax, label="accuracy")
    fig.tight_layout()
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "grid_search.png")
    if quick:
        mark_smoke_run(fig)  # the figure says it is no result
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"\nwrote {path}")
    return {
        "best_params": search.best_params_,
        "best_cv_accuracy": float(search.best_score_),
        "mean_test_scores": [float(s) for s in search.cv_results_["mean_test_score"]],
        "test_accuracy_pipeline": pipeline_acc,
        "test_accuracy_vae": vae_acc,
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
