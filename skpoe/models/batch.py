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

    ``present`` and ``max_observed`` are known on the host when the batch
    groups are formed, so the model can skip networks and terms that every
    row would mask out, without a device synchronisation.

    Parameters
    ----------
    inputs : list of torch.Tensor
        ``inputs[m]``: modality m's encoder input, shape (n, n_inputs)
        (zeros where unobserved).
    targets : list of torch.Tensor
        ``targets[m]``: modality m's likelihood target (zeros where unobserved).
    mask : torch.Tensor of bool
        Which modalities each row observes, shape (n, M).
    present : tuple of int, default=None
        The modalities observed by at least one row (``None``: all of them).
    max_observed : int, default=None
        The largest number of modalities a row observes (``None``: M).

    See Also
    --------
    Experts : The encoder outputs of a batch.
    skpoe.models.MultimodalModule.encode : Encodes a batch.

    Examples
    --------
    >>> import torch
    >>> from skpoe.models import Batch
    >>> x = torch.zeros(3, 2)
    >>> batch = Batch([x, x], [x, x], torch.ones(3, 2, dtype=torch.bool))
    >>> batch.n, batch.present, batch.max_observed
    (3, (0, 1), 2)
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
        """Number of rows.

        See Also
        --------
        mask : One row per sample.

        Examples
        --------
        >>> import torch
        >>> from skpoe.models import Batch
        >>> Batch([torch.zeros(5, 2)], [torch.zeros(5, 2)], torch.ones(5, 1, dtype=torch.bool)).n
        5
        """
        return self.mask.shape[0]


@dataclass
class Experts:
    """Encoder outputs of a batch: ``mu, prec`` of shape (n, M, H, D).

    Parameters
    ----------
    mu : torch.Tensor
        ``mu[:, m, h]`` is the mean of head h of modality m's encoder, shape
        (n, M, H, D) (modalities no row observes get filler experts, and the
        model masks every unobserved one).
    prec : torch.Tensor
        The precisions (inverse variances), same shape.
    batch : Batch
        The rows encoded.
    private : tuple of torch.Tensor, default=None
        ``(mu, var)`` (n, M, P) of the private latents
        (:mod:`skpoe.models.private`; ``None`` for models without them).

    See Also
    --------
    Batch : The rows.
    skpoe.models.MultimodalModule.encode : Makes them.
    skpoe.models.MultimodalModule.posterior : Combines them.

    Examples
    --------
    >>> import torch
    >>> from skpoe.models import Batch, Experts
    >>> x = torch.zeros(3, 2)
    >>> batch = Batch([x, x], [x, x], torch.ones(3, 2, dtype=torch.bool))
    >>> experts = Experts(torch.zeros(3, 2, 1, 4), torch.ones(3, 2, 1, 4), batch)
    >>> experts.single(1)[0].shape
    torch.Size([3, 1, 4])
    """

    mu: torch.Tensor
    prec: torch.Tensor
    batch: Batch
    private: tuple | None = None  # (mu, var) (n, M, P) of private latents (skpoe.models.private)

    def single(self, m: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Heads of modality m.

        Parameters
        ----------
        m : int
            The modality.

        Returns
        -------
        mu, prec : torch.Tensor
            Means and precisions of its heads, shape (n, H, D).

        See Also
        --------
        skpoe.models.MultimodalModule.single_posterior : q(z | x_m) from them.

        Examples
        --------
        >>> import torch
        >>> from skpoe.models import Batch, Experts
        >>> x = torch.zeros(3, 2)
        >>> batch = Batch([x, x], [x, x], torch.ones(3, 2, dtype=torch.bool))
        >>> mu = torch.arange(2.0).view(1, 2, 1, 1).expand(3, 2, 1, 1)
        >>> Experts(mu, torch.ones_like(mu), batch).single(1)[0].flatten().tolist()
        [1.0, 1.0, 1.0]
        """
        return self.mu[:, m], self.prec[:, m]


@dataclass
class LossRecord:
    """Total loss of a step plus named terms (detached) for logging.

    Parameters
    ----------
    total : torch.Tensor or float
        The loss to minimise (0.0 for a step without groups).
    terms : dict of str to torch.Tensor
        The detached mean of each group, by name.

    See Also
    --------
    skpoe.models.MultimodalModule.loss : Returns one.

    Examples
    --------
    >>> import torch
    >>> from skpoe.models import LossRecord
    >>> record = LossRecord(torch.tensor(1.5), {"paired_0": torch.tensor(1.5)})
    >>> float(record.total), sorted(record.terms)
    (1.5, ['paired_0'])
    """

    total: torch.Tensor | float  # 0.0 for a step without groups
    terms: dict
