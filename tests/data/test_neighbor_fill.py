"""Missing entries filled from the nearest training rows (``entry_fill="neighbors"``)."""

import numpy as np
from sklearn.impute import KNNImputer

import skpoe.data._neighbor_fill as fill_mod
from skpoe.data._neighbor_fill import donor_set, fill_missing_entries


def two_views(n=80, seed=0):
    """A real-valued view on raw scales and a [0, 1] view, sharing a class."""
    rng = np.random.RandomState(seed)
    y = np.arange(n) % 2
    a = np.column_stack([rng.randn(n) + 3 * y, 100 * rng.randn(n) + 300 * y, rng.randn(n)])
    b = np.clip(0.2 + 0.6 * y[:, None] + 0.1 * rng.randn(n, 4), 0, 1)
    return [a, b], y


def direct_fill(views, observed, query, query_obs):
    """The same fill written out: KNNImputer over both views side by side, the real view
    standardized on the training rows' observed entries, the [0, 1] view as it is."""
    a, b = (v.copy() for v in views)
    a[~observed[:, 0]] = np.nan
    b[~observed[:, 1]] = np.nan
    mu, sd = np.nanmean(a, 0), np.nanstd(a, 0)
    train = np.hstack([(a - mu) / sd, b]).astype(np.float32).astype(np.float64)
    qa, qb = (np.array(q, float) for q in query)
    qa[~query_obs[:, 0]] = np.nan
    qb[~query_obs[:, 1]] = np.nan
    full = KNNImputer(n_neighbors=5, keep_empty_features=True).fit(train)
    out = full.transform(np.hstack([(qa - mu) / sd, qb]))
    return out[:, :3] * sd + mu, out[:, 3:]


def test_fill_is_knn_imputation_in_the_encoders_units_over_every_view():
    views, _ = two_views()
    observed = np.ones((80, 2), bool)
    observed[:5, 1] = False
    views[1][:5] = np.nan
    donors = donor_set(views, observed, [True, True], [True, False])
    query = [views[0][:10].copy(), views[1][:10].copy()]
    query[0][6:, 1] = np.nan  # missing entries in both views
    query[1][6:, :2] = np.nan
    qobs = observed[:10]
    got = fill_missing_entries(donors, query, qobs)
    want_a, want_b = direct_fill(views, observed, query, qobs)
    hole_a, hole_b = np.isnan(query[0]), np.isnan(query[1]) & qobs[:, 1:]
    np.testing.assert_allclose(got[0][hole_a], want_a[hole_a], rtol=1e-5)
    np.testing.assert_allclose(got[1][hole_b], want_b[hole_b], rtol=1e-5, atol=1e-6)
    # observed entries are kept bit for bit; the missing view stays missing
    np.testing.assert_array_equal(got[0][~hole_a], query[0][~hole_a])
    assert np.isnan(got[1][:5]).all()


def test_the_other_view_chooses_the_neighbours():
    # a broken variant that searched each view on its own would fill view a's only entry
    # from neighbours by nothing; here view b alone tells the class, and the fill follows it
    views, y = two_views()
    observed = np.ones((80, 2), bool)
    donors = donor_set(views, observed, [True, True], [True, False])
    query = [np.full((2, 3), np.nan), views[1][:2].copy()]  # view a observed, every entry NaN
    got = fill_missing_entries(donors, query, np.ones((2, 2), bool))
    class_means = [views[0][y == c, 0].mean() for c in (0, 1)]
    for row in range(2):
        near = np.argmin([abs(got[0][row, 0] - cm) for cm in class_means])
        assert near == y[row]
    per_view = KNNImputer(n_neighbors=5).fit(views[0]).transform(np.full((1, 3), np.nan))
    assert not np.allclose(got[0][0], per_view[0])  # the column mean is not what we give


def test_blocks_without_missing_entries_are_returned_as_they_are():
    views, _ = two_views()
    observed = np.ones((80, 2), bool)
    observed[:3, 0] = False  # missing views are not missing entries
    raws = [views[0].copy(), views[1].copy()]
    raws[0][:3] = np.nan
    donors = donor_set(views, observed, [True, True], [True, False])
    assert fill_missing_entries(donors, raws, observed) is raws


def test_ineligible_views_are_left_alone_and_none_without_any():
    views, _ = two_views()
    observed = np.ones((80, 2), bool)
    assert donor_set(views, observed, [False, False], [True, False]) is None
    donors = donor_set(views, observed, [True, False], [True, False])
    raws = [views[0][:4].copy(), views[1][:4].copy()]
    raws[1][0, 0] = np.nan  # in the view that takes no part
    assert fill_missing_entries(donors, raws, observed[:4]) is raws


def test_donors_are_bounded(monkeypatch):
    monkeypatch.setattr(fill_mod, "DONOR_ROWS", 25)
    views, _ = two_views()
    donors = donor_set(views, np.ones((80, 2), bool), [True, True], [True, False])
    assert donors["rows"].shape == (25, 7) and donors["rows"].dtype == np.float32
    # [0, 1] features are kept in their own units
    np.testing.assert_array_equal(donors["center"][3:], 0.0)
    np.testing.assert_array_equal(donors["scale"][3:], 1.0)
    again = donor_set(views, np.ones((80, 2), bool), [True, True], [True, False])
    np.testing.assert_array_equal(donors["rows"], again["rows"])
    monkeypatch.setattr(fill_mod, "DONOR_ENTRIES", 70)  # 7 columns: wide rows keep fewer
    assert donor_set(views, np.ones((80, 2), bool), [True, True], [True, False])["rows"].shape == (
        10,
        7,
    )


def test_rows_seen_by_no_eligible_view_are_no_donors():
    views, _ = two_views()
    observed = np.ones((80, 2), bool)
    observed[:10] = False
    donors = donor_set(views, observed, [True, True], [True, False])
    assert donors["rows"].shape[0] == 70
