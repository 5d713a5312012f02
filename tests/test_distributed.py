"""Data-parallel training: sharding, per-row noise, and a 2-process gloo run."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import skpoe
import skpoe.distributed as sd
import skpoe.distributed._group
from skpoe.distributed import DataParallel, _StepLoss, shard_bounds
from skpoe.noise import _rows, rand_rows, randn_rows, row_shard, start_state
from skpoe.train.batches import BatchGroups, TensorData, step_loss

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import distributed_fit  # noqa: E402


@pytest.mark.parametrize("n, world", [(25, 2), (7, 3), (64, 8), (5, 2), (3, 2), (1, 4)])
def test_shard_bounds_cover_the_minibatch(n, world):
    bounds = [shard_bounds(n, r, world) for r in range(world)]
    if n < 2 * world:
        assert bounds == [(0, n)] * world  # every rank computes it whole
    else:
        assert bounds[0][0] == 0 and bounds[-1][1] == n
        assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
        sizes = [stop - start for start, stop in bounds]
        assert max(sizes) - min(sizes) <= 1 and min(sizes) >= 2


def _layouts():
    T, p = torch.rand(15, 4), torch.rand(25, 4, 3)
    return [
        lambda rows: p[rows, 0],  # contiguous (n, D)
        lambda rows: torch.einsum("cm,nmd->ncd", T, p[rows]),  # rows not outermost in memory
    ]


@pytest.mark.parametrize("layout", range(2))
@pytest.mark.parametrize("draw", [randn_rows, rand_rows])
def test_a_shard_draws_the_rows_of_the_whole_minibatch(layout, draw):
    make = _layouts()[layout]
    torch.manual_seed(3)
    whole = draw(make(slice(0, 25)))
    for start, stop in [(0, 12), (12, 25), (5, 9)]:
        torch.manual_seed(3)
        with row_shard(25, start, stop):
            part = draw(make(slice(start, stop)))
        assert torch.equal(part, whole[start:stop])


def test_a_shard_of_a_shape_with_rows_inside():
    torch.manual_seed(0)
    whole = randn_rows(shape=(2, 3, 10, 4), row_dim=2)
    torch.manual_seed(0)
    with row_shard(10, 4, 7):
        part = randn_rows(shape=(2, 3, 3, 4), row_dim=2)
    assert torch.equal(part, whole[:, :, 4:7])


def test_a_shard_of_rows_of_several_groups_and_of_an_expanded_layout():
    mu_t = torch.rand(10, 3, 2).transpose(0, 1)  # (M, n, D), rows not outermost
    torch.manual_seed(4)
    whole = randn_rows(mu_t.expand(5, 3, 10, 2), row_dim=2)
    torch.manual_seed(4)
    with _rows(10, [(0, 2), (5, 8)]):  # two groups' slices, concatenated
        part = randn_rows(mu_t[:, :5].expand(5, 3, 5, 2), row_dim=2)
    assert torch.equal(part, whole[:, :, [0, 1, 5, 6, 7]])


def test_row_shard_checks_its_rows():
    with pytest.raises(ValueError, match="start <= stop"):
        with row_shard(10, 6, 4):
            pass
    with row_shard(10, 0, 5), pytest.raises(ValueError, match="rows 0:5 of 10"):
        randn_rows(shape=(4, 2))


def _dropout_body():
    with torch.random.fork_rng():
        torch.manual_seed(0)  # the same body in every fit
        return torch.nn.Sequential(torch.nn.Linear(32, 16), torch.nn.ReLU(), torch.nn.Dropout(0.3))


def test_warm_start_continues_the_noise_and_the_networks_own_draws():
    """The rows' noise comes from a private generator, dropout inside a
    user's network from torch's global one: a warm start continues both."""
    X, y = distributed_fit.data()
    params = {**distributed_fit.PARAMS, "encoders": {"top": _dropout_body()}}
    split = skpoe.MultimodalPoEVAE(**{**params, "max_iter": 2, "warm_start": True})
    split.fit(X, y).fit(X, y)
    whole = skpoe.MultimodalPoEVAE(**{**params, "max_iter": 4}).fit(X, y)
    assert split.loss_curve_ == whole.loss_curve_
    for key, value in whole.module_.state_dict().items():
        assert torch.equal(split.module_.state_dict()[key], value), key
    assert set(split._resume_["torch_rng"]) == {"rows", "cpu"}


def test_the_networks_own_draws_are_not_the_rows_noise():
    with torch.random.fork_rng():
        torch.manual_seed(5)
        before = torch.get_rng_state()
        state = start_state(5, torch.device("cpu"))
    assert torch.equal(state["rows"], before)  # the rows continue the build's stream
    assert not torch.equal(state["cpu"], before)


def test_shard_losses_average_to_the_single_process_gradient():
    """What DDP computes (the mean over ranks of each rank's share) is the
    single-process gradient, for each model, on uneven and unsplit groups."""
    X, y = distributed_fit.data()
    for cls in skpoe.ESTIMATORS:
        model = cls(**{**distributed_fit.PARAMS, "max_iter": 1}).fit(X, y)
        module = model.module_.train()
        from skpoe.data._validation import append_labels, check_X, encode

        _, arrays, observed = check_X(model, X, reset=False)
        arrays, observed, _ = append_labels(arrays, observed, y, model.classes_)
        liks = list(model.likelihoods_.values())
        data = TensorData(*encode(arrays, observed, liks), observed, torch.device("cpu"))
        groups = BatchGroups(observed, np.arange(len(y)), split_on=len(model.modalities_))
        rng = np.random.RandomState(0)
        _, paired, singles = groups.epoch(len(y), 25, rng, torch.device("cpu"))
        paired_idx = [idx[0] for idx in paired]
        singles_idx = [(m, idx[0]) for m, idx in singles]
        assert min(len(i) for _, i in singles_idx) < 4  # a group no rank splits

        def grads(loss):
            module.zero_grad()
            loss.backward()
            return [
                torch.zeros_like(p) if p.grad is None else p.grad.clone()
                for p in module.parameters()
            ]

        torch.manual_seed(1)
        single = grads(step_loss(module, data, groups, paired_idx, singles_idx).total)
        world, summed = 2, None
        for rank in range(world):
            share = DataParallel.__new__(DataParallel)
            share.rank, share.world, share.ddp = rank, world, _StepLoss(module)
            torch.manual_seed(1)
            g = grads(share.step_loss(data, groups, paired_idx, singles_idx))
            summed = g if summed is None else [a + b for a, b in zip(summed, g)]
        for a, b in zip(single, summed):
            torch.testing.assert_close(b / world, a, rtol=1e-4, atol=1e-5)


def test_outside_distributed_training_nothing_changes(monkeypatch):
    assert sd._active_group() is None
    assert sd.is_main_process()
    dev = torch.device("cuda")
    assert sd.local_device(dev) is dev
    with sd.process_group(None):
        assert sd._active_group() is None
    assert DataParallel.maybe(torch.nn.Linear(2, 2), torch.device("cpu")) is None
    assert sd.shared_seed(12345) == 12345


def test_torchrun_environment_without_a_process_group_warns(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setattr(skpoe.distributed._group, "_warned", False)
    with pytest.warns(UserWarning, match="each process fits its own model"):
        sd.local_device(torch.device("cpu"))


def test_init_without_torchrun_says_how_to_launch(monkeypatch):
    for key in ("RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(key, raising=False)
    with pytest.raises(ValueError, match="torchrun --nproc-per-node"):
        sd.init_process_group()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.distributed
def test_torchrun_two_processes_match_one(tmp_path):
    """2 gloo processes on loopback train every estimator for 3 epochs.

    Tolerance: weights within 1e-5 of a single-process fit (observed: below
    1e-7; the only differences are the order of float sums), loss curves
    within a relative 1e-5, and both processes end with identical weights.
    """
    out = tmp_path / "weights"
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join(
            [str(HERE.parent)]
            + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        ),
    }
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc-per-node",
        "2",
        "--master-addr",
        "127.0.0.1",
        "--master-port",
        str(_free_port()),
        str(HERE / "distributed_fit.py"),
        str(out),
    ]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    ranks = [torch.load(f"{out}.{r}") for r in range(2)]
    assert [r["main"] for r in ranks] == [True, False]
    # the verbose fit: rank 0 prints its likelihoods and progress
    assert run.stdout.count("epoch 1/1  loss") == 1
    assert run.stdout.count("modality 'top' uses") == 1
    for key, value in ranks[0]["unseeded"].items():  # random_state=None: one shared seed
        assert torch.equal(value, ranks[1]["unseeded"][key]), key
    for r in ranks:
        assert r["error"] is not None and "different data" in r["error"]
    torch.set_num_threads(1)
    weights, losses = distributed_fit.fit_all()
    for name in weights:
        for key, ref in weights[name].items():
            assert torch.equal(ranks[0]["weights"][name][key], ranks[1]["weights"][name][key]), (
                name,
                key,
            )
            got = ranks[0]["weights"][name][key]
            torch.testing.assert_close(got, ref, rtol=0, atol=1e-5)
        np.testing.assert_allclose(ranks[0]["losses"][name], losses[name], rtol=1e-5)
        assert len(losses[name]) >= distributed_fit.PARAMS["max_iter"]
