"""The constraints scikit-learn's parameter validation checks for every estimator's parameters."""

from __future__ import annotations

import os
from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import Interval, StrOptions

from skpoe.likelihoods import Likelihood
from skpoe.models.acceleration import PRECISIONS

__all__ = ["PARAMETER_CONSTRAINTS"]

PARAMETER_CONSTRAINTS = {
    "n_components": [Interval(Integral, 1, None, closed="left")],
    "hidden_layer_sizes": [
        "array-like",
        dict,
        Interval(Integral, 1, None, closed="left"),
        StrOptions({"auto"}),
    ],
    "likelihoods": [str, dict, Likelihood, None],
    "encoders": [dict, None],
    "decoders": [dict, None],
    "modalities": [dict, None],
    "supervision_weight": [Interval(Real, 0, None, closed="left")],
    "beta": [Interval(Real, 0, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "max_iter": [Interval(Integral, 1, None, closed="left")],
    "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "warm_start": ["boolean"],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "device": [str, torch.device],
    "max_grad_norm": [Interval(Real, 0, None, closed="neither"), None],
    "checkpoint_path": [str, os.PathLike, None],
    "checkpoint_every": [Interval(Integral, 1, None, closed="left")],
    "n_threads": [Interval(Integral, 1, None, closed="left"), None],
    "compile": ["boolean"],
    "precision": [StrOptions(set(PRECISIONS))],
    "callbacks": [list, tuple, None],
    "pseudo_label_weight": [Interval(Real, 0, None, closed="left")],
    "agreement_weight": [Interval(Real, 0, None, closed="left")],
    "n_neighbors": [Interval(Integral, 1, None, closed="left")],
    "neighbor_space": [StrOptions({"joint", "views"})],
    "neighbor_scaling": [StrOptions({"auto", "features", "view"})],
    "missing_indicators": ["boolean"],
    "entry_masking": [StrOptions({"auto"}), Interval(Real, 0, 1, closed="left")],
    "entry_fill": [StrOptions({"mean", "neighbors"})],
}
