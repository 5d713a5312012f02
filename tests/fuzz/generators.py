"""Random bad-input cases for property-based tests and the fuzz campaign.

A *case* is an estimator class with parameters, training views and labels,
and predict-time views that may differ from the training ones. The same
generators serve the ``hypothesis`` tests (``tests/test_fuzz.py``, through
:class:`HypothesisChooser`, so failures shrink) and the campaign script
``benchmarks/fuzz_inputs.py`` (through :class:`NumpyChooser`).

:func:`~fuzz.outcomes.run_case` calls every public method and sorts
each call into one of four outcomes (see
:func:`~fuzz.outcomes.classify_error` for the rule that makes an error
*clear*):

``ok``
    returned outputs of the right shape, all finite;
``clear``
    raised a ``ValueError``/``TypeError`` naming a modality, a row or a
    parameter, from skpoe's (or scikit-learn's) own checks;
``unclear``
    any other exception;
``nonfinite``
    returned NaN or infinity, or an output of the wrong shape;
``silent``
    returned an answer to input it must refuse (pandas views whose row
    indexes differ, a row observed only through its label).
"""

from __future__ import annotations

import numpy as np

from fuzz.outcomes import METHODS, OUTCOMES, classify_error, run_case  # noqa: F401

__all__ = [
    "NumpyChooser",
    "HypothesisChooser",
    "draw_case",
    "run_case",
    "classify_error",
    "METHODS",
    "OUTCOMES",
]


class NumpyChooser:
    """Draws from a ``numpy.random.RandomState``."""

    def __init__(self, seed):
        self.rng = np.random.RandomState(seed)

    def choice(self, options):
        return options[self.rng.randint(len(options))]

    def integer(self, lo, hi):
        return int(self.rng.randint(lo, hi + 1))

    def boolean(self, p=0.5):
        return bool(self.rng.rand() < p)


class HypothesisChooser:
    """Draws from a hypothesis ``data`` object (``st.data()``), so cases shrink."""

    def __init__(self, data):
        from hypothesis import strategies as st

        self.data, self.st = data, st

    def choice(self, options):
        return self.data.draw(self.st.sampled_from(list(options)))

    def integer(self, lo, hi):
        return self.data.draw(self.st.integers(lo, hi))

    def boolean(self, p=0.5):
        # hypothesis shrinks booleans towards False: the rarer branch is True
        return self.data.draw(self.st.booleans())


# -- one view --------------------------------------------------------------
_VALUES = ("normal", "binary", "constant", "counts", "offset", "uniform")
_DTYPES = (
    "float64",
    "float64",
    "float64",
    "float64",
    "float32",
    "float16",
    "int64",
    "uint8",
    "bool",
    "object",
    "pandas",
    "pandas",
    "torch",
    "torch_bf16",
    "torch_grad",
    "torch_int",
)
_BAD_DTYPES = ("strings", "pandas_str", "pandas_cat")
_MISSING = ("none", "none", "none", "views", "views", "entries", "column")


def _values(c, rng, n, f):
    kind = c.choice(_VALUES)
    scale = 10.0 ** c.integer(-8, 8) if c.boolean(0.4) else 1.0
    if kind == "normal":
        v = rng.randn(n, f) * scale
    elif kind == "binary":
        v = (rng.rand(n, f) < 0.5).astype(float)
    elif kind == "constant":
        v = np.full((n, f), c.choice([0.0, 1.0, 3.0, -2.5, 1e8]))
    elif kind == "counts":
        v = rng.poisson(3.0, (n, f)).astype(float)
    elif kind == "offset":
        v = 1e8 + rng.randn(n, f)
    else:
        v = rng.rand(n, f)
    if c.boolean(0.05):  # beyond float32's range
        v[rng.randint(n) if n else 0 :, :] = c.choice([1e39, 1e160, -1e160])
    return v


