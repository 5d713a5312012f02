"""Log every epoch of a fit to a CSV file with a callback, and stop on your own rule
=================================================================================

Needs the examples extra (matplotlib and pandas): pip install -e ".[examples]"

A callback is any object with any of ``on_fit_begin(estimator, trainer)``,
``on_epoch_end(estimator, trainer, epoch, logs)`` and
``on_fit_end(estimator, trainer)`` (see ``skpoe.train.callbacks``). Here
``CSVLogger`` writes one row per epoch (the epoch's history entry: loss,
reconstruction per view, KL, label terms, and the validation terms with early
stopping), flushed as it goes, so a tracker or a shell (``tail -f``) can follow
a long fit. ``StopOnPlateau`` ends the fit once the training loss has fallen
by less than 1% over five epochs: returning ``True`` from ``on_epoch_end``
stops it, and the model keeps that epoch's weights.

Run: python examples/log_to_csv.py [--quick] [--out-dir DIR]
(writes ``training_log.csv`` and ``training_log.png``; about 20 seconds on two CPU cores).
"""

import argparse
import csv
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from skpoe import MultimodalPoEVAE  # noqa: E402
from skpoe.datasets import hide_views_and_labels, load_digits_views  # noqa: E402
from skpoe.plotting import mark_smoke_run


class CSVLogger:
    """Write each epoch's logs as one CSV row to ``path``."""

    def __init__(self, path):
        self.path = path

    def on_fit_begin(self, estimator, trainer):
        self._file = open(self.path, "w", newline="")
        self._writer = None

    def on_epoch_end(self, estimator, trainer, epoch, logs):
        if self._writer is None:
            self._writer = csv.DictWriter(self._file, ["epoch", *logs], extrasaction="ignore")
            self._writer.writeheader()
        self._writer.writerow({"epoch": epoch, **logs})
        self._file.flush()

    def on_fit_end(self, estimator, trainer):
        self._file.close()

    def __getstate__(self):  # clone and pickle copy the settings, not the open file
        return {"path": self.path}


class StopOnPlateau:
    """Stop once the training loss fell by less than ``rel_tol`` over the last ``window`` epochs."""

    def __init__(self, rel_tol=0.01, window=5):
        self.rel_tol = rel_tol
        self.window = window

    def on_epoch_end(self, estimator, trainer, epoch, logs):
        losses = trainer.history["loss"]
        if len(losses) <= self.window:
            return False
        before = losses[-1 - self.window]
        return (before - losses[-1]) < self.rel_tol * abs(before)


def main(quick=False, out_dir="."):
    if quick:
        print(
            "smoke run: tiny data and fits to check that the example works; "
            "the numbers mean nothing"
        )
    X, y = load_digits_views()
    if quick:
        X, y = X[:400], y[:400]
    X, y = hide_views_and_labels(X, y, labeled=0.1, missing_views=0.2, random_state=0)
    path = os.path.join(out_dir, "training_log.csv")
    model = MultimodalPoEVAE(
        max_iter=3 if quick else 200,
        random_state=0,
        callbacks=[CSVLogger(path), StopOnPlateau(rel_tol=0.01, window=5)],
    ).fit(X, y)
    log = pd.read_csv(path)
    print(
        f"{len(log)} epochs logged to {path} (n_iter_={model.n_iter_}); columns: "
        + ", ".join(log.columns)
    )
    print(log[["epoch", "loss", "kl", "label"]].tail(3).to_string(index=False))

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.2))
    ax1.plot(log["epoch"], log["loss"])
    ax1.set(xlabel="epoch", ylabel="training loss", title="loss per epoch (from the CSV)")
    ax2.plot(log["epoch"], log["kl"], label="KL")
    ax2.plot(log["epoch"], log["label"], label="label terms")
    ax2.set(xlabel="epoch", title=f"stopped on a plateau after epoch {len(log)}")
    ax2.legend()
    fig.tight_layout()
    png = os.path.join(out_dir, "training_log.png")
    if quick:
        mark_smoke_run(fig)  # the figure says it is no result
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return {
        "csv": path,
        "png": png,
        "epochs_logged": len(log),
        "n_iter": int(model.n_iter_),
        "final_loss": float(log["loss"].iloc[-1]),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").partition("\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny data, a smoke run")
    parser.add_argument("--out-dir", default=".")
    args = parser.parse_args()
    main(quick=args.quick, out_dir=args.out_dir)
