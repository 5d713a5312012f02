"""Training controls: loss curves, early stopping, warm start, verbosity,
reproducibility, network configuration and divergence handling."""

import random

import numpy as np
import pytest
import torch
from conftest import tiny
from sklearn.exceptions import NotFittedError
from torch import nn

import skpoe.train._trainer
from skpoe.models.base import LossRecord


def _state(model):
    return {k: v.detach().clone() for k, v in model.module_.state_dict().items()}


def _same_state(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_loss_curve_length_is_n_iter(tiny_supervised):
    assert tiny_supervised.n_iter_ == tiny_supervised.max_iter == 20
    assert len(tiny_supervised.loss_curve_) == tiny_supervised.n_iter_
    assert np.all(np.isfinite(tiny_supervised.loss_curve_))
    # training makes progress
    assert tiny_supervised.loss_curve_[-1] < tiny_supervised.loss_curve_[0]
    assert tiny_supervised.best_loss_ == pytest.approx(min(tiny_supervised.loss_curve_))
    assert not hasattr(tiny_supervised, "validation_loss_curve_")


def test_training_loss_plateau_does_not_stop_training(small):
    """Without early stopping every epoch runs, even when the training loss
    never improves by tol (VAE losses plateau before improving again)."""
    model = tiny(max_iter=8, n_iter_no_change=2, tol=1e9).fit(small.X, small.y_part)
    assert model.n_iter_ == model.max_iter == 8
    assert len(model.loss_curve_) == 8


@pytest.fixture
def validation_spy(monkeypatch):
    """Record (module, data, groups) of the training loop's validation-loss calls."""
    calls = []
    original = skpoe.train._trainer.validation_loss

    def spy(module, data, groups, *args, **kwargs):
        value = original(module, data, groups, *args, **kwargs)
        calls.append((data, groups, value))
        return value

    monkeypatch.setattr(skpoe.train._trainer, "validation_loss", spy)
    return original, calls


def test_early_stopping_stops_and_records_validation_curve(small, validation_spy):
    original, calls = validation_spy
    model = tiny(
        max_iter=30, early_stopping=True, n_iter_no_change=2, tol=1e9, validation_fraction=0.2
    ).fit(small.X, small.y_part)
    assert model.n_iter_ < model.max_iter
    assert model.n_iter_ == 3  # no epoch can improve by tol: stop after 2 more
    assert len(model.validation_loss_curve_) == len(model.loss_curve_) == model.n_iter_
    assert np.all(np.isfinite(model.validation_loss_curve_))
    assert [c[2] for c in calls] == model.validation_loss_curve_
    data, groups, _ = calls[-1]
    # the held-out rows are 20% of the samples and disjoint from training
    held_out = np.unique(np.concatenate(groups.per_modality))
    assert len(held_out) == int(np.ceil(0.2 * small.n))
    assert not hasattr(model, "best_loss_")


def test_early_stopping_restores_best_weights(small, monkeypatch):
    """Make every epoch but the second look worse to the training loop: it
    must stop after n_iter_no_change more epochs and restore epoch 2's weights."""
    original = skpoe.train._trainer.validation_loss
    real = []
    seen = {}

    def worse_after_two(module, data, groups, *args, **kwargs):
        value = original(module, data, groups, *args, **kwargs)
        real.append(value)
        seen["args"] = (data, groups)
        return value + (0.0 if len(real) == 2 else 1e6)

    monkeypatch.setattr(skpoe.train._trainer, "validation_loss", worse_after_two)
    model = tiny(max_iter=20, early_stopping=True, n_iter_no_change=3, tol=0.0).fit(
        small.X, small.y_part
    )
    assert model.n_iter_ == 5
    assert model.best_validation_loss_ == pytest.approx(real[1])
    final = original(model.module_, *seen["args"])
    assert final == pytest.approx(real[1], rel=1e-6)
    assert final != pytest.approx(real[-1], rel=1e-6)


def test_early_stopping_restores_best_weights_large_tol(small, validation_spy):
    original, calls = validation_spy
    model = tiny(max_iter=30, early_stopping=True, n_iter_no_change=2, tol=1e9).fit(
        small.X
    )  # unsupervised: 30 held-out rows give a steadily falling loss
    curve = model.validation_loss_curve_
    assert min(curve) < curve[0]  # precondition: a later epoch is better
    data, groups, _ = calls[-1]
    final = original(model.module_, data, groups)
    assert final == pytest.approx(min(curve), rel=1e-6)
    assert model.best_validation_loss_ == pytest.approx(min(curve))


def test_early_stopping_validation_fraction_too_large(small):
    with pytest.raises(ValueError, match="validation_fraction"):
        tiny(early_stopping=True, validation_fraction=0.9999).fit(
            {k: v[:5] for k, v in small.X.items()}
        )


def test_warm_start_continues(small):
    model = tiny(max_iter=3, warm_start=True).fit(small.X, small.y_part)
    first_curve = list(model.loss_curve_)
    before = _state(model)
    module = model.module_
    model.fit(small.X, small.y_part)
    assert model.module_ is module  # the same networks, trained further
    assert model.n_iter_ == 6
    assert len(model.loss_curve_) == 6
    assert model.loss_curve_[:3] == first_curve
    assert not _same_state(before, _state(model))
    # continued from trained weights rather than restarted
    assert model.loss_curve_[3] < first_curve[0]
    # without warm_start a second fit starts over
    cold = tiny(max_iter=3).fit(small.X, small.y_part)
    cold.fit(small.X, small.y_part)
    assert cold.n_iter_ == 3 and cold.loss_curve_ == first_curve


def test_warm_start_requires_same_supervision(small):
    model = tiny(max_iter=1, warm_start=True).fit(small.X, small.y_part)
    with pytest.raises(ValueError, match="warm_start"):
        model.fit(small.X)


def test_verbose_prints_progress(small, capsys):
    tiny(max_iter=4, verbose=1).fit(small.X, small.y_part)
    lines = [l for l in capsys.readouterr().out.splitlines() if l.strip()]
    epochs = [l for l in lines if l.lstrip().startswith("epoch")]
    assert len(epochs) >= 1
    assert all("loss" in l for l in epochs)
    assert epochs[-1].split()[1] == "4/4"  # the last epoch is reported
    tiny(max_iter=4, verbose=0).fit(small.X, small.y_part)
    assert capsys.readouterr().out == ""


def test_random_state_reproducible_and_seed_dependent(small):
    a = tiny(random_state=7).fit(small.X, small.y_part)
    b = tiny(random_state=7).fit(small.X, small.y_part)
    c = tiny(random_state=8).fit(small.X, small.y_part)
    np.testing.assert_array_equal(a.transform(small.X), b.transform(small.X))
    np.testing.assert_array_equal(a.predict_proba(small.X), b.predict_proba(small.X))
    np.testing.assert_array_equal(a.score_samples(small.X), b.score_samples(small.X))
    assert a.loss_curve_ == b.loss_curve_
    assert not np.allclose(a.transform(small.X), c.transform(small.X))
    # a RandomState instance works too
    d = tiny(random_state=np.random.RandomState(7)).fit(small.X, small.y_part)
    assert d.transform(small.X).shape == (small.n, 4)


@pytest.mark.parametrize("random_state", [0, None])
def test_fit_leaves_global_rng_untouched(small, random_state):
    torch_state = torch.get_rng_state()
    np_state = np.random.get_state()
    py_state = random.getstate()
    model = tiny(random_state=random_state, max_iter=2).fit(small.X, small.y_part)
    model.predict_proba(small.X)
    model.score_samples(small.X)
    model.sample(3)
    assert torch.equal(torch_state, torch.get_rng_state())
    after = np.random.get_state()
    assert np_state[0] == after[0]
    np.testing.assert_array_equal(np_state[1], after[1])
    assert np_state[2:] == after[2:]
    assert py_state == random.getstate()


def _linear_widths(seq):
    return [(m.in_features, m.out_features) for m in seq.modules() if isinstance(m, nn.Linear)]


def test_hidden_layer_sizes_int_tuple_and_dict(small):
    D, H = 4, 3  # latent size, heads (top, bottom, labels)
    m = tiny(hidden_layer_sizes=16, max_iter=1).fit(small.X, small.y_part)
    assert _linear_widths(m.module_.encoders[0].net) == [(32, 16), (16, 2 * D * H)]
    assert _linear_widths(m.module_.decoders[0].net) == [(D, 16), (16, 32)]
    # the label's networks are linear unless the dict names "__label__"
    assert _linear_widths(m.module_.encoders[2].net) == [(10, 2 * D * H)]
    assert _linear_widths(m.module_.decoders[2].net) == [(D, 10)]
    m = tiny(hidden_layer_sizes=(24, 12), max_iter=1).fit(small.X, small.y_part)
    assert _linear_widths(m.module_.encoders[1].net) == [(32, 24), (24, 12), (12, 2 * D * H)]
    assert _linear_widths(m.module_.decoders[1].net) == [(D, 12), (12, 24), (24, 32)]
    m = tiny(hidden_layer_sizes={"top": (20, 10), "bottom": 8, "__label__": (6,)}, max_iter=1).fit(
        small.X, small.y_part
    )
    assert _linear_widths(m.module_.encoders[0].net) == [(32, 20), (20, 10), (10, 2 * D * H)]
    assert _linear_widths(m.module_.encoders[1].net) == [(32, 8), (8, 2 * D * H)]
    assert _linear_widths(m.module_.encoders[2].net) == [(10, 6), (6, 2 * D * H)]
    # modalities left out of the dict get the default
    m = tiny(hidden_layer_sizes={"top": 8}, max_iter=1).fit(small.X)
    assert _linear_widths(m.module_.encoders[1].net)[0] == (32, 256)


def test_custom_encoder_and_decoder_modules(small):
    torch.manual_seed(0)
    enc = nn.Sequential(nn.Linear(32, 20), nn.Tanh())
    dec = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 32))
    enc_before = {k: v.clone() for k, v in enc.state_dict().items()}
    model = tiny(encoders={"top": enc}, decoders={"bottom": dec}, max_iter=3).fit(
        small.X, small.y_part
    )
    top_encoder = model.module_.encoders[0].net
    assert isinstance(top_encoder[0], nn.Sequential)
    assert isinstance(top_encoder[0][1], nn.Tanh)
    assert _linear_widths(top_encoder)[-1] == (20, 2 * 4 * 3)  # heads on the features
    assert isinstance(model.module_.decoders[1].net[1], nn.Tanh)
    # the user's module is copied, never trained in place
    assert all(torch.equal(enc_before[k], v) for k, v in enc.state_dict().items())
    assert top_encoder[0] is not enc
    assert np.all(np.isfinite(model.transform(small.X)))
    assert model.predict({"top": small.X["top"]}).shape == (small.n,)


