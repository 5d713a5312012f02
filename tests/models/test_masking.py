"""Entry masking: observed entries hidden from the encoders at random in training."""

import numpy as np
import pytest
import torch

from skpoe import MultimodalPoEVAE
from skpoe.likelihoods._fitting import AUTO_ENTRY_MASKING, entry_masking_rates, fit_likelihoods
from skpoe.models.base import Batch
from skpoe.models.masking import EntryMasking, masked_batch, masked_inputs


def _direct(x, rate, fill, seed):
    """The formula: a per-row rate r ~ U(0, rate), each entry hidden with probability r."""
    g = torch.Generator().manual_seed(seed)
    r = torch.rand(x.shape[0], 1, generator=g) * rate
    u = torch.rand(x.shape, generator=g)
    return torch.where(u < r, fill.expand_as(x), x)


def _masked(x, rate, fill, seed):
    torch.manual_seed(seed)
    return EntryMasking({0: rate}, {0: fill.numpy()}, torch.device("cpu")).inputs(0, x)


def _broken(x, rate, fill, seed):
    """A variant without the per-row rate: every entry hidden with probability ``rate``."""
    torch.manual_seed(seed)
    torch.rand(x.shape[0], 1)
    return torch.where(torch.rand(x.shape) < rate, fill.expand_as(x), x)


def test_masking_matches_its_formula_and_catches_a_broken_variant():
    x = torch.randn(500, 40)
    fill = torch.linspace(-1, 1, 40)
    expected = _direct(x, 0.6, fill, 3)
    torch.testing.assert_close(_masked(x, 0.6, fill, 3), expected, rtol=0, atol=0)
    assert not torch.equal(_broken(x, 0.6, fill, 3), expected)
    hidden = _masked(x, 0.6, fill, 3) != x
    # each row's share is uniform in [0, 0.6]: mean 0.3, and it varies from row to row
    share = hidden.float().mean(1)
    assert abs(float(share.mean()) - 0.3) < 0.03
    assert float(share.std()) > 0.12  # a fixed rate of 0.3 would give about 0.07
    assert float(share.max()) <= 0.8
    # a hidden entry takes its column's fill, the others are unchanged
    out = _masked(x, 0.6, fill, 3)
    cols = torch.nonzero(hidden)[:, 1]
    torch.testing.assert_close(out[hidden], fill[cols])
    torch.testing.assert_close(out[~hidden], x[~hidden])


def test_masking_leaves_unmasked_views_and_the_targets_alone():
    x0, x1 = torch.randn(20, 5), torch.randn(20, 3)
    t0, t1 = x0.clone(), x1.clone()
    batch = Batch([x0, x1], [t0, t1], torch.ones(20, 2, dtype=torch.bool))

    class Data:
        entry_masking = EntryMasking(
            {0: 0.9, 1: 0.0}, {0: np.zeros(5, np.float32)}, torch.device("cpu")
        )

    out = masked_batch(Data, batch)
    assert not torch.equal(out.inputs[0], x0)
    assert out.inputs[1] is x1
    assert out.targets[0] is t0 and out.targets[1] is t1
    assert masked_inputs(Data, 1, x1) is x1
    assert masked_batch(object(), batch) is batch  # data without masking: as it is
    assert not EntryMasking({0: 0.0}, {}, torch.device("cpu"))


def _views(rng, n=60, missing=0.0):
    a = rng.rand(n, 4)
    b = rng.normal(size=(n, 3)) * 5 + 2
    for v in (a, b):
        v[rng.rand(*v.shape) < missing] = np.nan
    return a, b


def test_rates_auto_masks_the_views_fitted_with_missing_entries():
    rng = np.random.RandomState(0)
    a, _ = _views(rng, missing=0.2)
    _, b = _views(rng)
    counts = rng.poisson(3.0, size=(60, 2)).astype(float)
    arrays, obs = [a, b, counts], np.ones((60, 3), bool)
    liks = list(
        fit_likelihoods(
            ["auto", "auto", "poisson"], ["a", "b", "c"], arrays, obs, missing_indicators=False
        ).values()
    )
    assert entry_masking_rates(liks, ["a", "b", "c"], arrays, obs, "auto") == {
        "a": AUTO_ENTRY_MASKING,
        "b": 0.0,
        "c": 0.0,
    }
    assert liks[1].fill_ is None  # a complete view left unmasked keeps no fill
    rates = entry_masking_rates(liks, ["a", "b", "c"], arrays, obs, 0.3)
    assert rates == {"a": 0.3, "b": 0.3, "c": 0.0}  # counts: no affine encoding
    # a masked complete view fills hidden entries as prediction fills missing ones: its means
    np.testing.assert_allclose(
        liks[1].fill_, liks[1].encode_values(b.mean(0)[None])[0], rtol=1e-5, atol=1e-6
    )
    with_ind = list(
        fit_likelihoods(["auto"], ["a"], [a], obs[:, :1], missing_indicators=True).values()
    )
    assert entry_masking_rates(with_ind, ["a"], [a], obs[:, :1], 0.5) == {"a": 0.0}


def test_auto_leaves_complete_data_fits_bit_identical():
    rng = np.random.RandomState(1)
    a, b = _views(rng, n=80)
    X = {"a": a, "b": b}
    kw = dict(n_components=2, hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    off = MultimodalPoEVAE(entry_masking=0.0, **kw).fit(X)
    auto = MultimodalPoEVAE(**kw).fit(X)
    assert auto.entry_masking_ == {"a": 0.0, "b": 0.0}
    np.testing.assert_array_equal(off.transform(X), auto.transform(X))
    on = MultimodalPoEVAE(entry_masking=0.5, **kw).fit(X)
    assert not np.array_equal(off.transform(X), on.transform(X))
    assert on.entry_masking_ == {"a": 0.5, "b": 0.5}


def test_masked_fit_with_missing_entries_is_reproducible():
    rng = np.random.RandomState(2)
    a, b = _views(rng, n=80, missing=0.15)
    X = {"a": a, "b": b}
    kw = dict(n_components=2, hidden_layer_sizes=(8,), max_iter=3, random_state=0)
    one = MultimodalPoEVAE(**kw).fit(X)
    two = MultimodalPoEVAE(**kw).fit(X)
    assert one.entry_masking_ == {"a": AUTO_ENTRY_MASKING, "b": AUTO_ENTRY_MASKING}
    np.testing.assert_array_equal(one.transform(X), two.transform(X))
    off = MultimodalPoEVAE(entry_masking=0.0, **kw).fit(X)
    assert not np.array_equal(one.transform(X), off.transform(X))
    assert np.isfinite(one.transform(X)).all()


@pytest.mark.parametrize("bad", [1.0, -0.1, "always"])
def test_entry_masking_is_validated(bad):
    X = {"a": np.random.rand(10, 3)}
    with pytest.raises(ValueError, match="entry_masking"):
        MultimodalPoEVAE(entry_masking=bad, max_iter=1).fit(X)


def test_masked_warm_start_resumes_exactly():
    rng = np.random.RandomState(3)
    a, b = _views(rng, n=80, missing=0.15)
    X = {"a": a, "b": b}
    kw = dict(n_components=2, hidden_layer_sizes=(8,), random_state=0)
    model = MultimodalPoEVAE(max_iter=2, warm_start=True, **kw).fit(X)
    model.fit(X)
    full = MultimodalPoEVAE(max_iter=4, **kw).fit(X)
    assert model.loss_curve_ == full.loss_curve_
    np.testing.assert_array_equal(model.transform(X), full.transform(X))
