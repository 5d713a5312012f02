"""Record reference outputs of every estimator, to check that refactors change nothing.

Run from the repository root: ``python tests/reference/make_reference_outputs.py``. It fits each
estimator with a fixed seed on a small two-view digits set (with missing views, missing entries
and 20% labels) and writes ``tests/reference/reference_outputs.npz`` (predictions, probabilities,
embeddings, imputations and per-epoch losses) and ``tests/reference/legacy_models/<name>.skpoe``
(model files as this version saves them). ``tests/persistence/test_reference_outputs.py`` refits and compares
bit for bit, and loads the files.

Float32 kernels differ by a unit in the last place between processors (the CPU's vector
instruction set picks MKL's and ATen's code paths), so outputs are bit-identical only on the kind
of machine that recorded them. ``python tests/reference/make_reference_outputs.py --machine``
records this machine's outputs, and those of the model files in ``legacy_models/`` loaded here,
in ``tests/reference/machines/<fingerprint>.npz``, leaving the model files and the first
recording alone. Run it on a commit whose outputs are known to match the recording (a new kind of
CI machine), never to make a changed output pass.
"""

from __future__ import annotations

import hashlib
import pathlib
import platform
import sys

import numpy as np
import torch

HERE = pathlib.Path(__file__).resolve().parent


def reference_data():
    """Digits halves, 300 rows, with missing views, missing entries and 20% labels."""
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = X[:300] / 16.0
    y = y[:300].copy()
    top, bottom = X[:, :32].copy(), X[:, 32:].copy()
    bottom[::7] = np.nan
    top[3::11] = np.nan
    bottom[3::11] = X[3::11, 32:]  # every row keeps a view
    top[1::5, :3] = np.nan
    y[np.arange(300) % 5 != 0] = -1
    return {"top": top, "bottom": bottom}, y


#: parameters added after the recording, at the values that reproduce it
UNLABELED_TERMS_OFF = dict(pseudo_label_weight=0.0, agreement_weight=0.0, missing_indicators=True)


def fit_all():
    """Fitted estimators by class name, and their outputs."""
    import skpoe

    X, y = reference_data()
    outputs, models = {}, {}
    top_rows = X["top"][~np.isnan(X["top"]).all(1)][:50]
    for cls in skpoe.ESTIMATORS:
        name = cls.__name__
        # the objective as recorded (no label terms on unlabeled rows, which came later, and
        # missing entries encoded with indicator columns, as then)
        est = cls(
            n_components=4,
            hidden_layer_sizes=(16,),
            max_iter=3,
            batch_size=32,
            random_state=0,
            n_threads=1,
            **UNLABELED_TERMS_OFF,
        ).fit(X, y)
        models[name] = est
        outputs[f"{name}/loss"] = np.asarray(est.history_["loss"])
        outputs[f"{name}/predict"] = est.predict(X)
        outputs[f"{name}/predict_top"] = est.predict({"top": top_rows})
        outputs[f"{name}/proba"] = est.predict_proba(X)
        outputs[f"{name}/transform"] = est.transform(X)
        outputs[f"{name}/impute_bottom"] = est.impute(X)["bottom"]
    return outputs, models


def machine_fingerprint():
    """What decides the float32 kernels: processor, its vector instruction set, torch."""
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            info = [line.split(":", 1) for line in f if ":" in line]
        model = ";".join(
            dict((k.strip(), v.strip()) for k, v in info).get(k, "")
            for k in ("vendor_id", "cpu family", "model", "model name")
        )
    except OSError:
        model = platform.processor()
    capability = torch.backends.cpu.get_cpu_capability()
    return f"{platform.machine()}|{model}|{capability}|torch {torch.__version__}"


def machine_reference_path(fingerprint=None):
    """Where this machine's recording lives."""
    key = hashlib.sha256((fingerprint or machine_fingerprint()).encode()).hexdigest()[:16]
    return HERE / "machines" / f"{key}.npz"


def legacy_outputs():
    """``predict`` and ``transform`` of the recorded model files, loaded on this machine."""
    import skpoe

    X, _ = reference_data()
    out = {}
    for cls in skpoe.ESTIMATORS:
        est = skpoe.load(HERE / "legacy_models" / f"{cls.__name__}.skpoe")
        out[f"loaded/{cls.__name__}/predict"] = est.predict(X)
        out[f"loaded/{cls.__name__}/transform"] = est.transform(X)
    return out


def record_machine():
    outputs, _ = fit_all()
    outputs.update(legacy_outputs())
    path = machine_reference_path()
    path.parent.mkdir(exist_ok=True)
    np.savez_compressed(path, _fingerprint=np.array(machine_fingerprint()), **outputs)
    print(f"wrote {path} for {machine_fingerprint()}", file=sys.stderr)


def main():
    torch.set_num_threads(1)
    if "--machine" in sys.argv[1:]:
        return record_machine()
    outputs, models = fit_all()
    np.savez_compressed(HERE / "reference_outputs.npz", **outputs)
    legacy = HERE / "legacy_models"
    legacy.mkdir(exist_ok=True)
    for name, est in models.items():
        est.save(legacy / f"{name}.skpoe")
    print(f"wrote {len(outputs)} arrays and {len(models)} model files", file=sys.stderr)


if __name__ == "__main__":
    main()
