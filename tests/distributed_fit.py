"""Fits of every estimator on one small multimodal set, for the distributed tests.

Run by ``torchrun`` from ``tests/test_distributed.py`` (each process saves its
weights), and imported by it for the single-process reference.

The data exercise every path of a data-parallel step: uneven slices
(``batch_size`` 25 over 2 processes), a missing view, partial labels, and a
third view observed in one row only, whose minibatch is too small to split.
"""

from __future__ import annotations

import sys

import numpy as np
import torch
from sklearn.datasets import load_digits

import skpoe

# data-parallel training has no label terms of unlabeled rows (it warns): compare without them
PARAMS = dict(
    n_components=3,
    hidden_layer_sizes=(16,),
    batch_size=25,
    max_iter=3,
    random_state=0,
    device="cpu",
    pseudo_label_weight=0.0,
    agreement_weight=0.0,
)


def data():
    """(X, y): three views of 90 digits, missing bottoms, one row with a third view."""
    X, y = load_digits(return_X_y=True)
    X, y = X[:90] / 16.0, y[:90].copy()
    views = {"top": X[:, :32].copy(), "bottom": X[:, 32:].copy()}
    views["corner"] = np.full((90, 4), np.nan)
    views["bottom"][1::5] = np.nan
    views["corner"][7] = X[7, :4]
    y[y >= 3] = -1  # a few labeled rows of three classes
    return skpoe.ModalityDict(views), y


def fit_all():
    """Weights (name -> state dict) and loss curves of every estimator."""
    X, y = data()
    weights, losses = {}, {}
    for cls in skpoe.ESTIMATORS:
        name = cls.__name__
        model = cls(**PARAMS).fit(X, y)
        if cls is skpoe.MultimodalPoEVAE:  # a warm start continues across processes too
            model.set_params(warm_start=True, max_iter=1).fit(X, y)
        weights[name] = {k: v.detach().cpu().clone() for k, v in model.module_.state_dict().items()}
        losses[name] = list(model.loss_curve_)
    return weights, losses


if __name__ == "__main__":
    torch.set_num_threads(1)
    from skpoe.distributed import init_process_group, is_main_process

    init_process_group()
    rank = torch.distributed.get_rank()
    weights, losses = fit_all()
    X, y = data()
    # no random_state: rank 0's fresh seed is shared; progress is printed by rank 0 only
    unseeded = skpoe.MultimodalPoEVAE(
        **{**PARAMS, "random_state": None, "max_iter": 1, "verbose": 2}
    ).fit(X, y)
    # different data on each rank: a clear error on every rank
    try:
        rows = slice(0, 90 - rank)
        part = skpoe.ModalityDict({k: v[rows] for k, v in X.items()})
        skpoe.MultimodalPoEVAE(**PARAMS).fit(part, y[rows])
        error = None
    except ValueError as exc:
        error = str(exc)
    torch.save(
        {
            "weights": weights,
            "losses": losses,
            "main": is_main_process(),
            "unseeded": unseeded.module_.state_dict(),
            "error": error,
        },
        f"{sys.argv[1]}.{rank}",
    )
    torch.distributed.destroy_process_group()
