"""skpoe on a CUDA device, against the same fits and calls on the CPU.

Tests marked ``needs_cuda`` skip without a GPU. The others take a ``device``
parameter ("cpu", and "cuda" when one is present), so that the device code
paths (the loss scaler, host staging, pinned copies, saving and resuming)
also run on the CPU, where pinning is skipped and the scaler is a no-op.
``benchmarks/gpu_check.py`` runs this file on a GPU (slow tests included).

Tolerances (float32 on both devices; TF32 is off, torch's default for
matrix products):

- inference of one set of weights (transform, predict_proba, impute, sample,
  score_samples): outputs in [0, 1] or of order 1 within 1e-4 absolute,
  log-likelihoods within 1e-4 relative. Only the order of float sums differs
  (the inference noise is drawn on the CPU for every device);
- a fit with one seed: the weights start equal (built on the CPU), the
  training noise comes from each device's own generator, so the fits are two
  draws of the same procedure: loss curves within 5% relative, accuracy
  within 5 points;
- reduced precision: accuracy within one point of the float32 fit.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from conftest import TINY

import skpoe
import skpoe.train.lazy as lazy_mod
from skpoe.models.acceleration import grad_scaler

HERE = Path(__file__).parent
CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(not CUDA, reason="needs a CUDA device")
DEVICES = ["cpu", pytest.param("cuda", marks=needs_cuda)]
EST = {cls.__name__: cls for cls in skpoe.ESTIMATORS}


def make(cls=skpoe.MultimodalPoEVAE, **overrides):
    return cls(**{**TINY, **overrides})


class Record:
    """A callback keeping what the trainer used (its loss scaler, its data)."""

    def __init__(self):
        self.scaler_enabled = self.data = self.scale = None

    def on_epoch_end(self, estimator, trainer, epoch, logs):
        self.scaler_enabled = trainer.scaler.is_enabled()
        self.scale = trainer.scaler.get_scale() if self.scaler_enabled else None
        self.data = trainer.data


class InterruptAfter:
    """Ctrl-C after ``epoch`` epochs (the checkpoint of that epoch is written)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, estimator, trainer, epoch, logs):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def outputs(model, X):
    """Every inference output of a fitted supervised model on ``X``."""
    imputed = model.impute(X)
    sampled, codes = model.sample(50)
    return {
        "transform": model.transform(X),
        "predict_proba": model.predict_proba(X),
        "predict": model.predict(X),
        **{f"impute[{k}]": np.asarray(v) for k, v in imputed.items()},
        **{f"sample[{k}]": np.asarray(v) for k, v in sampled.items()},
        "sample[y]": codes,
        "score_samples": model.score_samples(X, n_importance_samples=50),
    }


def assert_outputs_close(got, want):
    for key in want:
        if key == "score_samples":
            np.testing.assert_allclose(got[key], want[key], rtol=1e-4, err_msg=key)
        elif key in ("predict", "sample[y]"):  # argmax of probabilities within 1e-4
            assert np.mean(got[key] == want[key]) >= 0.99, key
        else:
            np.testing.assert_allclose(got[key], want[key], atol=1e-4, err_msg=key)


def with_missing(small):
    """The small views with some bottoms missing (a missing view to impute)."""
    X = {k: v.copy() for k, v in small.X.items()}
    X["bottom"][::7] = np.nan
    return X


# -- inference and fits on the GPU against the CPU ------------------------------------
@needs_cuda
@pytest.mark.parametrize("name", EST)
def test_inference_on_cuda_matches_cpu(name, small, tmp_path):
    """One set of weights: every inference output on cuda equals the CPU's."""
    X = with_missing(small)
    cpu = make(EST[name], max_iter=2).fit(X, small.y_part)
    cpu.save(tmp_path / "m.skpoe")
    gpu = skpoe.load(tmp_path / "m.skpoe", device="cuda")
    assert next(gpu.module_.parameters()).is_cuda and gpu.device_.type == "cuda"
    assert_outputs_close(outputs(gpu, X), outputs(cpu, X))


@needs_cuda
@pytest.mark.parametrize("name", EST)
def test_fit_on_cuda_matches_cpu(name, small):
    """One seed on both devices: two draws of the same fit (see the tolerances)."""
    cpu = make(EST[name], max_iter=4).fit(small.X, small.y_part)
    gpu = make(EST[name], max_iter=4, device="cuda").fit(small.X, small.y_part)
    assert gpu.device_.type == "cuda"
    np.testing.assert_allclose(gpu.loss_curve_, cpu.loss_curve_, rtol=0.05)
    acc = [m.score(small.X, small.y) for m in (cpu, gpu)]
    assert abs(acc[0] - acc[1]) <= 0.05, acc
    assert np.isfinite(gpu.transform(small.X)).all()