def _missing(c, rng, v):
    n, f = v.shape
    how = "all_rows" if c.boolean(0.03) else c.choice(_MISSING)
    if n == 0 or how == "none":
        return v
    v = v.copy()
    if how == "views":
        v[rng.rand(n) < 0.4] = np.nan
    elif how == "entries":
        v[rng.rand(n, f) < 0.3] = np.nan
    elif how == "column":
        v[:, rng.randint(f)] = np.nan
    else:
        v[:] = np.nan
    return v


def _container(c, v, dtype, name):
    """``v`` (float64) in the container and dtype ``dtype``."""
    finite = np.where(np.isfinite(v), v, 0.0)
    if dtype in ("float64", "float32", "float16"):
        with np.errstate(over="ignore"):
            return v.astype(dtype)
    if dtype in ("int64", "uint8"):
        with np.errstate(invalid="ignore"):
            return np.clip(np.round(finite), 0 if dtype == "uint8" else -1e18, 1e18).astype(dtype)
    if dtype == "bool":
        return finite > 0.5
    if dtype == "object":
        return v.astype(object)
    if dtype == "strings":
        return v.astype(str)
    if dtype.startswith("pandas"):
        import pandas as pd

        df = pd.DataFrame(v, columns=[f"{name}_c{j}" for j in range(v.shape[1])])
        if dtype == "pandas_str" and v.shape[1]:
            df[df.columns[0]] = ["x" + str(i) for i in range(len(df))]
        if dtype == "pandas_cat" and v.shape[1]:
            df[df.columns[-1]] = pd.Categorical(np.where(finite[:, -1] > 0.5, "a", "b"))
        return df
    import torch

    if dtype == "torch_bf16":
        return torch.tensor(v, dtype=torch.bfloat16)
    if dtype == "torch_grad":
        return torch.tensor(v, dtype=torch.float32, requires_grad=True)
    if dtype == "torch_int":
        return torch.tensor(np.round(finite).clip(-1e9, 1e9), dtype=torch.int64)
    return torch.tensor(v, dtype=torch.float32)


def _view(c, rng, n, name, n_features=None, dtype=None):
    f = n_features if n_features is not None else c.integer(1, 4)
    v = _missing(c, rng, _values(c, rng, n, f))
    if dtype is None:
        dtype = c.choice(_BAD_DTYPES) if c.boolean(0.05) else c.choice(_DTYPES)
    return _container(c, v, dtype, name)


# -- labels ----------------------------------------------------------------
_LABELS = (
    "none",
    "none",
    "partial",
    "partial",
    "partial",
    "partial",
    "all_unlabeled",
    "one_class",
    "one_per_class",
    "many_classes",
    "strings",
    "floats",
    "negative",
    "wrong_length",
    "nan",
    "bools",
    "mixed",
    "Int64",
    "string_na",
    "object_na",
    "boolean_na",
    "category_na",
)
_NULLABLE = {
    "Int64": "Int64",
    "string_na": "string",
    "object_na": object,
    "boolean_na": "boolean",
    "category_na": "category",
}


def _labels(c, rng, n):
    kind = c.choice(_LABELS)
    if kind == "none":
        return None
    codes = rng.randint(0, 3, n)
    if kind == "partial":
        return np.where(rng.rand(n) < 0.5, codes, -1)
    if kind == "all_unlabeled":
        return np.full(n, -1)
    if kind == "one_class":
        return np.where(rng.rand(n) < 0.5, 0, -1)
    if kind == "one_per_class":
        return np.arange(n)
    if kind == "many_classes":
        return rng.randint(0, 1000, n)
    if kind == "strings":
        return np.array(["cat", "dog", "-1"], dtype=object)[codes]
    if kind == "floats":
        return codes + c.choice([0.0, 0.5])
    if kind == "negative":
        return codes - 3
    if kind == "wrong_length":
        return codes[: max(n - 1, 0)] if n else np.zeros(1, int)
    if kind == "nan":
        return np.where(codes == 0, np.nan, codes.astype(float))
    if kind == "bools":
        return codes > 0
    if kind in _NULLABLE:  # pandas' nullable labels: pd.NA marks unlabeled rows
        import pandas as pd

        values = (
            codes > 0
            if kind == "boolean_na"
            else (
                codes if kind == "Int64" else np.array(["cat", "dog", "eel"], dtype=object)[codes]
            )
        )
        out = pd.Series(values, dtype=_NULLABLE[kind])
        return out.mask(pd.Series(rng.rand(n) < 0.5), pd.NA if kind != "category_na" else None)
    return np.array([1, "a", None, 2.5, -1] * n, dtype=object)[:n]


