"""Generated bad input at scale: how each method call ends.

Draws N random cases with the generators of the property-based tests
(:func:`fuzz.draw_case` in `tests/fuzz`: one of the five estimators with tiny networks
and one or two epochs; 1 to 3 views of 1 to 4 features in numpy, pandas,
torch or object dtypes, as a dict, ModalityDict, list, tuple or one 2-D
array; missing views, entries and columns; label patterns; 0 to 40 rows;
constant, binary, count and extreme-scale values; predict-time inputs that
differ from fit; invalid parameters and draw counts), runs fit, transform,
predict, predict_proba, score, score_samples, impute and sample on each, and
tallies the outcomes:

* ``ok``: finite outputs of the right shape;
* ``clear``: a ValueError/TypeError naming a modality, row or parameter,
  raised by skpoe's or scikit-learn's checks;
* ``unclear``: any other exception;
* ``nonfinite``: NaN, infinity or a wrong shape returned without a word;
* ``silent``: an answer to input that must be refused (pandas views whose
  row indexes differ, at fit or predict; a row observed only through its
  label).

The cases include pandas views on differing row indexes, rows observed only
through their label and pandas' nullable label dtypes (``Int64``,
``string``, ``boolean``, ``category`` with ``pd.NA``).

Case ``i`` is drawn from ``numpy.random.RandomState(seed + i)``, so any case
can be replayed (``--start i --cases 1 --show``).

Usage::

    python benchmarks/fuzz_inputs.py --cases 30000

Prints the table and writes ``benchmarks/results/fuzz_inputs.md``.
"""

from __future__ import annotations

import argparse
import collections
import os
import platform
import re
import sys
import time
import warnings

import numpy as np
import torch

sys.path.insert(
    0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests")
)
from fuzz import METHODS, OUTCOMES, NumpyChooser, draw_case, run_case  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results")


def _kind(detail):
    """A message with numbers and quoted names blanked, to group alike errors."""
    return re.sub(r"\d+(\.\d+)?(e[+-]?\d+)?", "#", re.sub(r"'[^']*'", "'…'", detail))[:110]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=6000)
    parser.add_argument("--start", type=int, default=0, help="first case index")
    parser.add_argument("--show", action="store_true", help="print every call")
    parser.add_argument("--out", default=os.path.join(RESULTS, "fuzz_inputs.md"))
    parser.add_argument(
        "--write-every", type=int, default=1000, help="write the table so far every this many cases"
    )
    args = parser.parse_args(argv)
    given = sys.argv[1:] if argv is None else list(argv)
    command = " ".join(["python benchmarks/fuzz_inputs.py", *given])
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")

    counts = {m: collections.Counter() for m in METHODS}
    errors = collections.Counter()
    problems = []
    start = time.perf_counter()
    done = 0
    for i in range(args.start, args.start + args.cases):
        case = draw_case(NumpyChooser(i))
        for method, outcome, detail in run_case(case):
            counts[method][outcome] += 1
            if outcome == "clear":
                errors[_kind(detail)] += 1
            if outcome in ("unclear", "nonfinite", "silent"):
                problems.append((i, case["estimator"].__name__, method, outcome, detail))
            if args.show:
                print(i, case["estimator"].__name__, method, outcome, detail[:200])
        done += 1
        if done % 500 == 0:
            print(f"{done} cases, {time.perf_counter() - start:.0f}s", flush=True)
        if done % args.write_every == 0 and done < args.cases:  # a partial table survives
            _report(args, command, done, counts, errors, problems, time.perf_counter() - start)
    text = _report(args, command, done, counts, errors, problems, time.perf_counter() - start)
    print(text)
    return 1 if problems else 0


def _report(args, command, done, counts, errors, problems, seconds):
    """Write the table of ``done`` cases to ``args.out``; returns its text."""
    total = collections.Counter()
    for c in counts.values():
        total.update(c)
    partial = "" if done == args.cases else f" (partial: {done} of {args.cases} cases run so far)"
    lines = [
        "# Generated bad input: how each call ends",
        "",
        f"- command: `{command}`",
        f"- cases: {done}{partial} (case i drawn from RandomState(i), i = {args.start}.."
        f"{args.start + done - 1}), method calls: {sum(total.values())}",
        f"- time: {seconds:.0f} s on {platform.machine()} with 1 torch thread, "
        f"torch {torch.__version__}, numpy {np.__version__}",
        "- outcomes: ok (finite, right shape), clear (an error naming a modality, row or "
        "parameter), unclear (any other error), nonfinite (NaN, infinity or a wrong shape "
        "returned), silent (an answer to input that must be refused: pandas views whose row "
        "indexes differ, a row observed only through its label)",
        "",
        "| method | " + " | ".join(OUTCOMES) + " |",
        "|---|" + "---|" * len(OUTCOMES),
    ]
    for m in METHODS + ("all",):
        c = total if m == "all" else counts[m]
        cells = [f"**{c[o]}**" if m == "all" else str(c[o]) for o in OUTCOMES]
        lines.append(f"| {m} | " + " | ".join(cells) + " |")
    lines += ["", "## Unclear errors, silent answers and non-finite outputs", ""]
    if problems:
        lines += [f"- case {i}, {e}.{m}: {o}: {d[:200]}" for i, e, m, o, d in problems[:50]]
    else:
        lines.append("None.")
    lines += ["", "## The most frequent clear errors (numbers and names blanked)", ""]
    lines += [f"- {n} x `{k}`" for k, n in errors.most_common(25)]
    text = "\n".join(lines) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as fh:
        fh.write(text)
    return text


if __name__ == "__main__":
    sys.exit(main())
