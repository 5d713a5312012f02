"""Per-view preprocessing for dict input: :class:`PerView`.

scikit-learn's transformers take one 2-D array; skpoe's estimators take a
dict of views. :class:`PerView` applies a scikit-learn transformer to each
view of a dict (or :class:`~skpoe.ModalityDict`), fitted on the rows that
observe that view, and returns a :class:`~skpoe.ModalityDict`, so it can sit
in front of an estimator in a :class:`~sklearn.pipeline.Pipeline`:
``Pipeline([("scale", PerView(StandardScaler())), ("vae", MultimodalPoEVAE())])``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.utils.validation import check_is_fitted

from skpoe.data._arrays import column_names
from skpoe.data._container import ModalityDict, _is_frame, views_as_dict
from skpoe.data._per_view import (
    call_transformer,
    dense_or_sparse,
    in_memory,
    observed_rows,
    place_rows,
    rows_of,
)
from skpoe.data.sources import is_lazy

__all__ = ["PerView"]

_OWN = ("transformers", "remainder", "impute")
_IMPUTE = ("mean", "median", "most_frequent")


def _is_transformer(value):
    return hasattr(value, "fit") and hasattr(value, "transform")


class PerView(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):  # type: ignore[call-arg]
    """Apply a scikit-learn transformer to each view of a dict of views.

    Each view's transformer is fitted on the rows that observe that view
    (rows that are not all NaN; for sparse views, the rows in the
    ``observed`` masks of a :class:`~skpoe.ModalityDict`), and transforms
    those rows only: a missing view stays missing (a row of NaN) in the
    output, so the estimator after it still sees which views each row has.

    Parameters
    ----------
    transformers : transformer, or dict of str to (transformer, "passthrough" or "drop")
        One transformer, cloned for every view; or one per view, named by
        view (views left out of the dict are handled by ``remainder``).
        ``"passthrough"`` leaves a view as it is, ``"drop"`` leaves it out of
        the output. The parameters of the transformers of a dict are
        parameters of this object under the view's name, e.g.
        ``rna__n_components``, so ``GridSearchCV`` can tune them.
    remainder : "passthrough", "drop" or transformer, default="passthrough"
        What happens to views that a dict of ``transformers`` does not name:
        left as they are (the default: nothing is changed that was not
        asked for), left out of the output, or transformed by a clone of
        this transformer.
    impute : {None, "mean", "median", "most_frequent"}, default=None
        Missing entries (NaN inside an observed row). ``None`` keeps them:
        the transformer receives them as NaN, and a transformer that handles
        NaN (``StandardScaler``, ``MinMaxScaler``, ...) keeps them missing in
        its output, for the estimator to treat as missing entries. One that
        does not (``PCA``, ``TruncatedSVD``, ...) raises an error naming the
        view; then give a strategy of :class:`~sklearn.impute.SimpleImputer`,
        fitted on the view's observed rows and applied before the
        transformer.

    Attributes
    ----------
    transformers_ : dict of str to (transformer, "passthrough")
        The fitted transformer of each view (an
        :class:`~sklearn.pipeline.Pipeline` of the imputer and the
        transformer when ``impute`` is set). Dropped views are left out.
    views_ : list of str
        The views seen in ``fit``, in order.
    n_observed_ : dict of str to int
        Rows each view's transformer was fitted on.

    See Also
    --------
    sklearn.compose.ColumnTransformer : The same for column groups of one array.
    skpoe.MultimodalPoEVAE : An estimator that takes the views.

    Notes
    -----
    Output: a :class:`~skpoe.ModalityDict`. A view given as a pandas
    DataFrame comes back as a DataFrame, with its row index and the
    transformer's output column names (``get_feature_names_out()[view]``);
    ``set_output(transform="pandas")`` makes every dense view a DataFrame.
    A transformer that returns a sparse matrix (e.g. ``TfidfTransformer`` on
    a sparse view) gives a sparse view; its rows of a missing view are zero,
    and the output's ``observed`` masks say which rows those are.

    Views that ``fit`` did not see are an error at ``transform``; views left
    out of the dict at ``transform`` are left out of the output (skpoe's
    estimators treat them as missing).

    ``skpoe``'s model files (:meth:`~skpoe.MultimodalPoEVAE.save`) hold one
    estimator; save a whole pipeline with ``pickle`` or ``joblib`` (which
    run code when loaded: use them only for files you trust).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import TruncatedSVD
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skpoe.compose import PerView
    >>> rng = np.random.RandomState(0)
    >>> X = {"rna": rng.rand(6, 8), "protein": rng.rand(6, 3)}
    >>> X["protein"][0] = np.nan                       # row 0 has no protein view
    >>> pv = PerView({"rna": TruncatedSVD(2), "protein": StandardScaler()})
    >>> Z = pv.fit_transform(X)
    >>> Z["rna"].shape, Z["protein"].shape
    ((6, 2), (6, 3))
    >>> bool(np.isnan(Z["protein"][0]).all())           # still missing
    True
    >>> pv.n_observed_
    {'rna': 6, 'protein': 5}
    >>> pv.get_feature_names_out()["rna"]
    array(['truncatedsvd0', 'truncatedsvd1'], dtype=object)
    """

    def __init__(self, transformers, *, remainder="passthrough", impute=None):
        self.transformers = transformers
        self.remainder = remainder
        self.impute = impute

    # -- parameters: the transformers of a dict are named by their view ------------------
    def get_params(self, deep=True):
        out = super().get_params(deep=deep)
        if deep and isinstance(self.transformers, dict):
            for name, est in self.transformers.items():
                out[name] = est
                if hasattr(est, "get_params") and not isinstance(est, type):
                    out.update({f"{name}__{k}": v for k, v in est.get_params(deep=True).items()})
        return out

    def set_params(self, **params):
        if isinstance(self.transformers, dict):
            views = {k: params.pop(k) for k in list(params) if k in self.transformers}
            if views:
                self.transformers = {**self.transformers, **views}
            nested: dict[str, dict] = {}
            for key in list(params):
                head, sep, rest = key.partition("__")
                if sep and head not in _OWN and head in self.transformers:
                    nested.setdefault(head, {})[rest] = params.pop(key)
            for head, sub in nested.items():
                self.transformers[head].set_params(**sub)
        return super().set_params(**params)

    def set_output(self, *, transform=None):
        """Set the output of ``transform`` and ``fit_transform``.

        Parameters
        ----------
        transform : {"default", "pandas"} or None, default=None
            ``"pandas"``: every dense view a DataFrame; ``"default"``: views
            given as DataFrames come back as DataFrames, the others as
            arrays; ``None``: unchanged.

        Returns
        -------
        self : PerView
        """
        if transform is None:
            return self
        if transform not in ("default", "pandas"):
            raise ValueError(
                f"PerView.set_output: transform must be 'default' or 'pandas', got {transform!r}."
            )
        if not hasattr(self, "_sklearn_output_config"):
            self._sklearn_output_config = {}
        self._sklearn_output_config["transform"] = transform
        return self

    def _pandas_output(self):
        return getattr(self, "_sklearn_output_config", {}).get("transform") == "pandas"

    # -- fit and transform -----------------------------------------------------------------
    def _check_params(self, views):
        if not (_is_transformer(self.transformers) or isinstance(self.transformers, dict)):
            raise TypeError(
                "PerView: transformers must be a scikit-learn transformer (with fit and "
                "transform) or a dict of view name to transformer, 'passthrough' or 'drop'; "
                f"got {type(self.transformers).__name__}."
            )
        if not (self.remainder in ("passthrough", "drop") or _is_transformer(self.remainder)):
            raise ValueError(
                "PerView: remainder must be 'passthrough', 'drop' or a transformer, got "
                f"{self.remainder!r}."
            )
        if self.impute is not None and self.impute not in _IMPUTE:
            raise ValueError(
                f"PerView: impute must be None or one of {list(_IMPUTE)}, got {self.impute!r}."
            )
        if isinstance(self.transformers, dict):
            unknown = [k for k in self.transformers if k not in views]
            if unknown:
                raise ValueError(
                    f"PerView: transformers name views {unknown} that X does not have "
                    f"(views: {views})."
                )
            for k, t in self.transformers.items():
                if k in _OWN:
                    raise ValueError(f"PerView: a view may not be named {k!r}, a parameter name.")
                if not (t in ("passthrough", "drop") or _is_transformer(t)):
                    raise TypeError(
                        f"PerView: transformers[{k!r}] must be a transformer, 'passthrough' "
                        f"or 'drop', got {t!r}."
                    )

    def _step(self, name):
        chosen = (
            self.transformers.get(name, self.remainder)
            if isinstance(self.transformers, dict)
            else self.transformers
        )
        if isinstance(chosen, str):
            return chosen
        step = clone(chosen)
        if self.impute is not None:
            from sklearn.impute import SimpleImputer
            from sklearn.pipeline import make_pipeline

            imputer = SimpleImputer(strategy=self.impute, keep_empty_features=True)
            step = make_pipeline(imputer, step)
        return step

    @staticmethod
    def _views(X, what):
        X = views_as_dict(X)
        if not isinstance(X, dict) or not dict.__len__(X):
            raise TypeError(
                f"PerView.{what} needs a dict of views (or a ModalityDict, or a list of "
                f"views), got {type(X).__name__}."
            )
        given = X.observed if isinstance(X, ModalityDict) else {}
        views = {k: in_memory(v) for k, v in dict.items(X)}
        return views, given

    def fit(self, X, y=None):
        """Fit each view's transformer on the rows that observe the view.

        Parameters
        ----------
        X : dict of array-like, ModalityDict, or list of array-like
            The views; a row of NaN marks a missing view.
        y : array-like of shape (n_samples,), default=None
            Passed to each transformer, restricted to the view's rows.

        Returns
        -------
        self : PerView

        See Also
        --------
        PerView.transform : Transform the views with the fitted transformers.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.preprocessing import StandardScaler
        >>> from skpoe.compose import PerView
        >>> X = {"a": np.array([[1.0], [np.nan], [3.0]]), "b": np.ones((3, 2))}
        >>> PerView(StandardScaler()).fit(X).n_observed_
        {'a': 2, 'b': 3}
        """
        views, given = self._views(X, "fit")
        self._check_params(list(views))
        fitted, counts = {}, {}
        for name, value in views.items():
            step = self._step(name)
            if step == "drop":
                continue
            obs = observed_rows(name, value, given.get(name))
            counts[name] = int(obs.sum())
            if step != "passthrough":
                if not obs.any():
                    raise ValueError(f"PerView: view {name!r} is not observed in any row.")
                rows = rows_of(value, obs) if not obs.all() else value
                y_rows = None if y is None else np.asarray(y)[obs]
                call_transformer(name, step.fit, rows, y_rows)
            fitted[name] = step
        self.transformers_ = fitted
        self.views_ = list(views)
        self.n_observed_ = counts
        self._names_in = {k: column_names(v) for k, v in views.items()}
        self._width_in = {k: int(v.shape[1]) for k, v in views.items()}
        return self

    def transform(self, X):
        """Transform each view's observed rows; missing views stay missing.

        Parameters
        ----------
        X : dict of array-like, ModalityDict, or list of array-like

        Returns
        -------
        X_out : ModalityDict
            The transformed views (dropped views left out), with the input's
            ``observed`` masks and a DataFrame for each view given as one
            (every dense view after ``set_output(transform="pandas")``).

        See Also
        --------
        PerView.fit : Fit each view's transformer on its observed rows.
        PerView.get_feature_names_out : The output column names of each view.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.preprocessing import StandardScaler
        >>> from skpoe.compose import PerView
        >>> X = {"a": np.array([[1.0], [np.nan], [3.0]])}
        >>> PerView(StandardScaler()).fit(X).transform(X)["a"].ravel().tolist()
        [-1.0, nan, 1.0]
        """
        check_is_fitted(self, "transformers_")
        views, given = self._views(X, "transform")
        unknown = [k for k in views if k not in self.views_]
        if unknown:
            raise ValueError(
                f"PerView.transform: X has views {unknown} that were not seen during fit "
                f"(views: {self.views_})."
            )
        index = next((v.index for v in views.values() if _is_frame(v)), None)
        out, observed = {}, {}
        for name, value in views.items():
            if name not in self.transformers_:
                continue
            step = self.transformers_[name]
            obs = observed_rows(name, value, given.get(name))
            if step == "passthrough":
                out[name] = value
            else:
                out[name] = self._transform_view(name, step, value, obs)
            if name in given or sp.issparse(out[name]):
                observed[name] = obs
            frame = _is_frame(value) or self._pandas_output()
            if frame and not _is_frame(out[name]) and not is_lazy(out[name]):
                import pandas as pd

                out[name] = pd.DataFrame(
                    out[name],
                    columns=self._view_names_out(name, out[name].shape[1]),
                    index=value.index if _is_frame(value) else index,
                )
        return ModalityDict(out, observed=observed)

    def _view_names_out(self, name, width):
        """A view's output names; ``"<view>0"``, ... when its transformer has none."""
        try:
            names = self._names_of(name)
        except (AttributeError, ValueError):
            names = None
        if names is None or len(names) != width:
            names = [f"{name}{j}" for j in range(width)]
        return names

    def _transform_view(self, name, step, value, obs):
        if obs.all():
            return dense_or_sparse(call_transformer(name, step.transform, value))
        return place_rows(
            dense_or_sparse(call_transformer(name, step.transform, rows_of(value, obs))), obs
        )

    def get_feature_names_out(self, input_features=None):
        """Output column names of each view.

        Parameters
        ----------
        input_features : dict of str to array-like of str, default=None
            Input column names per view (default: the DataFrame columns seen
            in ``fit``, else ``"<view>0"``, ``"<view>1"``, ...).

        Returns
        -------
        feature_names_out : dict of str to ndarray of str

        See Also
        --------
        skpoe.MultimodalPoEVAE.get_feature_names_out : The names of an estimator's latent.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.decomposition import PCA
        >>> from skpoe.compose import PerView
        >>> X = {"a": np.random.RandomState(0).rand(5, 3), "b": np.ones((5, 2))}
        >>> pv = PerView({"a": PCA(2)}).fit(X)
        >>> {k: v.tolist() for k, v in pv.get_feature_names_out().items()}
        {'a': ['pca0', 'pca1'], 'b': ['b0', 'b1']}
        """
        check_is_fitted(self, "transformers_")
        input_features = input_features or {}
        return {name: self._names_of(name, input_features.get(name)) for name in self.transformers_}

    def _names_of(self, name, names_in=None):
        step = self.transformers_[name]
        if names_in is None:
            names_in = self._names_in.get(name)
        if names_in is None:
            names_in = [f"{name}{j}" for j in range(self._width_in[name])]
        names_in = np.asarray(names_in, dtype=object)
        if step == "passthrough":
            return names_in
        if not hasattr(step, "get_feature_names_out"):
            raise AttributeError(
                f"PerView: the transformer of view {name!r} ({type(step).__name__}) has "
                "no get_feature_names_out."
            )
        return np.asarray(step.get_feature_names_out(names_in), dtype=object)
