"""Inference throughput and peak memory beyond the input, against n.

A default ``MultimodalPoEVAE`` (two epochs, enough to time inference) is
fitted once on the digits halves with 10% labels and pickled. For each
method and number of rows (digits halves tiled to 10k, 100k and 1M rows,
float64, every fifth bottom half missing) a fresh subprocess loads the
model, builds the input, resets the kernel's peak-RSS counter
(``/proc/self/clear_refs``), calls the method once and reports rows/s and
the peak resident memory above what the process held before the call
(model, input and interpreter). One torch thread.

Run it against another checkout of skpoe by pointing ``PYTHONPATH`` at it
(``--label`` names the column)::

    python benchmarks/inference_memory.py --label after
    PYTHONPATH=/path/to/other/checkout python benchmarks/inference_memory.py --label before

Results are appended to ``benchmarks/results/inference_memory.md``.
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZES = (10_000, 100_000, 1_000_000)
METHODS = ("transform", "predict", "impute", "score_samples")
# score_samples (K = 100) runs about 1-2k rows/s on one core: 1M rows would
# take 10+ minutes per run, so it is measured up to this many rows
SCORE_MAX = 100_000


def _rss_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(field)


def child(model_path, method, n):
    import numpy as np
    import torch

    torch.set_num_threads(1)
    from sklearn.datasets import load_digits

    with open(model_path, "rb") as f:
        est = pickle.load(f)
    X, _ = load_digits(return_X_y=True)
    X = X / 16.0
    reps = -(-n // len(X))
    full = np.tile(X, (reps, 1))[:n]
    views = {
        "top": np.ascontiguousarray(full[:, :32]),
        "bottom": np.ascontiguousarray(full[:, 32:]),
    }
    del full
    views["bottom"][::5] = np.nan
    getattr(est, method)({k: v[:100] for k, v in views.items()})  # warm-up
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")  # reset the peak RSS to the current RSS
    before = _rss_kib("VmRSS")
    t0 = time.perf_counter()
    getattr(est, method)(views)
    dt = time.perf_counter() - t0
    peak = _rss_kib("VmHWM")
    print(f"{n / dt:.1f} {(peak - before) / 1024:.1f} {before / 1024:.1f}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--label", default="after")
    p.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    p.add_argument("--methods", nargs="*", default=list(METHODS))
    p.add_argument("--out", default=str(Path(__file__).parent / "results" / "inference_memory.md"))
    args = p.parse_args()
    import numpy as np
    import torch

    torch.set_num_threads(1)
    import skpoe
    from skpoe import MultimodalPoEVAE
    from skpoe.datasets import load_digits_views

    X, y = load_digits_views()
    y = np.where(np.arange(len(y)) % 10 == 0, y, -1)
    est = MultimodalPoEVAE(max_iter=2, random_state=0, device="cpu").fit(X, y)
    tmp = tempfile.mkdtemp()
    model_path = os.path.join(tmp, "model.pkl")
    with open(model_path, "wb") as f:
        pickle.dump(est, f)
    rows = []
    env = dict(os.environ, OMP_NUM_THREADS="1")
    cmd = "python benchmarks/inference_memory.py " + " ".join(sys.argv[1:])
    for n in args.sizes:
        for method in args.methods:
            if method == "score_samples" and n > SCORE_MAX:
                continue
            out = subprocess.run(
                [sys.executable, __file__, "--child", model_path, method, str(n)],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            ).stdout.split()
            rate, extra, base = (float(v) for v in out[-3:])
            rows.append((n, method, rate, extra, base))
            line = (
                f"| {args.label} | {n:,} | {method} | {rate:,.0f} | {extra:,.0f} | "
                f"{n * 64 * 8 / 2**20:,.0f} |"
            )
            print(line, flush=True)
            with open(args.out, "a") as f:
                if len(rows) == 1:
                    f.write(
                        f"\n### {args.label}: skpoe from `{os.path.dirname(skpoe.__file__)}`, "
                        f"`{cmd}`\n\n| version | rows | method | rows/s | peak MiB beyond "
                        "input | input MiB (float64) |\n|---|---|---|---|---|---|\n"
                    )
                f.write(line + "\n")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    else:
        main()
