"""Torch modules of the multimodal VAEs (one small file per model)."""

from .base import Batch, LossRecord, MultimodalModule
from .poe import PoEModule

__all__ = ["Batch", "LossRecord", "MultimodalModule", "PoEModule"]
