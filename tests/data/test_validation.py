"""Bad input raises ValueError/TypeError naming the modality, row or parameter."""

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import tiny
from sklearn.exceptions import NotFittedError

from skpoe import MultimodalPoEVAE


def _copy(X):
    return {k: np.array(v, dtype=float, copy=True) for k, v in X.items()}


# --------------------------------------------------------------------------
# at predict time (fitted model)
# --------------------------------------------------------------------------
def test_unknown_modality_name(tiny_supervised, small):
    with pytest.raises(ValueError, match=r"'bottm'.*not seen during fit"):
        tiny_supervised.predict({"top": small.X["top"], "bottm": small.X["bottom"]})


def test_wrong_feature_count(tiny_supervised, small):
    with pytest.raises(ValueError, match=r"'bottom' has 31 features.*32"):
        tiny_supervised.transform({"top": small.X["top"], "bottom": small.X["bottom"][:, 1:]})


@pytest.mark.parametrize("method", ["predict", "transform", "score_samples", "impute"])
def test_row_without_any_observed_view(tiny_supervised, small, method):
    X = _copy(small.X)
    X["top"][[4, 7]] = np.nan
    X["bottom"][[4, 7]] = np.nan
    with pytest.raises(ValueError, match=r"Rows 4, 7 have no observed view"):
        getattr(tiny_supervised, method)(X)
    # a modality left out counts as missing for every row
    with pytest.raises(ValueError, match=r"Rows 4, 7"):
        getattr(tiny_supervised, method)({"top": X["top"]})


@pytest.mark.parametrize("method", ["predict", "predict_proba", "transform", "score_samples"])
def test_not_fitted(small, method):
    with pytest.raises(NotFittedError):
        getattr(tiny(), method)(small.X)


def test_sample_and_impute_not_fitted(small):
    with pytest.raises(NotFittedError):
        tiny().sample(2)
    with pytest.raises(NotFittedError):
        tiny().impute(small.X)


def test_two_d_input_to_dict_fitted_model(tiny_supervised, small):
    with pytest.raises(ValueError, match="'X'"):
        tiny_supervised.predict(small.X2d)


# --------------------------------------------------------------------------
# at fit time
# --------------------------------------------------------------------------
def test_bad_values_named_beside_missing_entries(small):
    """Missing entries (NaN inside a row) are allowed; other bad values in the
    same view still raise errors naming the modality and row."""
    X = _copy(small.X)
    X["top"][[2, 9], [0, 3]] = np.nan
    X["top"][9, 5] = np.inf
    with pytest.raises(ValueError, match=r"'top' contains infinity.*row 9"):
        tiny(max_iter=1).fit(X)
    X["top"][9, 5] = 2.0
    with pytest.raises(ValueError, match=r"'top'.*\[0, 1\].*max 2"):
        tiny(max_iter=1, likelihoods="bernoulli").fit(X)
    X["top"][9, 5] = 0.5
    strings = X["top"].astype(str)
    strings[4, 1] = "pixel"
    with pytest.raises(ValueError, match=r"'top'.*non-numeric"):
        tiny(max_iter=1).fit({"top": strings, "bottom": X["bottom"]})


def test_warm_start_cannot_add_missing_entries(small):
    model = tiny(max_iter=1, warm_start=True).fit(small.X)
    X = _copy(small.X)
    X["bottom"][5, 2] = np.nan
    with pytest.raises(ValueError, match=r"warm_start.*'bottom'.*missing entries"):
        model.fit(X)
    # a modality fitted with missing entries takes new ones
    X["top"][7, 1] = np.nan
    model = tiny(max_iter=1, warm_start=True).fit(X)
    model.fit(_copy(small.X)).fit(X)
    assert model.n_iter_ == 3


@pytest.mark.parametrize("value", [np.inf, -np.inf])
def test_infinite_values(small, value):
    X = _copy(small.X)
    X["top"][9, 5] = value
    with pytest.raises(ValueError, match=r"'top' contains infinity.*row 9"):
        tiny(max_iter=1).fit(X)


def test_non_numeric_data(small):
    X = _copy(small.X)
    strings = X["bottom"].astype(str)
    strings[0, 0] = "pixel"
    with pytest.raises(ValueError, match=r"'bottom'.*non-numeric"):
        tiny(max_iter=1).fit({"top": X["top"], "bottom": strings})


def test_modalities_of_different_lengths(small):
    X = {"top": small.X["top"], "bottom": small.X["bottom"][:-3]}
    with pytest.raises(ValueError, match=r"same number of samples.*'bottom': 297"):
        tiny(max_iter=1).fit(X)


def test_empty_dict():
    with pytest.raises(ValueError, match="empty dict"):
        tiny(max_iter=1).fit({})


def test_zero_rows(small):
    with pytest.raises(ValueError, match="0 sample"):
        tiny(max_iter=1).fit({k: v[:0] for k, v in small.X.items()})


