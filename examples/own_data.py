"""Your own table: semi-supervised classification with a missing view
==================================================================

Needs the examples extra (matplotlib and pandas): pip install -e ".[examples]"

Starts from a plain table, as a user would have it (here scikit-learn's
breast cancer data, 569 tumours x 30 measurements, written to and read back
from CSV text), and shows every step to a fitted skpoe model:

1. split the columns into views, a dict of DataFrames: ``mean`` (the mean
   of each cell measurement), ``error`` (its standard error) and ``worst``
   (the mean of the three largest values). Raw scales differ by six orders
   of magnitude (``fractal dimension error`` ~0.001, ``worst area`` ~4000)
   and are left as they are: the Gaussian likelihood, picked automatically
   for data outside [0, 1], standardizes each column internally and returns
   imputations in the original units;
2. hide what real data lacks: the ``worst`` view of 30% of the training
   rows (rows of NaN) and 90% of the labels (``None`` for string labels);
3. fit a MultimodalPoEVAE, predict the diagnosis of held-out tumours from
   each view alone and from all three, next to a standardized logistic
   regression trained on the labeled rows that have those views;
4. impute the hidden ``worst`` views and compare them with the true values.

Writes ``own_data.png`` (accuracies; imputed against true ``worst area``).

Run: python examples/own_data.py [--quick] [--out-dir DIR]
(about half a minute on two CPU cores).
"""

import argparse
import io
import os
import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402
from sklearn.metrics import r2_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skpoe import MultimodalPoEVAE  # noqa: E402
from skpoe.plotting import mark_smoke_run


def load_table():
    """The data as a user would have it: a CSV file with a label column."""
    data = load_breast_cancer(as_frame=True)
    frame = data.frame.rename(columns={"target": "diagnosis"})
    frame["diagnosis"] = data.target_names[data.target]  # "malignant" / "benign"
    csv = io.StringIO()
    frame.to_csv(csv, index=False)
    csv.seek(0)
    return pd.read_csv(csv)  # with your data: pd.read_csv("your_file.csv")


