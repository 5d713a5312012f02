"""Result tables of :mod:`skpoe.model_selection._compare`: a pandas DataFrame when
pandas is importable, else a numpy structured array with the same fields."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["make_table", "summarize", "to_markdown", "describe_column"]

#: Metrics shown with one decimal (the others with three).
ONE_DECIMAL = ("test_ll", "fit_time", "n_iter")


def make_table(columns):
    """A DataFrame (or structured array) from an ordered dict of 1-D columns."""
    try:
        import pandas as pd
    except ImportError:
        pd = None
    if pd is not None:
        return pd.DataFrame(columns)
    n = len(next(iter(columns.values()))) if columns else 0
    dtype: list[tuple[str, Any]] = []
    for name, col in columns.items():
        col = np.asarray(col)
        if col.dtype.kind in "OUS":
            dtype.append((name, f"U{max([len(str(c)) for c in col] + [1])}"))
        else:
            dtype.append((name, col.dtype))
    out = np.empty(n, dtype=dtype)
    for name, col in columns.items():
        out[name] = col
    return out


def _columns(table):
    """Column names and a name -> ndarray getter for either table kind."""
    if hasattr(table, "columns"):  # pandas
        return list(table.columns), lambda c: table[c].to_numpy()
    if getattr(getattr(table, "dtype", None), "names", None):
        return list(table.dtype.names), lambda c: table[c]
    raise TypeError(
        f"Expected a table from compare_estimators or summarize (a pandas DataFrame or a "
        f"numpy structured array), got {type(table).__name__}."
    )


def summarize(table: Any, metrics: list[str] | None = None) -> Any:
    """Mean and standard deviation over seeds, per estimator.

    Parameters
    ----------
    table : DataFrame or structured array
        The long table of :func:`compare_estimators`.
    metrics : list of str, default=None
        Metrics to summarize; default every metric column.

    Returns
    -------
    summary : DataFrame or structured array
        One row per estimator (in order of appearance): ``estimator``,
        ``n_seeds``, then ``<metric>_mean`` and ``<metric>_std`` per metric.
        The std is the sample standard deviation over seeds (``ddof=1``), NaN
        with a single seed; NaN values (metrics that do not apply) are left
        out, so a metric that never applies has a NaN mean.

    See Also
    --------
    compare_estimators : The long table this summarizes.
    to_markdown : A markdown table of the summary.

    Examples
    --------
    >>> import pandas as pd
    >>> from skpoe.model_selection._compare import summarize
    >>> table = pd.DataFrame({"estimator": ["a", "a", "b"], "seed": [0, 1, 0],
    ...                       "acc_all": [0.8, 0.9, 0.7]})
    >>> summarize(table).columns.tolist()
    ['estimator', 'n_seeds', 'acc_all_mean', 'acc_all_std']
    """
    cols, get = _columns(table)
    if "estimator" not in cols:
        raise ValueError("table has no 'estimator' column; pass the output of compare_estimators.")
    if metrics is None:
        metrics = [c for c in cols if c not in ("estimator", "seed")]
    unknown = [m for m in metrics if m not in cols]
    if unknown:
        raise ValueError(f"Unknown metrics {unknown}; the table has {cols}.")
    est = np.asarray(get("estimator")).astype(str)
    names = list(dict.fromkeys(est))
    out = {"estimator": np.array(names), "n_seeds": np.array([(est == n).sum() for n in names])}
    for m in metrics:
        values = np.asarray(get(m), dtype=np.float64)
        means, stds = [], []
        for n in names:
            v = values[est == n]
            v = v[~np.isnan(v)]
            means.append(v.mean() if v.size else np.nan)
            stds.append(v.std(ddof=1) if v.size > 1 else np.nan)
        out[f"{m}_mean"], out[f"{m}_std"] = np.array(means), np.array(stds)
    return make_table(out)


def describe_column(name):
    """What a metric column of :func:`compare_estimators` measures, in a sentence.

    Parameters
    ----------
    name : str
        A metric column, e.g. ``"acc_top"`` or ``"coh_full_bottom"``.

    Returns
    -------
    text : str

    Examples
    --------
    >>> from skpoe.model_selection import describe_column
    >>> describe_column("coh_top")
    'cross-coherence from top: accuracy of the oracle reading only the views generated from the real top'
    """
    fixed = {
        "acc_all": "label accuracy on the test rows, predicted from all views",
        "latent_acc": "accuracy of a logistic regression on the embeddings, fitted on the "
        "labeled training rows (skpoe.metrics.latent_accuracy)",
        "test_ll": "mean importance-weighted log-likelihood of the test rows' views, nats per "
        "row (higher is better; skpoe.metrics.test_log_likelihood)",
        "fit_time": "seconds to fit",
        "n_iter": "epochs run",
    }
    if name in fixed:
        return fixed[name]
    if name.startswith("coh_full_"):
        v = name[len("coh_full_") :]
        return (
            f"cross-coherence from {v}, as in the paper: accuracy of the oracle reading the "
            f"real {v} and the views generated from it (a high floor: the real view alone "
            "often suffices)"
        )
    if name.startswith("coh_"):
        v = name[len("coh_") :]
        return (
            f"cross-coherence from {v}: accuracy of the oracle reading only the views "
            f"generated from the real {v}"
        )
    if name.startswith("acc_"):
        return f"label accuracy on the test rows, predicted from view {name[4:]} alone"
    return name


def to_markdown(summary: Any, missing: str = "–", legend: bool = True) -> str:
    """A markdown table of a summary: one row per estimator, "mean ± std".

    Three decimals, one for ``test_ll``, ``fit_time`` and ``n_iter``; the std
    is left out where it is NaN (one seed), ``missing`` marks metrics that do
    not apply. With ``legend``, a header above the table says what each
    column measures (:func:`describe_column`). Needs neither pandas nor
    ``tabulate``.

    Parameters
    ----------
    summary : DataFrame or structured array
        The output of :func:`summarize` (a long table from
        :func:`compare_estimators` is summarized first).
    missing : str, default="–"
        What marks a metric that does not apply to an estimator.
    legend : bool, default=True
        Start with one line per column: ``- `acc_all`: label accuracy ...``.

    Returns
    -------
    text : str
        The markdown table.

    See Also
    --------
    summarize : The summary this prints.
    compare_estimators : The long table behind it.

    Examples
    --------
    >>> import pandas as pd
    >>> from skpoe.model_selection._compare import summarize, to_markdown
    >>> table = pd.DataFrame({"estimator": ["a", "a", "b"], "seed": [0, 1, 0],
    ...                       "acc_all": [0.8, 0.9, 0.7], "test_ll": [-20.0, -21.0, None]})
    >>> print(to_markdown(summarize(table)))
    Mean ± standard deviation over seeds (n_seeds); – where a metric does not apply.
    - `acc_all`: label accuracy on the test rows, predicted from all views
    - `test_ll`: mean importance-weighted log-likelihood of the test rows' views, nats per row (higher is better; skpoe.metrics.test_log_likelihood)
    <BLANKLINE>
    | estimator | acc_all | test_ll |
    |---|---:|---:|
    | a | 0.850 ± 0.071 | -20.5 ± 0.7 |
    | b | 0.700 | – |
    """
    cols, get = _columns(summary)
    if not any(c.endswith("_mean") for c in cols):
        summary = summarize(summary)
        cols, get = _columns(summary)
    metrics = [c[: -len("_mean")] for c in cols if c.endswith("_mean")]
    lines = []
    if legend:
        lines.append(
            f"Mean ± standard deviation over seeds (n_seeds); {missing} where a metric does "
            "not apply."
        )
        lines += [f"- `{m}`: {describe_column(m)}" for m in metrics] + [""]
    lines += [
        "| estimator | " + " | ".join(metrics) + " |",
        "|---|" + "---:|" * len(metrics),
    ]
    for i, name in enumerate(np.asarray(get("estimator")).astype(str)):
        cells = []
        for m in metrics:
            mean = float(get(f"{m}_mean")[i])
            std = float(get(f"{m}_std")[i]) if f"{m}_std" in cols else np.nan
            d = 1 if m in ONE_DECIMAL else 3
            if np.isnan(mean):
                cells.append(missing)
            elif np.isnan(std):
                cells.append(f"{mean:.{d}f}")
            else:
                cells.append(f"{mean:.{d}f} ± {std:.{d}f}")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