def test_y_of_wrong_length(small):
    with pytest.raises(ValueError, match=r"299 labels.*300 samples"):
        tiny(max_iter=1).fit(small.X, small.y_part[:-1])


def test_y_without_any_label(small):
    with pytest.raises(ValueError, match="no labeled rows"):
        tiny(max_iter=1).fit(small.X, np.full(small.n, -1))


def test_row_without_views_at_fit(small):
    X = _copy(small.X)
    X["top"][3] = np.nan
    X["bottom"][3] = np.nan
    y = small.y_part.copy()
    y[3] = -1
    with pytest.raises(ValueError, match="Rows 3 have no observed view"):
        tiny(max_iter=1).fit(X, y)
    y[3] = 1  # a label alone is not a view: the same error
    with pytest.raises(ValueError, match="Rows 3 have no observed view"):
        tiny(max_iter=1).fit(X, y)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(n_components=0), "n_components"),
        (dict(batch_size=-1), "batch_size"),
        (dict(supervision_weight=-1.0), "supervision_weight"),
        (dict(max_iter=0), "max_iter"),
        (dict(learning_rate_init=0.0), "learning_rate_init"),
        (dict(beta=-0.5), "beta"),
        (dict(validation_fraction=1.0), "validation_fraction"),
        (dict(likelihoods="nope"), r"'nope'.*modality 'top'"),
        (dict(likelihoods={"top": "nope"}), r"'nope'.*modality 'top'"),
        (dict(likelihoods={"zzz": "gaussian"}), r"likelihoods.*\['zzz'\]"),
        (dict(device="tpu"), r"'device'.*'tpu'"),
        (dict(hidden_layer_sizes={"zzz": (8,)}), r"hidden_layer_sizes.*\['zzz'\]"),
        (dict(hidden_layer_sizes=(8, 0)), "hidden_layer_sizes"),
        (dict(hidden_layer_sizes="big"), "hidden_layer_sizes"),
    ],
)
def test_invalid_parameters(small, params, match):
    with pytest.raises((ValueError, TypeError), match=match):
        tiny(max_iter=1).set_params(**params).fit(small.X, small.y_part)


def test_likelihood_incompatible_with_data(small):
    X = {"top": small.X["top"] * 16, "bottom": small.X["bottom"]}
    with pytest.raises(ValueError, match=r"'top'.*\[0, 1\]"):
        tiny(max_iter=1, likelihoods="bernoulli").fit(X)
    with pytest.raises(ValueError, match=r"'bottom'.*counts"):
        tiny(max_iter=1, likelihoods={"bottom": "poisson"}).fit(X)


def test_one_dimensional_modality(small):
    with pytest.raises(ValueError, match=r"'top'.*2D array.*reshape"):
        tiny(max_iter=1).fit({"top": small.X["top"][:, 0], "bottom": small.X["bottom"]})


def test_one_dimensional_array_on_2d_route(small):
    with pytest.raises(ValueError, match=r"2D array"):
        tiny(max_iter=1).fit(small.X2d[:, 0])


def test_sparse_input(small):
    # one sparse 2-D X is refused with a hint; sparse views in a dict are
    # accepted (tests/test_sparse.py)
    with pytest.raises(TypeError, match=r"[Ss]parse.*dict"):
        tiny(max_iter=1).fit(sp.csr_matrix(small.X2d))


def test_non_string_modality_name(small):
    with pytest.raises(TypeError, match="names must be strings"):
        tiny(max_iter=1).fit({0: small.X["top"], "bottom": small.X["bottom"]})


def test_none_and_string_x():
    with pytest.raises(ValueError):
        MultimodalPoEVAE().fit(None)
    with pytest.raises((ValueError, TypeError)):
        MultimodalPoEVAE().fit("digits")


def test_unseen_label_in_warm_start(small):
    model = tiny(max_iter=1, warm_start=True).fit(small.X, small.y_part)
    y = small.y_part.copy()
    y[0] = 42
    with pytest.raises(ValueError, match=r"not seen during fit.*42"):
        model.fit(small.X, y)


@pytest.fixture(scope="module")
def typed_views(digits):
    """A bernoulli view, a poisson view and a categorical view of 300 digits."""
    X, y = digits
    raw = np.round(X[:300] * 16)
    data = {"top": X[:300, :32], "counts": raw[:, 32:48], "codes": np.floor(raw[:, 48:] / 4)}
    model = tiny(likelihoods={"counts": "poisson", "codes": "categorical"}).fit(data)
    return model, data


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize(
    "view, bad_value, match",
    [("top", 16.0, r"'top'.*\[0, 1\]"), ("counts", -3.0, "'counts'"), ("codes", 9.0, "'codes'")],
)
def test_values_checked_against_likelihood_at_predict(typed_views, view, bad_value, match):
    model, data = typed_views
    X = _copy(data)
    X[view][0, 0] = bad_value
    with pytest.raises(ValueError, match=match):
        model.score_samples(X)
