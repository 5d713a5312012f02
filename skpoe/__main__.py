"""Command line: ``python -m skpoe demo`` (also the ``skpoe`` console script)."""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning

__all__ = ["main", "run_demo"]


def run_demo(
    epochs=None,
    labeled=0.1,
    missing_views=0.2,
    out="skpoe_demo.png",
    device="auto",
    seed=0,
    verbose=1,
    stream=None,
    few_labels=0.01,
):
    """Fit MultimodalPoEVAE on digits halves with 10% labels and missing views.

    Prints a table of label accuracy from the top only, the bottom only and
    both halves next to the baselines a user already has (a logistic
    regression trained on the labeled rows and ``LabelSpreading`` on all rows,
    missing halves mean-imputed for "both"), plus the fit time, and writes a
    PNG with a title: real digits, bottoms generated from tops and tops from
    bottoms (the generated half framed in red), and the accuracy table. The
    figure needs matplotlib (``pip install "skpoe[demo]"``); without it the
    table is printed and the demo says how to get the figure. ``epochs=None``
    uses the estimator's default ``max_iter``. Then, on the same split with
    a share ``few_labels`` of the labels (1%: 13 of 1,347 rows), it prints the
    model next to a logistic regression, ``LabelSpreading`` and
    ``SelfTrainingClassifier`` in a few lines (``few_labels=0`` skips it).

    Returns
    -------
    results : dict
        ``{"views": {name: (skpoe_acc, logreg_acc, labelspreading_acc)},
        "fit_seconds": float, "png": path or None, "few_labels": {"views":
        {name: (top, bottom, both)}, "n_labeled": int} or None}`` (``png`` is
        ``None`` without matplotlib).
    """
    from sklearn.model_selection import train_test_split

    from skpoe import MultimodalPoEVAE
    from skpoe._demo_figure import MISSING_MATPLOTLIB, demo_figure
    from skpoe.datasets import hide_views_and_labels, load_digits_views
    from skpoe.model_selection._baselines import ViewBaseline, default_baselines

    stream = stream or sys.stdout

    def say(*args):
        print(*args, file=stream, flush=True)

    X, y = load_digits_views(2)
    idx_train, idx_test = train_test_split(
        np.arange(len(y)), test_size=0.25, random_state=seed, stratify=y
    )
    X_train, X_test = X[idx_train], X[idx_test]
    y_test = y[idx_test]
    X_train, y_train = hide_views_and_labels(
        X_train,
        y[idx_train],
        labeled=labeled,
        missing_views=missing_views,
        random_state=seed,
    )
    n_lab = int((y_train != -1).sum())
    n_missing = int(sum(np.isnan(v[:, 0]).sum() for v in X_train.values()))
    say(
        f"skpoe demo: digits split into top and bottom halves; {len(idx_train)} "
        f"training rows, {n_lab} labeled ({labeled:.0%}), {n_missing} with one "
        f"half missing; {len(idx_test)} test rows."
    )
    params = {} if epochs is None else {"max_iter": epochs}
    model = MultimodalPoEVAE(random_state=seed, verbose=verbose, device=device, **params)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        model.fit(X_train, y_train)
    fit_seconds = time.perf_counter() - start
    for w in caught:
        if not issubclass(w.category, ConvergenceWarning):
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        # the default max_iter stops before the loss flattens on purpose: held-out
        # accuracy peaks early (benchmarks/results/convergence_digits-halves.md)
        say(
            f"(the training loss was still falling after {model.n_iter_} epochs; the default "
            "max_iter stops there because held-out accuracy does not improve with more)"
        )

    baselines = [
        ViewBaseline(clf, ["top", "bottom"]).fit(X_train, y_train.astype(int))
        for clf in default_baselines().values()
    ]
    results = {}
    for views in (["top"], ["bottom"], ["top", "bottom"]):
        acc = float(np.mean(model.predict({v: X_test[v] for v in views}) == y_test))
        view = views[0] if len(views) == 1 else None
        base = [float(np.mean(b.predict(X_test, view) == y_test)) for b in baselines]
        results[" + ".join(views)] = (acc, *base)

    say("")
    say(
        f"| predict the label from | MultimodalPoEVAE | logistic regression on the {n_lab} "
        "labeled rows | LabelSpreading |"
    )
    say("|---|---|---|---|")
    for name, accs in results.items():
        say(f"| {name} | " + " | ".join(f"{a:.3f}" for a in accs) + " |")
    say(f"\nfit time: {fit_seconds:.1f} s for {model.n_iter_} epochs on {model.device_}")
    few = _few_labels(X[idx_train], y[idx_train], X_test, y_test, few_labels, params, device, seed)
    if few is not None:
        say(
            f"\nwith {few['n_labeled']} labels ({few_labels:.0%}), the unlabeled rows doing "
            "the rest (accuracy from top / bottom / both):"
        )
        for name, accs in few["views"].items():
            say(f"  {name:<20} " + " / ".join(f"{a:.3f}" for a in accs))

    # cross-modal generation: each half generated from the other, beside the truth
    shown = np.array([int(np.where(y_test == d)[0][0]) for d in range(10)])
    real = {v: X_test[v][shown] for v in ("top", "bottom")}
    generated = {
        "bottom": model.impute({"top": real["top"]})["bottom"],
        "top": model.impute({"bottom": real["bottom"]})["top"],
    }
    caption = (
        f"digits split into top and bottom halves; {len(idx_train)} training rows, "
        f"{n_lab} labeled ({labeled:.0%}), {n_missing} with one half missing; "
        f"fit {fit_seconds:.0f} s, {model.n_iter_} epochs"
    )
    try:
        demo_figure(out, real, generated, y_test[shown], results, caption)
    except ImportError:
        say(f"\nno figure written: {MISSING_MATPLOTLIB}")
        out = None
    else:
        say(
            f"wrote {out}: real digits, then each half generated from the other (red "
            "frame), and the accuracy table"
        )
    return {"views": results, "fit_seconds": fit_seconds, "png": out, "few_labels": few}


