"""A minimal grayscale PNG writer, so figures need no plotting library."""

from __future__ import annotations

import struct
import zlib

import numpy as np

__all__ = ["write_png", "image_grid"]


def _chunk(tag, data):
    body = tag + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def write_png(path, image):
    """Write a 2-D array with values in [0, 1] as an 8-bit grayscale PNG."""
    img = np.clip(np.asarray(image, dtype=np.float64), 0.0, 1.0)
    pixels = (img * 255 + 0.5).astype(np.uint8)
    h, w = pixels.shape
    raw = b"".join(b"\x00" + pixels[r].tobytes() for r in range(h))
    png = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
        + _chunk(b"IDAT", zlib.compress(raw, 9))
        + _chunk(b"IEND", b"")
    )
    with open(path, "wb") as fh:
        fh.write(png)


def image_grid(rows, scale=4, pad=1, background=0.5):
    """Tile a list of rows of equally sized 2-D images into one image.

    Each image is enlarged ``scale`` times (nearest neighbour) and separated
    by ``pad`` pixels of ``background``.
    """
    h, w = np.asarray(rows[0][0]).shape
    H, W = h * scale, w * scale
    n_cols = max(len(r) for r in rows)
    out = np.full(
        (len(rows) * (H + pad) + pad, n_cols * (W + pad) + pad), background, dtype=np.float64
    )
    for i, row in enumerate(rows):
        for j, im in enumerate(row):
            big = np.kron(np.asarray(im, dtype=np.float64), np.ones((scale, scale)))
            y0, x0 = pad + i * (H + pad), pad + j * (W + pad)
            out[y0 : y0 + H, x0 : x0 + W] = big
    return out
