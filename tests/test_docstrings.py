"""The Examples sections of the public API's docstrings run and print what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("module", ["vaeaug.sampler", "vaeaug.image_sampler",
                                    "vaeaug.evaluate", "vaeaug.image_evaluate"])
def test_docstring_examples(module):
    # the sampler's example showed [179, 179] where it printed [180, 180]
    result = doctest.testmod(importlib.import_module(module), report=True,
                             optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
