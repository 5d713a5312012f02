"""The smoke-run label of the examples' --quick figures covers no title."""

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from skpoe.plotting import mark_smoke_run  # noqa: E402


def _extent(artist, fig):
    return artist.get_window_extent(fig.canvas.get_renderer())


@pytest.mark.parametrize("suptitle", [False, True])
def test_the_label_sits_above_every_title(suptitle):
    fig, axes = plt.subplots(1, 2, figsize=(6, 3))
    for ax in axes:
        ax.imshow(np.random.default_rng(0).random((3, 4)))
        ax.set_title("a title\non two lines", fontsize=10)
    if suptitle:
        fig.suptitle("a figure title")
    fig.tight_layout()
    before = [_extent(ax.title, fig).height for ax in axes]
    label = mark_smoke_run(fig)
    fig.canvas.draw()
    box = _extent(label, fig)
    titles = [ax.title for ax in axes] + ([fig._suptitle] if suptitle else [])
    for title in titles:
        assert not box.overlaps(_extent(title, fig))
        assert _extent(title, fig).y1 < box.y0
    # the axes keep their size in inches: the figure grew by the label's line
    assert fig.get_size_inches()[1] > 3
    np.testing.assert_allclose([_extent(ax.title, fig).height for ax in axes], before)
    assert box.y1 <= fig.bbox.y1 + 1  # inside the figure
    plt.close(fig)


def test_without_room_the_label_would_cover_the_title():
    """The check above can fail: the label at the top of an unchanged figure overlaps."""
    fig, ax = plt.subplots(figsize=(6, 3))
    ax.set_title("a title\non two lines", fontsize=10)
    fig.tight_layout()  # the title at the top edge, as the examples lay out
    label = fig.text(0.5, 0.995, "smoke run", ha="center", va="top", fontsize=10)
    fig.canvas.draw()
    assert _extent(label, fig).overlaps(_extent(ax.title, fig))
    plt.close(fig)
