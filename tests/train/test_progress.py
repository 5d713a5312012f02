"""Training feedback: the progress display, history_, the ConvergenceWarning,
plot_history, and the thread count during fit and inference."""

import re
import threading
import warnings

import numpy as np
import pytest
import torch
from conftest import tiny
from sklearn.exceptions import ConvergenceWarning

import skpoe.estimators._threads as threads_mod
import skpoe.train._trainer
import skpoe.train.progress
from skpoe import MultimodalPoEVAE
from skpoe.estimators._inference import CHUNK, Inference
from skpoe.estimators._threads import PARALLEL_WORK, call_work, default_threads
from skpoe.train.progress import Progress, format_terms, still_falling


def _epoch_lines(text):
    return [l for l in text.splitlines() if l.startswith("epoch")]


def test_plain_lines_show_epoch_time_and_terms(small, capsys):
    X = {k: v[:120] for k, v in small.X.items()}
    tiny(max_iter=20, verbose=1).fit(X, small.y_part[:120])
    lines = _epoch_lines(capsys.readouterr().out)
    assert len(lines) == 10  # about ten lines per fit
    assert [l.split()[1] for l in lines] == [f"{k}/20" for k in range(2, 21, 2)]
    pattern = (
        r"epoch +\d+/20  loss [\d.]+  rec\[top\] [\d.]+  rec\[bottom\] [\d.]+  "
        r"kl [\d.]+  label [\d.]+  train_acc\(labeled\) [\d.]+  \[\d+:\d\d elapsed(, \d+:\d\d left)?\]"
    )
    assert all(re.fullmatch(pattern, line) for line in lines), lines
    assert all("left]" in l for l in lines[:-1]) and "left" not in lines[-1]


def test_verbose_2_prints_every_epoch_with_validation(small, capsys):
    tiny(max_iter=3, verbose=2, early_stopping=True, validation_fraction=0.3).fit(
        small.X, small.y_part
    )
    lines = _epoch_lines(capsys.readouterr().out)
    assert [l.split()[1] for l in lines] == ["1/3", "2/3", "3/3"]
    assert all("val_loss" in l and "val_acc" in l for l in lines)
    assert not any("val_rec" in l for l in lines)  # kept in history_ only


def test_verbose_0_prints_nothing(small, capsys):
    tiny(max_iter=2, verbose=0).fit(small.X, small.y_part)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


