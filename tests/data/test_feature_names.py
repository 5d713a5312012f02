"""Column names per view: recorded at fit, checked at predict time in
scikit-learn's words, kept through ModalityDict row indexing."""

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import tiny
from sklearn.model_selection import train_test_split

from skpoe import ModalityDict


@pytest.fixture(scope="module")
def frames(small):
    top = pd.DataFrame(small.X["top"], columns=[f"t{j}" for j in range(32)])
    bottom = pd.DataFrame(small.X["bottom"], columns=[f"b{j}" for j in range(32)])
    return {"top": top, "bottom": bottom}


@pytest.fixture(scope="module")
def named_model(frames, small):
    return tiny(max_iter=3).fit(frames, small.y_part)


def test_names_recorded_per_modality(named_model, frames):
    per = named_model.feature_names_per_modality_
    assert list(per) == ["top", "bottom"]
    np.testing.assert_array_equal(per["top"], frames["top"].columns)
    names = named_model.feature_names_in_
    assert len(names) == named_model.n_features_in_ == 64
    assert names[0] == "top__t0" and names[-1] == "bottom__b31"
    out = named_model.get_feature_names_out()
    assert len(out) == named_model.n_components
    np.testing.assert_array_equal(named_model.get_feature_names_out(names), out)


def test_same_names_predict_without_warning(named_model, frames):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        named_model.predict({"top": frames["top"][:5]})


@pytest.mark.parametrize("method", ["predict", "transform", "score_samples", "impute"])
def test_reordered_columns_are_an_error(named_model, frames, method):
    top = frames["top"][frames["top"].columns[::-1]]
    with pytest.raises(ValueError) as err:
        getattr(named_model, method)({"top": top, "bottom": frames["bottom"]})
    msg = str(err.value)
    assert "Modality 'top'" in msg
    assert "The feature names should match those that were passed during fit" in msg
    assert "same order" in msg


def test_renamed_columns_are_an_error(named_model, frames):
    bottom = frames["bottom"].rename(columns={"b3": "B3"})
    with pytest.raises(
        ValueError, match=r"(?s)'bottom'.*unseen at fit time:\n- B3\n.*now missing:\n- b3"
    ):
        named_model.transform({"top": frames["top"], "bottom": bottom})


def test_arrays_after_frames_warn(named_model, small):
    with pytest.warns(UserWarning, match="'top' does not have valid feature names"):
        named_model.transform({"top": small.X["top"]})


def test_frames_after_arrays_warn(tiny_supervised, frames):
    assert not hasattr(tiny_supervised, "feature_names_in_")
    assert not hasattr(tiny_supervised, "feature_names_per_modality_")
    with pytest.warns(UserWarning, match="'top' has feature names, but"):
        tiny_supervised.transform({"top": frames["top"]})


def test_names_survive_modality_dict_splits(frames, small):
    X = ModalityDict(frames)
    X_train, X_test, y_train, _ = train_test_split(X, small.y_part, random_state=0)
    assert isinstance(X_test, ModalityDict)
    np.testing.assert_array_equal(X_test.column_names["top"], frames["top"].columns)
    est = tiny(max_iter=1).fit(X_train, y_train)
    np.testing.assert_array_equal(
        est.feature_names_per_modality_["bottom"], frames["bottom"].columns
    )
    swapped = ModalityDict({"top": frames["top"][frames["top"].columns[::-1]]})
    with pytest.raises(ValueError, match="same order"):
        est.predict(swapped)


def test_some_views_named(frames, small):
    est = tiny(max_iter=1).fit({"top": frames["top"], "bottom": small.X["bottom"]}, small.y_part)
    assert est.feature_names_per_modality_["bottom"] is None
    assert not hasattr(est, "feature_names_in_")


def test_two_d_frame_split_by_modalities(frames, small):
    df = pd.concat([frames["top"], frames["bottom"]], axis=1)
    est = tiny(max_iter=1, modalities={"top": slice(0, 32), "bottom": slice(32, 64)})
    est.fit(df, small.y_part)
    np.testing.assert_array_equal(est.feature_names_in_, df.columns)
    np.testing.assert_array_equal(
        est.feature_names_per_modality_["bottom"], frames["bottom"].columns
    )
    with pytest.raises(ValueError, match="feature names should match"):
        est.predict(df[df.columns[::-1]])