def main(quick=False, out_dir="."):
    if quick:
        print(
            "smoke run: tiny data and fits to check that the example works; "
            "the numbers mean nothing"
        )
    rng = np.random.RandomState(0)
    df = load_table()

    # 1. columns -> views: any rule that groups your columns works
    views = {
        "mean": [c for c in df.columns if c.startswith("mean ")],
        "error": [c for c in df.columns if c.endswith(" error")],
        "worst": [c for c in df.columns if c.startswith("worst ")],
    }
    for name, cols in views.items():
        scale = df[cols].abs().max()
        print(
            f"view {name!r}: {len(cols)} columns, maxima from {scale.min():.3g} "
            f"({scale.idxmin()}) to {scale.max():.3g} ({scale.idxmax()})"
        )

    train, test = train_test_split(df, test_size=0.3, stratify=df["diagnosis"], random_state=0)
    X_train = {name: train[cols].copy() for name, cols in views.items()}
    X_test = {name: test[cols] for name, cols in views.items()}
    y_test = test["diagnosis"].to_numpy()

    # 2. what your data may lack: a view for some rows, most labels
    hidden = rng.rand(len(train)) < 0.3
    X_train["worst"].loc[hidden] = np.nan  # a whole row of NaN = that view missing
    labeled = rng.rand(len(train)) < 0.1
    y_train = train["diagnosis"].where(labeled, None).to_numpy(dtype=object)  # None = unlabeled
    print(
        f"\n{len(train)} training rows: {labeled.sum()} labeled, {hidden.sum()} without "
        f"the 'worst' view; {len(test)} test rows"
    )

    # 3. fit and predict from any subset of views
    model = MultimodalPoEVAE(n_components=8, max_iter=3 if quick else 150, random_state=0)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    print(
        f"fit: {time.perf_counter() - start:.1f} s for {model.n_iter_} epochs; likelihoods: "
        + ", ".join(
            f"{k}={v.name}" for k, v in model.likelihoods_.items() if not k.startswith("__")
        )
    )

    subsets = {
        "mean": ["mean"],
        "error": ["error"],
        "worst": ["worst"],
        "all three": ["mean", "error", "worst"],
    }
    accuracy = {}
    for label, names in subsets.items():
        skpoe_acc = float(model.score({n: X_test[n] for n in names}, y_test))
        # baseline: a standardized logistic regression on the labeled rows with these views
        rows = labeled & np.all([X_train[n].notna().all(axis=1) for n in names], axis=0)
        A = np.hstack([X_train[n].to_numpy()[rows] for n in names])
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000))
        clf.fit(A, y_train[rows].astype(str))
        base_acc = float(clf.score(np.hstack([X_test[n].to_numpy() for n in names]), y_test))
        accuracy[label] = {
            "skpoe": skpoe_acc,
            "logistic_regression": base_acc,
            "n_labeled": int(rows.sum()),
        }
    print(
        "\n| predict the diagnosis from | MultimodalPoEVAE | logistic regression (labeled rows) |"
    )
    print("|---|---|---|")
    for label, acc in accuracy.items():
        print(
            f"| {label} | {acc['skpoe']:.3f} | {acc['logistic_regression']:.3f} "
            f"({acc['n_labeled']} rows) |"
        )

    # 4. impute the hidden 'worst' views (observed values are left untouched)
    filled = model.impute(X_train)["worst"]  # a DataFrame: train's index, the 'worst' columns
    truth = train[views["worst"]].to_numpy()[hidden]
    imputed = filled.to_numpy()[hidden]
    r2_skpoe = float(r2_score(truth, imputed))  # mean R^2 over the 10 columns
    # baseline: a linear regression from the other two views, on the complete rows
    other = np.hstack([X_train[n].to_numpy() for n in ("mean", "error")])
    linreg = LinearRegression().fit(other[~hidden], X_train["worst"].to_numpy()[~hidden])
    r2_linear = float(r2_score(truth, linreg.predict(other[hidden])))
    print(
        f"\nimputed 'worst' views of {hidden.sum()} rows, mean R^2 over its "
        f"{truth.shape[1]} columns: MultimodalPoEVAE {r2_skpoe:.3f}, linear regression "
        f"from the other views {r2_linear:.3f} (column means: 0)"
    )

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1.4, 1]})
    pos = np.arange(len(accuracy))
    ax.bar(
        pos - 0.2,
        [a["skpoe"] for a in accuracy.values()],
        0.4,
        label=f"MultimodalPoEVAE ({labeled.sum()} labels + unlabeled rows)",
    )
    ax.bar(
        pos + 0.2,
        [a["logistic_regression"] for a in accuracy.values()],
        0.4,
        label="logistic regression (labeled rows only)",
    )
    for p, a in zip(pos, accuracy.values()):
        ax.text(p - 0.2, a["skpoe"] + 0.01, f"{a['skpoe']:.2f}", ha="center", fontsize=8)
        ax.text(
            p + 0.2,
            a["logistic_regression"] + 0.01,
            f"{a['logistic_regression']:.2f}",
            ha="center",
            fontsize=8,
        )
    ax.set_xticks(pos, [f"{k}" for k in accuracy])
    ax.set_xlabel("views seen at test time")
    ax.set_ylabel("test accuracy")
    ax.set_ylim(0, 1.22)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.legend(fontsize=8, loc="upper center", ncol=2)
    ax.set_title("Diagnosis from each view", fontsize=10)

    col = views["worst"].index("worst area")
    ax2.scatter(truth[:, col], imputed[:, col], s=10, alpha=0.7)
    lim = [0, truth[:, col].max() * 1.05]
    ax2.plot(lim, lim, color="grey", lw=1, ls="--")
    ax2.set_xlabel("true worst area")
    ax2.set_ylabel("imputed from 'mean' and 'error' views (same units)")
    r2_area = r2_score(truth[:, col], imputed[:, col])
    ax2.set_title(f"Imputed hidden 'worst' views (worst area: R² {r2_area:.2f})", fontsize=10)
    fig.suptitle(
        "Breast cancer table as three views, 30% of one view and 90% of labels hidden", fontsize=11
    )
    fig.tight_layout()
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "own_data.png")
    if quick:
        mark_smoke_run(fig)  # the figure says it is no result
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"\nwrote {path}")
    return {"accuracy": accuracy, "impute_r2": r2_skpoe, "impute_r2_linear": r2_linear, "png": path}


if __name__ == "__main__":
    import torch
    from threadpoolctl import threadpool_limits

    # Small networks: one thread is as fast as two and does not collapse when
    # other processes share the CPU (OpenMP spin-waiting); the same holds for
    # scikit-learn's OpenMP and BLAS pools (t-SNE, logistic regression).
    torch.set_num_threads(1)
    threadpool_limits(1)
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny fit, for a smoke test")
    parser.add_argument("--out-dir", default=".", help="folder for the PNG")
    args = parser.parse_args()
    main(quick=args.quick, out_dir=args.out_dir)