# -- saving, resuming --------------------------------------------------------------
@pytest.mark.parametrize("device", DEVICES)
def test_save_on_device_then_load_on_cpu(device, small, tmp_path):
    model = make(max_iter=2, device=device).fit(small.X, small.y_part)
    model.save(tmp_path / "m.skpoe")
    back = skpoe.load(tmp_path / "m.skpoe", device="cpu")
    assert back.device_.type == "cpu"
    assert all(p.device.type == "cpu" for p in back.module_.parameters())
    assert_outputs_close(outputs(back, small.X), outputs(model, small.X))


@pytest.mark.parametrize("device", DEVICES)
def test_checkpoint_resume_is_bit_identical(device, small, tmp_path):
    """Interrupted after 2 of 4 epochs, resumed from the checkpoint: the
    weights and history of an uninterrupted fit (the device generator's
    state travels in the checkpoint)."""
    path = tmp_path / "fit.ckpt"
    with pytest.warns(skpoe.exceptions.FitInterruptedWarning):
        make(max_iter=4, device=device, checkpoint_path=path, callbacks=[InterruptAfter(2)]).fit(
            small.X, small.y_part
        )
    assert torch.load(path, weights_only=True)["epoch"] == 2
    resumed = make(max_iter=4, device=device, checkpoint_path=path).fit(small.X, small.y_part)
    full = make(max_iter=4, device=device).fit(small.X, small.y_part)
    assert resumed.n_iter_ == 4 and resumed.history_ == full.history_
    for key, value in full.module_.state_dict().items():
        assert torch.equal(resumed.module_.state_dict()[key], value), key


# -- reduced precision ---------------------------------------------------------------
def test_the_loss_scaler_is_on_for_float16_on_cuda_only():
    module = torch.nn.Linear(2, 2)
    module.autocast_dtype = torch.float16
    assert not grad_scaler(module, torch.device("cpu")).is_enabled()
    module.autocast_dtype = torch.bfloat16
    assert not grad_scaler(module, torch.device("cpu")).is_enabled()
    if CUDA:
        assert not grad_scaler(module, torch.device("cuda")).is_enabled()
        module.autocast_dtype = torch.float16
        assert grad_scaler(module, torch.device("cuda")).is_enabled()


def test_a_scaled_step_is_the_plain_step(small, monkeypatch):
    """The trainer's scaled path on the CPU (a scale of 2**10, a power of two):
    scaling the loss and unscaling the gradients before clipping and the
    update changes no number of the fit."""
    plain = make(max_iter=2, max_grad_norm=1.0).fit(small.X, small.y_part)
    scaler = lambda module, device: torch.amp.GradScaler("cpu", init_scale=2.0**10)  # noqa: E731
    monkeypatch.setattr(skpoe.train._trainer, "grad_scaler", scaler)
    rec = Record()
    scaled = make(max_iter=2, max_grad_norm=1.0, callbacks=[rec]).fit(small.X, small.y_part)
    assert rec.scaler_enabled and rec.scale == 2.0**10
    np.testing.assert_allclose(scaled.loss_curve_, plain.loss_curve_, rtol=1e-6)
    for key, value in plain.module_.state_dict().items():
        torch.testing.assert_close(scaled.module_.state_dict()[key], value, rtol=1e-5, atol=1e-6)


@needs_cuda
@pytest.mark.parametrize("precision", ["float16", "bfloat16"])
def test_reduced_precision_trains_on_cuda(precision, split):
    """float16 (with the loss scaler) and bfloat16 train without NaN and reach
    the float32 fit's test accuracy within one point (fully labeled digits)."""
    params = dict(hidden_layer_sizes=(128,), n_components=16, max_iter=30, device="cuda")
    ref = make(**params).fit(split.X_train, split.y_train_full)
    rec = Record()
    low = make(**params, precision=precision, callbacks=[rec]).fit(
        split.X_train, split.y_train_full
    )
    assert rec.scaler_enabled == (precision == "float16")
    assert np.isfinite(low.loss_curve_).all()
    acc_ref, acc = ref.score(split.X_test, split.y_test), low.score(split.X_test, split.y_test)
    assert acc >= acc_ref - 0.01, (acc, acc_ref)


@needs_cuda
@pytest.mark.slow
def test_compile_on_cuda(small):
    eager = make(max_iter=2, device="cuda").fit(small.X, small.y_part)
    compiled = make(max_iter=2, device="cuda", compile=True).fit(small.X, small.y_part)
    np.testing.assert_allclose(compiled.loss_curve_, eager.loss_curve_, rtol=1e-3)
    np.testing.assert_allclose(compiled.transform(small.X), eager.transform(small.X), atol=1e-3)


