"""The demo: ``python -m skpoe demo`` prints the accuracy table next to the
baselines and writes a figure with a title, labelled rows and the table."""

from __future__ import annotations

import io
import sys

import pytest

from skpoe.__main__ import main, run_demo


def _png_text(path):
    """The tEXt chunks of a PNG as a dict (keyword -> text)."""
    import struct

    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, out = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"tEXt":
            key, _, value = body.partition(b"\x00")
            out[key.decode("latin-1")] = value.decode("latin-1")
        pos += 12 + length
    return out


def test_run_demo_table_and_figure(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "demo.png"
    stream = io.StringIO()
    res = run_demo(epochs=2, out=str(out), device="cpu", verbose=0, stream=stream)
    text = stream.getvalue()
    assert "| predict the label from | MultimodalPoEVAE | logistic regression" in text
    assert "LabelSpreading" in text
    assert set(res["views"]) == {"top", "bottom", "top + bottom"}
    few = res["few_labels"]
    assert set(few["views"]) == {
        "MultimodalPoEVAE",
        "LogisticRegression",
        "LabelSpreading",
        "SelfTraining",
    }
    assert 5 <= few["n_labeled"] <= 30
    assert all(len(a) == 3 and all(0 <= v <= 1 for v in a) for a in few["views"].values())
    assert f"with {few['n_labeled']} labels (1%)" in text and "SelfTraining" in text
    for accs in res["views"].values():
        assert len(accs) == 3 and all(0.0 <= a <= 1.0 for a in accs)
    # the baselines are real: far above chance on digits halves
    assert min(a for accs in res["views"].values() for a in accs[1:]) > 0.5
    assert res["png"] == str(out)
    assert out.stat().st_size > 20_000  # digits, labels and a table, not an empty canvas
    meta = _png_text(out)
    assert meta["Title"].startswith("skpoe demo: MultimodalPoEVAE")
    assert "labeled" in meta["Description"] and "epochs" in meta["Description"]


def test_demo_without_matplotlib_prints_table_and_how_to_get_figure(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    out = tmp_path / "demo.png"
    stream = io.StringIO()
    res = run_demo(epochs=1, out=str(out), device="cpu", verbose=0, stream=stream)
    text = stream.getvalue()
    assert "| top + bottom |" in text
    assert 'pip install "skpoe[demo]"' in text
    assert res["png"] is None and not out.exists()


def test_cli_demo_and_usage(tmp_path, capsys):
    assert (
        main(
            [
                "demo",
                "--epochs",
                "1",
                "--quiet",
                "--device",
                "cpu",
                "--out",
                str(tmp_path / "d.png"),
            ]
        )
        == 0
    )
    assert "fit time" in capsys.readouterr().out
    assert main([]) == 0  # no command: prints the help
