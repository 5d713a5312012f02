"""Validation and encoding of in-memory views block by block: no copy of the whole view,
the same numbers as in one block, errors naming the row of any block."""

from __future__ import annotations

import numpy as np
import pytest

import skpoe.data._arrays as arrays_mod
import skpoe.data._validation as validation
import skpoe.likelihoods.base as lik_base
from skpoe.likelihoods import get_likelihood


def _view(n=50, d=3, seed=0):
    rng = np.random.RandomState(seed)
    X = (rng.rand(n, d) * 4).astype(np.float32)
    X[rng.rand(n, d) < 0.1] = np.nan  # missing entries
    X[::7] = np.nan  # missing rows
    return X


def test_a_float32_view_is_validated_without_a_copy(monkeypatch):
    monkeypatch.setattr(arrays_mod, "CHECK_BLOCK", 6)  # blocks of 2 rows
    X = _view()
    arr, obs = arrays_mod.view_values("v", X)
    assert arr is X  # float32 kept as it is (float64 too)
    np.testing.assert_array_equal(obs, ~np.isnan(X).all(1))
    ints = np.arange(6).reshape(3, 2)
    assert arrays_mod.view_values("v", ints)[0].dtype == np.float64


@pytest.mark.parametrize("bad, match", [(np.inf, "infinity"), (1e300, "beyond float32")])
def test_a_bad_value_in_a_later_block_names_its_row(monkeypatch, bad, match):
    monkeypatch.setattr(arrays_mod, "CHECK_BLOCK", 6)
    X = _view().astype(np.float64)
    X[37, 2] = bad
    with pytest.raises(ValueError, match=rf"{match}"):
        arrays_mod.view_values("v", X)
    with pytest.raises(ValueError, match="row 37, column 2"):
        arrays_mod.view_values("v", X)


@pytest.mark.parametrize("spec", ["gaussian", "poisson", "bernoulli", "categorical"])
def test_encoding_in_blocks_is_encoding_in_one(monkeypatch, spec):
    X = np.floor(_view())
    if spec == "bernoulli":
        X = X / 4
    obs = ~np.isnan(X).all(1)
    lik = get_likelihood(spec, X[obs], "v")
    whole = validation.encode([X], obs[:, None], [lik])
    monkeypatch.setattr(validation, "ENCODE_ROWS", 4)
    monkeypatch.setattr(lik_base, "_BLOCK_ROWS", 4)
    parts = validation.encode([X], obs[:, None], [lik])
    again = get_likelihood(spec, X[obs], "v")  # the value checks in blocks too
    assert again.missing_entries_ == lik.missing_entries_
    for a, b in zip(whole, parts):
        assert a[0].dtype == b[0].dtype
        np.testing.assert_array_equal(a[0], b[0])
    assert whole[0][0].dtype == np.float32


def test_a_target_equal_to_the_input_is_one_array():
    X = np.random.RandomState(0).rand(30, 4)
    obs = np.ones(30, bool)
    lik = get_likelihood("bernoulli", X, "v")
    (x,), (t,) = validation.encode([X], obs[:, None], [lik])
    assert t is x and x is not X and x.dtype == np.float32
    np.testing.assert_array_equal(x, X.astype(np.float32))


def _bernoulli(n=30, d=4):
    X = np.random.RandomState(0).rand(n, d).astype(np.float32)
    return X, get_likelihood("bernoulli", X, "v")


def test_a_float32_view_that_is_its_own_input_is_not_copied(monkeypatch):
    monkeypatch.setattr(validation, "ENCODE_ROWS", 4)  # several blocks
    X, lik = _bernoulli()
    (x,), (t,) = validation.encode([X], np.ones((30, 1), bool), [lik])
    assert x is X and t is X


def _copied(X, lik, obs=None):
    obs = np.ones((len(X), 1), bool) if obs is None else obs
    (x,), _ = validation.encode([X], obs, [lik])
    assert x is not X and not np.shares_memory(x, X)
    return x


@pytest.mark.parametrize(
    "change", ["nan in the last block", "float64", "read-only", "not contiguous", "row"]
)
def test_a_view_that_is_not_its_own_input_is_encoded_into_a_copy(monkeypatch, change):
    monkeypatch.setattr(validation, "ENCODE_ROWS", 4)
    X, lik = _bernoulli()
    obs = None
    if change == "nan in the last block":
        X[-1, 0] = np.nan  # a missing entry: its input takes the fill
        lik = get_likelihood("bernoulli", X, "v")
    elif change == "float64":
        X = X.astype(np.float64)
    elif change == "read-only":
        X.setflags(write=False)
    elif change == "not contiguous":
        X = np.asfortranarray(X)
    else:
        obs = np.ones((30, 1), bool)
        obs[5] = False  # an unobserved row: its input is zeros
    x = _copied(X, lik, obs)
    rows = slice(None) if obs is None else obs[:, 0]
    expected = np.asarray(lik.encoder_input(X[rows]), np.float32)
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x[rows].view(np.uint32), expected.view(np.uint32))
