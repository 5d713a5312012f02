"""Model selection run side by side: joblib processes and threads, and Dask."""

from __future__ import annotations

import threading

import joblib
import numpy as np
import pytest
import torch
from conftest import tiny
from sklearn.model_selection import GridSearchCV
from torch import nn

from skpoe import ModalityDict
from skpoe.estimators._threads import PARALLEL_WORK, default_threads, limit_threads
from skpoe.parallel import worker_threads

GRID = {"n_components": [2, 4], "beta": [0.5, 1.0]}


class ThreadProbe(nn.Module):
    """An encoder body that records the torch threads it trains with."""

    def __init__(self):
        super().__init__()
        with torch.random.fork_rng():
            torch.manual_seed(0)  # the same body in every search
            self.lin = nn.Linear(32, 16)
        self.seen = 0

    def forward(self, x):
        if self.training and torch.is_grad_enabled():  # training steps, not the build
            self.seen = max(self.seen, torch.get_num_threads())
        return torch.relu(self.lin(x))


def _threads_seen(est, X, y):
    return float(est.module_.encoders[0].net[0].seen)


def _accuracy(est, X, y):
    return est.score(X, y)


def _final_loss(est, X, y):
    return est.loss_curve_[-1]  # moves with every random draw of the fit


def _search(small, n_jobs):
    est = tiny(max_iter=2, encoders={"top": ThreadProbe()})
    scoring = {"accuracy": _accuracy, "threads": _threads_seen, "loss": _final_loss}
    return GridSearchCV(est, GRID, cv=2, scoring=scoring, refit="accuracy", n_jobs=n_jobs).fit(
        ModalityDict(small.X), small.y_part
    )


@pytest.fixture(scope="module")
def serial(small):
    return _search(small, 1)


def _same_search(a, b):
    assert a.best_params_ == b.best_params_
    for key in ("mean_test_accuracy", "mean_test_loss"):
        np.testing.assert_allclose(a.cv_results_[key], b.cv_results_[key], rtol=1e-6)


def _in_a_thread(fn):
    seen = []
    t = threading.Thread(target=lambda: seen.append(fn()))
    t.start()
    t.join()
    return seen[0]


def test_worker_threads_by_where_the_fit_runs():
    assert worker_threads() is None  # the main thread: torch's setting stays
    assert _in_a_thread(worker_threads) == 1


def test_default_threads_of_heavy_work_in_a_worker_thread():
    cpu = torch.device("cpu")
    heavy = PARALLEL_WORK
    assert default_threads(None, cpu, heavy) is None  # the main thread: torch's setting
    assert _in_a_thread(lambda: default_threads(None, cpu, heavy)) == 1
    assert _in_a_thread(lambda: default_threads(None, torch.device("cuda"), 0)) == 1
    assert _in_a_thread(lambda: default_threads(3, cpu, heavy)) == 3  # n_threads wins


def test_limit_threads_restores_the_count_after_the_last_block():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        with limit_threads(1):
            assert torch.get_num_threads() == 1
            with limit_threads(1):
                pass
            assert torch.get_num_threads() == 1  # an inner block does not restore
        assert torch.get_num_threads() == 2
        with limit_threads(None):  # leave torch's setting
            assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


@pytest.mark.distributed
def test_grid_search_in_two_processes_matches_one(small, serial):
    parallel = _search(small, 2)  # joblib's loky workers
    _same_search(serial, parallel)
    assert parallel.cv_results_["mean_test_threads"].max() == 1


def test_grid_search_in_two_threads_uses_one_torch_thread_each(small, serial):
    before = torch.get_num_threads()
    torch.set_num_threads(2)  # as a user's process on a 2-core machine
    try:
        with joblib.parallel_backend("threading"):
            parallel = _search(small, 2)
    finally:
        torch.set_num_threads(before)
    assert parallel.cv_results_["mean_test_threads"].max() == 1
    _same_search(serial, parallel)


def test_grid_search_on_a_dask_cluster_matches_one_process(small, serial):
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        with joblib.parallel_backend("dask"):
            parallel = _search(small, -1)
    assert parallel.cv_results_["mean_test_threads"].max() == 1
    _same_search(serial, parallel)
