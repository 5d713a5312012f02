"""Faults during training: failed and diverged fits, Ctrl-C, exact resume,
checkpoints (atomic, safe to read, killed with SIGKILL) and gradient clipping.

Equalities of weights are exact (``torch.equal``): on the CPU with one
thread a resumed fit runs the same operations on the same numbers as an
uninterrupted one.
"""

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from conftest import tiny

import skpoe.estimators._fit
import skpoe.train._trainer
from skpoe import CheckpointError, FitInterruptedWarning, TrainingDiverged
from skpoe.models.base import LossRecord

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _state(model):
    return {k: v.detach().clone() for k, v in model.module_.state_dict().items()}


def _same_state(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _fitted_vars(model):
    return {k: v for k, v in vars(model).items() if k.endswith("_") or k == "_inference_seed"}


def _outputs(model, X):
    return model.predict_proba(X), model.transform(X), model.score_samples(X, 5)


def _assert_unchanged(model, before_vars, before_state, before_out, X):
    after = _fitted_vars(model)
    assert after.keys() == before_vars.keys()
    assert all(after[k] is before_vars[k] for k in after)
    assert _same_state(_state(model), before_state)
    for a, b in zip(_outputs(model, X), before_out):
        np.testing.assert_array_equal(a, b)


def _snapshot(model, X):
    return _fitted_vars(model), _state(model), _outputs(model, X)


def _steps_per_epoch(small):
    return int(np.ceil(small.n / tiny().batch_size))


@pytest.fixture
def at_step(monkeypatch):
    """``at_step(k, action)``: run ``action(record)`` at the k-th training step
    (1-based, counted over the whole fit) through the loop's loss hook."""

    def install(k, action):
        calls = {"n": 0}
        original = skpoe.train._trainer._step_loss

        def hooked(*args, **kwargs):
            rec = original(*args, **kwargs)
            calls["n"] += 1
            if calls["n"] == k:
                return action(rec)
            return rec

        monkeypatch.setattr(skpoe.train._trainer, "_step_loss", hooked)
        return calls

    return install


def _interrupt(rec):
    raise KeyboardInterrupt


def _nan(rec):
    return LossRecord(rec.total * float("nan"), rec.terms)


# -- transactional fit -------------------------------------------------------
def test_failed_validation_leaves_fitted_estimator_unchanged(small):
    model = tiny(max_iter=2).fit(small.X, small.y_part)
    before = _snapshot(model, small.X)
    bad = {"top": small.X["top"], "bottom": small.X["bottom"][:10]}
    with pytest.raises(ValueError):
        model.fit(bad, small.y_part)
    _assert_unchanged(model, *before, small.X)
    with pytest.raises(ValueError):
        model.fit(small.X, small.y_part[:10])  # labels of the wrong length
    _assert_unchanged(model, *before, small.X)
    X2 = {"top": small.X["top"], "other": small.X["bottom"]}  # a fresh fit's new views
    model.set_params(early_stopping=True, validation_fraction=0.999)
    with pytest.raises(ValueError, match="validation_fraction"):
        model.fit({k: v[:5] for k, v in X2.items()})
    _assert_unchanged(model, *before, small.X)


@pytest.mark.parametrize("bad_epoch", [1, 3])
def test_refit_that_diverges_restores_previous_model(small, at_step, bad_epoch):
    model = tiny(max_iter=2).fit(small.X, small.y_part)
    before = _snapshot(model, small.X)
    at_step((bad_epoch - 1) * _steps_per_epoch(small) + 2, _nan)
    with pytest.raises(TrainingDiverged, match=f"epoch {bad_epoch}"):
        model.set_params(max_iter=4).fit(small.X, small.y_part)
    _assert_unchanged(model, *before, small.X)


def test_warm_continuation_that_diverges_keeps_last_good_epoch(small, at_step):
    model = tiny(max_iter=2, warm_start=True).fit(small.X, small.y_part)
    at_step(_steps_per_epoch(small) + 1, _nan)  # the second epoch of the continuation
    with pytest.raises(TrainingDiverged, match="epoch 4"):
        model.set_params(max_iter=5).fit(small.X, small.y_part)
    assert model.n_iter_ == 3 and len(model.loss_curve_) == 3
    reference = tiny(max_iter=3).fit(small.X, small.y_part)
    assert _same_state(_state(model), _state(reference))
    assert model.loss_curve_ == reference.loss_curve_


def test_other_errors_during_training_leave_estimator_unchanged(small, at_step):
    model = tiny(max_iter=2, warm_start=True).fit(small.X, small.y_part)
    before = _snapshot(model, small.X)

    def fail(rec):
        raise RuntimeError("out of memory")

    at_step(_steps_per_epoch(small) + 3, fail)
    with pytest.raises(RuntimeError, match="out of memory"):
        model.fit(small.X, small.y_part)
    _assert_unchanged(model, *before, small.X)


# -- Ctrl-C --------------------------------------------------------------------
def test_interrupt_keeps_last_epoch_and_warm_start_continues(small, at_step):
    at_step(2 * _steps_per_epoch(small) + 3, _interrupt)  # during epoch 3
    model = tiny(max_iter=5)
    with pytest.warns(FitInterruptedWarning, match="after 2 epochs"):
        assert model.fit(small.X, small.y_part) is model
    assert model.n_iter_ == 2 and len(model.loss_curve_) == 2
    assert all(len(v) == 2 for v in model.history_.values())
    reference = tiny(max_iter=2).fit(small.X, small.y_part)
    assert _same_state(_state(model), _state(reference))
    assert np.all(np.isfinite(model.predict_proba(small.X)))
    # continuing gives exactly the uninterrupted fit
    model.set_params(warm_start=True, max_iter=3).fit(small.X, small.y_part)
    full = tiny(max_iter=5).fit(small.X, small.y_part)
    assert model.n_iter_ == 5
    assert _same_state(_state(model), _state(full))
    assert model.loss_curve_ == full.loss_curve_


def test_interrupt_in_first_epoch_restores_previous_state(small, at_step):
    model = tiny(max_iter=2, warm_start=True).fit(small.X, small.y_part)
    before = _snapshot(model, small.X)
    at_step(3, _interrupt)
    with pytest.raises(KeyboardInterrupt):
        model.fit(small.X, small.y_part)
    _assert_unchanged(model, *before, small.X)
    fresh = tiny(max_iter=2)
    at_step(3, _interrupt)
    with pytest.raises(KeyboardInterrupt):
        fresh.fit(small.X, small.y_part)
    assert not hasattr(fresh, "module_")


def test_interrupt_with_early_stopping_keeps_best_epoch(small, monkeypatch, at_step):
    original = skpoe.train._trainer.validation_loss
    real, seen = [], {}

    def best_at_two(module, data, groups, *args, **kwargs):
        value = original(module, data, groups, *args, **kwargs)
        real.append(value)
        seen["args"] = (data, groups)
        return value + (0.0 if len(real) == 2 else 1e6)

    monkeypatch.setattr(skpoe.train._trainer, "validation_loss", best_at_two)
    at_step(3 * _steps_per_epoch(small) + 1, _interrupt)  # during epoch 4
    model = tiny(max_iter=20, early_stopping=True, n_iter_no_change=10)
    with pytest.warns(FitInterruptedWarning, match="best validation epoch"):
        model.fit(small.X, small.y_part)
    assert model.n_iter_ == 3
    final = original(model.module_, *seen["args"])
    assert final == pytest.approx(real[1], rel=1e-6)
    assert final != pytest.approx(real[2], rel=1e-6)


_SIGINT_CHILD = textwrap.dedent(
    """
    import json, signal, warnings
    # Ctrl-C as in a terminal, even when this test runs in the background, where
    # a shell starts jobs with SIGINT ignored and Python keeps it so
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import numpy as np
    from sklearn.datasets import load_digits
    from skpoe import MultimodalPoEVAE, FitInterruptedWarning
    X, y = load_digits(return_X_y=True)
    X = {"top": X[:300, :32] / 16, "bottom": X[:300, 32:] / 16}
    model = MultimodalPoEVAE(n_components=4, hidden_layer_sizes=(32,), max_iter=100000,
                             random_state=0, device="cpu", verbose=2, n_threads=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y[:300])
    Z = model.transform(X)
    print(json.dumps({"n_iter": model.n_iter_, "curve": len(model.loss_curve_),
                      "finite": bool(np.isfinite(Z).all()),
                      "warned": [w.category.__name__ for w in caught]}), flush=True)
    """
)


def _child_env():
    env = dict(os.environ, OMP_NUM_THREADS="1")
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.mark.subprocess
def test_real_sigint_in_subprocess():
    import json

    proc = subprocess.Popen(
        [sys.executable, "-c", _SIGINT_CHILD],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_child_env(),
        cwd=ROOT,
    )
    try:
        epochs = 0
        for line in proc.stdout:
            if line.startswith("epoch"):
                epochs += 1
                if epochs == 3:
                    proc.send_signal(signal.SIGINT)
                    break
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["n_iter"] >= 3 and result["curve"] == result["n_iter"]
    assert result["finite"]
    assert "FitInterruptedWarning" in result["warned"]


# -- exact resume ----------------------------------------------------------------
@pytest.mark.parametrize("early_stopping", [False, True])
def test_warm_start_resumes_exactly(small, early_stopping):
    kw = dict(early_stopping=early_stopping, n_iter_no_change=100)
    model = tiny(max_iter=3, warm_start=True, **kw).fit(small.X, small.y_part)
    model.fit(small.X, small.y_part)
    full = tiny(max_iter=6, **kw).fit(small.X, small.y_part)
    assert model.n_iter_ == full.n_iter_ == 6
    if not early_stopping:  # early stopping holds the best epoch's weights
        assert _same_state(_state(model), _state(full))
        np.testing.assert_array_equal(model.predict_proba(small.X), full.predict_proba(small.X))
    assert model.loss_curve_ == full.loss_curve_
    assert model.history_ == full.history_


def test_warm_start_uses_the_new_learning_rate(small):
    model = tiny(max_iter=1, warm_start=True).fit(small.X)
    model.set_params(learning_rate_init=0.5, max_iter=1)
    trainer = skpoe.estimators._fit.prepare_fit(model, small.X, None, True)[1]
    assert [g["lr"] for g in trainer.optimizer.param_groups] == [0.5]
    assert len(trainer.optimizer.state) > 0  # Adam's moments were kept


# -- checkpoints -------------------------------------------------------------------
def test_checkpoint_of_interrupted_fit_resumes_exactly(small, at_step, tmp_path):
    path = tmp_path / "fit.ckpt"
    at_step(2 * _steps_per_epoch(small) + 3, _interrupt)
    with pytest.warns(FitInterruptedWarning, match="checkpoint_path"):
        tiny(max_iter=5, checkpoint_path=path).fit(small.X, small.y_part)
    state = torch.load(path, weights_only=True)  # no code runs on load
    assert state["epoch"] == 2 and len(state["history"]["loss"]) == 2
    assert not [p for p in os.listdir(tmp_path) if p != "fit.ckpt"]  # no temporary left
    resumed = tiny(max_iter=5, checkpoint_path=path).fit(small.X, small.y_part)
    full = tiny(max_iter=5).fit(small.X, small.y_part)
    assert resumed.n_iter_ == 5
    assert _same_state(_state(resumed), _state(full))
    assert resumed.history_ == full.history_
    np.testing.assert_array_equal(resumed.predict_proba(small.X), full.predict_proba(small.X))
    assert not path.exists()  # a finished fit removes its checkpoint


def test_checkpoint_every_and_resume_message(small, monkeypatch, tmp_path, capsys):
    written = []
    original = skpoe.train._state.save_checkpoint

    def spy(path, state):
        written.append(state["epoch"])
        original(path, state)

    monkeypatch.setattr(skpoe.train._state, "save_checkpoint", spy)
    path = tmp_path / "every.ckpt"
    tiny(max_iter=7, checkpoint_path=str(path), checkpoint_every=2).fit(small.X)
    assert written == [2, 4, 6] and not path.exists()
    monkeypatch.undo()
    # a checkpoint left by an interrupted fit is announced at verbose >= 1
    original(path, _checkpoint_after(small, path, 1))
    capsys.readouterr()
    tiny(max_iter=2, checkpoint_path=path, verbose=1).fit(small.X)
    assert "Resuming from checkpoint" in capsys.readouterr().out


def _checkpoint_after(small, path, epochs):
    """The state a fit of ``small.X`` checkpoints after ``epochs`` epochs."""
    saved = {}
    original = skpoe.train._state.save_checkpoint
    skpoe.train._state.save_checkpoint = lambda p, s: saved.setdefault("s", s)
    try:
        tiny(max_iter=epochs + 1, checkpoint_path=path).fit(small.X)
    finally:
        skpoe.train._state.save_checkpoint = original
    return saved["s"]


def test_checkpoint_of_other_data_or_params_is_refused(small, tmp_path):
    path = tmp_path / "other.ckpt"
    state = _checkpoint_after(small, path, 1)
    skpoe.train._state.save_checkpoint(path, state)
    X = {k: v.copy() for k, v in small.X.items()}
    X["top"][0, 0] = 0.5
    with pytest.raises(CheckpointError, match="other data or with other parameters"):
        tiny(max_iter=3, checkpoint_path=path).fit(X)
    with pytest.raises(CheckpointError, match="other data or with other parameters"):
        tiny(max_iter=3, checkpoint_path=path, n_components=3).fit(small.X)
    # max_iter and verbose may change: this resumes
    model = tiny(max_iter=3, checkpoint_path=path).fit(small.X)
    assert model.n_iter_ == 3
    path.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot be read"):
        tiny(max_iter=3, checkpoint_path=path).fit(small.X)


_KILL_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from sklearn.datasets import load_digits
    import skpoe.train._trainer
    from skpoe import MultimodalPoEVAE
    X, y = load_digits(return_X_y=True)
    X = {"top": X[:300, :32] / 16, "bottom": X[:300, 32:] / 16}
    y = y[:300].copy(); y[1::3] = -1; y[2::3] = -1
    save = skpoe.train._state.save_checkpoint

    def save_then_die(path, state):
        save(path, state)
        if state["epoch"] == 3:
            os.kill(os.getpid(), signal.SIGKILL)

    skpoe.train._state.save_checkpoint = save_then_die
    MultimodalPoEVAE(n_components=4, hidden_layer_sizes=(32,), max_iter=6, random_state=0,
                     device="cpu", n_threads=1, checkpoint_path=sys.argv[1]).fit(X, y)
    """
)


@pytest.mark.subprocess
def test_fit_killed_with_sigkill_resumes_to_same_weights(small, tmp_path):
    path = tmp_path / "killed.ckpt"
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_CHILD, str(path)],
        env=_child_env(),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    assert torch.load(path, weights_only=True)["epoch"] == 3
    resumed = tiny(max_iter=6, checkpoint_path=path, n_threads=1).fit(small.X, small.y_part)
    full = tiny(max_iter=6, n_threads=1).fit(small.X, small.y_part)
    assert resumed.n_iter_ == 6
    assert _same_state(_state(resumed), _state(full))  # bit for bit
    assert resumed.loss_curve_ == full.loss_curve_


# -- gradient clipping -----------------------------------------------------------
def test_max_grad_norm_clips_every_update(small, monkeypatch):
    norms = []
    original = torch.optim.Adam.step

    def spy(self, *args, **kwargs):
        grads = [p.grad for g in self.param_groups for p in g["params"] if p.grad is not None]
        norms.append(
            float(
                torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads]))
            )
        )
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.optim.Adam, "step", spy)
    tiny(max_iter=1).fit(small.X, small.y_part)
    assert max(norms) > 1.0  # without clipping the gradients are larger
    norms.clear()
    tiny(max_iter=1, max_grad_norm=1.0).fit(small.X, small.y_part)
    assert norms and max(norms) <= 1.0 + 1e-4


def test_max_grad_norm_is_validated(small):
    with pytest.raises(ValueError, match="max_grad_norm"):
        tiny(max_grad_norm=0.0).fit(small.X)
    with pytest.raises(ValueError, match="checkpoint_every"):
        tiny(checkpoint_every=0).fit(small.X)
