"""Achieved FLOP/s of skpoe's training step and of ``score_samples``.

The FLOPs are those of the matrix products (linear layers, forward and
backward, and the batched products of the posterior), counted by
``torch.utils.flop_counter.FlopCounterMode`` on the real computation; the
time is the wall time of the whole call (a fit of ``--steps`` steps of one
epoch, set-up included; ``score_samples`` with K importance samples). They
are set against this machine's dense matrix product rate measured here, for
a product shaped like the networks' layers, ``(B, H) @ (H, H)`` with the
hidden width H, at the same batch B, and against the rate of a large square
product (the machine's practical peak).

Data: digits split into two halves (32 pixels each), tiled to the rows
needed, 10% labeled; ``MultimodalPoEVAE`` with hidden layers ``--hidden``
and ``--latent`` components.

Usage::

    python benchmarks/flops.py                       # batches 64 256 1024 4096
    python benchmarks/flops.py --batches 64 256 --score-rows 64 --steps 5
"""

from __future__ import annotations

import argparse
import sys
import time

import torch
from _bench import HERE, Report, best_time, digits_rows, machine_line
from torch.utils.flop_counter import FlopCounterMode

from skpoe import MultimodalPoEVAE


def counted_flops(fn):
    """FLOPs of the matrix products run by ``fn()``."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


def matmul_rate(rows, width, repeats=5):
    """FLOP/s of ``(rows, width) @ (width, width)`` plus a bias (a linear layer)."""
    x = torch.randn(rows, width)
    w = torch.randn(width, width)
    b = torch.randn(width)
    reps = max(1, (1 << 24) // (rows * width))  # about 16M multiply-adds per timing
    seconds = best_time(lambda: [torch.addmm(b, x, w) for _ in range(reps)], repeats)
    return 2.0 * rows * width * width * reps / seconds


def estimator(args, batch):
    return MultimodalPoEVAE(
        n_components=args.latent,
        hidden_layer_sizes=tuple(args.hidden),
        batch_size=batch,
        max_iter=1,
        n_iter_no_change=10**9,
        random_state=0,
        device="cpu",
    )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--batches", type=int, nargs="+", default=[64, 256, 1024, 4096])
    p.add_argument("--steps", type=int, default=10, help="training steps timed per batch size")
    p.add_argument("--hidden", type=int, nargs="+", default=[256, 256])
    p.add_argument("--latent", type=int, default=32)
    p.add_argument(
        "--score-rows",
        type=int,
        nargs="+",
        default=[64, 256, 1024],
        help="rows scored by score_samples",
    )
    p.add_argument("--K", type=int, default=1000, help="importance samples of score_samples")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--output", default=str(HERE / "results" / "flops.md"))
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    width = max(args.hidden)
    rep = Report(
        args.output,
        "Achieved FLOP/s: training step and score_samples",
        "python benchmarks/flops.py " + " ".join(sys.argv[1:] if argv is None else argv),
    )
    rep.emit(f"- {machine_line(args.threads)}")
    rep.emit(
        f"- MultimodalPoEVAE, digits halves (32 + 32 pixels) + labels (10%), hidden "
        f"{tuple(args.hidden)}, {args.latent} components; FLOPs of the matrix products "
        "counted by FlopCounterMode (forward and backward), wall time of the whole call"
    )
    peak = matmul_rate(2048, 2048, repeats=3)
    rep.emit(
        f"- large square product (2048 x 2048) @ (2048 x 2048): "
        f"{peak / 1e9:.1f} GFLOP/s (this machine's practical peak, one thread)"
    )
    rep.emit(
        "- the CPU is shared with other jobs: every row's rates were measured side by "
        "side in one run, so their ratios hold while absolute rates vary with the load"
    )
    rep.emit()
    rep.emit("## Training step")
    rep.emit()
    rep.table(
        [
            "batch",
            "steps",
            "GFLOP per step",
            "step ms",
            "achieved GFLOP/s",
            f"layer matmul (B, {width}) @ ({width}, {width}) GFLOP/s",
            "fraction of layer rate",
            "fraction of peak",
        ]
    )
    for batch in args.batches:
        X, y = digits_rows(batch * args.steps)
        flops = counted_flops(lambda: estimator(args, batch).fit(X, y))
        seconds = best_time(lambda: estimator(args, batch).fit(X, y), repeats=2)
        rate = flops / seconds
        layer = matmul_rate(batch, width)
        rep.row(
            [
                batch,
                args.steps,
                f"{flops / args.steps / 1e9:.3f}",
                f"{seconds / args.steps * 1e3:.1f}",
                f"{rate / 1e9:.1f}",
                f"{layer / 1e9:.1f}",
                f"{rate / layer:.0%}",
                f"{rate / peak:.0%}",
            ]
        )
    rep.emit()
    rep.emit(f"## score_samples, K = {args.K}")
    rep.emit()
    rep.table(
        [
            "rows",
            "GFLOP",
            "seconds",
            "rows/s",
            "achieved GFLOP/s",
            "layer matmul at 4096 rows GFLOP/s",
            "fraction of layer rate",
            "fraction of peak",
        ]
    )
    X, y = digits_rows(2000)
    model = estimator(args, 256).fit(X, y)
    layer = matmul_rate(4096, width)
    for rows in args.score_rows:
        Xs, _ = digits_rows(rows, seed=1)
        flops = counted_flops(lambda: model.score_samples(Xs, n_importance_samples=args.K))
        seconds = best_time(lambda: model.score_samples(Xs, n_importance_samples=args.K), 2)
        rate = flops / seconds
        rep.row(
            [
                rows,
                f"{flops / 1e9:.2f}",
                f"{seconds:.2f}",
                f"{rows / seconds:,.0f}",
                f"{rate / 1e9:.1f}",
                f"{layer / 1e9:.1f}",
                f"{rate / layer:.0%}",
                f"{rate / peak:.0%}",
            ]
        )
    rep.emit()
    rep.emit(f"written by benchmarks/flops.py at {time.strftime('%Y-%m-%d %H:%M')} UTC")


if __name__ == "__main__":
    main()
