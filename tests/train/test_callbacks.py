"""Callbacks of the training loop: hooks, stopping, parameters, saving; the built-ins on the same interface."""

import pickle
import warnings

import numpy as np
import pytest
from conftest import tiny
from sklearn.base import clone

import skpoe
from skpoe.train.callbacks import (
    Callback,
    Checkpoint,
    EarlyStopping,
    History,
    KeepState,
    ProgressBar,
    builtin_callbacks,
)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


class Recorder:
    """Records every hook call."""

    def __init__(self):
        self.calls = []

    def on_fit_begin(self, estimator, trainer):
        self.calls.append(("begin", estimator, trainer.epoch))

    def on_epoch_end(self, estimator, trainer, epoch, logs):
        self.calls.append(("epoch", epoch, dict(logs)))

    def on_fit_end(self, estimator, trainer):
        self.calls.append(("end", estimator, estimator.n_iter_))


class StopAfter:
    def __init__(self, n):
        self.n = n

    def on_epoch_end(self, estimator, trainer, epoch, logs):
        return epoch >= self.n


def test_hooks_run_in_order_with_the_history_entries(small):
    rec = Recorder()
    est = tiny(max_iter=4, callbacks=[rec]).fit(small.X, small.y_part)
    kinds = [c[0] for c in rec.calls]
    assert kinds == ["begin", "epoch", "epoch", "epoch", "epoch", "end"]
    assert rec.calls[0][1] is est and rec.calls[-1][1] is est and rec.calls[-1][2] == 4
    epochs = [c for c in rec.calls if c[0] == "epoch"]
    assert [c[1] for c in epochs] == [1, 2, 3, 4]
    for i, (_, _, logs) in enumerate(epochs):
        assert set(logs) == set(est.history_)
        for key, value in logs.items():
            assert value == est.history_[key][i]


def test_a_missing_hook_is_skipped(small):
    seen = []

    class OnlyEpochs:
        def on_epoch_end(self, estimator, trainer, epoch, logs):
            seen.append(epoch)

    tiny(max_iter=2, callbacks=[OnlyEpochs()]).fit(small.X)
    assert seen == [1, 2]


def test_returning_true_stops_and_keeps_that_epoch(small):
    est = tiny(max_iter=10, callbacks=[StopAfter(3)]).fit(small.X, small.y_part)
    assert est.n_iter_ == 3 and len(est.history_["loss"]) == 3
    # the weights are those of epoch 3: a fit of 3 epochs gives the same outputs
    ref = tiny(max_iter=3).fit(small.X, small.y_part)
    np.testing.assert_array_equal(est.transform(small.X), ref.transform(small.X))


def test_the_stop_training_flag_stops_too(small):
    class Flag:
        def on_epoch_end(self, estimator, trainer, epoch, logs):
            if epoch == 2:
                trainer.stop_training = True

    assert tiny(max_iter=10, callbacks=[Flag()]).fit(small.X).n_iter_ == 2


def test_a_stop_is_reported_with_verbose(small, capsys):
    tiny(max_iter=10, verbose=1, callbacks=[StopAfter(2)]).fit(small.X)
    assert "Callback StopAfter stopped the fit after epoch 2" in capsys.readouterr().out


def test_callbacks_do_not_change_the_fit(small):
    plain = tiny(max_iter=3).fit(small.X, small.y_part)
    hooked = tiny(max_iter=3, callbacks=[Recorder(), Callback()]).fit(small.X, small.y_part)
    np.testing.assert_array_equal(plain.transform(small.X), hooked.transform(small.X))
    assert plain.history_ == hooked.history_


def test_a_callback_that_raises_leaves_the_estimator_as_it_was(small):
    class Boom:
        def on_epoch_end(self, estimator, trainer, epoch, logs):
            if epoch == 2:
                raise RuntimeError("boom")

    est = tiny(max_iter=3).fit(small.X)
    before = est.transform(small.X)
    est.set_params(callbacks=[Boom()])
    with pytest.raises(RuntimeError, match="boom"):
        est.fit(small.X)
    assert est.n_iter_ == 3
    np.testing.assert_array_equal(est.transform(small.X), before)


