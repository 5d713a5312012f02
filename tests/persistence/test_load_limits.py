"""skpoe.load on tampered files: memory bounded by the file's size, nothing built first.

Each attack is a small, valid-looking file (checksums rewritten, as anyone who
can edit a file can do). The memory tests load in a fresh process and compare
its peak resident memory with the file's size; nothing may be extracted to
disk and no code may run.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile

import numpy as np
import pytest
import torch

import skpoe
from skpoe import ModelFileError, MultimodalPoEVAE
from skpoe.persistence._limits import MAX_HEADER_BYTES

_PEAK = """
import json, sys
import skpoe
def status(key):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) * 1024 for l in f if l.startswith(key + ":"))
def rss():
    return status("VmHWM")  # peak resident memory since the reset below
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak: a child starts with its parent's
base = status("VmRSS")
try:
    skpoe.load(sys.argv[1])
    outcome, message = "loaded", ""
except skpoe.ModelFileError as exc:
    outcome, message = exc.kind, str(exc)
except BaseException as exc:
    outcome, message = type(exc).__name__, str(exc)
print(json.dumps({"outcome": outcome, "message": message[:400], "rise": rss() - base}))
"""


def _model_bytes():
    """A small fitted model's file: two views of 3 features, partial labels."""
    rng = np.random.default_rng(0)
    X = {"a": rng.normal(size=(40, 3)), "b": rng.normal(size=(40, 3))}
    y = np.where(np.arange(40) % 2 == 0, np.arange(40) % 3, -1)
    est = MultimodalPoEVAE(
        n_components=2, hidden_layer_sizes=(4,), max_iter=1, random_state=0, device="cpu"
    ).fit(X, y)
    buf = io.BytesIO()
    est.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def model_bytes():
    return _model_bytes()


def _members(data):
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def _rewrite(data, edit_header=None, members=None):
    """``data`` with its header edited, members replaced and checksums made to match."""
    content = _members(data)
    content.update(members or {})
    header = json.loads(content.pop("skpoe.json"))
    if edit_header:
        edit_header(header)
    for name in header["members"]:
        header["members"][name] = {
            "size": len(content[name]),
            "sha256": hashlib.sha256(content[name]).hexdigest(),
        }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("skpoe.json", json.dumps(header))
        for name, raw in content.items():
            zf.writestr(name, raw)
    return buf.getvalue()


needs_proc = pytest.mark.skipif(
    not os.path.exists("/proc/self/clear_refs"), reason="measures memory through Linux /proc"
)


def _peak(tmp_path, data):
    """Load ``data`` from a file in a fresh process: its outcome and memory rise."""
    folder = tmp_path / "files"
    folder.mkdir()
    path = folder / "model.skpoe"
    path.write_bytes(data)
    before = sorted(os.listdir(folder)), sorted(os.listdir(tmp_path))
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", _PEAK, str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=env,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    # nothing was extracted next to the file or in the working folder
    assert (sorted(os.listdir(folder)), sorted(os.listdir(tmp_path))) == before
    return json.loads(out.stdout.strip().splitlines()[-1]), len(data)


def _bounded(result, size):
    """Peak memory within a small multiple of the file's size (plus a fixed 40 MB)."""
    assert result["rise"] < 4 * size + 40 * 2**20, result


