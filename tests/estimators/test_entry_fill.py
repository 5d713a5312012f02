"""``entry_fill="neighbors"``: the encoders see missing entries filled from training rows."""

import numpy as np
import pytest
from conftest import TINY
from sklearn.datasets import load_breast_cancer
from sklearn.utils._param_validation import InvalidParameterError

from skpoe import MVAE, MultimodalPoEVAE, load
from skpoe.persistence import save

GROUPS = {"mean": slice(0, 10), "error": slice(10, 20), "worst": slice(20, 30)}


@pytest.fixture(scope="module")
def data():
    X, y = load_breast_cancer(return_X_y=True)
    views = {k: X[:, s].copy() for k, s in GROUPS.items()}
    rng = np.random.RandomState(0)
    train = {k: np.where(rng.rand(*v.shape) < 0.1, np.nan, v) for k, v in views.items()}
    test = {k: np.where(rng.rand(*v.shape) < 0.4, np.nan, v)[:100] for k, v in views.items()}
    y_part = np.where(np.arange(len(y)) % 4 == 0, y, -1)
    return train, y_part, test, {k: v[:100] for k, v in views.items()}, y[:100]


@pytest.fixture(scope="module")
def pair(data):
    train, y_part, *_ = data
    mean = MultimodalPoEVAE(**TINY, entry_fill="mean").fit(train, y_part)
    near = MultimodalPoEVAE(**TINY).fit(train, y_part)  # the default
    return mean, near


def test_training_and_complete_rows_are_unchanged(pair, data):
    mean, near = pair
    _, _, _, complete, _ = data
    assert mean.entry_donors_ is None and near.entry_donors_ is not None
    np.testing.assert_array_equal(mean.loss_curve_, near.loss_curve_)
    np.testing.assert_array_equal(mean.predict_proba(complete), near.predict_proba(complete))
    # a missing view is no missing entry: nothing to fill
    one = {"mean": complete["mean"]}
    np.testing.assert_array_equal(mean.transform(one), near.transform(one))


def test_rows_with_missing_entries_are_encoded_from_the_fill(pair, data):
    mean, near = pair
    _, _, test, _, _ = data
    holes = np.isnan(test["mean"]).any(1)
    z_mean, z_near = mean.transform(test), near.transform(test)
    assert not np.allclose(z_mean[holes], z_near[holes])
    # the fill feeds the encoders only: impute keeps observed entries and decodes the rest
    filled = near.impute(test)
    obs = ~np.isnan(test["mean"])
    np.testing.assert_array_equal(filled["mean"][obs], test["mean"][obs])
    assert np.isfinite(filled["mean"]).all()


def test_the_fill_brings_the_encoding_closer_to_the_complete_rows(pair, data):
    # what the fill is for: a row missing 40% of its entries is encoded nearer to where its
    # complete version is encoded (a broken fill, e.g. from random training rows, is not)
    mean, near = pair
    _, _, test, complete, _ = data
    target = near.transform(complete)  # both fits share their weights: same target
    far_mean = np.linalg.norm(mean.transform(test) - target, axis=1).mean()
    far_near = np.linalg.norm(near.transform(test) - target, axis=1).mean()
    assert far_near < 0.8 * far_mean
    rng = np.random.RandomState(1)
    donors = near.entry_donors_
    rows = donors["rows"]  # every entry shuffled: donors that are no real rows
    near.entry_donors_ = dict(donors, rows=rng.permutation(rows.ravel()).reshape(rows.shape))
    try:
        far_broken = np.linalg.norm(near.transform(test) - target, axis=1).mean()
    finally:
        near.entry_donors_ = donors
    assert far_near < far_broken


def test_save_and_load_keep_the_donors(pair, data, tmp_path):
    _, near = pair
    _, _, test, _, _ = data
    path = tmp_path / "model.skpoe"
    save(near, path)
    back = load(path)
    np.testing.assert_array_equal(back.entry_donors_["rows"], near.entry_donors_["rows"])
    np.testing.assert_array_equal(back.predict_proba(test), near.predict_proba(test))


def test_siblings_get_it_through_the_shared_inference(data):
    train, y_part, test, _, _ = data
    a = MVAE(**TINY, entry_fill="mean").fit(train, y_part)
    b = MVAE(**TINY).fit(train, y_part)
    assert not np.allclose(a.transform(test), b.transform(test))


def test_unknown_fill_is_an_error_naming_the_parameter(data):
    train, y_part, *_ = data
    with pytest.raises(InvalidParameterError, match="entry_fill"):
        MultimodalPoEVAE(**TINY, entry_fill="knn").fit(train, y_part)
