"""``import skpoe`` stays light: it imports no optional dependency of its own.

torch (``torch.hub``) imports tqdm when it is installed, and scikit-learn
imports pandas when it is installed; what is checked is what ``import skpoe``
adds to ``import torch, sklearn``.
"""

import json
import subprocess
import sys

#: Imported only by the functions that need them (plots, files, single-cell
#: data, dask, progress bars, pandas output).
LAZY = ["matplotlib", "h5py", "zarr", "anndata", "mudata", "dask", "distributed", "tqdm", "pandas"]

PROBE = (
    "import json, sys\n"
    "def top(): return {{m.split('.')[0] for m in sys.modules}} & set({lazy!r})\n"
    "{before}\n"
    "base = top()\n"
    "{then}\n"
    "print(json.dumps(sorted(top() - base)))\n"
)


def added(before, then):
    code = PROBE.format(lazy=LAZY, before=before, then=then)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_import_skpoe_adds_no_optional_dependency():
    loaded = added("import torch, sklearn, sklearn.base, scipy.sparse, joblib", "import skpoe")
    assert loaded == [], f"import skpoe imports {loaded}; import them where they are used"


def test_the_probe_sees_an_import():
    # the same probe reports a module that is imported, so the test above can fail
    # (matplotlib comes with the test extra)
    assert added("import torch, sklearn", "import matplotlib") == ["matplotlib"]