def test_bad_callbacks_are_named(small):
    with pytest.raises(ValueError, match=r"callbacks\[1\] \(int\) has none of the methods"):
        tiny(callbacks=[Recorder(), 3]).fit(small.X)
    with pytest.raises(ValueError, match="callbacks"):
        tiny(callbacks="nope").fit(small.X)


def test_callbacks_are_parameters(small):
    rec = Recorder()
    est = tiny(callbacks=[rec])
    assert est.get_params()["callbacks"] == [rec]
    copy = clone(est)
    assert isinstance(copy.callbacks[0], Recorder) and copy.callbacks[0] is not rec


def test_pickle_keeps_callbacks_and_save_drops_them_with_a_warning(small, tmp_path):
    est = tiny(max_iter=2, callbacks=[StopAfter(5)]).fit(small.X)
    again = pickle.loads(pickle.dumps(est))
    assert isinstance(again.callbacks[0], StopAfter) and again.callbacks[0].n == 5
    with pytest.warns(UserWarning, match="drops 1 callback"):
        est.save(tmp_path / "m.skpoe")
    loaded = skpoe.load(tmp_path / "m.skpoe")
    assert loaded.callbacks is None
    np.testing.assert_array_equal(loaded.transform(small.X), est.transform(small.X))


def test_save_without_callbacks_gives_no_warning(small, tmp_path):
    est = tiny(max_iter=1).fit(small.X)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.save(tmp_path / "m.skpoe")


def test_callbacks_leave_checkpoints_resumable(small, tmp_path):
    # callbacks are not part of a checkpoint's fingerprint: a resumed fit may pass new ones
    path = str(tmp_path / "run.ckpt")
    with pytest.warns(skpoe.FitInterruptedWarning):

        class Interrupt:
            def on_epoch_end(self, estimator, trainer, epoch, logs):
                if epoch == 2:
                    raise KeyboardInterrupt

        tiny(max_iter=4, checkpoint_path=path, callbacks=[Interrupt()]).fit(small.X)
    resumed = tiny(max_iter=4, checkpoint_path=path, callbacks=[Recorder()]).fit(small.X)
    full = tiny(max_iter=4).fit(small.X)
    np.testing.assert_array_equal(resumed.transform(small.X), full.transform(small.X))


def test_the_builtins_are_callbacks_in_order(small):
    from skpoe.estimators._fit import prepare_fit

    est = tiny(max_iter=2, verbose=1, early_stopping=True, checkpoint_path="unused.ckpt")
    _, trainer = prepare_fit(est, small.X, None, False)
    kinds = [type(cb) for cb in builtin_callbacks(trainer)]
    assert kinds == [History, EarlyStopping, KeepState, ProgressBar, Checkpoint]
    trainer.checkpoint = None
    assert Checkpoint not in map(type, builtin_callbacks(trainer))


def test_early_stopping_callback_counts_patience():
    class T:
        best, no_improve, improved = float("inf"), 0, False

    t, es = T(), EarlyStopping(active=True, patience=2, tol=0.0)
    assert not es.on_epoch_end(None, t, 1, {"val_loss": 5.0, "loss": 9.0})
    assert t.improved and t.best == 5.0
    assert not es.on_epoch_end(None, t, 2, {"val_loss": 6.0, "loss": 1.0})
    assert es.on_epoch_end(None, t, 3, {"val_loss": 5.5, "loss": 1.0})  # 2 without gain
    # inactive: tracks the training loss and never stops
    t2, quiet = T(), EarlyStopping(active=False, patience=1, tol=0.0)
    quiet.on_epoch_end(None, t2, 1, {"loss": 3.0})
    assert not quiet.on_epoch_end(None, t2, 2, {"loss": 4.0}) and t2.best == 3.0


def test_history_callback_pads_new_terms_with_nan():
    class T:
        history = {"loss": [1.0, 2.0]}

    History().on_epoch_end(None, T, 3, {"loss": 3.0, "val_loss": 0.5})
    assert T.history["loss"] == [1.0, 2.0, 3.0]
    assert np.isnan(T.history["val_loss"][:2]).all() and T.history["val_loss"][2] == 0.5