def test_custom_decoder_with_wrong_width_names_modality(small):
    with pytest.raises(ValueError, match=r"decoders\['bottom'\].*31.*32"):
        tiny(decoders={"bottom": nn.Linear(4, 31)}, max_iter=1).fit(small.X)


def test_custom_encoder_that_fails_names_modality(small):
    with pytest.raises(ValueError, match=r"encoders\['top'\]"):
        tiny(encoders={"top": nn.Linear(7, 5)}, max_iter=1).fit(small.X)


def test_custom_modules_naming_unknown_modality(small):
    with pytest.raises(ValueError, match="zzz"):
        tiny(encoders={"zzz": nn.Linear(32, 5)}, max_iter=1).fit(small.X)


def test_nan_loss_in_first_epoch_leaves_fresh_estimator_unfitted(small):
    model = tiny(learning_rate_init=1e12, max_iter=3)
    with pytest.raises(ValueError, match="epoch 1"):
        model.fit(small.X, small.y_part)
    # no random weights that look fitted
    assert not hasattr(model, "module_") and not hasattr(model, "n_iter_")
    with pytest.raises(NotFittedError):
        model.transform(small.X)
    # a later fit with a sane learning rate works
    model.set_params(learning_rate_init=1e-3).fit(small.X, small.y_part)
    assert model.n_iter_ == 3
    assert np.all(np.isfinite(model.transform(small.X)))


