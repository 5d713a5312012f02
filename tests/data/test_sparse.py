"""Sparse views: kept sparse, densified per minibatch, explicit observed masks."""

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import TINY
from sklearn.model_selection import GridSearchCV, train_test_split

from skpoe import ModalityDict, MultimodalPoEVAE

N = 240


@pytest.fixture(scope="module")
def counts():
    """Over-dispersed sparse counts, a dense view with missing views and
    entries, an observed mask for the counts and partial labels."""
    rng = np.random.RandomState(0)
    y = rng.randint(0, 3, N)
    rate = rng.gamma(1.0, 2.0, (3, 40))[y] * (rng.rand(N, 40) < 0.3)
    rna = rng.poisson(rate).astype(np.float64)
    prot = rng.randn(N, 5) + y[:, None]
    obs = rng.rand(N) > 0.2
    prot[(rng.rand(N) < 0.15) & obs] = np.nan
    prot[rng.rand(N, 5) < 0.05] = np.nan
    prot[~obs & np.isnan(prot).all(1)] = 0.0  # every row keeps one view
    y_part = np.where(np.arange(N) % 3 == 0, y, -1)
    return rna, prot, obs, y_part


def _views(counts, fmt="csr"):
    rna, prot, obs, _ = counts
    return ModalityDict(rna=sp.csr_matrix(rna).asformat(fmt), prot=prot, observed={"rna": obs})


def _dense(counts):
    rna, prot, obs, _ = counts
    rna = rna.copy()
    rna[~obs] = np.nan
    return {"rna": rna, "prot": prot}


# lazy views train without the unlabeled rows' label terms: compare like with like
KW = dict(
    TINY,
    max_iter=3,
    likelihoods={"rna": "negative_binomial"},
    pseudo_label_weight=0.0,
    agreement_weight=0.0,
)


@pytest.mark.parametrize("fmt", ["csr", "csc"])
def test_sparse_fit_equals_dense_fit(counts, fmt):
    """Same data sparse (with a mask) or dense (NaN rows): same model."""
    y = counts[3]
    dense = MultimodalPoEVAE(**KW).fit(_dense(counts), y)
    sparse = MultimodalPoEVAE(**KW).fit(_views(counts, fmt), y)
    np.testing.assert_allclose(sparse.loss_curve_, dense.loss_curve_, rtol=1e-6)
    for name, lik in dense.likelihoods_.items():
        for attr in ("center_", "scale_"):
            if hasattr(lik, attr):
                np.testing.assert_allclose(
                    getattr(sparse.likelihoods_[name], attr), getattr(lik, attr)
                )
    for method in ("transform", "predict_proba", "score_samples"):
        np.testing.assert_allclose(
            getattr(sparse, method)(_views(counts)),
            getattr(dense, method)(_dense(counts)),
            rtol=1e-5,
            atol=1e-6,
        )
    assert sparse.score(_views(counts), y) == dense.score(_dense(counts), y)
    assert ModalityDict(_views(counts)).observed["rna"] is not None  # copies keep masks
    np.testing.assert_array_equal(ModalityDict(_views(counts)).observed["rna"], counts[2])
    filled = sparse.impute(_views(counts))
    np.testing.assert_allclose(filled["rna"], dense.impute(_dense(counts))["rna"])
    rna, _, obs, _ = counts
    np.testing.assert_array_equal(filled["rna"][obs], rna[obs])


def test_auto_picks_a_count_likelihood(counts):
    est = MultimodalPoEVAE(**TINY).set_params(max_iter=1).fit(_views(counts))
    assert est.likelihoods_["rna"].name == "negative_binomial"
    assert "counts" in est.likelihood_reasons_["rna"]
    assert est.likelihoods_["prot"].name == "gaussian"


def test_poisson_on_sparse(counts):
    est = MultimodalPoEVAE(**{**KW, "likelihoods": {"rna": "poisson"}}).fit(_views(counts))
    assert np.isfinite(est.score_samples(_views(counts))).all()


def test_non_counts_for_a_count_likelihood(counts):
    rna, prot, obs, _ = counts
    bad = sp.csr_matrix(rna * 0.5)
    with pytest.raises(ValueError, match="'rna'.*integer counts"):
        MultimodalPoEVAE(**KW).fit(ModalityDict(rna=bad, prot=prot))


def test_rows_carry_the_mask(counts):
    X = _views(counts)
    part = X[np.array([5, 0, 3])]
    assert sp.issparse(part["rna"])
    np.testing.assert_array_equal(part.observed["rna"], counts[2][[5, 0, 3]])
    a, b = train_test_split(X, test_size=0.25, random_state=0)
    assert len(a.observed["rna"]) == len(a) and len(b.observed["rna"]) == len(b)
    search = GridSearchCV(MultimodalPoEVAE(**KW), {"n_components": [2, 4]}, cv=2)
    search.fit(X, counts[3])
    assert np.isfinite(search.best_score_)


def test_bad_masks(counts):
    rna, prot, obs, _ = counts
    with pytest.raises(ValueError, match=r"observed\['rna'\].*boolean"):
        ModalityDict(rna=sp.csr_matrix(rna), observed={"rna": obs.astype(int)})
    with pytest.raises(ValueError, match="'atac'"):
        ModalityDict(rna=sp.csr_matrix(rna), observed={"atac": obs})
    with pytest.raises(ValueError, match=r"observed\['rna'\].*shape"):
        ModalityDict(rna=sp.csr_matrix(rna), observed={"rna": obs[:-1]})


def test_sparse_view_with_infinity(counts):
    rna = sp.csr_matrix(counts[0])
    rna.data[3] = np.inf
    with pytest.raises(ValueError, match="'rna' contains infinity"):
        MultimodalPoEVAE(**KW).fit({"rna": rna, "prot": counts[1]})


def test_save_and_load_a_model_fitted_on_sparse_views(counts, tmp_path):
    from skpoe import load

    est = MultimodalPoEVAE(**TINY).set_params(max_iter=1).fit(_views(counts), counts[3])
    est.save(tmp_path / "m.skpoe")
    back = load(tmp_path / "m.skpoe")
    np.testing.assert_array_equal(
        back.predict_proba(_views(counts)), est.predict_proba(_views(counts))
    )
    assert back.likelihoods_["rna"].name == "negative_binomial"
