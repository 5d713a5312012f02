"""benchmarks/gpu_check.py runs on a CPU: it says there is no CUDA and reports the CPU figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow  # 18-40 s on the shared 2-core machine
def test_gpu_check_runs_on_the_cpu(tmp_path):
    out = tmp_path / "gpu.md"
    cmd = [
        sys.executable,
        str(ROOT / "benchmarks" / "gpu_check.py"),
        "--quick",
        "--no-tests",
        "--cpu-threads",
        "1",
        "--batches",
        "64",
        "--modes",
        "float32",
        "bfloat16",
        "--output",
        str(out),
    ]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    text = out.read_text()
    assert f"torch {torch.__version__}" in text
    if not torch.cuda.is_available():
        assert "no CUDA" in text and "| cuda" not in text
    rows = [line.split(" | ") for line in text.splitlines() if line.startswith("| cpu | ")]
    fits = [r for r in rows if len(r) == 8]
    assert {r[1] for r in fits} == {"float32", "bfloat16"} and {r[2] for r in fits} == {"64"}
    for r in fits:  # rows/s and the share of the layer rate are numbers above zero
        assert float(r[3].replace(",", "")) > 0 and float(r[7].rstrip("% |")) > 0
    scores = [r for r in rows if len(r) == 4]
    assert len(scores) == 1 and float(scores[0][3].rstrip(" |").replace(",", "")) > 0
