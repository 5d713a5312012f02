"""Torch modules of the multimodal VAEs (one small file per model)."""

from .base import Batch, Experts, LossRecord, MixtureModule, MultimodalModule
from .mmvae import MMVAEModule
from .mopoe import MoPoEModule
from .mvae import MVAEModule
from .poe import PoEModule
from .vaevae import VAEVAEModule

__all__ = [
    "Batch",
    "Experts",
    "LossRecord",
    "MixtureModule",
    "MultimodalModule",
    "MMVAEModule",
    "MoPoEModule",
    "MVAEModule",
    "PoEModule",
    "VAEVAEModule",
]
