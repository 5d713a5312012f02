"""Fit on a data set larger than memory, read from disk one minibatch at a time.

Writes two float32 views (``--width`` features each, low-rank structure plus
noise, every fifth row of the second view missing: NaN) as raw files under
``--dir`` in blocks, never holding them in memory, then fits one epoch of a
``MultimodalPoEVAE`` on them as ``np.memmap`` views in a fresh process and
reports the streaming pass (observed mask and likelihood statistics), the
epoch and the peak resident memory of that process (``VmHWM``). The same
model is then fitted on ``--memory-rows`` rows of the same data held in
memory (the fast path: whole tensors) for the throughput ratio. The files
are deleted at the end unless ``--keep``. One torch thread.

Usage::

    python benchmarks/out_of_core.py                  # 10 GB, minutes
    python benchmarks/out_of_core.py --gb 0.2         # a smoke run

The table is printed and appended to ``benchmarks/results/out_of_core.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

RANK = 8


def _block(rng, rows, width, mixing, pool=None):
    """Rows of both views; noise from ``pool`` (rolled) when given, which
    writes gigabytes in seconds instead of drawing every number."""
    z = rng.randn(rows, RANK).astype(np.float32)
    views = []
    for m in range(2):
        if pool is None:
            noise = rng.randn(rows, width).astype(np.float32)
        else:
            noise = np.roll(pool, int(rng.randint(len(pool))), axis=0)[:rows]
        views.append(z @ mixing[m] + 0.3 * noise)
    return views


def write(dirname, n, width, seed=0):
    """Write the two views block by block; returns their paths."""
    rng = np.random.RandomState(seed)
    mixing = rng.randn(2, RANK, width).astype(np.float32)
    paths = [os.path.join(dirname, f"skpoe_ooc_{v}.f32") for v in ("top", "bottom")]
    step = 20_000
    pool = rng.randn(step, width).astype(np.float32)
    with open(paths[0], "wb") as ft, open(paths[1], "wb") as fb:
        for start in range(0, n, step):
            rows = min(step, n - start)
            top, bottom = _block(rng, rows, width, mixing, pool)
            bottom[(np.arange(start, start + rows) % 5) == 0] = np.nan
            ft.write(top.tobytes())
            fb.write(bottom.tobytes())
    return paths


def model(args):
    from skpoe import MultimodalPoEVAE

    return MultimodalPoEVAE(
        n_components=16,
        hidden_layer_sizes=(args.hidden,),
        batch_size=args.batch_size,
        max_iter=1,
        random_state=0,
        device="cpu",
    )


def child(args):
    import torch

    torch.set_num_threads(1)
    import skpoe.train._trainer as training
    import skpoe.train.batches as batches

    timings = {}
    real = training.Trainer.run

    def timed(self):  # the epochs, apart from the streaming pass and set-up
        t = time.perf_counter()
        out = real(self)
        timings["train"] = time.perf_counter() - t
        return out

    training.Trainer.run = timed
    real_epoch = batches.BatchGroups.epoch

    def capped(self, n_rows, batch_size, rng, device):  # a bounded number of steps
        return real_epoch(self, min(n_rows, args.steps * batch_size), batch_size, rng, device)

    batches.BatchGroups.epoch = capped
    if args.mode == "disk":
        X = {
            name: np.memmap(path, dtype=np.float32, mode="r", shape=(args.n, args.width))
            for name, path in zip(("top", "bottom"), args.paths)
        }
        n = args.n
    else:
        rng = np.random.RandomState(0)
        mixing = rng.randn(2, RANK, args.width).astype(np.float32)
        top, bottom = _block(rng, args.memory_rows, args.width, mixing)
        bottom[::5] = np.nan
        X, n = {"top": top, "bottom": bottom}, args.memory_rows
    t0 = time.perf_counter()
    model(args).fit(X)
    total = time.perf_counter() - t0
    with open("/proc/self/status") as f:
        hwm = next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    print(
        json.dumps(
            {
                "n": n,
                "steps": args.steps,
                "total": total,
                "train": timings["train"],
                "peak_mib": hwm / 1024,
            }
        )
    )


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--gb", type=float, default=10.0, help="size of the on-disk data set")
    p.add_argument("--width", type=int, default=1024, help="features per view")
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--batch-size", type=int, default=1024)
    p.add_argument(
        "--steps", type=int, default=100, help="training steps (minibatches drawn from all rows)"
    )
    p.add_argument("--memory-rows", type=int, default=100_000)
    p.add_argument("--dir", default="/tmp")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--out", default=str(Path(__file__).parent / "results" / "out_of_core.md"))
    p.add_argument("--mode", default=None, help=argparse.SUPPRESS)
    p.add_argument("--n", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--paths", nargs="*", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.mode:
        return child(args)
    n = int(args.gb * 2**30 / (2 * args.width * 4))
    t = time.perf_counter()
    paths = write(args.dir, n, args.width)
    wrote = time.perf_counter() - t
    size = sum(os.path.getsize(q) for q in paths) / 2**30
    print(f"wrote {size:.2f} GiB ({n:,} rows) in {wrote:.0f} s", flush=True)
    env = dict(os.environ, OMP_NUM_THREADS="1")
    base_cmd = [
        sys.executable,
        __file__,
        "--width",
        str(args.width),
        "--hidden",
        str(args.hidden),
        "--batch-size",
        str(args.batch_size),
        "--steps",
        str(args.steps),
        "--memory-rows",
        str(args.memory_rows),
    ]
    results = {}
    try:
        for mode in ("disk", "memory"):
            cmd = base_cmd + ["--mode", mode, "--n", str(n), "--paths", *paths]
            out = subprocess.run(cmd, capture_output=True, text=True, env=env)
            if out.returncode:
                raise RuntimeError(out.stderr[-3000:])
            results[mode] = json.loads(out.stdout.strip().splitlines()[-1])
            print(mode, results[mode], flush=True)
    finally:
        if not args.keep:
            for q in paths:
                os.remove(q)
    cmd = "python benchmarks/out_of_core.py " + " ".join(sys.argv[1:])
    lines = [
        f"\n### `{cmd}`\n",
        f"Two float32 views of {args.width} features, every fifth row of one view missing; "
        f"`MultimodalPoEVAE(n_components=16, hidden_layer_sizes=({args.hidden},), "
        f"batch_size={args.batch_size}, max_iter=1)`, one torch thread; training stops after "
        f"{args.steps} steps (minibatches drawn from all rows). 'set-up s' is the fit "
        "minus training: the streaming pass (checks, observed mask, statistics) for the "
        "on-disk data, validation and encoding for the in-memory data.\n",
        "| data | rows | size | set-up s | training s | training rows/s | peak RSS MiB |",
        "|---|---|---|---|---|---|---|",
    ]
    for mode, label, gib in (
        ("disk", "np.memmap on disk", size),
        ("memory", "in memory (numpy)", args.memory_rows * 2 * args.width * 4 / 2**30),
    ):
        r = results[mode]
        trained = min(r["n"], args.steps * args.batch_size)
        lines.append(
            f"| {label} | {r['n']:,} | {gib:.2f} GiB | {r['total'] - r['train']:.0f} | "
            f"{r['train']:.0f} | {trained / r['train']:,.0f} | {r['peak_mib']:,.0f} |"
        )
    ratio = results["memory"]["train"] / results["disk"]["train"]
    lines.append(f"\nTraining throughput on disk / in memory: {ratio:.2f}.\n")
    text = "\n".join(lines)
    print(text)
    with open(args.out, "a") as f:
        f.write(text + "\n")


if __name__ == "__main__":
    main()
