"""The containers a model's loss passes around: a batch of rows, its encoders' experts, a loss.

They are re-exported by :mod:`skpoe.models.base`, where they were first defined.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["Batch", "Experts", "LossRecord"]


@dataclass
class Batch:
    """Rows of training data on the model's device.

    ``inputs[m]`` and ``targets[m]`` hold modality m's encoder input and
    likelihood target (zeros where unobserved); ``mask`` is (n, M) bool.
    ``present`` lists the modalities observed by at least one row and
    ``max_observed`` the largest number of modalities a row observes; both
    are known on the host when the batch groups are formed, so the model can
    skip networks and terms that every row would mask out, without a device
    synchronisation.
    """

    inputs: list
    targets: list
    mask: torch.Tensor
    present: tuple | None = None
    max_observed: int | None = None

    def __post_init__(self):
        if self.present is None:
            self.present = tuple(range(len(self.inputs)))
        if self.max_observed is None:
            self.max_observed = len(self.inputs)

    @property
    def n(self):
        return self.mask.shape[0]


@dataclass
class Experts:
    """Encoder outputs of a batch: ``mu, prec`` of shape (n, M, H, D).

    ``mu[:, m, h]`` is head h of modality m's encoder (unobserved modalities
    are encoded from zeros and must be masked by the model).
    """

    mu: torch.Tensor
    prec: torch.Tensor
    batch: Batch
    private: tuple | None = None  # (mu, var) (n, M, P) of private latents (skpoe.models.private)

    def single(self, m: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Heads of modality m: ``mu, prec`` of shape (n, H, D)."""
        return self.mu[:, m], self.prec[:, m]


@dataclass
class LossRecord:
    """Total loss of a step plus named terms (detached) for logging."""

    total: torch.Tensor | float  # 0.0 for a step without groups
    terms: dict
