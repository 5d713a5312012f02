"""The Examples sections of skpoe's docstrings run, as doctests, in the default suite.

Every module of the package is searched; each module with examples is one
test. The estimators' examples fit five models for two epochs on the digits
halves (about two seconds each).
"""

import doctest
import importlib
import pkgutil

import pytest

import skpoe

#: Modules that are not imported here: the command-line entry point.
_SKIP = {"skpoe.__main__"}

#: Optional packages that a module's examples import (the module itself imports them lazily).
_NEEDS = {"skpoe.io": ("anndata", "mudata")}

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _modules_with_examples():
    found = []
    finder = doctest.DocTestFinder()
    for info in pkgutil.walk_packages(skpoe.__path__, "skpoe."):
        if info.name in _SKIP:
            continue
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an optional dependency (mudata, dask, ...) is missing
            continue
        if any(t.examples for t in finder.find(module, module=module)):
            found.append(info.name)
    return found


MODULES = _modules_with_examples()


def test_the_estimators_examples_are_found():
    # a change to the search that finds nothing would pass every test below
    assert "skpoe.estimators._classes" in MODULES and "skpoe.compose" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    for package in _NEEDS.get(name, ()):
        pytest.importorskip(package)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=FLAGS, report=True, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} failed; see above"
