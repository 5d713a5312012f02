"""How fit time and memory grow: with n, with the number of views, with
``n_components``.

Each table times ``MultimodalPoEVAE`` training steps (forward, backward and
Adam on the step's groups, exactly as ``fit`` runs them) on the estimator's
own data tensors, captured from a real ``fit``:

* **n** (1k to 1M rows, digits halves tiled, 10% labeled): the set-up of a
  fit (validation, likelihoods, encoding, tensors) is timed; an epoch is
  ``ceil(n / batch_size)`` steps, so its time is the set-up plus that many
  times the measured step time; up to ``--direct-max`` rows a whole
  one-epoch ``fit`` is also timed directly. Peak resident memory (RSS) of a
  fresh process holding the data and running the set-up and the timed steps,
  next to the size of the input arrays.
* **views** (2 to 32 views sharing 64 features, 10% labeled): step time with
  the fused step and group by group (``module.loss(..., fused=False)``).
* **n_components** (digits halves).

Usage::

    python benchmarks/scaling.py                   # all three tables
    python benchmarks/scaling.py --table views --steps 10
    python benchmarks/scaling.py --sizes 1000 10000 --direct-max 10000
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time

import numpy as np
import torch
from _bench import HERE, Report, digits_rows, machine_line, peak_rss_mb, wide_rows

import skpoe.estimators._fit
from skpoe import MultimodalPoEVAE
from skpoe.train.batches import BatchGroups as _Groups


class _Captured(Exception):
    """Raised by the spy to stop a fit once its tensors exist."""


def captured_fit(est, X, y):
    """(module, data, train_rows, split_on, set-up seconds) of ``est.fit(X, y)``,
    stopped where training would start."""
    seen = {}
    original = skpoe.estimators._fit.Trainer

    class Spy(original):
        def __init__(self, module, data, train_rows, val_rows, **kw):
            seen.update(module=module, data=data, rows=train_rows, split_on=kw["split_on"])
            raise _Captured

    skpoe.estimators._fit.Trainer = Spy
    t0 = time.perf_counter()
    try:
        est.fit(X, y)
    except _Captured:
        pass
    finally:
        skpoe.estimators._fit.Trainer = original
    seen["setup"] = time.perf_counter() - t0
    return seen


def step_seconds(seen, batch_size, steps, fused=True, repeats=2):
    """Best per-step wall seconds of ``steps`` training steps (after 2 warm-up steps)."""
    module, data = seen["module"], seen["data"]
    module.train()
    groups = _Groups(data.mask.cpu().numpy(), seen["rows"], seen["split_on"])
    _, paired, singles = groups.epoch(
        steps * batch_size, batch_size, np.random.RandomState(0), data.device
    )
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3, fused=True)

    def run(k):
        for s in range(k):
            p = [idx[s % len(idx)] for idx in paired]
            q = [(m, idx[s % len(idx)]) for m, idx in singles]
            batches = [data.batch(i, *info) for i, info in zip(p, groups.paired_info)]
            single = [(m, data.inputs[m][i], data.targets[m][i]) for m, i in q]
            rec = module.loss(batches, single, True, fused)
            optimizer.zero_grad(set_to_none=True)
            rec.total.backward()
            optimizer.step()

    run(2)
    best = math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        run(steps)
        best = min(best, (time.perf_counter() - t0) / steps)
    return best


def estimator(batch_size=64, **kw):
    return MultimodalPoEVAE(
        batch_size=batch_size,
        max_iter=1,
        n_iter_no_change=10**9,
        random_state=0,
        device="cpu",
        **kw,
    )


def memory_probe(n, batch_size, steps):
    """Run in a fresh process: RSS before the data, of the data, and at the peak."""
    base = peak_rss_mb()
    X, y = digits_rows(n)
    data_mb = sum(a.nbytes for a in X.values()) / 2**20
    seen = captured_fit(estimator(batch_size), X, y)
    step_seconds(seen, batch_size, steps, repeats=1)
    print(json.dumps({"base": base, "data": data_mb, "peak": peak_rss_mb()}))


def table_n(rep, args):
    rep.emit()
    rep.emit(
        f"## Fit time per epoch and peak memory against n (digits halves tiled, batch "
        f"{args.batch_size}, default networks)"
    )
    rep.emit()
    rep.table(
        [
            "n",
            "steps/epoch",
            "set-up s",
            "step ms",
            "group-by-group step ms",
            "epoch s (set-up + steps x step)",
            "epoch s, whole fit timed",
            "us per row per epoch",
            "input arrays MiB",
            "peak RSS MiB (process base)",
        ]
    )
    for n in args.sizes:
        X, y = digits_rows(n)
        seen = captured_fit(estimator(args.batch_size), X, y)
        step = step_seconds(seen, args.batch_size, args.steps)
        plain = step_seconds(seen, args.batch_size, args.steps, fused=False)
        n_steps = math.ceil(n / args.batch_size)
        setup = seen["setup"]
        epoch = setup + n_steps * step
        direct = "-"
        if n <= args.direct_max:
            t0 = time.perf_counter()
            estimator(args.batch_size).fit(X, y)
            direct = f"{time.perf_counter() - t0:.2f}"
        del seen, X, y
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--memory-probe",
                str(n),
                "--batch-size",
                str(args.batch_size),
                "--steps",
                str(min(args.steps, 5)),
            ],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ},
        )
        mem = json.loads(out.stdout.strip().splitlines()[-1])
        rep.row(
            [
                f"{n:,}",
                f"{n_steps:,}",
                f"{setup:.2f}",
                f"{step * 1e3:.1f}",
                f"{plain * 1e3:.1f}",
                f"{epoch:.1f}",
                direct,
                f"{epoch / n * 1e6:.0f}",
                f"{mem['data']:.0f}",
                f"{mem['peak']:.0f} ({mem['base']:.0f})",
            ]
        )


def table_views(rep, args):
    rep.emit()
    rep.emit(
        f"## Step time against the number of views (64 features in all, "
        f"{args.views_rows} rows, batch {args.batch_size}, default networks)"
    )
    rep.emit()
    rep.emit(
        "Every modality (views and labels) is one group per step plus the paired groups; "
        "the product-of-experts encoders have one head per modality, so a step computes "
        "M x M heads, and the leave-one-out posteriors of a row are (2M + 1) subsets of "
        "M x M slot experts."
    )
    rep.emit()
    rep.table(
        [
            "views",
            "features per view",
            "fused step ms",
            "group-by-group step ms",
            "fused speed-up",
            "fused ms / fused ms at 2 views",
        ]
    )
    first = None
    for M in args.views:
        X, y = wide_rows(args.views_rows, M, 64 // M)
        seen = captured_fit(estimator(args.batch_size), X, y)
        fused = step_seconds(seen, args.batch_size, args.steps, fused=True)
        plain = step_seconds(seen, args.batch_size, args.steps, fused=False)
        first = first or fused
        rep.row(
            [
                M,
                64 // M,
                f"{fused * 1e3:.1f}",
                f"{plain * 1e3:.1f}",
                f"{plain / fused:.2f}x",
                f"{fused / first:.1f}",
            ]
        )


def table_components(rep, args):
    rep.emit()
    rep.emit(
        f"## Step time against n_components (digits halves, batch {args.batch_size}, "
        "default networks)"
    )
    rep.emit()
    rep.table(["n_components", "step ms", "relative to the smallest"])
    first = None
    X, y = digits_rows(1797)
    for D in args.components:
        seen = captured_fit(estimator(args.batch_size, n_components=D), X, y)
        step = step_seconds(seen, args.batch_size, args.steps)
        first = first or step
        rep.row([D, f"{step * 1e3:.1f}", f"{step / first:.2f}"])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--table", choices=["n", "views", "components", "all"], default="all")
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000, 1000000])
    p.add_argument(
        "--direct-max", type=int, default=10000, help="time a whole one-epoch fit up to this n"
    )
    p.add_argument("--views", type=int, nargs="+", default=[2, 4, 8, 16, 32])
    p.add_argument("--views-rows", type=int, default=2048)
    p.add_argument("--components", type=int, nargs="+", default=[8, 16, 32, 64, 128])
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--steps", type=int, default=20, help="timed steps per measurement")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--memory-probe", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--output", default=None)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    if args.memory_probe:
        memory_probe(args.memory_probe, args.batch_size, args.steps)
        return
    name = "scaling" if args.table == "all" else f"scaling_{args.table}"
    rep = Report(
        args.output or HERE / "results" / f"{name}.md",
        "Scaling of fit",
        "python benchmarks/scaling.py " + " ".join(sys.argv[1:] if argv is None else argv),
    )
    rep.emit(f"- {machine_line(args.threads)}")
    rep.emit(
        "- MultimodalPoEVAE with default networks (hidden (256, 256), 32 components "
        "unless varied), 10% of rows labeled; a step = forward, backward and Adam on the "
        "step's groups, best of 2 runs of the timed steps"
    )
    rep.emit(
        "- the CPU is shared with other jobs: the columns of a row were measured side by "
        "side in one run; absolute times vary with the load"
    )
    if args.table in ("n", "all"):
        table_n(rep, args)
    if args.table in ("views", "all"):
        table_views(rep, args)
    if args.table in ("components", "all"):
        table_components(rep, args)


if __name__ == "__main__":
    main()
