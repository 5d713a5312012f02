"""MuData and AnnData in and out (the singlecell extra)."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import TINY

from skpoe import ModalityDict, MultimodalPoEVAE

mudata = pytest.importorskip("mudata")
anndata = pytest.importorskip("anndata")
pd = pytest.importorskip("pandas")

from skpoe.io import from_anndata, from_mudata, to_mudata, write_embedding  # noqa: E402

N = 120
# lazy views train without the unlabeled rows' label terms: compare like with like
KW = dict(TINY, max_iter=2, pseudo_label_weight=0.0, agreement_weight=0.0)


@pytest.fixture(scope="module")
def mdata():
    """Sparse RNA counts for every cell, protein for 90 cells in another
    order, cell types with some unknown."""
    rng = np.random.RandomState(0)
    cells = [f"cell{i}" for i in range(N)]
    kind = rng.randint(0, 3, N)
    counts = rng.poisson(rng.gamma(1.0, 2.0, (3, 30))[kind]).astype(np.float32)
    rna = anndata.AnnData(sp.csr_matrix(counts), obs=pd.DataFrame(index=cells))
    rna.layers["raw"] = sp.csr_matrix(counts * 2)
    with_prot = rng.permutation(N)[:90]
    prot = anndata.AnnData(
        (rng.randn(90, 4) + kind[with_prot, None]).astype(np.float32),
        obs=pd.DataFrame(index=[cells[i] for i in with_prot]),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = mudata.MuData({"rna": rna, "prot": prot})
    labels = np.array(["T", "B", "NK"], dtype=object)[kind]
    labels[rng.rand(N) < 0.6] = "unknown"
    m.obs["cell_type"] = labels
    return m, counts, with_prot


def test_from_mudata_views_and_labels(mdata):
    m, counts, with_prot = mdata
    X, y = from_mudata(m, label_key="cell_type", unlabeled="unknown")
    assert set(X) == {"rna", "prot"} and len(X) == N
    assert sp.issparse(X["rna"])
    expected = np.zeros(N, bool)
    expected[with_prot] = True
    order = [m.obs_names.get_loc(c) for c in m.mod["prot"].obs_names]
    np.testing.assert_array_equal(X.observed["prot"], expected)
    np.testing.assert_allclose(X["prot"][order], m.mod["prot"].X)
    rows = [m.obs_names.get_loc(c) for c in m.mod["rna"].obs_names]
    np.testing.assert_allclose(X["rna"][rows].toarray(), counts)
    assert set(y[y != -1]) <= {"T", "B", "NK"} and (y == -1).sum() > 0
    Xl, _ = from_mudata(m, layer={"rna": "raw", "prot": None})
    np.testing.assert_allclose(Xl["rna"][rows].toarray(), counts * 2)


def test_fit_and_write_embedding(mdata):
    m, _, _ = mdata
    X, y = from_mudata(m, label_key="cell_type", unlabeled="unknown")
    est = MultimodalPoEVAE(**KW).fit(X, y)
    assert est.likelihoods_["rna"].name == "negative_binomial"
    Z = write_embedding(m, est, key="X_test", label_key="cell_type")
    np.testing.assert_allclose(m.obsm["X_test"], est.transform(X))
    assert Z.shape == (N, KW["n_components"])
    assert set(est.predict(X)) <= {"T", "B", "NK"}


def test_backed_mudata(mdata, tmp_path):
    m, _, _ = mdata
    path = tmp_path / "cells.h5mu"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m.write(path)
        backed = mudata.read_h5mu(path, backed=True)
    X, y = from_mudata(backed, label_key="cell_type", unlabeled="unknown")
    assert not isinstance(X["prot"], np.ndarray)  # stays on disk
    X_mem, _ = from_mudata(m, label_key="cell_type", unlabeled="unknown")
    a = MultimodalPoEVAE(**KW).fit(X, y)
    b = MultimodalPoEVAE(**KW).fit(X_mem, y)
    np.testing.assert_allclose(a.loss_curve_, b.loss_curve_, rtol=1e-5)
    np.testing.assert_allclose(a.transform(X), b.transform(X_mem), rtol=1e-4, atol=1e-5)


def test_to_mudata_round_trip(mdata):
    m, _, _ = mdata
    X, _ = from_mudata(m)
    back = to_mudata(X, obs_names=m.obs_names)
    assert back.mod["prot"].n_obs == 90 and back.mod["rna"].n_obs == N
    X2, _ = from_mudata(back)
    np.testing.assert_array_equal(X2.observed["prot"], X.observed["prot"])


def test_to_mudata_of_dataframe_views():
    frame = pd.DataFrame(np.arange(12.0).reshape(4, 3), columns=["g1", "g2", "g3"])
    frame.iloc[1] = np.nan  # row 1 has no rna view
    X = ModalityDict(rna=frame, prot=np.ones((4, 2)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mudata's FutureWarning about .update()
        back = to_mudata(X)
    assert back.mod["rna"].n_obs == 3 and list(back.mod["rna"].var_names) == ["g1", "g2", "g3"]
    np.testing.assert_array_equal(back.mod["rna"].X, frame.to_numpy()[[0, 2, 3]])


def test_from_anndata(mdata):
    m, counts, _ = mdata
    joined = anndata.AnnData(
        np.hstack([counts, counts[:, :3] + 1]),
        var=pd.DataFrame(
            {"feature_types": ["rna"] * 30 + ["adt"] * 3}, index=[f"f{i}" for i in range(33)]
        ),
    )
    X, y = from_anndata(joined, var_key="feature_types")
    assert isinstance(X, ModalityDict) and X["rna"].shape == (N, 30) and y is None
    with pytest.raises(ValueError, match="var_key='nope'"):
        from_anndata(joined, var_key="nope")


def test_clear_errors(mdata):
    m, _, _ = mdata
    with pytest.raises(ValueError, match="label_key='nope'"):
        from_mudata(m, label_key="nope")
    with pytest.raises(ValueError, match="'rna' has no layer 'counts'"):
        from_mudata(m, layer="counts")
    with pytest.raises(ValueError, match=r"\['atac'\]"):
        from_mudata(m, modalities=["atac"])
