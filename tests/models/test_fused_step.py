"""The fused training step computes today's per-group objective.

For every model class, on three views of digits with missing views, missing
entries and partial labels, one step's loss, its named terms and the gradient
of every parameter are computed twice on the same weights and minibatches:
fused (paired groups merged, one encoder and one decoder pass per modality)
and group by group; with z at the posterior mean and with sampled z, each
row's noise a fixed function of that row.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from conftest import TINY
from torch import nn

import skpoe.estimators._base
import skpoe.estimators._fit
import skpoe.noise
from skpoe import DMVAE, JMVAE, MMVAE, MVAE, MVTCAE, VAEVAE, MMVAEPlus, MoPoEVAE, MultimodalPoEVAE
from skpoe.datasets import load_digits_views
from skpoe.models.fused import evaluate, gather, row_wise
from skpoe.train.batches import BatchGroups

CASES = [
    (MultimodalPoEVAE, {}),
    (MultimodalPoEVAE, {"star": True}),
    (MVAE, {}),
    (VAEVAE, {"star": True}),
    (MMVAE, {}),
    (MMVAE, {"objective": "dreg", "n_importance_samples": 3}),
    (MoPoEVAE, {}),
    (JMVAE, {}),
    (MVTCAE, {}),
    (MMVAEPlus, {"objective": "elbo"}),
    (MMVAEPlus, {"n_importance_samples": 3}),
    (DMVAE, {}),
]


def _ids(case):
    est, opts = case
    return est.__name__ + "".join(f"-{k}={v}" for k, v in opts.items())


@pytest.fixture(scope="module")
def strips():
    """240 digits in three strips: some strips missing, missing entries in the
    top strip, every fourth row labeled."""
    X, y = load_digits_views(3)
    X, y = X[:240], y[:240]
    rng = np.random.RandomState(0)
    arrays = {k: np.array(v, dtype=float) for k, v in X.items()}
    for name, every in (("top", 5), ("middle", 3), ("bottom", 7)):
        arrays[name][rng.rand(240) < 1.0 / every] = np.nan
    arrays["top"][rng.rand(240, arrays["top"].shape[1]) < 0.1] = np.nan
    arrays["top"][np.isnan(arrays["top"]).all(1) & np.isnan(arrays["middle"]).all(1)] = 0.5
    y_part = np.where(np.arange(240) % 4 == 0, y, -1)
    return arrays, y_part


def _step(Estimator, options, strips, monkeypatch):
    """A module fitted for one epoch, and the batches of one training step."""
    seen = {}

    class Spy(skpoe.estimators._fit.Trainer):
        def __init__(self, module, data, train_rows, val_rows, **kw):
            seen.update(module=module, data=data, rows=train_rows, split_on=kw["split_on"])
            super().__init__(module, data, train_rows, val_rows, **kw)

    monkeypatch.setattr(skpoe.estimators._fit, "Trainer", Spy)
    params = {**TINY, "max_iter": 1, "batch_size": 32, **options}
    Estimator(**params).fit(*strips)
    data = seen["data"]
    groups = BatchGroups(data.mask.cpu().numpy(), seen["rows"], seen["split_on"])
    _, paired_idx, singles_idx = groups.epoch(
        len(seen["rows"]), 32, np.random.RandomState(1), "cpu"
    )
    paired = [data.batch(idx[0], *info) for idx, info in zip(paired_idx, groups.paired_info)]
    singles = [(m, data.inputs[m][idx[0]], data.targets[m][idx[0]]) for m, idx in singles_idx]
    return copy.deepcopy(seen["module"]).train(), paired, singles


def _row_noise(monkeypatch):
    """Make every draw a fixed function of the tensor it is shaped like.

    The models draw through ``skpoe.noise.randn_rows`` / ``rand_rows`` like
    per-row tensors (posterior means, encoder outputs), so each row gets the
    same noise whether its group is computed alone or merged with others.
    """

    def draw(fill, like, shape, row_dim, device, dtype):
        wave = torch.sin(7.0 * like.detach() + 1.0)
        return 0.5 + 0.5 * wave if fill is skpoe.noise._uniform else wave

    monkeypatch.setattr(skpoe.noise, "_draw", draw)


def _loss_and_grads(module, paired, singles, sample, fused):
    module.zero_grad(set_to_none=True)
    with torch.random.fork_rng():
        torch.manual_seed(7)
        rec = module.loss(paired, singles, sample=sample, fused=fused)
    rec.total.backward()
    grads = {k: p.grad.clone() for k, p in module.named_parameters() if p.grad is not None}
    return rec, grads


@pytest.mark.parametrize("case", CASES, ids=_ids)
@pytest.mark.parametrize("sample", [False, True], ids=["mean", "sampled"])
def test_fused_step_matches_per_group_step(case, sample, strips, monkeypatch):
    Estimator, options = case
    module, paired, singles = _step(Estimator, options, strips, monkeypatch)
    if sample:
        _row_noise(monkeypatch)
    assert len(paired) == 2 and len(singles) == 4  # labeled and unlabeled pairs; 3 strips + label
    fused, g_fused = _loss_and_grads(module, paired, singles, sample, fused=True)
    ref, g_ref = _loss_and_grads(module, paired, singles, sample, fused=False)
    torch.testing.assert_close(fused.total, ref.total, rtol=1e-5, atol=1e-4)
    assert fused.terms.keys() == ref.terms.keys()
    for name in ref.terms:
        torch.testing.assert_close(fused.terms[name], ref.terms[name], rtol=1e-5, atol=1e-4)
    trained = [k for k, p in module.named_parameters() if p.numel()]  # not empty extras
    assert g_fused.keys() == g_ref.keys() and sorted(g_ref) == sorted(trained)
    scale = max(float(g.abs().max()) for g in g_ref.values())
    for name, g in g_ref.items():
        torch.testing.assert_close(g_fused[name], g, rtol=1e-4, atol=1e-5 * scale, msg=name)


@pytest.mark.parametrize("case", CASES[:1] + CASES[4:5], ids=_ids)
def test_fused_step_runs_each_network_once(case, strips, monkeypatch):
    """Fused, every encoder and decoder runs once per step; group by group,
    the networks of modalities that several groups observe run several times."""
    module, paired, singles = _step(*case, strips, monkeypatch)
    calls = {}

    def count(name):
        def hook(*_):
            calls[name] = calls.get(name, 0) + 1

        return hook

    for kind, nets in (("enc", module.encoders), ("dec", module.decoders)):
        for m, net in enumerate(nets):
            net.register_forward_hook(count((kind, m)))
    module.loss(paired, singles, sample=True, fused=True)
    assert calls == {(kind, m): 1 for kind in ("enc", "dec") for m in range(module.M)}
    calls.clear()
    module.loss(paired, singles, sample=True, fused=False)
    assert all(calls[("enc", m)] >= 2 and calls[("dec", m)] >= 2 for m in range(module.M))


def test_batch_norm_networks_run_group_by_group():
    """Rows are not independent under batch normalisation: not fused."""
    assert row_wise(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)))
    assert not row_wise(nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)))


def test_row_wise_walks_each_network_once(monkeypatch):
    """The answer is kept per network: later steps do not walk its modules again."""
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    walks = []
    modules = net.modules
    monkeypatch.setattr(net, "modules", lambda: walks.append(1) or modules())
    assert row_wise(net) and row_wise(net) and row_wise(net)
    assert len(walks) == 1
    other = nn.Sequential(nn.BatchNorm1d(3))
    assert not row_wise(other) and not row_wise(other)


def test_gather_answers_each_part_in_order():
    """Parts that ask once, twice or never are answered from one list per round."""

    def asks(*keys):
        total = []
        for key in keys:
            total += yield [key]
        return total

    rounds = []

    def decode(requests):
        rounds.append(list(requests))
        return [r * 10 for r in requests]

    values = evaluate(gather([asks(1, 2), asks(3), 5.0, asks()]), decode)
    assert values == [[10, 20], [30], 5.0, []]
    assert rounds == [[1, 3], [2]]