def _few_labels(X_train, y_train, X_test, y_test, labeled, params, device, seed):
    """The same split with a share ``labeled`` of labels: the model and three baselines."""
    if not labeled:
        return None
    from skpoe import MultimodalPoEVAE
    from skpoe.datasets import hide_views_and_labels
    from skpoe.model_selection._baselines import ViewBaseline, baseline_catalogue

    X_h, y_h = hide_views_and_labels(
        X_train, y_train, labeled=labeled, missing_views=0.2, random_state=seed
    )
    model = MultimodalPoEVAE(random_state=seed, device=device, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_h, y_h)
    catalogue = baseline_catalogue()
    views: dict[str, Any] = {"MultimodalPoEVAE": model}  # and the baselines, by name
    for name in ("LogisticRegression", "LabelSpreading", "SelfTraining"):
        views[name] = ViewBaseline(catalogue[name], ["top", "bottom"]).fit(X_h, y_h.astype(int))
    out = {}
    with warnings.catch_warnings():
        # LabelSpreading divides by zero for test rows its graph does not reach (its own
        # RuntimeWarning): keep the demo's output to the table
        warnings.filterwarnings("ignore", "invalid value encountered", RuntimeWarning)
        for name, est in views.items():
            accs = []
            for view in ("top", "bottom", None):
                if name == "MultimodalPoEVAE":
                    pred = est.predict(X_test if view is None else {view: X_test[view]})
                else:
                    pred = est.predict(X_test, view)
                accs.append(float(np.mean(pred == y_test)))
            out[name] = tuple(accs)
    return {"views": out, "n_labeled": int((y_h != -1).sum())}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="skpoe", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="fit on digits halves with 10%% labels and print a table")
    demo.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="training epochs (default: the estimator's max_iter)",
    )
    demo.add_argument("--labeled", type=float, default=0.1, help="share of labeled training rows")
    demo.add_argument(
        "--missing-views",
        type=float,
        default=0.2,
        help="share of unlabeled rows that keep only one half",
    )
    demo.add_argument(
        "--few-labels",
        type=float,
        default=0.01,
        help="then the same with this share of labels (0: skip)",
    )
    demo.add_argument("--out", default="skpoe_demo.png", help="PNG of cross-modal generation")
    demo.add_argument("--device", default="auto")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--quiet", action="store_true", help="no per-epoch progress")
    args = parser.parse_args(argv)
    if args.command != "demo":
        parser.print_help()
        return 0 if args.command is None and argv == [] else 2
    run_demo(
        epochs=args.epochs,
        labeled=args.labeled,
        missing_views=args.missing_views,
        out=args.out,
        device=args.device,
        seed=args.seed,
        verbose=0 if args.quiet else 1,
        few_labels=args.few_labels,
    )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
