"""Every docstring example in ketorch runs as a doctest, one test per module.

Examples run in their module's namespace (as ``python -m doctest`` would), with
``NORMALIZE_WHITESPACE | ELLIPSIS``; the autouse fixture in ``conftest.py`` seeds
torch and NumPy before each module, so random outputs are reproducible.
"""

from __future__ import annotations

import doctest
import importlib
import io
import pkgutil

import pytest

import ketorch

FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def _module_names():
    names = ["ketorch"]
    for info in pkgutil.walk_packages(ketorch.__path__, "ketorch."):
        names.append(info.name)
    return sorted(names)


MODULES = _module_names()


def _doctests(module):
    finder = doctest.DocTestFinder(exclude_empty=True)
    return [t for t in finder.find(module, module.__name__) if t.examples]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in _doctests(module):
        runner.run(test, out=report.write)
    assert runner.failures == 0, (
        f"{runner.failures} failing examples in {name}:\n{report.getvalue()}"
    )


def test_docstring_examples_exist():
    """Guards the collection itself: the package's examples are found (723 when written)."""
    count = sum(len(t.examples) for n in MODULES for t in _doctests(importlib.import_module(n)))
    assert count >= 700, count
