"""Shared data and fitted models for the skpoe test suite.

Real data only: scikit-learn's 8x8 digits, split into a top view (first 32
pixel columns) and a bottom view (last 32), scaled by 1/16 into [0, 1].
Fitted models are session-scoped so each expensive fit happens once; tests
that need to change a model work on a ``copy.deepcopy`` or a fresh fit.
"""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from skpoe import MultimodalPoEVAE

# The networks here are tiny: one intra-op thread is as fast as two and does
# not collapse when the CPU is shared (OpenMP spin-waiting under contention).
torch.set_num_threads(1)

#: Small networks for tests of the API rather than of the model's quality.
TINY = dict(
    n_components=4,
    hidden_layer_sizes=(32,),
    max_iter=5,
    batch_size=64,
    random_state=0,
    device="cpu",
)


def tiny(**overrides):
    """A small, fast, CPU-only estimator."""
    return MultimodalPoEVAE(**{**TINY, **overrides})


def halves(X):
    """Top and bottom halves of digit images as a dict of views."""
    return {"top": X[:, :32], "bottom": X[:, 32:]}


@pytest.fixture(scope="session")
def digits():
    """(X, y): the digits images scaled into [0, 1] and their labels."""
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


@pytest.fixture(scope="session")
def small(digits):
    """300 digits as two views with partial labels (every third row labeled)."""
    X, y = digits
    n = 300
    y_part = np.where(np.arange(n) % 3 == 0, y[:n], -1)
    return types.SimpleNamespace(X=halves(X[:n]), X2d=X[:n], y=y[:n].copy(), y_part=y_part, n=n)


@pytest.fixture(scope="session")
def split(digits):
    """Stratified 80/20 split of all digits; 10% of the training rows labeled."""
    X, y = digits
    idx_train, idx_test = train_test_split(
        np.arange(len(y)), test_size=0.2, random_state=0, stratify=y
    )
    labeled = np.random.RandomState(0).rand(len(idx_train)) < 0.1
    y_train = np.where(labeled, y[idx_train], -1)
    return types.SimpleNamespace(
        X_train=halves(X[idx_train]),
        X_test=halves(X[idx_test]),
        y_train=y_train,
        y_train_full=y[idx_train],
        y_test=y[idx_test],
        labeled=labeled,
    )


@pytest.fixture(scope="session")
def fitted(split):
    """The estimator with default hyper-parameters fitted on the digits halves."""
    return MultimodalPoEVAE(random_state=0, device="cpu").fit(split.X_train, split.y_train)


@pytest.fixture(scope="session")
def tiny_supervised(small):
    """A small model fitted with partial labels on 300 rows."""
    return tiny(max_iter=20).fit(small.X, small.y_part)


@pytest.fixture(scope="session")
def tiny_unsupervised(small):
    """A small model fitted without labels on 300 rows."""
    return tiny(max_iter=20).fit(small.X)
