"""Checkpoint failures lose nothing: an unusable path is refused before the first
epoch, and a write that fails mid-fit keeps the last finished epoch's model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from conftest import tiny

import skpoe
from skpoe.exceptions import CheckpointError


def test_path_under_a_regular_file_is_refused_at_the_start(small, tmp_path):
    afile = tmp_path / "a_file"
    afile.write_text("x")
    est = tiny(max_iter=2, checkpoint_path=afile / "fit.ckpt")
    with pytest.raises(CheckpointError, match=r"checkpoint_path=.*a_file.*is not a folder"):
        est.fit(small.X)
    assert not hasattr(est, "module_")  # refused before anything was fitted


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux /proc")
def test_path_where_no_file_can_be_created_is_refused_at_the_start(small):
    est = tiny(max_iter=2, checkpoint_path="/proc/skpoe-fit.ckpt")
    with pytest.raises(
        CheckpointError,
        match=r"checkpoint_path='/proc/skpoe-fit.ckpt' cannot "
        r"be written: no file can be created",
    ):
        est.fit(small.X)
    assert not hasattr(est, "module_")


def test_missing_folder_or_a_folder_as_path_is_refused(small, tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        tiny(max_iter=1, checkpoint_path=tmp_path / "no" / "fit.ckpt").fit(small.X)
    with pytest.raises(CheckpointError, match="is a folder"):
        tiny(max_iter=1, checkpoint_path=tmp_path).fit(small.X)


_FSIZE_CHILD = textwrap.dedent(
    """
    import json, resource, signal, sys, warnings
    import numpy as np
    import skpoe
    from sklearn.datasets import load_digits
    X, y = load_digits(return_X_y=True)
    X = {"top": X[:120, :32] / 16, "bottom": X[:120, 32:] / 16}
    y = np.where(np.arange(120) % 3 == 0, y[:120], -1)
    est = skpoe.MultimodalPoEVAE(n_components=2, hidden_layer_sizes=(8,), max_iter=4,
                                 batch_size=32, random_state=0, device="cpu", n_threads=1,
                                 early_stopping=sys.argv[2] == "1", checkpoint_path=sys.argv[1])
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
    try:
        est.fit(X, y)
        error = None
    except skpoe.CheckpointError as exc:
        error = str(exc)
    out = {"error": error, "n_iter": getattr(est, "n_iter_", None),
           "fitted": hasattr(est, "module_")}
    if out["fitted"]:
        out["proba_ok"] = bool(np.isfinite(est.predict_proba(X)).all())
    print(json.dumps(out))
    """
)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_failed_write_keeps_the_last_finished_epoch(tmp_path, early_stopping):
    path = tmp_path / "fit.ckpt"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", _FSIZE_CHILD, str(path), str(int(early_stopping))],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["error"] is not None, result
    assert str(path) in result["error"] and "File too large" in result["error"]
    assert "inline_container" not in result["error"]
    assert "keeps the weights of its" in result["error"]
    # the first checkpoint (after epoch 1) failed: the fit kept epoch 1's model
    assert result["fitted"] and result["n_iter"] == 1 and result["proba_ok"], result
    assert [p.name for p in tmp_path.iterdir()] == []  # no partial files left


def test_failed_write_leaves_the_previous_checkpoint(small, tmp_path, monkeypatch):
    path = tmp_path / "fit.ckpt"
    original = skpoe.train._state.save_checkpoint
    calls = []

    def second_fails(p, state):
        calls.append(state["epoch"])
        if len(calls) == 2:
            raise CheckpointError(f"The checkpoint {str(p)!r} could not be written (disk full).")
        original(p, state)

    monkeypatch.setattr(skpoe.train._state, "save_checkpoint", second_fails)
    est = tiny(max_iter=5, checkpoint_path=path)
    with pytest.raises(CheckpointError, match="stopped after 2 epochs"):
        est.fit(small.X)
    assert est.n_iter_ == 2 and np.isfinite(est.transform(small.X)).all()
    assert path.exists()  # the checkpoint of epoch 1 stays, for a resume
    monkeypatch.undo()
    resumed = tiny(max_iter=5, checkpoint_path=path).fit(small.X)
    assert resumed.n_iter_ == 5 and not path.exists()
