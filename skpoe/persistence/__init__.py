"""Safe model files: write, read, the zip container, state encoding, restore, class registry.

:func:`save` writes weights as tensors and everything else as JSON; :func:`load` reads them back
without running code from the file, looking classes up only in :mod:`skpoe.persistence.registry`.
"""

from skpoe.persistence._files import FORMAT_VERSION, ModelFileError, load, read_header, save

__all__ = ["FORMAT_VERSION", "ModelFileError", "load", "read_header", "save"]
