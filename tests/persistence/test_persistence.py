"""est.save(path) / skpoe.load(path): round trips, and every way a file can be bad."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import pickle
import zipfile

import numpy as np
import pytest
import torch
from conftest import tiny
from sklearn.base import clone
from torch import nn

import skpoe
from skpoe import ESTIMATORS, MVAE, ModelFileError, MultimodalPoEVAE
from skpoe.likelihoods import Gaussian
from skpoe.persistence import FORMAT_VERSION, read_header

SMALL = dict(n_components=3, hidden_layer_sizes=(16,), max_iter=2, random_state=0, device="cpu")


@pytest.fixture(scope="module")
def views(small):
    """120 rows of digits halves, some bottoms missing, partial labels."""
    n = 120
    X = {k: v[:n].copy() for k, v in small.X.items()}
    X["bottom"][::7] = np.nan
    return X, small.y_part[:n].copy()


@pytest.fixture(scope="module")
def fitted_poe(views):
    X, y = views
    return MultimodalPoEVAE(**SMALL).fit(X, y)


def _saved(est, tmp_path, name="model.skpoe"):
    path = tmp_path / name
    est.save(path)
    return path


def _same_outputs(a, b, X, supervised=True):
    """Every output of ``a`` and ``b`` on ``X`` is bit for bit the same."""
    assert np.array_equal(a.transform(X), b.transform(X))
    assert np.array_equal(a.score_samples(X, 8), b.score_samples(X, 8))
    ia, ib = a.impute(X), b.impute(X)
    assert all(np.array_equal(ia[k], ib[k]) for k in ia)
    (sa, ya), (sb, yb) = a.sample(5), b.sample(5)
    assert all(np.array_equal(sa[k], sb[k]) for k in sa)
    if supervised:
        assert np.array_equal(a.predict_proba(X), b.predict_proba(X))
        pa, pb = a.predict(X), b.predict(X)
        assert pa.dtype == pb.dtype and np.array_equal(pa, pb) and np.array_equal(ya, yb)


def _same_params(a, b):
    pa, pb = a.get_params(deep=False), b.get_params(deep=False)
    assert pa.keys() == pb.keys()
    for key in pa:
        assert type(pa[key]) is type(pb[key]) and repr(pa[key]) == repr(pb[key]), key


def _same(a, b):
    """Equal values of the same types, all the way down (NaN equal to NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return (
            a.dtype == b.dtype
            and a.shape == b.shape
            and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
        )
    if isinstance(a, torch.Tensor):
        return a.dtype == b.dtype and np.array_equal(a.numpy(), b.numpy(), equal_nan=True)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (float, np.floating)) and np.isnan(a):
        return np.isnan(b)
    return a == b


# -- round trips ----------------------------------------------------------
@pytest.mark.parametrize("cls", ESTIMATORS, ids=lambda c: c.__name__)
def test_round_trip_every_estimator(cls, views, tmp_path):
    X, y = views
    est = cls(**SMALL).fit(X, y)
    loaded = skpoe.load(_saved(est, tmp_path))
    assert type(loaded) is cls
    _same_params(est, loaded)
    assert loaded.n_iter_ == est.n_iter_ and loaded.loss_curve_ == est.loss_curve_
    assert loaded._inference_seed == est._inference_seed
    assert not loaded.module_.training
    _same_outputs(est, loaded, X)


def test_round_trip_unsupervised_and_one_view(views, tmp_path):
    X, _ = views
    est = MVAE(**SMALL).fit(X)
    loaded = skpoe.load(_saved(est, tmp_path))
    assert loaded.supervised_ is False and not hasattr(loaded, "classes_")
    _same_outputs(est, loaded, X, supervised=False)
    _same_outputs(est, loaded, {"top": X["top"]}, supervised=False)
    with pytest.raises(ValueError, match="fitted without y"):
        loaded.predict(X)


