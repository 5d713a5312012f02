"""Opt-in speed options: mixed precision and torch.compile (CPU checks)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from conftest import tiny

from skpoe.models.acceleration import compiled_networks


def test_float16_is_refused_on_cpu(small):
    with pytest.raises(ValueError, match="float16.*CUDA.*bfloat16"):
        tiny(precision="float16").fit(small.X, small.y_part)


def test_unknown_precision_is_refused(small):
    with pytest.raises(ValueError, match="precision"):
        tiny(precision="float8").fit(small.X, small.y_part)


def test_bfloat16_trains_matrix_products_in_bfloat16(small):
    """The step's linear layers output bfloat16, the loss and the weights stay
    float32, and inference runs in float32."""
    model = tiny(precision="bfloat16", max_iter=1).fit(small.X, small.y_part)
    module = model.module_.train()
    assert module.autocast_dtype is torch.bfloat16
    dtypes = []
    layer = module.encoders[0].net[0]
    # training steps run the layer in train mode; the per-epoch evaluations
    # of the history (eval mode) stay in float32
    handle = layer.register_forward_hook(
        lambda mod, inp, out: dtypes.append(out.dtype) if mod.training else None
    )
    model.set_params(warm_start=True).fit(small.X, small.y_part)  # one more epoch
    handle.remove()
    assert dtypes and set(dtypes) == {torch.bfloat16}
    assert np.isfinite(model.loss_curve_).all() and len(model.loss_curve_) == 2
    assert all(p.dtype == torch.float32 for p in model.module_.parameters())
    Z = model.transform(small.X)
    assert Z.dtype == np.float64 and np.isfinite(Z).all()
    reference = tiny(max_iter=2).fit(small.X, small.y_part)
    assert abs(model.loss_curve_[-1] - reference.loss_curve_[-1]) < 0.1 * abs(
        reference.loss_curve_[-1]
    )


def test_compiled_networks_restores_eager_mode(small):
    """Inside the block every network is compiled in place (same state dict);
    after it, none is, so the model pickles and infers in eager mode."""
    module = tiny(max_iter=1).fit(small.X, small.y_part).module_
    keys = list(module.state_dict())
    nets = [*module.encoders, *module.decoders]
    with compiled_networks(module):
        assert all(net._compiled_call_impl is not None for net in nets)
        assert list(module.state_dict()) == keys
    assert all(net._compiled_call_impl is None for net in nets)
    with compiled_networks(module, enabled=False):
        assert all(net._compiled_call_impl is None for net in nets)


@pytest.mark.slow
def test_compile_fit_matches_eager_fit(small):
    """A compiled fit trains (same seed: close to the eager fit) and the fitted
    estimator pickles and transforms."""
    eager = tiny(max_iter=2).fit(small.X, small.y_part)
    compiled = tiny(max_iter=2, compile=True).fit(small.X, small.y_part)
    np.testing.assert_allclose(compiled.loss_curve_, eager.loss_curve_, rtol=1e-3)
    again = pickle.loads(pickle.dumps(compiled))
    np.testing.assert_allclose(again.transform(small.X), eager.transform(small.X), atol=1e-3)
