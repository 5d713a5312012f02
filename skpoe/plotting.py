"""Figures of a fitted estimator (needs matplotlib: ``pip install "skpoe[plot]"``)."""

from __future__ import annotations

from typing import Any

__all__ = ["plot_history", "mark_smoke_run"]

#: The label that :func:`mark_smoke_run` puts on a figure.
SMOKE_RUN = "smoke run (--quick): tiny fits that test the code, not results"


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError(
            "skpoe.plotting needs matplotlib; install it with "
            'pip install "skpoe[plot]" (or pip install matplotlib).'
        ) from None
    return plt


def plot_history(estimator: Any, ax: Any = None, terms: bool = False) -> Any:
    """Plot the training history of a fitted estimator.

    Draws the training loss per epoch and, with early stopping, the
    validation loss; the labeled accuracy (training rows, and held-out rows
    with early stopping) goes on a second axis on the right when the model
    was fitted with labels.

    Parameters
    ----------
    estimator : fitted skpoe estimator
        Anything with a ``history_`` dict (or a ``loss_curve_`` list).
    ax : matplotlib Axes, default=None
        Where to draw (a new figure when ``None``).
    terms : bool, default=False
        Plot the per-term losses (each view's reconstruction, KL, label)
        instead of the total loss.

    Returns
    -------
    ax : matplotlib Axes

    See Also
    --------
    skpoe.MultimodalPoEVAE : Its ``history_`` holds the plotted values.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from skpoe import MultimodalPoEVAE
    >>> from skpoe.datasets import load_digits_views
    >>> from skpoe.plotting import plot_history
    >>> X, y = load_digits_views()
    >>> model = MultimodalPoEVAE(max_iter=2, random_state=0).fit(X, y)
    >>> ax = plot_history(model)
    """
    history = getattr(estimator, "history_", None)
    if history is None:
        curve = getattr(estimator, "loss_curve_", None)
        if curve is None:
            raise ValueError(
                f"{type(estimator).__name__} is not fitted: it has no history_ to plot; "
                "call fit first."
            )
        history = {"loss": curve}
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    epochs = range(1, len(history["loss"]) + 1)
    if terms:
        keys = [k for k in history if k.startswith("rec[") or k in ("kl", "label")]
    else:
        keys = [k for k in ("loss", "val_loss") if k in history]
    for key in keys:
        ax.plot(epochs, history[key], label=key)
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss per row" if terms else "loss")
    handles, labels = ax.get_legend_handles_labels()
    acc = [k for k in ("accuracy", "val_accuracy") if k in history]
    if acc:
        right = ax.twinx()
        for key in acc:
            right.plot(epochs, history[key], linestyle="--", label=key)
        right.set_ylabel("labeled accuracy")
        right.set_ylim(0, 1)
        h2, l2 = right.get_legend_handles_labels()
        handles, labels = handles + h2, labels + l2
    ax.legend(handles, labels, loc="best", fontsize="small")
    ax.set_title(f"{type(estimator).__name__}: {len(history['loss'])} epochs")
    return ax


def mark_smoke_run(fig, text=SMOKE_RUN):
    """Say on a figure that it comes from a smoke run, not from a real fit.

    The examples' ``--quick`` mode fits for two or three epochs: its figures
    show untrained models (flat generations, accuracy near chance). A red
    line of text across the top of the figure says so. The figure grows by
    that line's height and its axes and texts keep their places below it, so
    the line covers no title.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        A laid-out figure (``tight_layout`` or fixed axes positions).
    text : str, default=SMOKE_RUN

    Returns
    -------
    text : matplotlib.text.Text

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots(figsize=(4, 3))
    >>> label = mark_smoke_run(fig)
    >>> fig.get_size_inches().round(2).tolist(), bool(ax.get_position().y1 < 0.92)
    ([4.0, 3.35], True)
    >>> plt.close(fig)
    """
    width, height = fig.get_size_inches()
    extra = 0.35  # inches: one line of 10-point bold text in its box
    scale = height / (height + extra)
    for ax in fig.axes:
        pos = ax.get_position(original=True)
        ax.set_position([pos.x0, pos.y0 * scale, pos.width, pos.height * scale])
    for t in fig.texts:
        if t.get_transform() == fig.transFigure:
            x, y = t.get_position()
            t.set_position((x, y * scale))
    fig.set_size_inches(width, height + extra)
    return fig.text(
        0.5,
        1 - 0.05 / (height + extra),
        text,
        ha="center",
        va="top",
        color="#c00000",
        fontsize=10,
        fontweight="bold",
        bbox={"facecolor": "white", "edgecolor": "#c00000", "alpha": 0.9},
    )