def test_tqdm_bar(small, capsys, monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(skpoe.train.progress, "tqdm_available", lambda stream: True)
    tiny(max_iter=4, verbose=1).fit(small.X, small.y_part)
    captured = capsys.readouterr()
    assert "4/4" in captured.err and "rec[top]" in captured.err
    assert _epoch_lines(captured.out) == []


def test_progress_timing_and_format():
    p = Progress(verbose=2, max_iter=10, done=4, offset=20, bar=False)
    p.start -= 6.0  # six seconds for two epochs of this run
    elapsed, left = p.timing(6)
    assert elapsed == pytest.approx(6.0, abs=0.5)
    assert left == pytest.approx(12.0, abs=1.0)  # four epochs left at three seconds each
    text = format_terms({"loss": 1875.671, "kl": 12.3456, "accuracy": 0.8125, "val_kl": 1.0})
    assert text == "loss 1875.7  kl 12.35  train_acc(labeled) 0.812"
    text = format_terms({"loss": 2.0, "accuracy": 1.0, "val_loss": 3.0, "val_accuracy": 0.75})
    assert text == "loss 2.00  train_acc(labeled) 1.000  val_loss 3.00  val_acc 0.750"


def test_history_holds_per_term_curves(tiny_supervised):
    h = tiny_supervised.history_
    n = tiny_supervised.n_iter_
    assert h["loss"] is tiny_supervised.loss_curve_
    assert set(h) == {"loss", "rec[top]", "rec[bottom]", "kl", "label", "accuracy"}
    assert all(len(v) == n and np.all(np.isfinite(v)) for v in h.values())
    assert all(0 <= a <= 1 for a in h["accuracy"])
    # training improves the terms it is meant to improve
    assert h["rec[top]"][-1] < h["rec[top]"][0] and h["label"][-1] < h["label"][0]
    assert h["accuracy"][-1] > h["accuracy"][0]


def test_history_accuracy_matches_decoding_at_the_posterior_mean(small):
    model = tiny(max_iter=3, early_stopping=True, validation_fraction=0.5).fit(
        small.X, small.y_part
    )
    h = model.history_
    assert {"val_loss", "val_rec[top]", "val_kl", "val_label", "val_accuracy"} <= set(h)
    assert h["val_loss"] == model.validation_loss_curve_
    # recompute the training rows' accuracy from the public surface
    rows = np.setdiff1d(np.arange(small.n), _held_out(model, small))
    labeled = rows[small.y_part[rows] >= 0]
    Z = torch.as_tensor(
        model.transform({k: v[labeled] for k, v in small.X.items()}), dtype=torch.float32
    )
    with torch.no_grad():
        codes = model.module_.decode_mean(2, Z)[:, 0].long().numpy()
    acc = np.mean(model.classes_[codes] == small.y_part[labeled])
    assert h["accuracy"][-1] == pytest.approx(acc)


def _held_out(model, small):
    from skpoe.train.batches import split_rows

    rng = np.random.RandomState(model._inference_seed)
    return split_rows(small.n, rng, True, model.validation_fraction)[1]


def test_still_falling_criterion():
    # share of the progress (first window to last) made by the last window
    assert still_falling([10.0, 9.0, 8.0, 7.0]) == pytest.approx(1.0)  # 4 epochs: all of it
    line = [10.0 - t for t in range(20)]  # w = 2: the last window made 2 of the 18 epochs' fall
    assert still_falling(line) == pytest.approx(2 / 18)
    assert still_falling([10.0, 10.01, 9.99, 10.0]) is None  # flat
    assert still_falling([10.0, 9.0, 8.0]) is None  # too short to judge
    assert still_falling([5.0, 6.0, 7.0, 8.0]) is None  # rising: more epochs would not help
    curve = list(np.linspace(100, 50, 30)) + [50.0 + 0.01 * (i % 2) for i in range(30)]
    assert still_falling(curve) is None  # flattened out over the last 12 epochs
    assert still_falling(list(np.linspace(100, 50, 60))) is not None  # a straight line
    # the level of the loss does not matter: the same shape shifted below zero
    decay = [1000.0 * np.exp(-t / 8.0) for t in range(50)]
    assert still_falling(decay) is None and still_falling([v - 5000 for v in decay]) is None
    assert still_falling(decay[:10]) is not None and still_falling([v - 5000 for v in decay[:10]])


def test_convergence_warning_only_when_max_iter_cuts_a_falling_loss(small):
    model = tiny(max_iter=8)
    with pytest.warns(
        ConvergenceWarning, match="max_iter=8.*still falling.*more epochs would help"
    ):
        model.fit(small.X, small.y_part)
    assert still_falling(model.loss_curve_) is not None  # the criterion, applied
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        # early stopping stopped the fit: no warning
        model = tiny(max_iter=30, early_stopping=True, n_iter_no_change=2, tol=1e9).fit(small.X)
        assert model.n_iter_ < 30


@pytest.mark.parametrize("load", ["load_breast_cancer_views", "load_wine_views"])
def test_no_convergence_warning_on_a_default_fit_of_a_small_table(load):
    from skpoe import datasets

    X, y = getattr(datasets, load)()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = MultimodalPoEVAE(random_state=0, device="cpu").fit(X, y)
    assert model.n_iter_ == 50  # the default max_iter, run to its end
    # the same fit cut at 5 epochs, where more epochs clearly help, warns
    with pytest.warns(ConvergenceWarning, match="max_iter=5"):
        MultimodalPoEVAE(max_iter=5, random_state=0, device="cpu").fit(X, y)
    assert model.loss_curve_[-1] < 0.8 * model.loss_curve_[4]  # epochs 5-50 still fell a lot


def test_plot_history(tiny_supervised):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from skpoe.plotting import plot_history

    ax = plot_history(tiny_supervised)
    assert [l.get_label() for l in ax.get_lines()] == ["loss"]
    np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), tiny_supervised.loss_curve_)
    assert "accuracy" in [t.get_text() for t in ax.get_legend().get_texts()]
    ax = plot_history(tiny_supervised, terms=True)
    assert {l.get_label() for l in ax.get_lines()} == {"rec[top]", "rec[bottom]", "kl", "label"}
    with pytest.raises(ValueError, match="not fitted"):
        plot_history(tiny())


