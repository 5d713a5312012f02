"""Minibatch rows gathered with ``index_select``: the same values as indexing."""

import numpy as np
import pytest
import torch

from skpoe.train.batches import TensorData, take_rows


@pytest.mark.parametrize("dtype", [torch.int32, torch.int64])
def test_take_rows_equals_indexing(dtype):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(50, 7, generator=gen)
    x[3, 2] = float("nan")  # NaN entries come through as they are
    idx = torch.randint(0, 50, (20,), generator=gen).to(dtype)
    got = take_rows(x, idx)
    want = x[idx.long()]
    assert got.dtype == want.dtype and got.shape == want.shape
    assert torch.equal(got.view(torch.int32), want.view(torch.int32))  # bit for bit, NaN too


def test_take_rows_passes_other_indices_to_indexing():
    x = torch.arange(12.0).reshape(6, 2)
    keep = torch.tensor([True, False, True, False, False, True])
    assert torch.equal(take_rows(x, keep), x[keep])
    assert torch.equal(take_rows(x, torch.tensor(4)), x[4])  # a 0-d index: one row
    assert np.array_equal(take_rows(x.numpy(), np.array([1, 5])), x.numpy()[[1, 5]])


def test_tensor_data_batch_gathers_every_view_and_the_mask():
    rng = np.random.RandomState(0)
    a, b = rng.rand(9, 3).astype(np.float32), rng.rand(9, 2).astype(np.float32)
    mask = rng.rand(9, 2) > 0.3
    data = TensorData([a, b], [a, b[:, :1]], mask, torch.device("cpu"))
    idx = torch.tensor([8, 0, 4, 4], dtype=torch.int32)
    batch = data.batch(idx)
    rows = idx.numpy()
    assert np.array_equal(batch.inputs[0].numpy(), a[rows])
    assert np.array_equal(batch.inputs[1].numpy(), b[rows])
    assert np.array_equal(batch.targets[1].numpy(), b[rows, :1])
    assert np.array_equal(batch.mask.numpy(), mask[rows])
