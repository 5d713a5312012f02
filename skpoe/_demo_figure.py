"""The figure of ``python -m skpoe demo``: cross-modal generation on digits
halves and the accuracy table next to the baselines (matplotlib, the
``demo`` extra)."""

from __future__ import annotations

import numpy as np

__all__ = ["MISSING_MATPLOTLIB", "TITLE", "demo_figure"]

MISSING_MATPLOTLIB = (
    'the demo figure needs matplotlib: pip install "skpoe[demo]" '
    '(or pip install -e ".[demo]" in a clone)'
)

TITLE = "skpoe demo: MultimodalPoEVAE fills in the missing half of a digit and predicts its label"

_ROWS = (
    ("real digit\n(both halves real)", None),
    ("top given,\nbottom generated", "bottom"),
    ("bottom given,\ntop generated", "top"),
)


def _digit(top, bottom):
    return np.vstack([top.reshape(4, 8), bottom.reshape(4, 8)])


def demo_figure(out, real, generated, labels, table, caption):
    """Write the demo's PNG.

    Parameters
    ----------
    out : str
        Path of the PNG.
    real : dict of str to ndarray of shape (n_digits, 32)
        Real ``top`` and ``bottom`` halves of the digits shown.
    generated : dict of str to ndarray of shape (n_digits, 32)
        ``bottom`` generated from the real tops, ``top`` from the real bottoms.
    labels : ndarray of shape (n_digits,)
        True class of each digit shown.
    table : dict of str to tuple of float
        Row name -> (skpoe, logistic regression, LabelSpreading) accuracy.
    caption : str
        One line under the title (data, labels, fit time).

    Returns
    -------
    out : str

    Raises
    ------
    ImportError
        Without matplotlib, with the extra to install.
    """
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        from matplotlib.gridspec import GridSpec
    except ImportError as exc:
        raise ImportError(MISSING_MATPLOTLIB) from exc

    n = len(labels)
    fig = plt.figure(figsize=(12.5, 5.4))
    grid = GridSpec(
        len(_ROWS) + 1,
        n + 1,
        figure=fig,
        width_ratios=[1.6] + [1] * n,
        height_ratios=[1] * len(_ROWS) + [1.5],
        hspace=0.3,
        wspace=0.08,
        left=0.01,
        right=0.99,
        top=0.83,
        bottom=0.02,
    )
    fig.suptitle(TITLE, fontsize=13, fontweight="bold")
    fig.text(0.5, 0.895, caption, ha="center", fontsize=9.5, color="0.25")
    for r, (row_label, made) in enumerate(_ROWS):
        ax = fig.add_subplot(grid[r, 0])
        ax.axis("off")
        ax.text(0.98, 0.5, row_label, ha="right", va="center", fontsize=9.5, transform=ax.transAxes)
        if r == 0:
            ax.set_title("red frame = generated half", fontsize=8.5, color="crimson", loc="right")
        for i in range(n):
            top = generated["top"][i] if made == "top" else real["top"][i]
            bottom = generated["bottom"][i] if made == "bottom" else real["bottom"][i]
            ax = fig.add_subplot(grid[r, i + 1])
            ax.imshow(_digit(top, bottom), cmap="gray_r", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if made is not None:  # a red frame around the generated half
                y0 = -0.5 if made == "top" else 3.5
                ax.add_patch(
                    plt.Rectangle(
                        (-0.45, y0 + 0.05), 7.9, 3.9, fill=False, edgecolor="crimson", linewidth=1.6
                    )
                )
            if r == 0:
                ax.set_title(f"class {labels[i]}", fontsize=8.5)

    ax = fig.add_subplot(grid[len(_ROWS), :])
    ax.axis("off")
    cells = [[name, *(f"{a:.3f}" for a in accs)] for name, accs in table.items()]
    columns = [
        "label predicted from",
        "MultimodalPoEVAE",
        "logistic regression\n(labeled rows only)",
        "LabelSpreading",
    ]
    tab = ax.table(
        cellText=cells,
        colLabels=columns,
        loc="center",
        cellLoc="center",
        colWidths=[0.2, 0.16, 0.2, 0.16],
    )
    tab.auto_set_font_size(False)
    tab.set_fontsize(9.5)
    tab.scale(1, 1.35)
    for (r, c), cell in tab.get_celld().items():
        if r == 0:
            cell.set_facecolor("0.9")
            cell.set_height(cell.get_height() * 1.5)
        elif c > 0 and max(table[cells[r - 1][0]]) == table[cells[r - 1][0]][c - 1]:
            cell.get_text().set_fontweight("bold")  # the best of the row
    ax.set_title("Label accuracy on held-out digits (best of each row in bold)", fontsize=10)
    fig.savefig(out, dpi=110, metadata={"Title": TITLE, "Description": caption})
    plt.close(fig)
    return out