def test_plot_history_without_matplotlib(tiny_supervised, monkeypatch):
    import sys

    from skpoe.plotting import plot_history

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r"skpoe\[plot\]"):
        plot_history(tiny_supervised)


# -- threads ----------------------------------------------------------------------
def test_default_thread_count_by_work():
    cpu = torch.device("cpu")
    assert default_threads(None, cpu, 0) == 1
    assert default_threads(None, cpu, PARALLEL_WORK - 1) == 1  # light work: one thread
    assert default_threads(None, cpu, PARALLEL_WORK) is None  # heavy: the caller's setting
    assert default_threads(3, cpu, 0) == 3  # an explicit n_threads wins either way
    assert default_threads(1, cpu, PARALLEL_WORK) == 1
    assert default_threads(None, torch.device("cuda"), 0) is None


def test_call_work_is_rows_per_pass_times_parameters(tiny_supervised):
    module = tiny_supervised.module_
    p = sum(w.numel() for w in module.parameters())
    assert call_work(module, "fit", batch_size=64) == 64 * p
    assert call_work(module, "transform", 10) == 10 * p
    assert call_work(module, "predict_proba", 10**6) == CHUNK * p  # a chunk per pass
    assert call_work(module, "sample", 10**5) == 10**5 * p  # decoded at once
    layers = [m for d in module.decoders for m in d.modules() if isinstance(m, torch.nn.Linear)]
    widest = max([module.n_latent] + [m.out_features for m in layers])
    rows = (1 << 21) // (1000 * widest)  # score_samples: about 2**21 activations a pass
    assert call_work(module, "score_samples", 10**4, 1000) == rows * 1000 * p
    assert call_work(module, "score_samples", 1, 1000) == 1000 * p


def test_default_n_threads_follow_the_work_of_each_call(small, monkeypatch):
    """With the threshold between a 10-row and a 300-row call, the same model
    runs the light call on one thread and the heavy one on the caller's."""
    model = tiny(max_iter=1).fit(small.X, small.y_part)
    p = sum(w.numel() for w in model.module_.parameters())
    monkeypatch.setattr(threads_mod, "PARALLEL_WORK", 100 * p)
    inner = []
    real = Inference.transform

    def spy(self, *args):
        inner.append(torch.get_num_threads())
        return real(self, *args)

    monkeypatch.setattr(Inference, "transform", spy)
    caller = torch.get_num_threads()
    few = {k: v[:10] for k, v in small.X.items()}
    try:
        torch.set_num_threads(2)
        model.transform(few)
        model.transform(small.X)
        model.set_params(n_threads=1).transform(small.X)  # an explicit count wins
        assert inner == [1, 2, 1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(caller)


def _step_threads(monkeypatch):
    """A list that records the torch thread count of every training step."""
    seen = []
    original = skpoe.train._trainer._step_loss

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return original(*args, **kwargs)

    monkeypatch.setattr(skpoe.train._trainer, "_step_loss", spy)
    return seen


def test_threads_set_during_fit_and_inference_then_restored(small, monkeypatch):
    seen = _step_threads(monkeypatch)
    caller = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        model = tiny(max_iter=1, n_threads=1).fit(small.X, small.y_part)
        assert set(seen) == {1} and torch.get_num_threads() == 2
        inner = []
        for name in ("predict_proba", "transform", "score_samples", "impute", "sample"):
            real = getattr(Inference, name)

            def spy_method(self, *args, _real=real, **kwargs):
                inner.append(torch.get_num_threads())
                return _real(self, *args, **kwargs)

            monkeypatch.setattr(Inference, name, spy_method)
        model.predict_proba(small.X)
        model.transform(small.X)
        model.score_samples(small.X, 2)
        model.impute(small.X)
        model.sample(2)
        assert inner == [1] * 5 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(caller)


def test_default_n_threads_fits_small_models_on_one_thread(small, monkeypatch):
    seen = _step_threads(monkeypatch)
    caller = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        tiny(max_iter=1).fit(small.X)
        assert seen and set(seen) == {1} and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(caller)


def test_concurrent_predictions_restore_thread_count(tiny_supervised, small):
    caller = torch.get_num_threads()
    expected = tiny_supervised.predict(small.X)
    results = []
    try:
        torch.set_num_threads(2)
        threads = [
            threading.Thread(target=lambda: results.append(tiny_supervised.predict(small.X)))
            for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(caller)
    assert len(results) == 4 and all(np.array_equal(r, expected) for r in results)
