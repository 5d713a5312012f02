"""Peak memory of a fit's set-up against n, in-memory dense views.

Each n runs in a fresh process: two float32 views of 32 features in [0, 1]
(Bernoulli), 10% labeled, default MultimodalPoEVAE on the CPU. The fit is
stopped once its Trainer exists (validation, likelihoods, encoding and the
networks are done) and has drawn one epoch's minibatch indices (O(n); the
steps themselves add O(batch)). Reported: resident memory beyond the process
with its input loaded (VmRSS before the fit), at each stage of the set-up and
at its peak (VmHWM).

Each n is measured four times: the default fit; without the label terms of
unlabeled rows (``pseudo_label_weight=0, agreement_weight=0``), whose
neighbourhood graph over the views is a cost of its own; and both with Gaussian
views (``likelihoods="gaussian"``), whose standardized encoder inputs are a
float32 copy of the data (a Bernoulli view is its own input), made whole up to
``skpoe.train.lazy.STREAM_COPY_BYTES`` and one minibatch at a time above it.

Usage: python benchmarks/fit_memory.py [--rows 100000 1000000] [--fits FIT ...]
[--stub-knn] [--output FILE]

``--stub-knn`` replaces the kNN search of the default fit's graph by random
neighbours of the same shape: the memory of building the graph without the
minutes of the search at 1M rows (a random graph has more non-reciprocal
links than a real one, so it costs somewhat more).

``PYTHONPATH=<other checkout> python benchmarks/fit_memory.py`` measures
another version of skpoe with this script.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time

CHILD = r"""
import json, sys
sys.path.insert(0, sys.argv[3])  # the parent's skpoe, not one in the working directory
import numpy as np, torch
torch.set_num_threads(1)
import skpoe.estimators._fit as F
from skpoe import MultimodalPoEVAE

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) / 1024

n = int(sys.argv[1])
terms = {} if sys.argv[2].startswith("default") else {"pseudo_label_weight": 0.0, "agreement_weight": 0.0}
if sys.argv[2].endswith("Gaussian views"):
    terms["likelihoods"] = "gaussian"
rng = np.random.RandomState(0)
X = {"top": rng.rand(n, 32).astype(np.float32), "bottom": rng.rand(n, 32).astype(np.float32)}
y = np.where(np.arange(n) % 10 == 0, rng.randint(0, 10, n), -1)
base = status("VmRSS")
stages = {}

def after(name):
    real = getattr(F, name)
    def wrapped(*a, **k):
        out = real(*a, **k)
        stages[name] = status("VmRSS") - base
        return out
    setattr(F, name, wrapped)

for name in ("check_X", "split_rows", "make_data"):
    after(name)

class Stop(Exception):
    pass

class Spy(F.Trainer):
    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        stages["trainer"] = status("VmRSS") - base
        n_steps, paired, singles = self.epoch_batches()  # what training adds beyond O(batch)
        if self.unlabeled:
            unlabeled = self.groups.unlabeled_epoch(n_steps, self.batch_size, self.rng, self.data.device)
        stages["epoch"] = status("VmRSS") - base
        raise Stop

F.Trainer = Spy
try:
    MultimodalPoEVAE(device="cpu", **terms).fit(X, y)
except Stop:
    pass
print(json.dumps({"n": n, "input": sum(v.nbytes for v in X.values()) / 2**20,
                  "stages": stages, "peak": status("VmHWM") - base}))
"""

FITS = [
    "default",
    "default, Gaussian views",
    "no unlabeled terms",
    "no unlabeled terms, Gaussian views",
]

# --stub-knn: random neighbours of the shape sklearn returns, before skpoe imports it
STUB = r"""
import sklearn.neighbors as _neighbors
class _RandomNeighbours:
    def __init__(self, n_neighbors):
        self.k = n_neighbors
    def fit(self, x):
        self.n = len(x)
        return self
    def kneighbors(self, x, return_distance=True):
        idx = np.random.RandomState(0).randint(0, self.n, (len(x), self.k))
        return (np.zeros(idx.shape), idx) if return_distance else idx
_neighbors.NearestNeighbors = _RandomNeighbours
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--fits", nargs="+", choices=FITS, default=FITS)
    parser.add_argument(
        "--stub-knn",
        action="store_true",
        help="replace the kNN search of the pseudo-label graph by random neighbours of the same "
        "shape (its memory without the minutes of the search at 1M rows)",
    )
    parser.add_argument(
        "--output", default=os.path.join(os.path.dirname(__file__), "results", "fit_memory.md")
    )
    args = parser.parse_args()
    child = CHILD.replace("import numpy as np, torch\n", "import numpy as np, torch\n" + STUB, 1)
    child = child if args.stub_knn else CHILD
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    import skpoe  # the version measured (PYTHONPATH may point at another checkout)

    root = os.path.dirname(os.path.dirname(os.path.abspath(skpoe.__file__)))
    print(f"skpoe from {root}", flush=True)
    rows = []
    for n in args.rows:
        for terms in args.fits:
            out = subprocess.run(
                [sys.executable, "-c", child, str(n), terms, root],
                capture_output=True,
                text=True,
                env=env,
                check=True,
            ).stdout
            r = json.loads(out.strip().splitlines()[-1])
            rows.append(
                f"| {r['n']:,} | {terms}{' (kNN stubbed)' * args.stub_knn} | {r['input']:.0f} | {r['stages']['check_X']:.0f} | "
                f"{r['stages']['make_data']:.0f} | {r['stages']['trainer']:.0f} | "
                f"{r['stages']['epoch']:.0f} | {r['peak']:.0f} | "
                f"{r['peak'] / r['input']:.2f} |"
            )
            print(rows[-1], flush=True)
    command = "python benchmarks/fit_memory.py " + shlex.join(sys.argv[1:])
    text = "\n".join(
        [
            "# Peak memory of a fit's set-up (in-memory dense views)",
            "",
            f"- command: `{command.strip()}`, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
            "- two float32 views of 32 features in [0, 1] (Bernoulli, or Gaussian where said), 10%",
            "  labeled, default MultimodalPoEVAE, CPU; MiB beyond the process with its input loaded;",
            "  the fit stops once its Trainer exists and has drawn one epoch's minibatch indices",
            "",
            "| n | fit | input MiB | after validation | after encoding | trainer | "
            "one epoch's indices | peak | peak / input |",
            "|---|---|---|---|---|---|---|---|---|",
            *rows,
            "",
        ]
    )
    with open(args.output, "w") as f:
        f.write(text)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
