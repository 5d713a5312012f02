"""skpoe.compose.PerView: a scikit-learn transformer per view, and pandas round trips."""

import pickle

import joblib
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

import skpoe
from skpoe import ModalityDict, MultimodalPoEVAE, PerView


def tiny(**kw):
    kw.setdefault("max_iter", 2)
    return MultimodalPoEVAE(
        n_components=2,
        hidden_layer_sizes=(8,),
        batch_size=32,
        random_state=0,
        device="cpu",
        **kw,
    )


@pytest.fixture
def views():
    rng = np.random.RandomState(0)
    X = {"rna": rng.gamma(2.0, 3.0, (40, 6)), "protein": rng.normal(5.0, 2.0, (40, 3))}
    X["protein"][:5] = np.nan  # rows 0-4: no protein view
    X["rna"][7, 2] = np.nan  # a missing entry
    y = np.where(np.arange(40) % 2 == 0, np.arange(40) % 3, -1)
    return X, y


def test_fits_each_view_on_its_observed_rows_and_keeps_missing_views(views):
    X, _ = views
    pv = PerView(StandardScaler()).fit(X)
    ref = StandardScaler().fit(X["protein"][5:])
    np.testing.assert_allclose(pv.transformers_["protein"].mean_, ref.mean_)
    assert pv.n_observed_ == {"rna": 40, "protein": 35}
    Z = pv.transform(X)
    assert isinstance(Z, ModalityDict)
    assert np.isnan(Z["protein"][:5]).all()
    np.testing.assert_allclose(Z["protein"][5:], ref.transform(X["protein"][5:]))
    assert np.isnan(Z["rna"][7, 2]) and np.isfinite(np.delete(Z["rna"][7], 2)).all()
    assert pv.transformers_["rna"] is not pv.transformers_["protein"]  # one clone per view


def test_dict_of_transformers_remainder_and_drop(views):
    X, _ = views
    X = {**X, "extra": np.arange(80.0).reshape(40, 2)}
    Z = PerView({"rna": TruncatedSVD(2, random_state=0)}).fit_transform(
        {**X, "rna": np.nan_to_num(X["rna"])}
    )
    assert Z["rna"].shape == (40, 2)
    assert Z["extra"] is X["extra"] or np.array_equal(Z["extra"], X["extra"])  # passthrough
    np.testing.assert_array_equal(Z["protein"], X["protein"])
    Z = PerView({"rna": "drop"}, remainder=MinMaxScaler()).fit_transform(X)
    assert set(Z) == {"protein", "extra"}
    assert np.nanmax(Z["extra"]) == 1.0 and np.nanmin(Z["protein"]) == 0.0


def test_missing_entries_kept_or_imputed(views):
    X, _ = views
    with pytest.raises(ValueError, match="view 'rna'.*impute='mean'"):
        PerView({"rna": PCA(2)}).fit(X)
    Z = PerView({"rna": PCA(2)}, impute="mean").fit_transform(X)
    assert np.isfinite(Z["rna"]).all()
    assert np.isnan(Z["protein"][:5]).all()  # a missing view stays missing when imputing
    Z = PerView(StandardScaler(), impute="median").fit_transform(X)
    assert np.isfinite(Z["rna"]).all() and np.isnan(Z["protein"][:5]).all()


def test_dataframes_keep_index_and_names_and_set_output(views):
    X, _ = views
    idx = pd.Index([f"cell{i}" for i in range(40)])
    frames = {
        "rna": pd.DataFrame(X["rna"], index=idx, columns=[f"g{j}" for j in range(6)]),
        "protein": X["protein"],
    }
    pv = PerView({"rna": StandardScaler(), "protein": StandardScaler()}).fit(frames)
    Z = pv.transform(frames)
    assert isinstance(Z["rna"], pd.DataFrame) and isinstance(Z["protein"], np.ndarray)
    assert list(Z["rna"].columns) == [f"g{j}" for j in range(6)]
    assert Z["rna"].index.equals(idx)
    names = pv.get_feature_names_out()
    assert list(names["protein"]) == ["protein0", "protein1", "protein2"]
    Z = pv.set_output(transform="pandas").transform(frames)
    assert isinstance(Z["protein"], pd.DataFrame) and Z["protein"].index.equals(idx)
    assert Z["protein"].iloc[:5].isna().all().all()
    svd = PerView({"rna": TruncatedSVD(3, random_state=0)}).fit(
        frames["rna"].fillna(0).pipe(lambda f: {"rna": f})
    )
    assert list(svd.get_feature_names_out()["rna"]) == [f"truncatedsvd{j}" for j in range(3)]
    with pytest.raises(ValueError, match="'default' or 'pandas'"):
        pv.set_output(transform="polars")


def test_modality_dict_of_frames_round_trips_through_impute_and_transform(views):
    X, y = views
    idx = pd.Index([f"c{i}" for i in range(40)])
    X = ModalityDict(
        rna=pd.DataFrame(X["rna"], index=idx, columns=[f"g{j}" for j in range(6)]),
        protein=pd.DataFrame(X["protein"], index=idx, columns=["p0", "p1", "p2"]),
    )
    assert isinstance(X[[3, 1]]["rna"], pd.DataFrame)
    model = tiny().fit(X, y)
    filled = model.impute(X)
    assert isinstance(filled, ModalityDict)
    assert isinstance(filled["protein"], pd.DataFrame)
    assert filled["protein"].index.equals(idx) and list(filled["protein"].columns) == [
        "p0",
        "p1",
        "p2",
    ]
    assert not filled["protein"].isna().any().any()
    Z = model.set_output(transform="pandas").transform(X)
    assert isinstance(Z, pd.DataFrame) and Z.index.equals(idx)


