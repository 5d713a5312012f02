"""Views held on disk: np.memmap, h5py datasets and zarr arrays, read lazily."""

import warnings

import numpy as np
import pytest
from conftest import TINY

import skpoe.data.sources as sources
from skpoe import ModalityDict, MultimodalPoEVAE

# the reads are compared without the unlabeled rows' label terms (their graph reads small views whole)
KW = dict(TINY, max_iter=2, pseudo_label_weight=0.0, agreement_weight=0.0)


@pytest.fixture(scope="module")
def views(small):
    """float32 digits halves: missing bottoms, missing top entries; labels."""
    top = small.X["top"].astype(np.float32)
    bottom = small.X["bottom"].astype(np.float32)
    bottom[::5] = np.nan
    top[1::7, :4] = np.nan
    return top, bottom, small.y_part


@pytest.fixture(scope="module")
def reference(views):
    top, bottom, y = views
    return MultimodalPoEVAE(**KW).fit({"top": top, "bottom": bottom}, y)


def _memmap(path, arr):
    mm = np.memmap(path, dtype=arr.dtype, mode="w+", shape=arr.shape)
    mm[:] = arr
    mm.flush()
    return np.memmap(path, dtype=arr.dtype, mode="r", shape=arr.shape)


def _h5(path, arr):
    h5py = pytest.importorskip("h5py")
    f = h5py.File(path, "w")
    return f.create_dataset("x", data=arr, chunks=(32, arr.shape[1]))


def _zarr(path, arr):
    zarr = pytest.importorskip("zarr")
    z = zarr.open(str(path), mode="w", shape=arr.shape, chunks=(50, arr.shape[1]), dtype=arr.dtype)
    z[:] = arr
    return z


STORES = {"memmap": _memmap, "h5py": _h5, "zarr": _zarr}


@pytest.mark.parametrize("kind", list(STORES))
def test_on_disk_equals_in_memory(kind, views, reference, tmp_path, monkeypatch):
    top, bottom, y = views
    X = ModalityDict(
        top=STORES[kind](tmp_path / "top", top), bottom=_memmap(tmp_path / "bottom", bottom)
    )
    # no read ever asks for more rows than one block or minibatch
    monkeypatch.setattr(sources, "BLOCK_ELEMENTS", 64 * 32)
    largest = []
    real = sources.ViewSource.read

    def spy(self, rows, *args):
        out = real(self, rows, *args)
        largest.append(out.shape[0])
        return out

    monkeypatch.setattr(sources.ViewSource, "read", spy)
    est = MultimodalPoEVAE(**KW).fit(X, y)
    assert max(largest) <= 64 and len(largest) > 20
    np.testing.assert_allclose(est.loss_curve_, reference.loss_curve_, rtol=1e-6)
    ref_X = {"top": top, "bottom": bottom}
    for method in ("transform", "predict_proba", "score_samples"):
        np.testing.assert_allclose(
            getattr(est, method)(X), getattr(reference, method)(ref_X), rtol=1e-5, atol=1e-6
        )
    np.testing.assert_array_equal(est.predict(X), reference.predict(ref_X))
    filled = est.impute(X)
    np.testing.assert_allclose(filled["bottom"], reference.impute(ref_X)["bottom"], rtol=1e-6)
    assert not np.isnan(filled["bottom"]).any()


@pytest.mark.parametrize("kind", list(STORES))
def test_rows_of_on_disk_views(kind, views, tmp_path):
    top = views[0]
    X = ModalityDict(top=STORES[kind](tmp_path / "top", top))
    rows = np.array([7, 2, 2, 40])
    part = X[rows]
    np.testing.assert_array_equal(part["top"], top[rows])
    np.testing.assert_array_equal(X[3:6]["top"], top[3:6])


def test_infinity_on_disk_names_row(views, tmp_path):
    top = views[0].copy()
    top[123, 3] = np.inf
    X = {"top": _memmap(tmp_path / "top", top)}
    with pytest.raises(ValueError, match="'top' contains infinity.*row 123"):
        MultimodalPoEVAE(**KW).fit(X)


def test_non_numeric_store(tmp_path):
    h5py = pytest.importorskip("h5py")
    f = h5py.File(tmp_path / "s.h5", "w")
    ds = f.create_dataset("s", data=np.array([[b"a"], [b"b"]]))
    with pytest.raises(TypeError, match="'s'.*dtype"):
        MultimodalPoEVAE(**KW).fit({"s": ds})


def test_lazy_views_train_with_the_unlabeled_terms(views, tmp_path):
    from skpoe.estimators._fit import prepare_fit

    top, bottom, y = views
    X = ModalityDict(top=_memmap(tmp_path / "top", top), bottom=_memmap(tmp_path / "b", bottom))
    _, trainer = prepare_fit(MultimodalPoEVAE(**TINY), X, y, False)
    assert trainer.unlabeled and trainer.data.soft.shape == (len(y), len(np.unique(y[y >= 0])))
    assert float(trainer.data.soft_weight.max()) > 0


def test_on_disk_views_get_the_unlabeled_terms_too(views, tmp_path):
    """Memmaps (joblib hands them to parallel workers) train as in-memory views do."""
    top, bottom, y = views
    kw = dict(TINY, max_iter=2)
    mem = MultimodalPoEVAE(**kw).fit({"top": top, "bottom": bottom}, y)
    X = ModalityDict(
        top=_memmap(tmp_path / "top", top), bottom=_memmap(tmp_path / "bottom", bottom)
    )
    disk = MultimodalPoEVAE(**kw).fit(X, y)
    np.testing.assert_allclose(disk.predict_proba(X), mem.predict_proba(X), rtol=1e-5, atol=1e-6)
    off = MultimodalPoEVAE(**KW).fit(X, y)  # the terms are on: without them it differs
    assert not np.allclose(off.predict_proba(X), disk.predict_proba(X))


def test_on_disk_views_too_large_to_read_whole_build_the_graph_by_blocks(
    digits, tmp_path, monkeypatch
):
    """Past GRAPH_MAX_BYTES the graph reads the views a block of rows at a time: the same fit."""
    import skpoe.data._graph as graph_mod
    import skpoe.estimators._fit as fit_module

    X, labels = digits
    top, bottom = X[:800, :32].astype(np.float32), X[:800, 32:].astype(np.float32)
    bottom[::5] = np.nan  # searches of several blocks: 640 rows with both halves
    top[1::7, :4] = np.nan
    y = np.where(np.arange(800) % 3 == 0, labels[:800], -1)
    X = ModalityDict(
        top=_memmap(tmp_path / "top", top), bottom=_memmap(tmp_path / "bottom", bottom)
    )
    kw = dict(TINY, max_iter=2)
    whole = MultimodalPoEVAE(**kw).fit(X, y)
    monkeypatch.setattr(fit_module, "GRAPH_MAX_BYTES", 1000)
    # blocks of 256 rows, scikit-learn's chunks of distances: the same bits as one search
    monkeypatch.setattr(graph_mod, "_query_rows", lambda d: 256)
    read = []
    real = fit_module._SourceRows.__getitem__
    monkeypatch.setattr(
        fit_module._SourceRows,
        "__getitem__",
        lambda self, rows: read.append(len(rows)) or real(self, rows),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning: the pseudo-labels are not dropped
        blocks = MultimodalPoEVAE(**kw).fit(X, y)
    assert 256 in read  # the searches read the views a block of rows at a time
    np.testing.assert_array_equal(blocks.predict_proba(X), whole.predict_proba(X))