def test_class_dtypes_are_kept(views, tmp_path):
    X, y = views
    names = np.array(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    )
    for labels in (np.where(y >= 0, names[y], "-1").astype(object), y.astype(np.int32)):
        est = tiny(**SMALL).fit(X, labels)
        loaded = skpoe.load(_saved(est, tmp_path))
        assert loaded.classes_.dtype == est.classes_.dtype
        assert np.array_equal(loaded.classes_, est.classes_)
        assert np.array_equal(loaded.predict(X), est.predict(X))


def test_missing_entries_likelihood_instances_and_2d_input(small, tmp_path):
    """Standardized likelihoods (arrays in their state), missing entries, feature
    names, slices in ``modalities``, a Likelihood instance as a parameter."""
    pd = pytest.importorskip("pandas")
    X = small.X2d[:120].copy()
    X[::5, :4] = np.nan
    df = pd.DataFrame(X, columns=[f"px{i}" for i in range(64)])
    est = MultimodalPoEVAE(
        **SMALL,
        modalities={"top": slice(0, 32), "bottom": list(range(32, 64))},
        likelihoods={"top": Gaussian(), "bottom": "laplace"},
    ).fit(df, small.y_part[:120])
    assert est.likelihoods_["top"].has_missing_entries and est.likelihoods_["top"].fill_ is not None
    loaded = skpoe.load(_saved(est, tmp_path))
    _same_params(est, loaded)
    assert np.array_equal(loaded.feature_names_in_, est.feature_names_in_)
    for key in ("center_", "scale_"):
        a, b = getattr(est.likelihoods_["top"], key), getattr(loaded.likelihoods_["top"], key)
        assert a.dtype == b.dtype and np.array_equal(a, b)
    _same_outputs(est, loaded, df)


def test_refit_and_warm_start_after_load(fitted_poe, views, tmp_path):
    X, y = views
    loaded = skpoe.load(_saved(fitted_poe, tmp_path))
    warm_a = copy.deepcopy(fitted_poe).set_params(warm_start=True, max_iter=1).fit(X, y)
    warm_b = copy.deepcopy(loaded).set_params(warm_start=True, max_iter=1).fit(X, y)
    assert warm_b.n_iter_ == fitted_poe.n_iter_ + 1 == warm_a.n_iter_
    assert np.array_equal(warm_a.transform(X), warm_b.transform(X))
    refit = loaded.fit(X, y)
    assert np.array_equal(refit.transform(X), clone(fitted_poe).fit(X, y).transform(X))


def test_generic_fitted_attributes_round_trip(fitted_poe, views, tmp_path):
    est = copy.deepcopy(fitted_poe)
    est.history_ = {"loss": [1.5, float("nan"), float("inf")], "epochs": (1, 2)}
    est._optimizer_state = {
        "state": {0: {"step": torch.tensor(3.0), "m": torch.ones(2, 2)}},
        "groups": [{"betas": (0.9, 0.999), "lr": np.float32(1e-3)}],
    }
    est.mask_ = np.array([[True, False]])
    adam = torch.optim.Adam(est.module_.parameters(), lr=1e-3)
    for p in est.module_.parameters():
        p.grad = torch.ones_like(p)
    adam.step()
    est._resume_ = {"optimizer": adam.state_dict(), "torch_rng": torch.get_rng_state()}
    loaded = skpoe.load(_saved(est, tmp_path))
    assert _same(loaded._resume_, est._resume_)
    assert loaded.history_["loss"][0] == 1.5 and np.isnan(loaded.history_["loss"][1])
    assert loaded.history_["loss"][2] == np.inf and loaded.history_["epochs"] == (1, 2)
    state = loaded._optimizer_state["state"][0]
    assert torch.equal(state["m"], torch.ones(2, 2)) and state["step"].item() == 3.0
    lr = loaded._optimizer_state["groups"][0]["lr"]
    assert type(lr) is np.float32 and lr == np.float32(1e-3)
    assert loaded.mask_.dtype == bool and loaded.mask_.tolist() == [[True, False]]
    _same_outputs(est, loaded, views[0])


