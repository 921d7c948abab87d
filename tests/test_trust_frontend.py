"""What the frontend reads is what runs: decorated functions are differentiated through
their wrappers, a file edited since it was imported is refused, deep expressions compile,
derivatives compile safely from several threads, a gradient has the type of its argument
(an array for a 0-d array) and transforms do not keep the functions they were given
alive. Values are compared with the plain function, central finite differences or
derivatives worked out by hand."""
import functools
import gc
import importlib.util
import linecache
import math
import sys
import textwrap
import threading
import weakref

import numpy as np
import pytest

import s2sad
from s2sad import api
from s2sad.frontend import limits

from .numeric import numeric_gradient

# -- deep expressions -------------------------------------------------------------------


def from_text(body, name):
    filename = f"<trust {name}>"
    source = f"import math\n\n\ndef {name}(x):\n    return {body}\n"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name], filename


def test_a_sum_of_2000_terms_in_one_expression():
    limit = sys.getrecursionlimit()
    f, _ = from_text(" + ".join(["x"] * 2000), "long_sum")
    assert s2sad.grad(f)(0.5) == 2000.0
    assert s2sad.value_and_grad(f)(0.25) == (500.0, 2000.0)
    assert s2sad.jvp(f)(0.5, 1.0) == (1000.0, 2000.0)
    assert sys.getrecursionlimit() == limit


def test_180_nested_calls_in_one_expression():
    depth = 180
    f, _ = from_text("math.sin(" * depth + "x" + ")" * depth, "nested_sines")
    for x in (0.3, 1.1):
        expected = numeric_gradient(f, (x,), 0)
        assert s2sad.grad(f)(x) == pytest.approx(expected, rel=1e-6, abs=1e-9)
        value, tangent = s2sad.jvp(f)(x, 1.0)
        assert value == f(x)
        assert tangent == pytest.approx(expected, rel=1e-6, abs=1e-9)
    chained = 1.0
    inner = 0.3
    for _ in range(depth):  # the chain rule by hand
        chained *= math.cos(inner)
        inner = math.sin(inner)
    assert s2sad.grad(f)(0.3) == pytest.approx(chained, rel=1e-12)


def test_an_expression_too_deep_is_an_error_at_the_function(monkeypatch):
    monkeypatch.setattr(limits, "RECURSION_LIMIT", 200)
    limit = sys.getrecursionlimit()
    f, filename = from_text(" + ".join(["x"] * 2000), "too_deep")
    with pytest.raises(s2sad.DifferentiationError) as info:
        s2sad.grad(f)(1.0)
    assert str(info.value).startswith(f"{filename}:4: ")
    assert "too deeply" in str(info.value)
    assert not isinstance(info.value, RecursionError)
    assert sys.getrecursionlimit() == limit
