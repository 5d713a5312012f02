"""compare_estimators, summarize and to_markdown on a small digits subset."""

from __future__ import annotations

import builtins

import numpy as np
import pytest
from conftest import TINY
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import LabelSpreading

from skpoe import MultimodalPoEVAE
from skpoe.datasets import hide_views_and_labels, load_digits_views
from skpoe.metrics import cross_coherence
from skpoe.model_selection import compare_estimators, summarize, to_markdown

pd = pytest.importorskip("pandas")

N = 300
SETTINGS = dict(labeled=0.3, missing_views=0.5, test_size=0.25, n_importance_samples=5)
VIEWS = ["top", "bottom"]
METRICS = ["acc_top", "acc_bottom", "acc_all", "latent_acc", "test_ll"] + [
    "coh_top",
    "coh_bottom",
    "coh_full_top",
    "coh_full_bottom",
    "fit_time",
    "n_iter",
]


class Unsupervised(MultimodalPoEVAE):
    """An estimator that ignores the labels: it has no label accuracy."""

    def fit(self, X, y=None):
        return super().fit(X)


@pytest.fixture(scope="module")
def data():
    X, y = load_digits_views(2)
    return X[:N], y[:N]


@pytest.fixture(scope="module")
def table(data):
    X, y = data
    estimators = {
        "poe": MultimodalPoEVAE(**{**TINY, "max_iter": 3}),
        "unsup": Unsupervised(**{**TINY, "max_iter": 2}),
    }
    return compare_estimators(estimators, X, y, seeds=(0, 1), **SETTINGS)


def _split(X, y, seed):
    tr, te = train_test_split(np.arange(len(y)), test_size=0.25, stratify=y, random_state=seed)
    X_h, y_h = hide_views_and_labels(
        X[tr], y[tr], labeled=0.3, missing_views=0.5, random_state=seed
    )
    return X[tr], y[tr], X_h, y_h, X[te], y[te]


def _rows(table, name):
    return table[table["estimator"] == name].set_index("seed")


def test_columns_rows_and_finite_values(table):
    assert list(table.columns) == ["estimator", "seed"] + METRICS
    names = ["poe", "unsup", "LogisticRegression", "LabelSpreading", "oracle (real views)"]
    assert list(table["estimator"]) == [n for n in names for _ in (0, 1)]
    assert list(table["seed"]) == [0, 1] * 5
    poe = _rows(table, "poe")
    assert np.isfinite(poe[METRICS].to_numpy()).all()
    assert (poe["n_iter"] == 3).all() and (poe["fit_time"] > 0).all()
    acc = [c for c in METRICS if c.startswith(("acc", "coh", "latent"))]
    assert ((poe[acc] >= 0) & (poe[acc] <= 1)).all().all()
    assert (poe["test_ll"] < 0).all()


def test_nan_where_a_metric_does_not_apply(table):
    unsup = _rows(table, "unsup")
    assert unsup[["acc_top", "acc_bottom", "acc_all"]].isna().all().all()
    assert np.isfinite(unsup[["latent_acc", "test_ll", "coh_top", "n_iter"]].to_numpy()).all()
    for name in ("LogisticRegression", "LabelSpreading"):
        base = _rows(table, name)
        assert np.isfinite(base[["acc_top", "acc_bottom", "acc_all", "fit_time"]].to_numpy()).all()
        model_only = [m for m in METRICS if m[:3] in ("lat", "tes", "coh", "n_i")]
        assert base[model_only].isna().all().all()
    oracle = _rows(table, "oracle (real views)")
    coh = [m for m in METRICS if m.startswith("coh")]
    assert oracle.drop(columns=["estimator"] + coh).isna().all().all()
    assert (oracle[coh] > 0.5).all().all()


