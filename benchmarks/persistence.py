"""Saving and loading: size, speed, and what single-byte corruptions do.

Fits a ``MultimodalPoEVAE`` with default networks on the digits halves (10%
labels), then for three ways to store it (``est.save`` / ``skpoe.load``,
``pickle``, ``joblib``):

* file size, and the median time of 5 saves and 5 loads;
* single-byte corruptions: at ``--flips`` seeded random positions, one byte
  is XORed with a random non-zero value and the file is loaded; each case
  ends as an error at load, an error at predict, a model whose
  ``predict_proba`` and ``impute`` on 300 rows (some bottoms hidden) are bit
  for bit the original's ("same"), or one whose outputs differ without any
  error ("silently different");
* for the skpoe format, the same over every byte of a tiny model's file.

The process runs with a 16 GiB address-space limit, since a corrupted pickle
may ask for huge allocations.

Usage::

    python benchmarks/persistence.py             # ~3 min on 2 cores
    python benchmarks/persistence.py --quick     # ~30 s

The tables are printed and written to ``benchmarks/results/persistence.md``.
"""

from __future__ import annotations

import argparse
import io
import os
import pickle
import platform
import resource
import statistics
import sys
import time
import warnings
from pathlib import Path

import joblib
import numpy as np
import torch

import skpoe
from skpoe import MultimodalPoEVAE
from skpoe.datasets import hide_views_and_labels, load_digits_views

HERE = Path(__file__).resolve().parent


def _skpoe_dump(est):
    buf = io.BytesIO()
    est.save(buf)
    return buf.getvalue()


def _joblib_dump(est):
    buf = io.BytesIO()
    joblib.dump(est, buf)
    return buf.getvalue()


FORMATS = {
    "est.save / skpoe.load": (_skpoe_dump, lambda b: skpoe.load(io.BytesIO(b))),
    "pickle": (pickle.dumps, pickle.loads),
    "joblib": (_joblib_dump, lambda b: joblib.load(io.BytesIO(b))),
}


def _median_time(fn, arg, repeats=5):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn(arg)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def outputs(model, X):
    """``predict_proba`` and ``impute`` of ``X`` as one flat float64 array."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        proba = model.predict_proba(X, n_samples=2)
        filled = model.impute(X)
    return np.concatenate([np.ravel(proba)] + [np.ravel(filled[k]) for k in sorted(filled)])


def corruption_outcomes(data, load, X, expected, positions, rng):
    """Counts of what loading ``data`` with one flipped byte at each position gives."""
    counts = dict.fromkeys(("error at load", "error at predict", "same", "silently different"), 0)
    for pos in positions:
        bad = bytearray(data)
        bad[pos] ^= int(rng.randint(1, 256))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = load(bytes(bad))
        except BaseException as exc:  # a corrupted pickle can raise anything
            if isinstance(exc, KeyboardInterrupt):
                raise
            counts["error at load"] += 1
            continue
        try:
            out = outputs(model, X)
        except Exception:
            counts["error at predict"] += 1
            continue
        same = (
            isinstance(out, np.ndarray)
            and out.shape == expected.shape
            and np.array_equal(out, expected, equal_nan=True)
        )
        counts["same" if same else "silently different"] += 1
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer flips, no exhaustive scan")
    parser.add_argument("--flips", type=int, default=None, help="corrupted files per format")
    parser.add_argument("--output", default=str(HERE / "results" / "persistence.md"))
    args = parser.parse_args(argv)
    flips = args.flips or (100 if args.quick else 1000)
    limit = 16 << 30
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    torch.set_num_threads(1)

    X, y = load_digits_views()
    X_train, y_train = hide_views_and_labels(X, y, labeled=0.1, random_state=0)
    est = MultimodalPoEVAE(max_iter=3, random_state=0, device="cpu").fit(X_train, y_train)
    X_eval = {k: v[:300].copy() for k, v in X.items()}
    X_eval["bottom"][::2] = np.nan
    expected = outputs(est, X_eval)

    lines = []

    def emit(line=""):
        print(line, flush=True)
        lines.append(line)

    argv_s = " ".join(sys.argv[1:] if argv is None else argv)
    emit("# Saving and loading: size, speed, single-byte corruptions")
    emit()
    emit(f"- command: `python benchmarks/persistence.py{' ' + argv_s if argv_s else ''}`")
    emit(
        f"- skpoe {skpoe.__version__}, torch {torch.__version__}, numpy {np.__version__}, "
        f"joblib {joblib.__version__}, {platform.machine()}, {os.cpu_count()} CPUs, 1 torch "
        f"thread, load average at start {os.getloadavg()[0]:.2f}, "
        f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC"
    )
    emit(
        "- model: `MultimodalPoEVAE()` defaults (n_components=32, hidden (256, 256)), 3 epochs "
        "on the digits halves (1797 rows, 10% labeled); outputs compared bit for bit: "
        "`predict_proba` (2 posterior samples) and `impute` of 300 rows, every other bottom "
        "half hidden"
    )
    emit()
    emit("| format | file size | save (median of 5) | load (median of 5) |")
    emit("|---|---|---|---|")
    files = {}
    for name, (dump, load) in FORMATS.items():
        files[name] = data = dump(est)
        assert np.array_equal(outputs(load(data), X_eval), expected), name
        emit(
            f"| {name} | {len(data) / 1024:,.0f} KiB | {_median_time(dump, est) * 1e3:.1f} ms "
            f"| {_median_time(load, data) * 1e3:.1f} ms |"
        )
    emit()
    emit(
        f"Single-byte corruptions: {flips} seeded random positions per file (seed 0), one byte "
        "XORed with a random non-zero value; what loading and predicting gives:"
    )
    emit()
    emit(
        "| format | files | error at load | error at predict | same outputs | "
        "**silently different outputs** |"
    )
    emit("|---|---|---|---|---|---|")

    def row(name, data, load, positions, X_rows, ref, label=None):
        start = time.perf_counter()
        counts = corruption_outcomes(data, load, X_rows, ref, positions, np.random.RandomState(0))
        n = len(positions)
        emit(
            f"| {label or name} | {n} | "
            + " | ".join(f"{c} ({100 * c / n:.1f}%)" for c in counts.values())
            + " |"
        )
        print(f"  ({time.perf_counter() - start:.0f} s)", flush=True)

    for name, (_, load) in FORMATS.items():
        data = files[name]
        positions = np.random.RandomState(0).choice(
            len(data), size=min(flips, len(data)), replace=False
        )
        row(name, data, load, positions, X_eval, expected)
    if not args.quick:
        tiny = MultimodalPoEVAE(
            n_components=2, hidden_layer_sizes=(4,), max_iter=1, random_state=0, device="cpu"
        ).fit(X_train, y_train)
        ref = outputs(tiny, X_eval)
        data = _skpoe_dump(tiny)
        load = FORMATS["est.save / skpoe.load"][1]
        row(
            None,
            data,
            load,
            np.arange(len(data)),
            X_eval,
            ref,
            label=f"est.save, tiny model (hidden (4,), 2 latents), every byte of {len(data):,} B",
        )
    emit()
    emit(
        '"same outputs": for the skpoe format, bytes the zip format does not check '
        "(timestamps, version fields of the zip headers; the tests check that the weights "
        "are then unchanged too); for pickles, bytes these outputs do not depend on (other "
        "attributes, weights these two methods do not use), so the model may still have "
        "changed. A pickle with a flipped byte can also run other code than intended; "
        "`skpoe.load` never unpickles anything but tensors."
    )
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