# -- parameters ------------------------------------------------------------
_BAD_PARAMS = (
    {"n_components": 0},
    {"max_iter": 0},
    {"batch_size": 0},
    {"hidden_layer_sizes": (0,)},
    {"likelihoods": "nope"},
    {"likelihoods": {"nope": "gaussian"}},
    {"learning_rate_init": -1.0},
    {"beta": -1.0},
    {"device": "tpu"},
    {"modalities": {"a": slice(0, 2)}},
    {"likelihoods": "poisson"},
    {"likelihoods": "categorical"},
    {"likelihoods": "bernoulli"},
    {"supervision_weight": float("nan")},
    {"n_components": 2.5},
)


def _params(c):
    params = dict(
        n_components=c.integer(1, 3),
        hidden_layer_sizes=c.choice([(4,), (), (3, 3)]),
        max_iter=c.integer(1, 2),
        batch_size=c.choice([1, 2, 64]),
        random_state=0,
        device="cpu",
    )
    if c.boolean(0.15):
        params.update(c.choice(_BAD_PARAMS))
    if c.boolean(0.1):
        params["likelihoods"] = c.choice(["laplace", "negative_binomial", "gaussian"])
    return params


# -- predict-time input ----------------------------------------------------
_PREDICT = (
    "same",
    "same",
    "fresh",
    "missing_key",
    "extra_key",
    "feature_count",
    "dtype",
    "reorder",
    "rename",
    "huge",
    "list",
    "one_row",
    "no_view",
    "index_mismatch",
)


def _predict_views(c, rng, X, n_features, form):
    kind = c.choice(_PREDICT)
    names = list(n_features)
    n = c.integer(1, 4)
    if kind == "same":
        return X, kind
    fresh = {k: _view(c, rng, n, k, n_features[k], dtype="float64") for k in names}
    if kind == "missing_key" and len(names) > 1:
        fresh.pop(names[0])
    elif kind == "extra_key":
        fresh["other"] = rng.randn(n, 2)
    elif kind == "feature_count":
        k = c.choice(names)
        fresh[k] = rng.randn(n, n_features[k] + c.choice([-1, 1]))
    elif kind == "dtype":
        k = c.choice(names)
        fresh[k] = _container(c, rng.rand(n, n_features[k]), c.choice(_DTYPES), k)
    elif kind in ("reorder", "rename"):
        import pandas as pd

        k = c.choice(names)
        cols = [f"{k}_c{j}" for j in range(n_features[k])]
        cols = cols[::-1] if kind == "reorder" else [s + "_x" for s in cols]
        fresh[k] = pd.DataFrame(rng.rand(n, n_features[k]), columns=cols)
    elif kind == "huge":
        k = c.choice(names)
        fresh[k] = np.full((n, n_features[k]), c.choice([1e39, -1e39, 1e300]))
    elif kind == "one_row":
        fresh = {k: v[:1] for k, v in fresh.items()}
    elif kind == "no_view":
        fresh = {k: np.full((n, n_features[k]), np.nan) for k in names}
    elif kind == "index_mismatch":
        n = max(n, 2)
        fresh = _indexed({k: rng.rand(n, n_features[k]) for k in names}, c.choice(_INDEXES))
        if len(names) < 2 or form in ("list", "tuple"):
            kind = "index_single"  # one view, or views named by position: nothing to pair
        return fresh, kind
    if kind == "list":
        return [fresh[k] for k in names], kind
    return _as_form(fresh, form), kind


_INDEXES = ("reversed", "disjoint", "shifted")