def test_pipeline_grid_search_clone_and_pickle(views, tmp_path):
    X, y = views
    X = ModalityDict(X)
    pipe = Pipeline(
        [
            ("scale", PerView({"rna": PCA(2), "protein": StandardScaler()}, impute="mean")),
            ("vae", tiny()),
        ]
    )
    pipe.fit(X, y)
    assert pipe.predict(X).shape == (40,)
    assert pipe.named_steps["vae"].n_features_per_modality_["rna"] == 2
    params = pipe.get_params()
    assert params["scale__rna__n_components"] == 2
    search = GridSearchCV(pipe, {"scale__rna__n_components": [1, 3]}, cv=2, error_score="raise")
    search.fit(X, y)
    assert search.best_estimator_.named_steps["vae"].n_features_per_modality_["rna"] in (1, 3)
    assert sorted(search.cv_results_["param_scale__rna__n_components"]) == [1, 3]

    cloned = clone(pipe)
    assert (
        cloned.named_steps["scale"].transformers["rna"]
        is not pipe.named_steps["scale"].transformers["rna"]
    )
    assert not hasattr(cloned.named_steps["scale"], "transformers_")
    cloned.set_params(scale__protein=MinMaxScaler())
    assert isinstance(cloned.named_steps["scale"].transformers["protein"], MinMaxScaler)
    assert isinstance(pipe.named_steps["scale"].transformers["protein"], StandardScaler)

    expected = pipe.transform(X)
    back = pickle.loads(pickle.dumps(pipe))
    np.testing.assert_array_equal(back.transform(X), expected)
    joblib.dump(pipe, tmp_path / "pipe.joblib")
    np.testing.assert_array_equal(joblib.load(tmp_path / "pipe.joblib").transform(X), expected)


def test_pipeline_of_one_transformer_for_every_view(views):
    X, y = views
    pipe = Pipeline([("scale", PerView(StandardScaler())), ("vae", tiny())]).fit(X, y)
    assert pipe.transform(X).shape == (40, 2)
    assert pipe.get_params()["scale__transformers__with_mean"] is True
    assert list(pipe.get_feature_names_out()) == ["multimodalpoevae0", "multimodalpoevae1"]


def test_pipeline_set_output_pandas_keeps_the_index(views):
    X, y = views
    idx = pd.Index([f"r{i}" for i in range(40)])
    X = {"rna": pd.DataFrame(X["rna"], index=idx), "protein": X["protein"]}
    pipe = Pipeline([("scale", PerView(StandardScaler())), ("vae", tiny())])
    Z = pipe.set_output(transform="pandas").fit_transform(X, y)
    assert isinstance(Z, pd.DataFrame) and Z.index.equals(idx)
    scaled = pipe[:-1].transform(X)
    assert isinstance(scaled["protein"], pd.DataFrame) and scaled["protein"].index.equals(idx)


def test_sparse_views_where_the_transformer_takes_them():
    rng = np.random.RandomState(1)
    counts = sp.random(30, 12, density=0.3, format="csr", random_state=rng) * 10
    observed = np.ones(30, bool)
    observed[:4] = False
    X = ModalityDict(rna=counts, protein=rng.rand(30, 3), observed={"rna": observed})
    pv = PerView({"rna": StandardScaler(with_mean=False)}).fit(X)
    assert pv.n_observed_["rna"] == 26
    Z = pv.transform(X)
    assert sp.issparse(Z["rna"]) and Z["rna"].shape == (30, 12)
    assert Z["rna"][:4].nnz == 0
    np.testing.assert_array_equal(Z.observed["rna"], observed)
    ref = StandardScaler(with_mean=False).fit(counts[4:])
    np.testing.assert_allclose(Z["rna"][4:].toarray(), ref.transform(counts[4:]).toarray())
    dense = PerView({"rna": TruncatedSVD(2, random_state=0)}).fit_transform(X)
    assert isinstance(dense["rna"], np.ndarray) and np.isnan(dense["rna"][:4]).all()


def test_clear_errors():
    X = {"a": np.ones((5, 2)), "b": np.ones((5, 2))}
    with pytest.raises(ValueError, match=r"views \['c'\] that X does not have"):
        PerView({"c": StandardScaler()}).fit(X)
    with pytest.raises(TypeError, match="dict of views"):
        PerView(StandardScaler()).fit(np.ones((5, 2)))
    with pytest.raises(TypeError, match="transformers must be"):
        PerView(3).fit(X)
    with pytest.raises(ValueError, match="remainder"):
        PerView({}, remainder="keep").fit(X)
    with pytest.raises(ValueError, match="impute"):
        PerView(StandardScaler(), impute="zero").fit(X)
    pv = PerView(StandardScaler()).fit(X)
    with pytest.raises(ValueError, match=r"views \['z'\] that were not seen"):
        pv.transform({**X, "z": np.ones((5, 1))})
    assert set(pv.transform({"a": X["a"]})) == {"a"}  # a view left out stays out
    with pytest.raises(ValueError, match="view 'b' is not observed"):
        PerView(StandardScaler()).fit({"a": X["a"], "b": np.full((5, 2), np.nan)})


def test_exported():
    assert skpoe.PerView is PerView and "PerView" in skpoe.__all__
