"""Outputs recorded before the package layout moved stay bit-identical, and old files load.

``tests/reference/make_reference_outputs.py`` recorded, on the flat layout of skpoe 0.1.0, every
estimator's predictions, probabilities, embeddings, imputations and per-epoch losses for fixed
seeds, and saved each fitted estimator as a model file. A refactor that changes a single bit of
any of them fails here.
"""

import pathlib
import sys

import numpy as np
import pytest

import skpoe

DATA = pathlib.Path(__file__).resolve().parent.parent / "reference"
sys.path.insert(0, str(DATA))
import make_reference_outputs as ref  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(scope="module")
def fitted():
    return ref.fit_all()


@pytest.fixture(scope="module")
def recorded():
    with np.load(DATA / "reference_outputs.npz") as f:
        return {k: f[k] for k in f.files}


def test_every_estimator_is_recorded(recorded):
    names = {k.split("/")[0] for k in recorded}
    assert names == {cls.__name__ for cls in skpoe.ESTIMATORS}


@pytest.mark.parametrize("cls", skpoe.ESTIMATORS, ids=lambda c: c.__name__)
def test_outputs_are_bit_identical(cls, fitted, recorded):
    outputs, _ = fitted
    keys = [k for k in recorded if k.startswith(cls.__name__ + "/")]
    assert len(keys) == 6
    for key in keys:
        np.testing.assert_array_equal(outputs[key], recorded[key], err_msg=key)


@pytest.mark.parametrize("cls", skpoe.ESTIMATORS, ids=lambda c: c.__name__)
def test_model_files_of_the_flat_layout_load(cls, fitted, recorded):
    est = skpoe.load(DATA / "legacy_models" / f"{cls.__name__}.skpoe")
    assert type(est) is cls
    X, _ = ref.reference_data()
    np.testing.assert_array_equal(est.predict(X), recorded[f"{cls.__name__}/predict"])
    np.testing.assert_array_equal(est.transform(X), recorded[f"{cls.__name__}/transform"])


def test_a_changed_output_is_caught(recorded):
    # the comparison can fail: one flipped bit of one embedding is a mismatch
    z = recorded["MultimodalPoEVAE/transform"].copy()
    z.view(np.uint32 if z.dtype == np.float32 else np.uint64).flat[0] ^= 1
    with pytest.raises(AssertionError):
        np.testing.assert_array_equal(z, recorded["MultimodalPoEVAE/transform"])