def test_baselines_match_a_direct_sklearn_computation(table, data):
    X, y = data
    seed = 1
    _, _, X_h, y_h, X_te, y_te = _split(X, y, seed)
    lab = y_h != -1

    def lr():
        return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))

    def ls():
        return make_pipeline(StandardScaler(), LabelSpreading(kernel="knn", n_neighbors=10))

    def both(Z):
        return np.hstack([Z["top"], Z["bottom"]])

    got_lr = _rows(table, "LogisticRegression").loc[seed]
    got_ls = _rows(table, "LabelSpreading").loc[seed]
    # logistic regression: labeled rows only (they have every view)
    for v in VIEWS:
        pred = lr().fit(X_h[v][lab], y_h[lab]).predict(X_te[v])
        assert got_lr[f"acc_{v}"] == np.mean(pred == y_te)
    pred = lr().fit(both(X_h)[lab], y_h[lab]).predict(both(X_te))
    assert got_lr["acc_all"] == np.mean(pred == y_te)
    # label spreading: every row observing the view, -1 for unlabeled
    for v in VIEWS:
        obs = ~np.isnan(X_h[v]).all(axis=1)
        assert obs.sum() < len(obs)  # some views are hidden
        pred = ls().fit(X_h[v][obs], y_h[obs]).predict(X_te[v])
        assert got_ls[f"acc_{v}"] == np.mean(pred == y_te)
    filled = {}
    for v in VIEWS:
        block = X_h[v].copy()
        miss = np.isnan(block).all(axis=1)
        block[miss] = block[~miss].mean(axis=0)
        filled[v] = block
    pred = ls().fit(both(filled), y_h).predict(both(X_te))
    assert got_ls["acc_all"] == np.mean(pred == y_te)


def test_coherence_uses_oracles_on_generated_views(table, data):
    X, y = data
    seed = 0
    X_tr, y_tr, X_h, y_h, X_te, y_te = _split(X, y, seed)
    model = MultimodalPoEVAE(**{**TINY, "max_iter": 3, "random_state": seed}).fit(X_h, y_h)
    oracle_bottom = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    oracle_bottom.fit(X_tr["bottom"], y_tr)  # trained on all true training labels
    row = _rows(table, "poe").loc[seed]
    assert row["coh_top"] == pytest.approx(
        cross_coherence(model, X_te, y_te, oracle_bottom, "top", ["bottom"])
    )
    assert row["acc_top"] == pytest.approx(np.mean(model.predict({"top": X_te["top"]}) == y_te))
    real = _rows(table, "oracle (real views)").loc[seed, "coh_top"]
    assert real == pytest.approx(np.mean(oracle_bottom.predict(X_te["bottom"]) == y_te))


def test_summarize_and_markdown(table):
    summary = summarize(table)
    assert list(summary["estimator"]) == list(dict.fromkeys(table["estimator"]))
    assert list(summary.columns[:2]) == ["estimator", "n_seeds"]
    grouped = table.groupby("estimator", sort=False)["acc_all"]
    np.testing.assert_allclose(summary["acc_all_mean"], grouped.mean().to_numpy())
    np.testing.assert_allclose(summary["acc_all_std"], grouped.std().to_numpy())
    text = to_markdown(summary, legend=False)
    lines = text.splitlines()
    assert lines[0] == "| estimator | " + " | ".join(METRICS) + " |"
    assert len(lines) == 2 + 5
    poe = summary.iloc[0]
    cells = lines[2].split(" | ")
    acc, ll = cells[METRICS.index("acc_all") + 1], cells[METRICS.index("test_ll") + 1]
    assert acc == f"{poe['acc_all_mean']:.3f} ± {poe['acc_all_std']:.3f}"
    assert ll == f"{poe['test_ll_mean']:.1f} ± {poe['test_ll_std']:.1f}"
    assert lines[3].split(" | ")[1] == "–"  # the unsupervised model has no acc_top
    assert to_markdown(table, legend=False) == text  # a long table is summarized first
    # the default output starts by saying what every column measures
    legend = to_markdown(summary).split("\n\n")[0].splitlines()
    assert [line.split("`")[1] for line in legend[1:]] == METRICS
    assert all(len(line) > len(m) + 10 for line, m in zip(legend[1:], METRICS))
    only = summarize(table, metrics=["acc_all"])
    assert list(only.columns) == ["estimator", "n_seeds", "acc_all_mean", "acc_all_std"]
    assert to_markdown(only[only["estimator"] == "poe"], legend=False).count("±") == 1
    with pytest.raises(ValueError, match="Unknown metrics"):
        summarize(table, metrics=["nope"])