def test_divergence_keeps_last_finished_epoch(small, monkeypatch):
    """The loss turns NaN in the third epoch: the model keeps the weights after
    epoch 2, which are those of a fit with max_iter=2 and the same seed."""
    n_steps = int(np.ceil(small.n / tiny().batch_size))
    calls = {"n": 0}
    original = skpoe.train._trainer._step_loss

    def poisoned(*args, **kwargs):
        rec = original(*args, **kwargs)
        calls["n"] += 1
        if calls["n"] > 2 * n_steps:
            return LossRecord(rec.total * float("nan"), rec.terms)
        return rec

    monkeypatch.setattr(skpoe.train._trainer, "_step_loss", poisoned)
    model = tiny(max_iter=10)
    with pytest.raises(ValueError, match="epoch 3"):
        model.fit(small.X, small.y_part)
    monkeypatch.undo()
    assert model.n_iter_ == 2
    assert len(model.loss_curve_) == 2
    reference = tiny(max_iter=2).fit(small.X, small.y_part)
    assert _same_state(_state(model), _state(reference))
    assert model.loss_curve_ == reference.loss_curve_
    np.testing.assert_array_equal(model.transform(small.X), reference.transform(small.X))


def test_refit_resets_fitted_attributes(small):
    model = tiny(max_iter=4, early_stopping=True).fit(small.X, small.y_part)
    model.set_params(early_stopping=False, max_iter=2).fit(small.X)
    assert model.n_iter_ == 2
    assert not hasattr(model, "classes_")
    assert not hasattr(model, "validation_loss_curve_")
    assert not hasattr(model, "best_validation_loss_")


def test_minibatch_indices_are_int32_and_the_rows_of_int64_ones():
    from skpoe.train import batches

    rng = np.random.RandomState(0)
    mask = rng.rand(300, 3) < 0.6
    mask[:, 0] |= ~mask.any(1)
    rows = np.arange(0, 300, 2)  # a training subset, int64
    groups = batches.BatchGroups(mask, rows, split_on=2, unlabeled=True)
    cpu = torch.device("cpu")
    n_steps, paired, singles = groups.epoch(len(rows), 16, np.random.RandomState(1), cpu)
    unlabeled = groups.unlabeled_epoch(n_steps, 16, np.random.RandomState(2), cpu)
    drawn = paired + [idx for _, idx in singles] + [unlabeled]
    assert all(idx.dtype == torch.int32 for idx in drawn)
    # the same draws as from int64 rows: permutation shuffles either dtype alike
    sub = mask[rows]
    labeled = rows[(sub.sum(1) >= 2) & sub[:, 2]]
    want = batches._cycled(labeled, n_steps, 16, np.random.RandomState(1))
    assert want.dtype == np.int64
    np.testing.assert_array_equal(paired[0].numpy(), want)
    x = torch.arange(300.0)
    np.testing.assert_array_equal(x[paired[0][0]].numpy(), want[0].astype(np.float32))