def _npy_bomb(n_bytes):
    """An npz member of ``n_bytes`` of zeros, deflated to a tiny fraction of that."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (n_bytes // 8,)}
    )
    buf = io.BytesIO()
    block = bytes(2**20)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("bomb.npy", "w", force_zip64=True) as f:
            f.write(header.getvalue())
            for _ in range(n_bytes // len(block)):
                f.write(block)
    return buf.getvalue()


def _bomb_file(model_bytes):
    bomb = _npy_bomb(128 * 2**20)
    content = _members(model_bytes)
    with zipfile.ZipFile(io.BytesIO(content["arrays.npz"])) as inner:
        arrays = {n: inner.read(n) for n in inner.namelist()}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n, raw in arrays.items():
            zf.writestr(n, raw)
        with zipfile.ZipFile(io.BytesIO(bomb)) as b:  # copy the deflated member as is
            info = b.getinfo("bomb.npy")
            zf.writestr(info, b.read("bomb.npy"), compress_type=zipfile.ZIP_DEFLATED)
    return _rewrite(model_bytes, members={"arrays.npz": buf.getvalue()})


@needs_proc
def test_compressed_bomb_inside_arrays_npz(model_bytes, tmp_path):
    result, size = _peak(tmp_path, _bomb_file(model_bytes))
    assert size < 2 * 2**20  # 128 MB of zeros in a file of about a megabyte
    assert result["outcome"] == "corrupt", result
    assert "arrays.npz" in result["message"] and "compressed" in result["message"]
    _bounded(result, size)


def test_npy_header_declaring_more_than_it_holds(model_bytes):
    content = _members(model_bytes)
    big = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        big, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)}
    )
    with zipfile.ZipFile(io.BytesIO(content["arrays.npz"])) as inner:
        arrays = {n: inner.read(n) for n in inner.namelist()}
    arrays["big.npy"] = big.getvalue() + bytes(64)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n, raw in arrays.items():
            zf.writestr(n, raw)
    data = _rewrite(model_bytes, members={"arrays.npz": buf.getvalue()})
    with pytest.raises(ModelFileError, match="big.npy.*declares 8000000000000 bytes") as info:
        skpoe.load(io.BytesIO(data))
    assert info.value.kind == "corrupt"


def test_compressed_member_inside_tensors_pt(model_bytes):
    content = _members(model_bytes)
    with zipfile.ZipFile(io.BytesIO(content["tensors.pt"])) as inner:
        records = {n: inner.read(n) for n in inner.namelist()}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, raw in records.items():
            zf.writestr(n, raw)
    data = _rewrite(model_bytes, members={"tensors.pt": buf.getvalue()})
    with pytest.raises(ModelFileError, match="tensors.pt holds .* compressed") as info:
        skpoe.load(io.BytesIO(data))
    assert info.value.kind == "corrupt"


def _hidden(n):
    def edit(header):
        header["params"]["hidden_layer_sizes"] = {"__skpoe__": "tuple", "items": [n]}

    return edit


@needs_proc
def test_huge_hidden_layer_sizes_allocate_nothing(model_bytes, tmp_path):
    # 3 million units: about 300 MB of weights if the networks were built first
    result, size = _peak(tmp_path, _rewrite(model_bytes, _hidden(3_000_000)))
    assert result["outcome"] == "mismatch", result
    assert "hidden_layer_sizes=(3000000,)" in result["message"]
    _bounded(result, size)


def test_architecture_beyond_memory_is_refused_at_once(model_bytes):
    with pytest.raises(ModelFileError, match="do not fit|has shape") as info:
        skpoe.load(io.BytesIO(_rewrite(model_bytes, _hidden(200_000_000))))
    assert info.value.kind == "mismatch"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 1e30])
def test_non_finite_or_huge_weights_are_corrupt(model_bytes, value):
    content = _members(model_bytes)
    tensors = torch.load(io.BytesIO(content["tensors.pt"]), weights_only=True)
    key = "module_/encoders.0.net.0.weight"
    tensors[key] = tensors[key].clone()
    tensors[key][0, 0] = value
    buf = io.BytesIO()
    torch.save(tensors, buf)
    data = _rewrite(model_bytes, members={"tensors.pt": buf.getvalue()})
    with pytest.raises(ModelFileError, match="encoders.0.net.0.weight") as info:
        skpoe.load(io.BytesIO(data))
    assert info.value.kind == "corrupt"
    assert "tampered" in str(info.value)


@needs_proc
@pytest.mark.parametrize("pieces", [1, 3])
def test_huge_header_is_refused_before_it_is_read(model_bytes, tmp_path, pieces):
    """A header of unknown attributes, or of a few long strings, beyond the cap."""
    length = MAX_HEADER_BYTES // pieces + 1024

    def padded(header):
        for i in range(pieces):
            header["attributes"][f"junk{i}_"] = "x" * length

    result, size = _peak(tmp_path, _rewrite(model_bytes, padded))
    assert result["outcome"] == "corrupt", result
    assert "skpoe.json" in result["message"] and str(MAX_HEADER_BYTES) in result["message"]
    assert result["rise"] < 40 * 2**20, result  # the header itself is never read


def test_numpy_scalar_of_a_huge_dtype_is_corrupt(model_bytes):
    def wide(header):
        header["attributes"]["junk_"] = {"__skpoe__": "numpy", "dtype": "V400000000", "value": 0}

    with pytest.raises(ModelFileError, match="numpy scalar dtype") as info:
        skpoe.load(io.BytesIO(_rewrite(model_bytes, wide)))
    assert info.value.kind == "corrupt"


def test_a_model_file_still_loads_from_a_path_and_a_file_object(model_bytes, tmp_path):
    path = tmp_path / "m.skpoe"
    path.write_bytes(model_bytes)
    a, b = skpoe.load(path), skpoe.load(io.BytesIO(model_bytes))
    X = {"a": np.ones((2, 3)), "b": np.zeros((2, 3))}
    assert np.array_equal(a.transform(X), b.transform(X))
