"""Torch modules of the multimodal VAEs (one small file per model)."""

from skpoe.models.base import Batch, Experts, LossRecord, MixtureModule, MultimodalModule
from skpoe.models.dmvae import DMVAEModule
from skpoe.models.jmvae import JMVAEModule
from skpoe.models.mmvae import MMVAEModule
from skpoe.models.mmvae_plus import MMVAEPlusModule
from skpoe.models.mopoe import MoPoEModule
from skpoe.models.mvae import MVAEModule
from skpoe.models.mvtcae import MVTCAEModule
from skpoe.models.poe import PoEModule
from skpoe.models.vaevae import VAEVAEModule

__all__ = [
    "Batch",
    "Experts",
    "LossRecord",
    "MixtureModule",
    "MultimodalModule",
    "DMVAEModule",
    "JMVAEModule",
    "MMVAEModule",
    "MMVAEPlusModule",
    "MVTCAEModule",
    "MoPoEModule",
    "MVAEModule",
    "PoEModule",
    "VAEVAEModule",
]
