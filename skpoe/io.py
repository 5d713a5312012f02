"""AnnData and MuData in and out (the ``singlecell`` extra).

:func:`from_mudata` makes a :class:`~skpoe.ModalityDict` of a MuData object:
one view per modality, cells a modality lacks marked missing, a column of
``.obs`` as partial labels. Views stay what they are: sparse stays sparse,
and in backed mode (``mudata.read_h5mu(path, backed=True)``) rows are read
from disk one minibatch at a time. :func:`write_embedding` stores the latent
means in ``.obsm``; :func:`to_mudata` turns views (for example imputed ones)
back into a MuData object.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp

from skpoe.data._container import ModalityDict
from skpoe.data.sources import RowMap, is_lazy

__all__ = ["from_mudata", "from_anndata", "write_embedding", "to_mudata"]


def _require(module):
    try:
        return __import__(module)
    except ImportError:
        raise ImportError(
            f"{module} is needed for AnnData/MuData input; install it with "
            'pip install "skpoe[singlecell]".'
        ) from None


def _matrix(adata, layer, name):
    if layer is None:
        return adata.X
    if layer not in adata.layers:
        raise ValueError(
            f"Modality {name!r} has no layer {layer!r}; its layers are "
            f"{list(adata.layers.keys())} (layer=None uses .X)."
        )
    return adata.layers[layer]


def _labels(obs, label_key, unlabeled):
    """Column ``label_key`` of ``obs`` as partial labels (-1 = unlabeled)."""
    if label_key is None:
        return None
    import pandas as pd  # a dependency of anndata

    if label_key not in obs.columns:
        raise ValueError(
            f"label_key={label_key!r} is not a column of .obs; the columns are {list(obs.columns)}."
        )
    col = obs[label_key]
    values = col.astype(object).to_numpy()
    missing = pd.isna(col).to_numpy()
    if unlabeled is not None:
        marks = unlabeled if isinstance(unlabeled, (list, tuple, set)) else [unlabeled]
        missing |= col.isin(list(marks)).to_numpy()
    kept = values[~missing]
    if kept.size and all(isinstance(v, (int, np.integer)) for v in kept):
        y = np.full(len(values), -1, dtype=np.int64)
        y[~missing] = kept.astype(np.int64)
        return y
    y = np.empty(len(values), dtype=object)
    y[:] = -1
    y[~missing] = kept
    return y


def _aligned(matrix, index, n_mod):
    """A modality's matrix in the samples' order; absent rows are missing."""
    present = index >= 0
    backed_sparse = is_lazy(matrix) and not hasattr(matrix, "ndim")  # AnnData's
    if not backed_sparse and present.all() and np.array_equal(index, np.arange(n_mod)):
        return matrix, present
    if sp.issparse(matrix):
        # keep it sparse: absent cells are empty rows, marked by the mask
        padded = sp.vstack([sp.csr_matrix(matrix), sp.csr_matrix((1, matrix.shape[1]))])
        return padded.tocsr()[np.where(present, index, n_mod)], present
    if is_lazy(matrix):  # on disk: read rows when asked for
        return RowMap(matrix, index), present
    out = np.full((len(index), matrix.shape[1]), np.nan)
    out[present] = np.asarray(matrix)[index[present]]
    return out, present


def from_mudata(
    mdata: Any,
    layer: str | dict[str, str | None] | None = None,
    label_key: str | None = None,
    unlabeled: Any = None,
    modalities: list[str] | None = None,
) -> tuple[ModalityDict, np.ndarray | None]:
    """Views of a MuData object as a ModalityDict, and partial labels.

    Parameters
    ----------
    mdata : mudata.MuData
        In memory or backed (``mudata.read_h5mu(path, backed=True)``).
    layer : str or dict of str to str, default=None
        Matrix of each modality: ``None`` for ``.X``, a layer name for all
        modalities, or a dict of layer (or ``None``) per modality.
    label_key : str, default=None
        Column of ``mdata.obs`` with the labels; ``None`` returns ``y=None``.
    unlabeled : object or list, default=None
        Value(s) of that column marking unlabeled cells (for example
        ``"unknown"``); missing values (NaN, None) are always unlabeled.
    modalities : list of str, default=None
        Modalities to use, in this order (default: all of ``mdata.mod``).

    Returns
    -------
    X : ModalityDict
        One view per modality with one row per cell of ``mdata``; a cell a
        modality lacks is a missing view (``X.observed``).
    y : ndarray of shape (n_cells,) or None
        The labels, ``-1`` for unlabeled cells.

    See Also
    --------
    from_anndata : The same for one AnnData object.
    to_mudata : Views back into a MuData object.
    write_embedding : Store a model's embedding in ``.obsm``.

    Examples
    --------
    >>> import anndata, numpy as np, pandas as pd
    >>> obs = pd.DataFrame({"cell_type": ["T", "B", "unknown", "T"]}, index=list("abcd"))
    >>> var = pd.DataFrame({"kind": ["rna"] * 3 + ["protein"] * 2}, index=list("vwxyz"))
    >>> adata = anndata.AnnData(np.arange(20.0).reshape(4, 5), obs=obs, var=var)
    >>> from skpoe.io import from_mudata, to_mudata
    >>> mdata = to_mudata({"rna": adata.X[:, :3], "protein": adata.X[:, 3:]}, list("abcd"))
    >>> mdata.obs["cell_type"] = obs["cell_type"]
    >>> X, y = from_mudata(mdata, label_key="cell_type", unlabeled="unknown")
    >>> sorted(X), y.tolist()
    (['protein', 'rna'], ['T', 'B', -1, 'T'])
    """
    _require("mudata")
    names = list(mdata.mod) if modalities is None else list(modalities)
    unknown = [m for m in names if m not in mdata.mod]
    if unknown:
        raise ValueError(
            f"modalities {unknown} are not in the MuData object (it has {list(mdata.mod)})."
        )
    layers = layer if isinstance(layer, dict) else {m: layer for m in names}
    views, observed = {}, {}
    for name in names:
        adata = mdata.mod[name]
        index = _cell_index(mdata, name, adata)
        views[name], observed[name] = _aligned(
            _matrix(adata, layers.get(name), name), index, adata.n_obs
        )
    X = ModalityDict(views, observed=observed)
    return X, _labels(mdata.obs, label_key, unlabeled)


def _cell_index(mdata, name, adata):
    """Row of modality ``name`` for each cell of ``mdata`` (-1: absent)."""
    obsmap = getattr(mdata, "obsmap", None)
    if obsmap is not None and name in obsmap:
        return np.asarray(obsmap[name], dtype=np.int64) - 1  # 0 marks absent
    return adata.obs_names.get_indexer(mdata.obs_names).astype(np.int64)


def from_anndata(
    adata: Any,
    layer: str | None = None,
    label_key: str | None = None,
    unlabeled: Any = None,
    var_key: str | None = None,
) -> tuple[ModalityDict, np.ndarray | None]:
    """Views of an AnnData object as a ModalityDict, and partial labels.

    Parameters
    ----------
    adata : anndata.AnnData
    layer : str, default=None
        Layer to use instead of ``.X``.
    label_key, unlabeled
        As in :func:`from_mudata`, on ``adata.obs``.
    var_key : str, default=None
        Column of ``adata.var`` naming each feature's view (for example the
        ``feature_types`` of CITE-seq data: RNA and protein); ``None`` makes
        one view named ``"X"``. Splitting needs the matrix in memory.

    Returns
    -------
    X : ModalityDict
    y : ndarray of shape (n_obs,) or None

    See Also
    --------
    from_mudata : The same for a MuData object with one AnnData per modality.

    Examples
    --------
    >>> import anndata, numpy as np, pandas as pd
    >>> obs = pd.DataFrame({"cell_type": ["T", "B", "unknown", "T"]}, index=list("abcd"))
    >>> var = pd.DataFrame({"kind": ["rna"] * 3 + ["protein"] * 2}, index=list("vwxyz"))
    >>> adata = anndata.AnnData(np.arange(20.0).reshape(4, 5), obs=obs, var=var)
    >>> from skpoe.io import from_anndata
    >>> X, y = from_anndata(adata, label_key="cell_type", unlabeled="unknown", var_key="kind")
    >>> {name: view.shape for name, view in X.items()}
    {'rna': (4, 3), 'protein': (4, 2)}
    """
    _require("anndata")
    import pandas as pd

    matrix = _matrix(adata, layer, "X")
    if var_key is None:
        views = {"X": matrix}
    else:
        if var_key not in adata.var.columns:
            raise ValueError(
                f"var_key={var_key!r} is not a column of .var; the columns are "
                f"{list(adata.var.columns)}."
            )
        if is_lazy(matrix) and not sp.issparse(matrix):
            raise ValueError(
                "var_key splits the features of an AnnData held in memory; load "
                "it with adata.to_memory() or use a MuData object."
            )
        kinds = adata.var[var_key].astype(str).to_numpy()
        views = {k: matrix[:, np.flatnonzero(kinds == k)] for k in pd.unique(kinds)}
    return ModalityDict(views), _labels(adata.obs, label_key, unlabeled)


def write_embedding(
    mdata: Any, model: Any, key: str = "X_skpoe", X: ModalityDict | None = None, **kwargs: Any
) -> np.ndarray:
    """Store ``model.transform`` of the cells in ``mdata.obsm[key]``.

    Parameters
    ----------
    mdata : mudata.MuData or anndata.AnnData
        Where to store the embedding.
    model : fitted skpoe estimator
        Its ``transform`` gives the embedding.
    key : str, default="X_skpoe"
        The key in ``mdata.obsm``.
    X : ModalityDict, default=None
        The views; ``None`` builds them with :func:`from_mudata` (or
        :func:`from_anndata`) and ``kwargs``.
    **kwargs : dict
        Passed to :func:`from_mudata` or :func:`from_anndata` when ``X`` is
        ``None``.

    Returns
    -------
    Z : ndarray of shape (n_cells, n_components)

    See Also
    --------
    from_mudata : The views ``write_embedding`` builds by default.

    Examples
    --------
    >>> import anndata, numpy as np, pandas as pd
    >>> obs = pd.DataFrame({"cell_type": ["T", "B", "unknown", "T"]}, index=list("abcd"))
    >>> var = pd.DataFrame({"kind": ["rna"] * 3 + ["protein"] * 2}, index=list("vwxyz"))
    >>> adata = anndata.AnnData(np.arange(20.0).reshape(4, 5), obs=obs, var=var)
    >>> from skpoe import MultimodalPoEVAE
    >>> from skpoe.io import from_anndata, write_embedding
    >>> X, _ = from_anndata(adata, var_key="kind")
    >>> model = MultimodalPoEVAE(n_components=2, max_iter=1, random_state=0).fit(X)
    >>> write_embedding(adata, model, var_key="kind").shape, adata.obsm["X_skpoe"].shape
    ((4, 2), (4, 2))
    """
    if X is None:
        build = from_mudata if hasattr(mdata, "mod") else from_anndata
        X, _ = build(mdata, **kwargs)
    Z = model.transform(X)
    mdata.obsm[key] = Z
    return Z


def to_mudata(X: Mapping[str, Any], obs_names: list[str] | None = None) -> Any:
    """A MuData object of views (each modality keeps its observed rows).

    Parameters
    ----------
    X : ModalityDict or dict of 2-D arrays
        For example the output of ``impute`` (every row observed).
    obs_names : list of str, default=None
        Cell names (default ``"0"``, ``"1"``, ...).

    Returns
    -------
    mdata : mudata.MuData

    See Also
    --------
    from_mudata : The way back.

    Examples
    --------
    >>> import numpy as np
    >>> from skpoe.io import to_mudata
    >>> mdata = to_mudata({"rna": np.ones((3, 4)), "protein": np.zeros((3, 2))})
    >>> mdata.n_obs, sorted(mdata.mod)
    (3, ['protein', 'rna'])
    """
    mudata = _require("mudata")
    anndata = _require("anndata")
    import pandas as pd

    X = X if isinstance(X, ModalityDict) else ModalityDict(X)
    n = len(X)
    names = pd.Index([str(i) for i in range(n)] if obs_names is None else list(obs_names))
    mods = {}
    for name, value in X.items():
        obs = X.observed.get(name)
        if obs is None:
            obs = np.ones(n, bool) if sp.issparse(value) else ~np.isnan(value).all(1)
        rows = np.flatnonzero(np.asarray(obs))
        var = None
        if hasattr(value, "iloc"):  # a DataFrame view: its columns name the variables
            var = pd.DataFrame(index=pd.Index([str(c) for c in value.columns]))
            value = value.to_numpy(dtype=np.float64)
        mods[name] = anndata.AnnData(value[rows], obs=pd.DataFrame(index=names[rows]), var=var)
    return mudata.MuData(mods)
