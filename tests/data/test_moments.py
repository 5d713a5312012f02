"""Block-by-block column moments give the bits of the direct float64 computation."""

import warnings

import numpy as np
import pytest

import skpoe.data._moments as moments
from skpoe.likelihoods import Gaussian


def _direct(X):
    """The whole view in float64 at once (skpoe's computation before blocks)."""
    X64 = np.asarray(X, dtype=np.float64)
    if not np.isnan(X64).any():
        return X64.mean(axis=0), X64.std(axis=0)
    seen = (~np.isnan(X64)).any(axis=0)
    return np.nanmean(X64[:, seen], axis=0), np.nanstd(X64[:, seen], axis=0)


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(moments, "MOMENT_ROWS", 97)  # many blocks, one partial


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("d", [2, 3, 33])
def test_blockwise_equals_direct_bit_for_bit(small_blocks, dtype, d):
    rng = np.random.default_rng(d)
    X = (rng.normal(size=(1000, d)) * rng.uniform(0.01, 1e4, d) + 1e3).astype(dtype)
    before = X.copy()
    center, scale = moments.column_moments(X)
    ref_center, ref_scale = _direct(X)
    np.testing.assert_array_equal(center, ref_center)
    np.testing.assert_array_equal(scale, ref_scale)
    np.testing.assert_array_equal(X, before)  # the view is only read


def test_blocks_are_used_and_hold_no_whole_copy(small_blocks, monkeypatch):
    X = np.random.default_rng(0).normal(size=(1000, 4))
    passes, largest = [], []
    real = moments._running_sum

    def spy(blocks, term):
        passes.append(1)
        largest.append(max(len(b) for b in blocks()))
        return real(blocks, term)

    monkeypatch.setattr(moments, "_running_sum", spy)
    monkeypatch.setattr(moments, "_direct", lambda X: pytest.fail("direct path taken"))
    moments.column_moments(X)
    # the missing entries counted, the mean, the deviations: each a block of rows at a time
    assert len(passes) == 3 and max(largest) == 97


def _observed_direct(X, rows):
    """The graph's standardization before blocks: a C-ordered float64 copy of the rows."""
    x = np.empty((len(rows), X.shape[1]))
    x[:] = X[rows]
    if not np.isnan(x).any():
        return x.mean(0), x.std(0)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(x, 0), np.nanstd(x, 0)


@pytest.mark.parametrize("missing", [0.0, 0.05])
@pytest.mark.parametrize("d", [1, 2, 9])
@pytest.mark.parametrize("order", ["C", "F"])
def test_observed_moments_of_some_rows_match_the_copy_bit_for_bit(small_blocks, missing, d, order):
    rng = np.random.default_rng(d)
    X = rng.normal(size=(1000, d)) * rng.uniform(0.01, 1e3, d) - 50  # float64: sums round
    X[rng.random(X.shape) < missing] = np.nan
    if missing and d > 1:
        X[:, 1] = np.nan  # a column with no observed entry: NaN, as nanmean gives
    X = np.asarray(X, order=order)
    rows = np.sort(rng.choice(1000, 700, replace=False))
    center, scale = moments.observed_moments(X, rows)
    ref_center, ref_scale = _observed_direct(X, rows)
    np.testing.assert_array_equal(center, ref_center)
    np.testing.assert_array_equal(scale, ref_scale)
    # a variant that sums each column pairwise, as NumPy does along a contiguous axis, differs
    if d > 2 and not missing:
        pairwise = np.asfortranarray(X[rows], dtype=np.float64).mean(0)
        assert not np.array_equal(pairwise, center)


@pytest.mark.parametrize(
    "make",
    [
        lambda X: X[:, :1].copy(),  # one column: NumPy sums it pairwise
        lambda X: np.asfortranarray(X),
        lambda X: np.where(np.arange(X.shape[0])[:, None] % 50 == 0, np.nan, X),
    ],
    ids=["one-column", "fortran", "missing-entries"],
)
def test_other_layouts_match_the_direct_result(small_blocks, make):
    X = make(np.random.default_rng(1).normal(size=(1000, 5)) * 30 + 7)
    center, scale = moments.column_moments(X)
    ref_center, ref_scale = _direct(X)
    np.testing.assert_array_equal(center, ref_center)
    np.testing.assert_array_equal(scale, ref_scale)


def test_gaussian_fit_uses_the_blockwise_moments(small_blocks):
    X = np.random.default_rng(2).normal(size=(1000, 6)).astype(np.float32) * 4 + 2
    lik = Gaussian().fit(X, "view")
    ref_center, ref_scale = _direct(X)
    np.testing.assert_array_equal(lik.center_, ref_center)
    np.testing.assert_array_equal(lik.scale_, ref_scale)


def test_wide_views_are_summed_in_blocks_of_bounded_values(small_blocks, monkeypatch):
    """Blocks of fewer rows for wide views (any boundaries give the same running sums)."""
    monkeypatch.setattr(moments, "MOMENT_VALUES", 300)  # 33 rows of 9 features
    sizes = []
    real = moments._running_sum

    def spy(blocks, term):
        sizes.extend(len(b) for b in blocks())
        return real(blocks, term)

    monkeypatch.setattr(moments, "_running_sum", spy)
    X = np.random.default_rng(3).normal(size=(1000, 9)) * 40 + 3
    center, scale = moments.column_moments(X)
    ref_center, ref_scale = _direct(X)
    np.testing.assert_array_equal(center, ref_center)
    np.testing.assert_array_equal(scale, ref_scale)
    assert max(sizes) == 33