def test_structured_array_without_pandas(data, monkeypatch):
    real_import = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name.split(".")[0] == "pandas":
            raise ImportError("no pandas here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_pandas)
    X, y = data
    out = compare_estimators(
        [MultimodalPoEVAE(**{**TINY, "max_iter": 2})], X, y, seeds=[0], coherence=False, **SETTINGS
    )
    assert isinstance(out, np.ndarray) and out.dtype.names[:2] == ("estimator", "seed")
    assert list(out["estimator"]) == ["MultimodalPoEVAE", "LogisticRegression", "LabelSpreading"]
    assert not any(n.startswith("coh") for n in out.dtype.names)
    assert np.isnan(out["latent_acc"][1]) and np.isfinite(out["acc_all"]).all()
    summary = summarize(out)
    assert isinstance(summary, np.ndarray) and np.isnan(summary["acc_all_std"]).all()
    text = to_markdown(summary, legend=False)
    assert "| MultimodalPoEVAE | " in text and "±" not in text  # one seed: no std


def test_parallel_matches_sequential_and_verbose(data, capsys):
    X, y = data
    kw = dict(seeds=[0], baselines=None, coherence=False, **SETTINGS)
    est = [MultimodalPoEVAE(**{**TINY, "max_iter": 2})]
    seq = compare_estimators(est, X, y, verbose=1, **kw)
    assert capsys.readouterr().out.count("[compare_estimators] MultimodalPoEVAE seed=0:") == 1
    par = compare_estimators(est, X, y, n_jobs=2, **kw)
    cols = ["acc_all", "latent_acc", "test_ll", "n_iter"]
    np.testing.assert_allclose(par[cols].to_numpy(), seq[cols].to_numpy(), rtol=1e-5)


def test_one_view_has_no_coherence(data):
    X, y = data
    est = {"poe": MultimodalPoEVAE(**{**TINY, "max_iter": 1})}
    out = compare_estimators(est, {"top": X["top"]}, y, seeds=[0], baselines=None, **SETTINGS)
    assert list(out["estimator"]) == ["poe"]
    assert list(out.columns) == [
        "estimator",
        "seed",
        "acc_top",
        "acc_all",
        "latent_acc",
        "test_ll",
        "fit_time",
        "n_iter",
    ]
    assert out.loc[0, "acc_top"] == out.loc[0, "acc_all"]


def test_errors(data):
    X, y = data
    est = {"poe": MultimodalPoEVAE(**TINY)}
    with pytest.raises(ValueError, match="full true labels"):
        compare_estimators(est, X, np.where(np.arange(N) % 2 == 0, y, -1))
    X_nan = {"top": X["top"].copy(), "bottom": X["bottom"]}
    X_nan["top"][3] = np.nan
    with pytest.raises(ValueError, match="'top' is missing"):
        compare_estimators(est, X_nan, y)
    for bad in (0, 0.0, 1.5, -0.1):
        with pytest.raises(ValueError, match=r"labeled must be in \(0, 1\]"):
            compare_estimators(est, X, y, labeled=bad)
    y_rare = y.copy()
    y_rare[0] = 99
    with pytest.raises(ValueError, match="Too few rows per class"):
        compare_estimators(est, X, y_rare)
    with pytest.raises(ValueError, match="Cannot split"):
        compare_estimators(est, X, y, test_size=5)  # fewer test rows than classes
    with pytest.raises(ValueError, match="raise labeled"):
        compare_estimators(est, X, y, labeled=0.001)
    for spec in ("knn", ["NoSuchBaseline"], 3):
        with pytest.raises((ValueError, TypeError), match="baselines"):
            compare_estimators(est, X, y, baselines=spec)
    with pytest.raises(TypeError, match="predict"):
        compare_estimators(est, X, y, baselines={"scaler": StandardScaler()})
    with pytest.raises(ValueError, match="unique"):
        compare_estimators({"LabelSpreading": MultimodalPoEVAE()}, X, y)
    for seeds in (3, (), [0.5]):
        with pytest.raises(TypeError, match="seeds"):
            compare_estimators(est, X, y, seeds=seeds)
    with pytest.raises(ValueError, match="n_importance_samples"):
        compare_estimators(est, X, y, n_importance_samples=0)
    with pytest.raises(TypeError, match="dict"):
        compare_estimators(MultimodalPoEVAE(), X, y)


def test_named_baselines_self_training_and_the_ceiling(data):
    from sklearn.semi_supervised import SelfTrainingClassifier
    from sklearn.svm import SVC

    X, y = data
    table = compare_estimators(
        {"poe": MultimodalPoEVAE(**{**TINY, "max_iter": 1})},
        X,
        y,
        seeds=(0,),
        coherence=False,
        baselines=["SelfTraining", "SVC ceiling (all labels)"],
        **SETTINGS,
    )
    assert list(table["estimator"]) == ["poe", "SelfTraining", "SVC ceiling (all labels)"]
    X_tr, y_tr, X_h, y_h, X_te, y_te = _split(X, y, 0)
    st = make_pipeline(StandardScaler(), SelfTrainingClassifier(LogisticRegression(max_iter=2000)))
    obs = ~np.isnan(X_h["top"]).all(axis=1)
    pred = st.fit(X_h["top"][obs], y_h[obs]).predict(X_te["top"])
    assert _rows(table, "SelfTraining").loc[0]["acc_top"] == np.mean(pred == y_te)
    # the ceiling sees every training row with its true label and every view
    svc = make_pipeline(StandardScaler(), SVC()).fit(X_tr["bottom"], y_tr)
    got = _rows(table, "SVC ceiling (all labels)").loc[0]["acc_bottom"]
    assert got == np.mean(svc.predict(X_te["bottom"]) == y_te)


def test_view_dropout_hides_views_of_labeled_rows_too(data, monkeypatch):
    import skpoe.model_selection._compare as compare

    X, y = data
    seen = {}
    original = compare._split

    def spy(*args, **kwargs):
        s = original(*args, **kwargs)
        seen.update(s)
        return s

    monkeypatch.setattr(compare, "_split", spy)
    compare_estimators(
        {"poe": MultimodalPoEVAE(**{**TINY, "max_iter": 1})},
        X,
        y,
        seeds=(0,),
        coherence=False,
        baselines=None,
        labeled=0.5,
        missing_views=0.0,
        view_dropout=0.3,
        n_importance_samples=2,
    )
    lab = seen["y_h"] != -1
    missing = np.stack([np.isnan(seen["X_h"][v]).all(1) for v in VIEWS], 1)
    assert missing[lab].any() and missing[~lab].any() and not missing.all(1).any()
    assert 0.15 < missing.mean() < 0.45


def test_stratify_labels_makes_one_percent_of_a_small_table_usable():
    from skpoe.datasets import load_wine_views

    X, y = load_wine_views()
    kw = dict(baselines=["LogisticRegression"], seeds=[0], coherence=False)
    with pytest.raises(ValueError, match="1 class"):
        compare_estimators({}, X, y, labeled=0.01, **kw)
    table = compare_estimators({}, X, y, labeled=0.01, stratify_labels=True, **kw)
    assert table["acc_all"].between(0, 1).all() and len(table) == 1


def test_view_baseline_predicts_the_one_class_a_view_labels():
    from skpoe.model_selection._baselines import ViewBaseline, default_baselines

    rng = np.random.RandomState(0)
    X = {"a": rng.rand(30, 3), "b": rng.rand(30, 2)}
    y = -np.ones(30, int)
    y[:3], y[3] = 1, 0
    X["a"][3] = np.nan  # view a's labeled rows hold class 1 only
    for clf in default_baselines().values():
        base = ViewBaseline(clf, ["a", "b"]).fit(X, y)
        assert (base.predict(X, "a") == 1).all()
        assert set(base.predict(X, "b")) <= {0, 1} and len(base.predict(X)) == 30
    X["b"][:4] = np.nan  # view b: no labeled row at all, so the labeled rows' majority
    for clf in default_baselines().values():
        assert (ViewBaseline(clf, ["a", "b"]).fit(X, y).predict(X, "b") == 1).all()