def test_unsupported_attribute_is_named_at_save(fitted_poe, tmp_path):
    est = copy.deepcopy(fitted_poe)
    est.history_ = {"callback": lambda: None}
    with pytest.raises(TypeError, match=r"history_\['callback'\] is a builtins.function"):
        est.save(tmp_path / "x.skpoe")
    assert not (tmp_path / "x.skpoe").exists()

    class MyGaussian(Gaussian):
        pass

    est = copy.deepcopy(fitted_poe)
    est.likelihoods_["top"] = MyGaussian()
    with pytest.raises(TypeError, match=r"likelihoods_\['top'\] is a MyGaussian.*not one of skpoe"):
        est.save(tmp_path / "x.skpoe")
    with pytest.raises(TypeError, match="skpoe's own estimators"):
        skpoe.persistence.save(object(), tmp_path / "x.skpoe")


def test_random_state_instance_is_stored_as_none(views, tmp_path):
    X, y = views
    est = tiny(**{**SMALL, "random_state": np.random.RandomState(0)}).fit(X, y)
    with pytest.warns(UserWarning, match="random_state=None"):
        path = _saved(est, tmp_path)
    loaded = skpoe.load(path)
    assert loaded.random_state is None
    _same_outputs(est, loaded, X)


def test_unfitted_estimator_and_file_objects(fitted_poe, views):
    buf = io.BytesIO()
    MVAE(n_components=7, n_subsets=3).save(buf)
    loaded = skpoe.load(io.BytesIO(buf.getvalue()))
    assert isinstance(loaded, MVAE) and loaded.n_subsets == 3 and not hasattr(loaded, "module_")
    buf = io.BytesIO()
    fitted_poe.save(buf)
    _same_outputs(fitted_poe, skpoe.load(io.BytesIO(buf.getvalue())), views[0])


def test_pickling_still_works(fitted_poe, views):
    X, _ = views
    _same_outputs(fitted_poe, pickle.loads(pickle.dumps(fitted_poe)), X)
    err = ModelFileError("f", "corrupt", "bad")
    assert pickle.loads(pickle.dumps(err)).kind == "corrupt"


