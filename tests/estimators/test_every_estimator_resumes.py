"""Checkpoints of every registered estimator: an interrupted fit resumes to the same model.

Parametrized over ``skpoe.ESTIMATORS``, which ``tests/test_architecture.py`` checks is the
registry itself, so a new estimator is covered without an edit here.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from conftest import TINY

import skpoe


class StopAfter:
    """Callback: interrupt the fit at the end of epoch ``epoch`` (1-based; user callbacks run
    after the checkpoint)."""

    def __init__(self, epoch):
        self.epoch = epoch

    def on_epoch_end(self, estimator, trainer, epoch, logs):
        if epoch == self.epoch:
            raise KeyboardInterrupt


@pytest.mark.parametrize("Estimator", skpoe.ESTIMATORS, ids=lambda E: E.__name__)
def test_interrupted_fit_resumes_from_its_checkpoint(Estimator, small, tmp_path):
    path = tmp_path / "fit.ckpt"
    params = {**TINY, "max_iter": 3, "checkpoint_path": path}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Estimator(**params, callbacks=[StopAfter(2)]).fit(small.X, small.y_part)
    assert torch.load(path, weights_only=True)["epoch"] == 2
    resumed = Estimator(**params).fit(small.X, small.y_part)
    full = Estimator(**{**TINY, "max_iter": 3}).fit(small.X, small.y_part)
    assert resumed.n_iter_ == 3 and not path.exists()
    np.testing.assert_array_equal(resumed.predict_proba(small.X), full.predict_proba(small.X))
    np.testing.assert_array_equal(resumed.transform(small.X), full.transform(small.X))
