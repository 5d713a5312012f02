"""The demo: ``python -m skpoe demo`` prints the accuracy table next to the
baselines and writes a PNG."""

from __future__ import annotations

import io

import numpy as np

from skpoe.__main__ import main, run_demo


def test_run_demo_table_and_png(tmp_path):
    out = tmp_path / "demo.png"
    stream = io.StringIO()
    res = run_demo(epochs=2, out=str(out), device="cpu", verbose=0, stream=stream)
    text = stream.getvalue()
    assert "| predict the label from | MultimodalPoEVAE | logistic regression" in text
    assert "LabelSpreading" in text
    assert set(res["views"]) == {"top", "bottom", "top + bottom"}
    for accs in res["views"].values():
        assert len(accs) == 3 and all(0.0 <= a <= 1.0 for a in accs)
    # the baselines are real: far above chance on digits halves
    assert min(a for accs in res["views"].values() for a in accs[1:]) > 0.5
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_demo_and_usage(tmp_path, capsys):
    assert main(["demo", "--epochs", "1", "--quiet", "--device", "cpu",
                 "--out", str(tmp_path / "d.png")]) == 0
    assert "fit time" in capsys.readouterr().out
    assert main([]) == 0  # no command: prints the help