def _indexed(views, how):
    """``views`` as DataFrames on string indexes, the last view's differing by ``how``."""
    import pandas as pd

    out = {}
    names = list(views)
    for k, v in views.items():
        index = [f"s{i}" for i in range(len(v))]
        if k == names[-1] and len(names) > 1:
            if how == "reversed":
                index = index[::-1]
            elif how == "disjoint":
                index = [f"t{i}" for i in range(len(v))]
            else:
                index = [f"s{i + 1}" for i in range(len(v))]
        out[k] = pd.DataFrame(v, index=index, columns=[f"{k}_c{j}" for j in range(v.shape[1])])
    return out


def _as_form(views, form):
    from skpoe.data import ModalityDict

    if form == "list":
        return list(views.values())
    if form == "tuple":
        return tuple(views.values())
    if form == "ModalityDict":
        try:
            return ModalityDict(views)
        except (ValueError, TypeError):
            return dict(views)
    return dict(views)


def draw_case(c):
    """One random case as a dict (see the module docstring)."""
    from skpoe import ESTIMATORS

    rng = np.random.RandomState(c.integer(0, 2**31 - 2))
    n = c.choice([0, 1, 2, 3, 3, 5, 8, 20, 20, 40])
    n_views = c.integer(1, 3)
    form = c.choice(["dict", "dict", "ModalityDict", "list", "tuple", "array"])
    names = (
        [f"m{i}" for i in range(n_views)]
        if form not in ("list", "tuple")
        else [f"view{i}" for i in range(n_views)]
    )
    views = {k: _view(c, rng, n, k) for k in names}
    label_only = c.boolean(0.08) and n > 1 and form != "array"  # row 0: a label, no view
    if label_only:
        views = {
            k: np.asarray(rng.randn(n, int(np.shape(v)[1]) if np.ndim(v) == 2 else 1))
            for k, v in views.items()
        }
    if (label_only or c.boolean(0.1)) and n:  # rows with no view at all
        for k in names:
            v = views[k]
            if isinstance(v, np.ndarray) and v.dtype.kind == "f":
                v[0] = np.nan
    mismatch = None
    if (
        n > 1
        and n_views > 1
        and form in ("dict", "ModalityDict")
        and not label_only
        and c.boolean(0.1)
    ):
        mismatch = c.choice(_INDEXES + ("equal",))  # pandas views on (different) indexes
        views = _indexed({k: rng.randn(n, c.integer(1, 3)) for k in names}, mismatch)
        if mismatch == "equal":
            views = {k: v.set_axis(list(views[names[0]].index)) for k, v in views.items()}
    n_features = {k: int(np.shape(v)[1]) if np.ndim(v) == 2 else 0 for k, v in views.items()}
    params = _params(c)
    if form == "array":
        widths = list(n_features.values())
        X = np.hstack([np.asarray(rng.randn(n, w)) for w in widths])
        edges = np.cumsum([0] + widths)
        params.setdefault(
            "modalities", {k: slice(int(a), int(b)) for k, a, b in zip(names, edges, edges[1:])}
        )
    else:
        X = _as_form(views, form)
    X_new, predict_kind = _predict_views(c, rng, X, n_features, form)
    y = _labels(c, rng, n)
    if label_only and isinstance(y, np.ndarray) and y.dtype.kind in "iu" and len(y) == n:
        y[0] = 0
    # calls that must refuse their input: a silent answer to them is wrong
    must_refuse = set()
    if label_only:
        must_refuse.add("fit")
    if mismatch not in (None, "equal"):
        must_refuse.add("fit")
    if predict_kind == "index_mismatch":
        must_refuse |= {"transform", "predict", "predict_proba", "score_samples", "impute"}
    calls = {
        "predict_proba": {"n_samples": c.choice([32, 32, 32, 1, 0, -2, 2.5])},
        "score_samples": {"n_importance_samples": c.choice([100, 100, 2, 0])},
        "sample": {"n_samples": c.choice([1, 3, 3, 3, 0, -1])},
    }
    return dict(
        estimator=c.choice(sorted(ESTIMATORS, key=lambda e: e.__name__)),
        params=params,
        X=X,
        y=y,
        X_new=X_new,
        must_refuse=must_refuse,
        predict_kind=predict_kind,
        calls=calls,
        form=form,
    )