# -- device mapping -------------------------------------------------------
def _rewrite(data, edit_header=None, members=None, fix_sha=True):
    """A model file's bytes with its header edited and members replaced."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        content = {name: zf.read(name) for name in zf.namelist()}
    content.update(members or {})
    header = json.loads(content.pop("skpoe.json"))
    if edit_header:
        edit_header(header)
    if fix_sha:
        for name in header["members"]:
            header["members"][name]["sha256"] = hashlib.sha256(content[name]).hexdigest()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("skpoe.json", json.dumps(header))
        for name, raw in content.items():
            zf.writestr(name, raw)
    return buf.getvalue()


@pytest.fixture(scope="module")
def saved_bytes(fitted_poe):
    buf = io.BytesIO()
    fitted_poe.save(buf)
    return buf.getvalue()


def _write(tmp_path, data, name="model.skpoe"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.skipif(torch.cuda.is_available(), reason="simulates a machine without CUDA")
def test_model_saved_on_gpu_loads_on_cpu(saved_bytes, fitted_poe, views, tmp_path):
    def on_gpu(header):
        header["attributes"]["device_"]["value"] = "cuda:0"
        header["params"]["device"] = "cuda"

    path = _write(tmp_path, _rewrite(saved_bytes, on_gpu))
    loaded = skpoe.load(path)
    assert loaded.device_ == torch.device("cpu")
    assert all(p.device.type == "cpu" for p in loaded.module_.parameters())
    _same_outputs(fitted_poe, loaded, views[0])
    moved = skpoe.load(path, device="cpu")
    assert moved.device == "cpu" and moved.device_ == torch.device("cpu")
    with pytest.raises(ValueError, match="CUDA is not available"):
        skpoe.load(path, device="cuda")


# -- bad files ------------------------------------------------------------
def _load_error(path_or_bytes, kind):
    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
    with pytest.raises(ModelFileError) as info:
        skpoe.load(source)
    assert info.value.kind == kind, str(info.value)
    return str(info.value)


def test_not_a_skpoe_file(fitted_poe, tmp_path):
    path = _write(tmp_path, b"n_components,beta\n4,1.0\n", "model.csv")
    assert str(path) in _load_error(path, "not_skpoe")
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(fitted_poe))
    assert "run code" in _load_error(path, "not_skpoe")
    torch_file = tmp_path / "weights.pt"
    torch.save(fitted_poe.module_.state_dict(), torch_file)
    assert "without skpoe.json" in _load_error(torch_file, "not_skpoe")
    other = _rewrite(_zip_of({"skpoe.json": b'{"format": "other"}'}), fix_sha=False)
    _load_error(other, "not_skpoe")
    with open(path, encoding="latin-1") as text, pytest.raises(TypeError, match="binary mode"):
        skpoe.load(text)


def _zip_of(content):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, raw in content.items():
            zf.writestr(name, raw)
    return buf.getvalue()


def test_truncated_file(saved_bytes, tmp_path):
    for size in (0, 3, 20, 100, len(saved_bytes) // 2, len(saved_bytes) - 1):
        path = _write(tmp_path, saved_bytes[:size])
        message = _load_error(path, "truncated")
        assert str(path) in message and ("truncated" in message or "empty" in message)


def test_checksum_mismatch_is_corrupt(saved_bytes):
    with zipfile.ZipFile(io.BytesIO(saved_bytes)) as zf:
        weights = bytearray(zf.read("tensors.pt"))
    weights[len(weights) // 2] ^= 0x40  # inside the tensor data; zip CRC rewritten
    bad = _rewrite(saved_bytes, members={"tensors.pt": bytes(weights)}, fix_sha=False)
    assert "SHA-256" in _load_error(bad, "corrupt")
    extra = _rewrite(saved_bytes, members={"extra.bin": b"x"})
    assert "extra.bin" in _load_error(extra, "corrupt")
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(saved_bytes)) as src,
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for member in src.namelist():
            dst.writestr(member, src.read(member))
    assert "skpoe.json is compressed" in _load_error(buf.getvalue(), "corrupt")


class _Payload:
    """Unpickling this creates the file ``path``: code run from a model file."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return exec, (f"open({self.path!r}, 'w').close()",)


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_tampered_pickle_payload_does_not_run(saved_bytes, tmp_path):
    marker = tmp_path / "code_ran"
    payload = pickle.dumps({"module_/x": _Payload(marker)})
    pickle.loads(payload)  # the payload does run code when unpickled ...
    assert marker.exists()
    marker.unlink()
    buf = io.BytesIO()
    torch.save({"module_/x": _Payload(marker)}, buf)
    npz = io.BytesIO()
    np.save(npz, np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    arrays = _zip_of({"a0.npy": npz.getvalue()})
    for member, raw in (
        ("tensors.pt", payload),
        ("tensors.pt", buf.getvalue()),
        ("arrays.npz", arrays),
    ):
        bad = _rewrite(saved_bytes, members={member: raw})  # checksums made to match
        message = _load_error(bad, "unsafe")
        assert member in message and "run code" in message
        assert not marker.exists()  # ... but not when loaded by skpoe


def test_deeply_nested_header_is_corrupt(saved_bytes):
    with zipfile.ZipFile(io.BytesIO(saved_bytes)) as zf:
        content = {name: zf.read(name) for name in zf.namelist()}
    deep = b"[" * 100_000 + b"]" * 100_000  # beyond what the JSON parser nests
    bad = _zip_of({**content, "skpoe.json": deep})
    assert "not valid JSON" in _load_error(bad, "corrupt")
    # parses on Python 3.11, but is deeper than decoding recurses (other Pythons
    # may stop in the parser instead)
    deep = b"[" * 900 + b"]" * 900
    header = content["skpoe.json"].replace(b'"n_iter_": ', b'"n_iter_": ' + deep + b', "x_": ', 1)
    message = _load_error(_zip_of({**content, "skpoe.json": header}), "corrupt")
    assert "nested too deeply" in message or "not valid JSON" in message


def test_newer_format_is_refused(saved_bytes):
    def newer(header):
        header["format_version"] = FORMAT_VERSION + 1
        header["written_by"]["skpoe"] = "9.0"

    message = _load_error(_rewrite(saved_bytes, newer), "newer_format")
    assert f"skpoe 9.0 with format {FORMAT_VERSION + 1}" in message
    assert f"reads formats up to {FORMAT_VERSION}" in message and "Upgrade skpoe" in message


def test_unknown_estimator_is_not_imported(saved_bytes):
    def other(header):
        header["estimator"] = "os.system"

    assert "'os.system'" in _load_error(_rewrite(saved_bytes, other), "unknown_estimator")


@pytest.mark.parametrize(
    "edit, kind, match",
    [
        (lambda h: h["params"].update(n_components=5), "mismatch", r"weight .* has shape"),
        (
            lambda h: h["params"].update(hidden_layer_sizes=[8, 8]),
            "mismatch",
            "do not fit the networks",
        ),
        (
            lambda h: h["attributes"]["n_features_per_modality_"].update(top=31),
            "mismatch",
            "inconsistent",
        ),
        (
            lambda h: h["attributes"]["module_"].update({"class": "MVAEModule"}),
            "mismatch",
            "module_",
        ),
        (lambda h: h["params"].update(n_components_=1), "mismatch", "do not fit MultimodalPoEVAE"),
        (lambda h: h["attributes"].update(_n_features_out=1), "corrupt", "not a fitted attribute"),
        (
            lambda h: h["attributes"].update(n_iter_={"__skpoe__": "pickle"}),
            "corrupt",
            "does not decode",
        ),
        (
            lambda h: h["attributes"]["likelihoods_"]["top"]["state"]["attributes"].update(mean=0),
            "corrupt",
            "not a data attribute",
        ),
    ],
)
def test_metadata_not_matching_the_weights(saved_bytes, edit, kind, match):
    with pytest.raises(ModelFileError, match=match) as info:
        skpoe.load(io.BytesIO(_rewrite(saved_bytes, edit)))
    assert info.value.kind == kind


def test_single_byte_corruptions_never_change_predictions(views):
    """Flip one byte at 256 seeded positions over the whole file: each load either
    raises ModelFileError or (a byte zip ignores) predicts exactly the same."""
    X, y = views
    est = MultimodalPoEVAE(
        n_components=2, hidden_layer_sizes=(4,), max_iter=1, random_state=0, device="cpu"
    ).fit(X, y)
    buf = io.BytesIO()
    est.save(buf)
    data = buf.getvalue()
    expected = est.predict_proba(X, n_samples=2)
    weights = est.module_.state_dict()
    rng = np.random.RandomState(0)
    positions = np.sort(rng.choice(len(data), size=256, replace=False))
    outcomes = {"error": 0, "same": 0}
    for pos in positions:
        bad = bytearray(data)
        bad[pos] ^= rng.randint(1, 256)
        try:
            loaded = skpoe.load(io.BytesIO(bytes(bad)))
        except ModelFileError:
            outcomes["error"] += 1
            continue
        assert np.array_equal(loaded.predict_proba(X, n_samples=2), expected), pos
        assert all(
            torch.equal(loaded_w, weights[k]) for k, loaded_w in loaded.module_.state_dict().items()
        ), pos
        outcomes["same"] += 1
    assert outcomes["error"] > outcomes["same"]


def test_read_header(saved_bytes):
    header = read_header(io.BytesIO(saved_bytes))
    assert header["format_version"] == FORMAT_VERSION
    assert header["written_by"]["skpoe"] == skpoe.__version__
    assert header["written_by"]["torch"] == torch.__version__
    assert header["estimator"] == "MultimodalPoEVAE"


# -- custom networks ------------------------------------------------------
def _networks(k):
    return (
        {"top": nn.Sequential(nn.Linear(32, 8), nn.ReLU())},
        {"bottom": nn.Sequential(nn.Linear(k, 32))},
    )


def test_custom_networks_are_passed_at_load(views, tmp_path):
    X, y = views
    enc, dec = _networks(SMALL["n_components"])
    est = MultimodalPoEVAE(**SMALL, encoders=enc, decoders=dec).fit(X, y)
    path = _saved(est, tmp_path)
    with pytest.raises(
        ValueError,
        match=r"custom encoder for modality 'top'.*custom decoder "
        r"for modality 'bottom'.*encoders=\{'top': ...\}, decoders=",
    ):
        skpoe.load(path)
    with pytest.raises(ValueError, match=r"fitted with a custom decoder for modality 'bottom'"):
        skpoe.load(path, encoders=_networks(3)[0])
    enc2, dec2 = _networks(SMALL["n_components"])
    loaded = skpoe.load(path, encoders=enc2, decoders=dec2)
    _same_outputs(est, loaded, X)
    assert loaded.encoders["top"] is enc2["top"]
    with pytest.raises(ValueError, match=r"modalities \['bottom'\]"):
        skpoe.load(path, encoders={**_networks(3)[0], "bottom": nn.Linear(32, 8)}, decoders=dec2)
    wrong = {"top": nn.Sequential(nn.Linear(32, 9), nn.ReLU())}
    with pytest.raises(ModelFileError, match="networks the model was saved with"):
        skpoe.load(path, encoders=wrong, decoders=dec2)


# -- likelihood state -----------------------------------------------------
@pytest.mark.parametrize("name", sorted(skpoe.likelihoods.LIKELIHOODS))
def test_likelihood_state_is_json_and_round_trips(name):
    rng = np.random.RandomState(0)
    X = rng.poisson(3.0, size=(40, 3)).astype(float)
    if name == "bernoulli":
        X = X / X.max()
    X[0, 1] = np.nan
    lik = skpoe.likelihoods.get_likelihood(name, X, "view")
    state = json.loads(json.dumps(lik.get_state(), allow_nan=False))
    back = skpoe.likelihoods.likelihood_from_state(state)
    assert type(back) is type(lik) and repr(back) == repr(lik)
    assert np.array_equal(back.encoder_input(X), lik.encoder_input(X))
    assert np.array_equal(back.target(X), lik.target(X), equal_nan=True)
    assert back.n_inputs == lik.n_inputs and back.n_outputs == lik.n_outputs


def test_likelihood_state_with_an_unknown_name_or_a_method_is_refused():
    with pytest.raises(ValueError, match="'pickle' is not a skpoe likelihood"):
        skpoe.likelihoods.likelihood_from_state({"name": "pickle", "attributes": {}})
    with pytest.raises(ValueError, match="'mean' is not a data attribute of Gaussian"):
        skpoe.likelihoods.likelihood_from_state({"name": "gaussian", "attributes": {"mean": 1}})


def test_save_replaces_the_file_atomically(fitted_poe, tmp_path):
    path = tmp_path / "model.skpoe"
    path.write_bytes(b"old")
    reference = tmp_path / "plain"
    reference.write_bytes(b"")
    fitted_poe.save(str(path))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.skpoe", "plain"]
    assert path.stat().st_mode == reference.stat().st_mode
    assert isinstance(skpoe.load(str(path)), MultimodalPoEVAE)


# -- the state codec ------------------------------------------------------
def test_state_codec_round_trips_nested_values():
    hypothesis = pytest.importorskip("hypothesis")
    st = hypothesis.strategies
    hnp = pytest.importorskip("hypothesis.extra.numpy")
    from skpoe.persistence._state import StateEncoder, decode

    arrays = hnp.arrays(
        st.sampled_from([np.float32, np.float64, np.int64, np.uint8, np.bool_, "<U3"]),
        hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
    )
    leaves = (
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats()
        | st.text(max_size=5)
        | arrays
        | st.builds(torch.tensor, st.lists(st.floats(width=32), max_size=3))
        | st.builds(np.float32, st.floats(width=32))
        | st.builds(np.int16, st.integers(-9, 9))
    )
    values = st.recursive(
        leaves,
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.tuples(inner, inner)
            | st.dictionaries(st.text(max_size=3) | st.integers(), inner, max_size=3)
        ),
        max_leaves=12,
    )

    @hypothesis.settings(max_examples=60, deadline=None, derandomize=True)
    @hypothesis.given(values)
    def check(value):
        encoder = StateEncoder()
        node = json.loads(json.dumps(encoder(value, "value"), allow_nan=False))
        assert _same(decode(node, encoder.tensors, encoder.arrays), value)

    check()
