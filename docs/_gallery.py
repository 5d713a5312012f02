"""sphinx-gallery helpers: run the examples at their quick size and show the PNG each writes.

The examples close their figures after saving them (they are scripts first), so instead of
matplotlib's scraper the gallery picks up the PNG files the example wrote to its ``--out-dir``.
Both helpers are classes with a stable ``repr`` so that Sphinx can cache the configuration.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from sphinx_gallery.scrapers import figure_rst


class ExampleArgs:
    """``sys.argv[1:]`` for each example: ``--quick`` (unless full) and its own ``--out-dir``."""

    def __init__(self, out_root, quick=True):
        self.out_root = Path(out_root)
        self.quick = quick

    def __call__(self, sphinx_gallery_conf, script_vars):
        out = self.out_root / Path(script_vars["src_file"]).stem
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        return (["--quick"] if self.quick else []) + ["--out-dir", str(out)]

    def __repr__(self):
        return f"ExampleArgs(quick={self.quick})"


class WrittenPNGs:
    """An image scraper that shows the PNG files an example wrote to its ``--out-dir``."""

    def __init__(self, out_root):
        self.out_root = Path(out_root)

    def __call__(self, block, block_vars, gallery_conf):
        out = self.out_root / Path(block_vars["src_file"]).stem
        seen = block_vars.setdefault("_skpoe_pngs_seen", set())
        names = []
        for png in sorted(out.glob("*.png")) if out.is_dir() else []:
            if png in seen:
                continue
            seen.add(png)
            target = next(block_vars["image_path_iterator"])
            shutil.copyfile(png, target)
            names.append(target)
        return figure_rst(names, gallery_conf["src_dir"])

    def __repr__(self):
        return "WrittenPNGs()"