# -- data that reaches the device one minibatch at a time ---------------------------------
@pytest.fixture
def pins(monkeypatch):
    """Count the host tensors pinned (and check that each is pinned)."""
    calls = []
    original = torch.Tensor.pin_memory

    def pin(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        calls.append(out.is_pinned())
        return out

    monkeypatch.setattr(torch.Tensor, "pin_memory", pin)
    return calls


def _views(small, kind, tmp_path):
    if kind == "memmap":
        out = {}
        for name, v in small.X.items():
            mm = np.memmap(tmp_path / f"{name}.f32", np.float32, "w+", shape=v.shape)
            mm[:] = v
            mm.flush()
            out[name] = np.memmap(tmp_path / f"{name}.f32", np.float32, "r", shape=v.shape)
        return skpoe.ModalityDict(out)
    if kind == "sparse":
        return skpoe.ModalityDict({k: sp.csr_matrix(v) for k, v in small.X.items()})
    if kind == "hdf5":
        h5py = pytest.importorskip("h5py")
        f = h5py.File(tmp_path / "views.h5", "w")
        return skpoe.ModalityDict({k: f.create_dataset(k, data=v) for k, v in small.X.items()})
    raise AssertionError(kind)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kind", ["memmap", "sparse", "hdf5"])
def test_lazy_views_stream_through_pinned_memory(device, kind, small, tmp_path, pins):
    """Sparse and on-disk views train as the same data in memory, their
    minibatches pinned on the way to a GPU (pinning skipped on the CPU)."""
    X = _views(small, kind, tmp_path)
    dense = {k: np.asarray(v, np.float32) for k, v in small.X.items()}
    # lazy data has no label terms of unlabeled rows: compare without them
    params = dict(max_iter=2, device=device, pseudo_label_weight=0.0, agreement_weight=0.0)
    ref = make(**params).fit(dense, small.y_part)
    del pins[:]
    rec = Record()
    model = make(**params, callbacks=[rec]).fit(X, small.y_part)
    assert isinstance(rec.data, lazy_mod.LazyData)
    np.testing.assert_allclose(model.loss_curve_, ref.loss_curve_, rtol=1e-5)
    if device == "cuda":
        assert pins and all(pins)
    else:
        assert not pins


@pytest.mark.parametrize("device", DEVICES)
def test_in_memory_data_staged_on_the_host(device, small, monkeypatch, pins):
    """In-memory data too large for the device stays on the host: the same
    fit, its minibatches gathered there and pinned for the copy to a GPU."""
    ref = make(max_iter=2, device=device).fit(small.X, small.y_part)
    del pins[:]
    monkeypatch.setattr(lazy_mod, "fits_on_device", lambda tensors, device: False)
    rec = Record()
    model = make(max_iter=2, device=device, callbacks=[rec]).fit(small.X, small.y_part)
    assert rec.data.stage_on_host and rec.data.index_device.type == "cpu"
    if device == "cuda":
        assert pins and all(pins)
        np.testing.assert_allclose(model.loss_curve_, ref.loss_curve_, rtol=1e-6)
    else:  # the same numbers
        assert not pins and model.loss_curve_ == ref.loss_curve_
    assert_outputs_close(outputs(model, small.X), outputs(ref, small.X))


def test_data_too_large_for_the_device_is_staged_on_the_host():
    cpu = torch.device("cpu")
    assert lazy_mod.fits_on_device([np.zeros((10**6, 100))], cpu)  # no limit on the CPU
    if CUDA:
        dev = torch.device("cuda")
        free, _ = torch.cuda.mem_get_info(dev)
        big = np.lib.stride_tricks.as_strided(np.zeros(1, np.uint8), (int(free),), (0,))
        assert not lazy_mod.fits_on_device([big], dev)
        assert lazy_mod.fits_on_device([np.zeros(10)], dev)


# -- data-parallel launch ------------------------------------------------------------
DDP_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import torch
    import skpoe
    from sklearn.datasets import load_digits
    from skpoe.distributed import init_process_group

    init_process_group()
    X, y = load_digits(return_X_y=True)
    X = {"top": X[:300, :32] / 16, "bottom": X[:300, 32:] / 16}
    y = np.where(np.arange(300) % 3 == 0, y[:300], -1)
    model = skpoe.MultimodalPoEVAE(n_components=4, hidden_layer_sizes=(32,), max_iter=3,
                                   random_state=0, device="auto").fit(X, y)
    torch.save({"backend": torch.distributed.get_backend(),
                "device": str(model.device_), "loss": model.loss_curve_}, sys.argv[1])
    torch.distributed.destroy_process_group()
    """
)


@needs_cuda
def test_torchrun_one_process_nccl(tmp_path, small):
    """``torchrun --nproc_per_node=1`` on a GPU: an NCCL group, the fit on
    cuda:0, the single-process fit's numbers."""
    script, out = tmp_path / "ddp_fit.py", tmp_path / "out.pt"
    script.write_text(DDP_SCRIPT)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "OMP_NUM_THREADS": "1",
        "PYTHONPATH": os.pathsep.join(
            [str(HERE.parent)]
            + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
        ),
    }
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=1",
        "--master-addr",
        "127.0.0.1",
        "--master-port",
        str(port),
        str(script),
        str(out),
    ]
    run = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    got = torch.load(out)
    assert got["backend"] == "nccl" and got["device"] == "cuda:0"
    ref = skpoe.MultimodalPoEVAE(
        n_components=4, hidden_layer_sizes=(32,), max_iter=3, random_state=0, device="cuda"
    ).fit(small.X, small.y_part)
    np.testing.assert_allclose(got["loss"], ref.loss_curve_, rtol=1e-6)
