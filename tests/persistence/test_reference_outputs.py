"""Outputs recorded before the package layout moved stay bit-identical, and old files load.

``tests/reference/make_reference_outputs.py`` recorded, on the flat layout of skpoe 0.1.0, every
estimator's predictions, probabilities, embeddings, imputations and per-epoch losses for fixed
seeds, and saved each fitted estimator as a model file. A refactor that changes a single bit of
any of them fails here.

Bit-identity holds on the kind of machine that recorded the outputs: the first recording, or one
in ``tests/reference/machines/`` made with ``make_reference_outputs.py --machine``. On another kind
of processor float32 kernels can differ by a unit in the last place, so there the outputs are
compared within a few of those units and the labels exactly.
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


# float32 outputs within a few units in the last place of the recording (labels exactly)
RTOL, ATOL = 1e-5, 1e-6


def _read(path):
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


@pytest.fixture(scope="module")
def recorded():
    return _read(DATA / "reference_outputs.npz")


@pytest.fixture(scope="module")
def this_machine():
    """This machine's recording, or None where this kind of machine has none."""
    path = ref.machine_reference_path()
    if not path.exists():
        return None
    out = _read(path)
    assert str(out.pop("_fingerprint")) == ref.machine_fingerprint()
    return out


def _same(actual, expected, key, exact):
    if exact or expected.dtype.kind not in "fc":
        np.testing.assert_array_equal(actual, expected, err_msg=key)
    else:
        np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=ATOL, err_msg=key)


def test_every_estimator_is_recorded(recorded):
    names = {k.split("/")[0] for k in recorded}
    assert names == {cls.__name__ for cls in skpoe.ESTIMATORS}


@pytest.mark.parametrize("cls", skpoe.ESTIMATORS, ids=lambda c: c.__name__)
def test_outputs_are_bit_identical(cls, fitted, recorded, this_machine):
    outputs, _ = fitted
    keys = [k for k in recorded if k.startswith(cls.__name__ + "/")]
    assert len(keys) == 6
    for key in keys:
        # the first recording, within float32 rounding on any machine
        _same(outputs[key], recorded[key], key, exact=False)
        if this_machine is not None:  # bit for bit on a recorded kind of machine
            _same(outputs[key], this_machine[key], key, exact=True)


@pytest.mark.parametrize("cls", skpoe.ESTIMATORS, ids=lambda c: c.__name__)
def test_model_files_of_the_flat_layout_load(cls, fitted, recorded, this_machine):
    name = cls.__name__
    est = skpoe.load(DATA / "legacy_models" / f"{name}.skpoe")
    assert type(est) is cls
    X, _ = ref.reference_data()
    for what, out in (("predict", est.predict(X)), ("transform", est.transform(X))):
        _same(out, recorded[f"{name}/{what}"], what, exact=False)
        if this_machine is not None:
            _same(out, this_machine[f"loaded/{name}/{what}"], what, exact=True)


def test_bit_identity_is_checked_on_this_machine(fitted, recorded, this_machine):
    # a recorded kind of machine, or the one of the first recording (every output equal)
    outputs, _ = fitted
    first = all(np.array_equal(outputs[k], recorded[k]) for k in recorded)
    if this_machine is None and not first:
        pytest.skip(
            "outputs match the recording within float32 rounding; bit-identity is not checked "
            f"on this kind of machine ({ref.machine_fingerprint()}) until "
            "`python tests/reference/make_reference_outputs.py --machine` records it"
        )
    assert this_machine is not None or first


def test_the_tolerance_is_float32_rounding(recorded):
    z = recorded["MultimodalPoEVAE/transform"]
    _same(np.nextafter(z, np.float32(np.inf)), z, "transform", exact=False)  # one ulp passes
    with pytest.raises(AssertionError):  # a change of 1e-4 does not
        _same(z + np.float32(1e-4), z, "transform", exact=False)


def test_a_changed_output_is_caught(recorded):
    # the comparison can fail: one flipped bit of one embedding is a mismatch
    z = recorded["MultimodalPoEVAE/transform"].copy()
    z.view(np.uint32 if z.dtype == np.float32 else np.uint64).flat[0] ^= 1
    with pytest.raises(AssertionError):
        np.testing.assert_array_equal(z, recorded["MultimodalPoEVAE/transform"])
