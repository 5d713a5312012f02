"""The whole-step compiled path (``compile=True``) against the eager step."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import TINY, tiny

import skpoe
import skpoe.train._trainer
import skpoe.train.compiled
from skpoe.estimators._fit import prepare_fit
from skpoe.exceptions import SkpoeWarning
from skpoe.noise import training_stream
from skpoe.train.batches import step_batches, step_loss
from skpoe.train.compiled import CompiledStep

# models whose steps draw differently: Gaussian noise of the posterior (PoE),
# random subsets (MVAE), stratified mixture draws along dim 2 (MMVAE), private
# latents (DMVAE)
MODELS = ["MultimodalPoEVAE", "MVAE", "MMVAE", "DMVAE"]


def first_step(est, X, y, backend=None):
    """The eager and the compiled step (loss, gradients) of a fit's first minibatches.

    Both start from the same weights and the same state of the private generator.
    """
    new, trainer = prepare_fit(est, X, y, False)
    module = new.module_.train()
    _, paired, singles = trainer.epoch_batches()
    unlabeled = None
    if trainer.unlabeled:
        unlabeled = trainer.groups.unlabeled_epoch(1, est.batch_size, trainer.rng, "cpu")[0]
    paired_idx = [idx[0] for idx in paired]
    singles_idx = [(m, idx[0]) for m, idx in singles]
    step = CompiledStep(module, backend=backend)
    with training_stream(trainer.torch_state, trainer.data.device):
        total = step_loss(
            module, trainer.data, trainer.groups, paired_idx, singles_idx, True, unlabeled
        ).total
        grads = torch.autograd.grad(total, step.parameters(), allow_unused=True)
    with training_stream(trainer.torch_state, trainer.data.device):
        batches = step_batches(trainer.data, trainer.groups, paired_idx, singles_idx, unlabeled)
        compiled = step(*batches)
    assert step.n_graphs == 1
    return (total, grads), compiled


def assert_same_step(eager, compiled, rtol):
    """Same loss and gradients within ``rtol`` (of the largest gradient, for gradients)."""
    (loss_a, grads_a), (loss_b, grads_b) = eager, compiled
    torch.testing.assert_close(loss_b, loss_a, rtol=rtol, atol=0.0)
    assert [g is None for g in grads_a] == [g is None for g in grads_b]
    scale = max(float(g.abs().max()) for g in grads_a if g is not None)
    for a, b in zip(grads_a, grads_b):
        if a is not None:
            torch.testing.assert_close(b, a, rtol=rtol, atol=rtol * scale)


@pytest.mark.parametrize("name", MODELS)
def test_traced_step_gives_the_eager_loss_and_gradients(small, name):
    """The traced graph (run as is) on the replayed noise: the eager step's numbers."""
    est = getattr(skpoe, name)(**TINY)
    eager, compiled = first_step(est, small.X, small.y_part)
    assert_same_step(eager, compiled, rtol=1e-5)


def test_traced_step_in_bfloat16(small):
    eager, compiled = first_step(tiny(precision="bfloat16"), small.X, small.y_part)
    assert_same_step(eager, compiled, rtol=1e-5)


def test_the_comparison_catches_noise_not_passed_through(small, monkeypatch):
    """A graph whose draws are zeros (z at the posterior means) differs from eager."""
    original = skpoe.train.compiled._Replay.__call__

    def zeros(self, *args):
        return torch.zeros_like(original(self, *args))

    monkeypatch.setattr(skpoe.train.compiled._Replay, "__call__", zeros)
    eager, compiled = first_step(tiny(), small.X, small.y_part)
    with pytest.raises(AssertionError):
        assert_same_step(eager, compiled, rtol=1e-5)


def test_the_comparison_catches_noise_drawn_anew(small, monkeypatch):
    """Noise drawn from another stream of the same shapes differs from eager."""
    original = skpoe.train.compiled._Replay.__call__

    def fresh(self, *args):
        return torch.randn_like(original(self, *args))

    monkeypatch.setattr(skpoe.train.compiled._Replay, "__call__", fresh)
    eager, compiled = first_step(tiny(), small.X, small.y_part)
    with pytest.raises(AssertionError):
        assert_same_step(eager, compiled, rtol=1e-5)


def traced_fits(monkeypatch):
    """Fits with ``compile=True`` run the traced graph as is (no code generation)."""
    built = []

    def make(module):
        built.append(CompiledStep(module, backend=None))
        return built[-1]

    monkeypatch.setattr(skpoe.train._trainer, "CompiledStep", make)
    return built


def test_a_compiled_fit_trains_as_the_eager_fit(small, monkeypatch):
    """Whole fits (unlabeled label terms and entry masking on): the same loss
    curve and weights as eager, from one graph traced once."""
    params = dict(max_iter=3, entry_masking=0.3, pseudo_label_weight=0.5)
    eager = tiny(**params).fit(small.X, small.y_part)
    built = traced_fits(monkeypatch)
    compiled = tiny(compile=True, **params).fit(small.X, small.y_part)
    assert len(built) == 1 and built[0].n_graphs == 1
    np.testing.assert_allclose(compiled.loss_curve_, eager.loss_curve_, rtol=1e-5)
    np.testing.assert_allclose(compiled.transform(small.X), eager.transform(small.X), atol=1e-4)


def test_a_step_that_cannot_be_traced_runs_eagerly(small, monkeypatch):
    def fails(fn):
        raise RuntimeError("data-dependent")

    monkeypatch.setattr(skpoe.train.compiled, "_traceable", fails)
    eager = tiny(max_iter=2).fit(small.X, small.y_part)
    with pytest.warns(SkpoeWarning, match="could not be traced.*eager step"):
        compiled = tiny(max_iter=2, compile=True).fit(small.X, small.y_part)
    np.testing.assert_array_equal(compiled.loss_curve_, eager.loss_curve_)


def test_unknown_backend_is_refused(small):
    module = tiny(max_iter=1).fit(small.X, small.y_part).module_
    with pytest.raises(ValueError, match="backend"):
        CompiledStep(module, backend="nope")


@pytest.mark.slow
def test_inductor_step_gives_the_eager_loss_and_gradients(small):
    """The step compiled by inductor: the eager numbers within float32 rounding."""
    eager, compiled = first_step(tiny(), small.X, small.y_part, backend="inductor")
    assert_same_step(eager, compiled, rtol=1e-4)


@pytest.mark.slow
def test_compile_optimizer_matches_the_eager_update(small, monkeypatch):
    built = traced_fits(monkeypatch)
    eager = tiny(max_iter=2).fit(small.X, small.y_part)
    monkeypatch.setattr(skpoe.train._trainer.Trainer, "compile_optimizer", True)
    compiled = tiny(max_iter=2, compile=True).fit(small.X, small.y_part)
    assert built
    np.testing.assert_allclose(compiled.loss_curve_, eager.loss_curve_, rtol=1e-5)


@pytest.mark.slow
def test_compiled_fits_in_threads_take_turns(small):
    """Tracing patches nn.Module.__call__ process-wide: two compiled fits in
    threads (a threading backend of a search) must both finish, as they do alone."""
    import threading

    alone = [
        tiny(max_iter=2, compile=True, random_state=s).fit(small.X, small.y_part) for s in (0, 1)
    ]
    together, errors = [None, None], []

    def fit(i):
        try:
            together[i] = tiny(max_iter=2, compile=True, random_state=i).fit(small.X, small.y_part)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=fit, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for a, b in zip(alone, together):
        np.testing.assert_array_equal(b.loss_curve_, a.loss_curve_)
