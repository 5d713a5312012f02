"""GridSearchCV of MultimodalPoEVAE run side by side: torch threads per fit and wall time.

For each way of running the search (joblib's loky processes, joblib's threads,
Dask on a local cluster in threads or processes) and ``n_jobs``, print the
most torch intra-op threads any fit saw during training and the wall time,
as a markdown table; with ``--out`` the table and the command are written to
that file.

    python benchmarks/parallel_search.py [--max-iter 2] [--rows 900] [--out results/parallel_search.md]

Run it without ``OMP_NUM_THREADS`` set, as a user would: the parent process
then has one torch thread per core.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time

import joblib
import numpy as np
import torch
from sklearn.model_selection import GridSearchCV
from torch import nn

import skpoe
from skpoe import MultimodalPoEVAE
from skpoe.datasets import load_digits_views


class ThreadProbe(nn.Module):
    """A linear encoder body that records the torch threads it runs with."""

    def __init__(self, n_in=32, width=256):
        super().__init__()
        self.lin = nn.Linear(n_in, width)
        self.seen = 0

    def forward(self, x):
        if self.training and torch.is_grad_enabled():  # training steps, not the build
            self.seen = max(self.seen, torch.get_num_threads())
        return torch.relu(self.lin(x))


def threads_seen(est, X, y):
    return float(est.module_.encoders[0].net[0].seen)


def accuracy(est, X, y):
    return est.score(X, y)


def final_loss(est, X, y):
    return est.loss_curve_[-1]


@contextlib.contextmanager
def dask_backend(processes):
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2 if processes else 1,
            threads_per_worker=1 if processes else 2,
            processes=processes,
            dashboard_address=None,
        ) as cluster,
        Client(cluster),
    ):
        with joblib.parallel_backend("dask"):
            yield


def run(how, n_jobs, X, y, max_iter):
    with torch.random.fork_rng():
        torch.manual_seed(0)  # the same probe body in every search
        probe = ThreadProbe()
    search = GridSearchCV(
        MultimodalPoEVAE(max_iter=max_iter, random_state=0, device="cpu", encoders={"top": probe}),
        {"n_components": [16, 32], "beta": [0.5, 1.0]},
        cv=2,
        scoring={"accuracy": accuracy, "threads": threads_seen, "loss": final_loss},
        refit=False,
        n_jobs=n_jobs,
    )
    if how.startswith("dask"):
        ctx = dask_backend(processes=how == "dask processes")
    else:
        ctx = joblib.parallel_backend(how)
    with ctx:
        start = time.perf_counter()
        search.fit(X, y)
        wall = time.perf_counter() - start
    res = search.cv_results_
    losses = " ".join(f"{v:.3f}" for v in res["mean_test_loss"])
    return wall, int(res["mean_test_threads"].max()), float(res["mean_test_accuracy"].max()), losses


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-iter", type=int, default=2)
    parser.add_argument("--rows", type=int, default=900)
    parser.add_argument("--out", default=None)
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument(
        "--only", default=None, help="comma-separated backends to run, e.g. threading"
    )
    args = parser.parse_args(argv)
    X, y = load_digits_views()
    X = skpoe.ModalityDict({k: v[: args.rows] for k, v in X.items()})
    y = y[: args.rows]
    y = np.where(np.arange(len(y)) % 10 == 0, y, -1)
    cases = [("loky", 1), ("loky", 2), ("threading", 2)]
    if not args.skip_dask:
        cases += [("dask threads", -1), ("dask processes", -1)]
    if args.only:
        cases = [c for c in cases if c[0] in args.only.split(",")]
    lines = [
        f"skpoe {skpoe.__file__}; parent: torch {torch.get_num_threads()} threads, "
        f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, cpu_count {joblib.cpu_count()}",
        "",
        "| backend | n_jobs | torch threads in a fit (max) | wall s | best accuracy | final losses |",
        "|---|---|---|---|---|---|",
    ]
    print("\n".join(lines), flush=True)
    for how, n_jobs in cases:
        wall, threads, acc, losses = run(how, n_jobs, X, y, args.max_iter)
        line = f"| {how} | {n_jobs} | {threads} | {wall:.1f} | {acc:.3f} | {losses} |"
        print(line, flush=True)
        lines.append(line)
    if args.out:
        cmd = "python " + " ".join([os.path.relpath(sys.argv[0])] + sys.argv[1:])
        with open(args.out, "a") as f:
            f.write(f"\n`{cmd}`\n\n" + "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
