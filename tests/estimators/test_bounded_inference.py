"""Inference over chunks of rows: bounded memory, threads, determinism."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import skpoe.data._validation as validation
import skpoe.estimators._inference as inference
import skpoe.train.lazy as lazy

N_ROWS = 2500
CHUNK = 300


@pytest.fixture(scope="module")
def many_rows(small):
    """The small digits halves tiled to N_ROWS rows, some views missing."""
    reps = -(-N_ROWS // small.n)
    X = {k: np.tile(v, (reps, 1))[:N_ROWS].copy() for k, v in small.X.items()}
    X["bottom"][::4] = np.nan
    X["top"][1::9, :3] = np.nan
    return X


@pytest.mark.parametrize(
    "method", ["transform", "predict", "predict_proba", "score_samples", "impute"]
)
def test_encode_runs_per_chunk(tiny_supervised, many_rows, monkeypatch, method):
    """Encoder inputs are built for at most CHUNK rows at a time, each row once."""
    monkeypatch.setattr(inference, "CHUNK", CHUNK)
    rows_seen = []
    real = validation.encode

    def spy(arrays, observed, liks, **kw):
        rows_seen.append(observed.shape[0])
        return real(arrays, observed, liks, **kw)

    monkeypatch.setattr(lazy, "encode", spy)
    out = getattr(tiny_supervised, method)(many_rows)
    n_slots = len(tiny_supervised.likelihoods_)  # views plus the label
    assert max(rows_seen) <= CHUNK
    # score_samples may use smaller chunks (K draws per row); never larger
    assert sum(rows_seen) == N_ROWS * n_slots
    if method != "impute":
        assert len(out) == N_ROWS


def test_chunked_results_equal_one_chunk(tiny_supervised, many_rows, monkeypatch):
    """The chunk size changes memory, not results."""
    whole = {
        m: getattr(tiny_supervised, m)(many_rows)
        for m in ("transform", "predict_proba", "score_samples")
    }
    monkeypatch.setattr(inference, "CHUNK", 257)
    for m, ref in whole.items():
        np.testing.assert_allclose(
            getattr(tiny_supervised, m)(many_rows), ref, rtol=1e-5, atol=1e-5
        )


def test_left_out_view_takes_no_memory(tiny_supervised, many_rows):
    """A modality left out at predict time is a read-only broadcast, not n x d."""
    from skpoe.data._validation import check_X

    _, arrays, observed = check_X(tiny_supervised, {"top": many_rows["top"]}, reset=False)
    assert not observed[:, 1].any()
    assert arrays[1].strides == (0, 0)


def test_threads_get_sequential_results(tiny_supervised, many_rows):
    X = {k: v[:900] for k, v in many_rows.items()}
    calls = [
        ("predict", {}),
        ("predict_proba", {}),
        ("score_samples", {}),
        ("transform", {}),
        ("predict_proba", {"random_state": 3}),
    ]
    expected = [getattr(tiny_supervised, m)(X, **kw) for m, kw in calls]
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(getattr(tiny_supervised, m), X, **kw) for m, kw in calls * 3]
        results = [f.result() for f in futures]
    for i, got in enumerate(results):
        np.testing.assert_array_equal(got, expected[i % len(calls)])


def test_sampling_methods_take_random_state(tiny_supervised, small):
    est = tiny_supervised
    X = small.X
    for method in ("predict_proba", "score_samples"):
        f = getattr(est, method)
        default = f(X)
        np.testing.assert_array_equal(f(X), default)  # deterministic
        np.testing.assert_array_equal(f(X, random_state=5), f(X, random_state=5))
        assert not np.allclose(f(X, random_state=5), f(X, random_state=6))
    a, _ = est.sample(4, random_state=1)
    b, _ = est.sample(4, random_state=1)
    np.testing.assert_array_equal(a["top"], b["top"])


@pytest.mark.parametrize("bad", [0, -2, 1.5])
def test_bad_draw_counts(tiny_supervised, small, bad):
    with pytest.raises(ValueError, match="n_samples"):
        tiny_supervised.predict_proba(small.X, n_samples=bad)
    with pytest.raises(ValueError, match="n_importance_samples"):
        tiny_supervised.score_samples(small.X, n_importance_samples=bad)
