"""Sphinx configuration of the skpoe documentation.

Build (from the repository root, after ``pip install -e ".[docs]"``)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

The gallery runs every script in ``examples/`` at its quick (smoke-run)
size; ``SKPOE_DOCS_FULL_EXAMPLES=1`` runs them at their full size instead, and
``SKPOE_DOCS_EXAMPLES=own_data`` (a regex) runs only the matching ones.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(DOCS))
sys.path.insert(0, str(ROOT))

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

from _gallery import ExampleArgs, WrittenPNGs  # noqa: E402

import skpoe  # noqa: E402

project = "skpoe"
author = "skpoe developers"
copyright = "skpoe developers"
version = release = skpoe.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx.ext.doctest",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
smartquotes = False  # keep -- and quotes in commands as typed
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.json",
    "auto_examples/*.md5",
    "**/*.codeobj.json",
]
suppress_warnings = ["myst.header"]  # benchmark tables start at their own heading levels
myst_heading_anchors = 3
myst_enable_extensions = ["colon_fence"]

# -- API reference -----------------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = True
autodoc_typehints = "none"  # the numpydoc sections state the types
autodoc_member_order = "groupwise"
numpydoc_show_class_members = False  # the class template lists the methods
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# Sections enforced on every documented public class and function (numpydoc's validation codes):
#   GL08 a docstring, SS01 a summary line, PR01 every parameter documented, PR02 no unknown
#   parameter, RT01 a Returns section on functions and methods that return, SA01 See Also,
#   EX01 Examples.
numpydoc_validation_checks = {"GL08", "SS01", "PR01", "PR02", "RT01", "SA01", "EX01"}
# Every skpoe module is held to them; scikit-learn methods skpoe inherits and dunder methods
# are not.
numpydoc_validation_exclude = {
    r"\.__[a-z_]+__$",
    r"\.(get_params|set_params|set_output|get_metadata_routing|set_score_request"
    r"|set_fit_request|set_predict_request|set_transform_request|fit_transform)$",
    # properties (documented by their one line)
    r"\.(n_modalities|n_samples|shape|classes_)$",
}
# A method that overrides a documented one without a docstring of its own is shown with the
# inherited docstring, which the checks above then validate; numpydoc's GL08 reads only the
# method's own __doc__, so it is waived where the inherited docstring has numpydoc sections.
numpydoc_validation_overrides = {"GL08": [r"(?m)^-{3,}$"]}


def skip_foreign_members(app, what, name, obj, skip, options):
    """Document the members that skpoe defines, not those inherited from scikit-learn or dict."""
    if what not in ("class", "exception") or skip:
        return skip
    target = getattr(obj, "fget", obj)
    module = getattr(target, "__module__", None) or ""
    if not module.startswith("skpoe"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", skip_foreign_members)


# -- Benchmark tables -------------------------------------------------------------------------
# One page per benchmarks/results/*.md, included as it is (the results files stay the one
# source), grouped by what they measure; a new results file lands in "Other" until named here.
_BENCH_GROUPS = [
    (
        "Label accuracy",
        (
            "model_quality",
            "semi_supervised",
            "paper_comparison",
            "convergence",
            "likelihood_choice",
            "missing_entries",
        ),
    ),
    (
        "Speed and memory",
        (
            "throughput",
            "flops",
            "scaling",
            "threads",
            "parallel_search",
            "fit_memory",
            "inference_memory",
            "out_of_core",
            "unlabeled_cost",
        ),
    ),
    ("Robustness", ("fuzz_inputs", "persistence")),
]


def write_benchmark_pages():
    out = DOCS / "benchmarks"
    out.mkdir(exist_ok=True)
    groups = {name: [] for name, _ in _BENCH_GROUPS}
    groups["Other"] = []
    for md in sorted((ROOT / "benchmarks" / "results").glob("*.md")):
        lines = md.read_text().splitlines()
        has_title = bool(lines) and lines[0].startswith("# ")
        title = lines[0][2:].strip() if has_title else md.stem.replace("_", " ")
        page = (
            # the tables need the width of the right-hand column
            "---\nhtml_theme.sidebar_secondary.remove: true\n---\n\n"
            f"# {title} ({md.stem})\n\n"
            f"From `benchmarks/results/{md.name}`.\n\n"
            f"```{{include}} ../../benchmarks/results/{md.name}\n"
            + (":start-line: 1\n" if has_title else "")
            + "```\n"
        )
        target = out / f"{md.stem}.md"
        if not target.exists() or target.read_text() != page:
            target.write_text(page)
        group = next((g for g, prefixes in _BENCH_GROUPS if md.stem.startswith(prefixes)), "Other")
        groups[group].append(md.stem)
    index = [
        "Benchmarks",
        "==========",
        "",
        "The measured tables of ``benchmarks/``, each with the exact command that made it. A",
        "benchmark is a script in ``benchmarks/`` that prints its table and writes it to",
        "``benchmarks/results/<name>.md``; these pages include those files as they are.",
        "",
        "The headline: :doc:`benchmarks/semi_supervised_summary` (semi-supervised accuracy",
        "against the baselines), :doc:`benchmarks/model_quality` (every estimator with its",
        "defaults) and :doc:`benchmarks/throughput` (against a hand-written torch loop).",
        "",
    ]
    for group, stems in groups.items():
        if not stems:
            continue
        index += [group, "-" * len(group), "", ".. toctree::", "   :maxdepth: 1", ""]
        index += [f"   benchmarks/{stem}" for stem in stems] + [""]
    text = "\n".join(index)
    target = DOCS / "benchmarks.rst"
    if not target.exists() or target.read_text() != text:
        target.write_text(text)


write_benchmark_pages()

# -- Gallery -----------------------------------------------------------------------------------
_FULL = os.environ.get("SKPOE_DOCS_FULL_EXAMPLES") == "1"
_GALLERY_OUT = DOCS / "_build" / "gallery_png"
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    # run every example (SKPOE_DOCS_EXAMPLES=<regex> runs only the matching ones, for a quick
    # local look; the others are shown without their output)
    "filename_pattern": os.environ.get("SKPOE_DOCS_EXAMPLES", r"\.py$"),
    "reset_argv": ExampleArgs(_GALLERY_OUT, quick=not _FULL),
    "image_scrapers": (WrittenPNGs(_GALLERY_OUT),),
    "reset_modules": ("matplotlib",),
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "show_memory": False,
    "plot_gallery": "True",
}

# -- HTML --------------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skpoe {release}"
html_static_path = ["_static"]
html_css_files = ["skpoe.css"]
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "header_links_before_dropdown": 7,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_sidebars = {"index": [], "getting_started": []}
html_show_sourcelink = False
