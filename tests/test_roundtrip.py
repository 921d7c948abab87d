"""Round-trip tests: lower each corpus function to SSA IR, emit it back as Python,
and check that the emitted function behaves exactly like the original.

The corpus and its input convention live in ``tests/corpus.py``: ``CASES`` is a
list of ``(fn, input_sets)`` where every input set is an ``(args, kwargs)`` pair.
"""
import copy
import math
import os
import re
import sys

import numpy as np
import pytest

_HERE = os.path.dirname(os.path.abspath(__file__))
_ROOT = os.path.dirname(_HERE)
for _path in (_ROOT, _HERE):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import s2sad  # noqa: E402
from s2sad.backend import compile_primal  # noqa: E402
from s2sad.frontend import lower  # noqa: E402
from s2sad.ir import print_function, verify  # noqa: E402

import corpus  # noqa: E402

CASES = corpus.CASES
RAISING_CASES = corpus.RAISING_CASES
IDS = [fn.__name__ for fn, _ in CASES]
RAISING_IDS = [fn.__name__ for fn, _, _ in RAISING_CASES]


# ---------------------------------------------------------------------------
# Exact comparison
# ---------------------------------------------------------------------------

def assert_same(a, b, path="value"):
    """Assert that ``a`` and ``b`` are the same value of the same type.

    Floats compare exactly with ``==`` (NaN equals NaN); containers compare
    recursively; arrays must agree in dtype, shape and contents (NaN equal NaN).
    """
    assert type(a) is type(b), f"{path}: type {type(a).__name__} != {type(b).__name__}"
    if a is None:
        return
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype, f"{path}: dtype {a.dtype} != {b.dtype}"
        assert a.shape == b.shape, f"{path}: shape {a.shape} != {b.shape}"
        equal_nan = a.dtype.kind in "fc"
        assert np.array_equal(a, b, equal_nan=equal_nan), f"{path}: arrays differ:\n{a!r}\n{b!r}"
        return
    if isinstance(a, np.generic):
        assert a.dtype == b.dtype, f"{path}: dtype {a.dtype} != {b.dtype}"
        if a.dtype.kind in "fc":
            assert np.array_equal(a, b, equal_nan=True), f"{path}: {a!r} != {b!r}"
        else:
            assert a == b, f"{path}: {a!r} != {b!r}"
        return
    if isinstance(a, float):
        if math.isnan(a):
            assert math.isnan(b), f"{path}: nan != {b!r}"
        else:
            assert a == b, f"{path}: {a!r} != {b!r}"
        return
    if isinstance(a, complex):
        assert_same(a.real, b.real, path + ".real")
        assert_same(a.imag, b.imag, path + ".imag")
        return
    if isinstance(a, (bool, int, str, bytes)):
        assert a == b, f"{path}: {a!r} != {b!r}"
        return
    if isinstance(a, (tuple, list)):
        assert len(a) == len(b), f"{path}: length {len(a)} != {len(b)}: {a!r} vs {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{path}[{i}]")
        return
    if isinstance(a, dict):
        assert list(a.keys()) == list(b.keys()), f"{path}: keys {list(a)} != {list(b)}"
        for key in a:
            assert_same(a[key], b[key], f"{path}[{key!r}]")
        return
    if isinstance(a, (set, frozenset)):
        assert a == b, f"{path}: {a!r} != {b!r}"
        return
    assert a == b, f"{path}: {a!r} != {b!r}"


def _run(fn, args, kwargs):
    """Call fn; return (result, exception)."""
    try:
        return fn(*args, **kwargs), None
    except Exception as exc:  # noqa: BLE001 - any exception must be mirrored
        return None, exc


def _describe(args, kwargs):
    text = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
    return text if len(text) <= 300 else text[:300] + "..."


def _check_input(fn, prim, inputs_index, input_set):
    args, kwargs = input_set
    args1, kwargs1 = copy.deepcopy((args, kwargs))
    args2, kwargs2 = copy.deepcopy((args, kwargs))
    where = f"{fn.__name__} input #{inputs_index} ({_describe(args, kwargs)})"

    expected, exp_exc = _run(fn, args1, kwargs1)
    got, got_exc = _run(prim, args2, kwargs2)

    if exp_exc is not None:
        assert got_exc is not None, (
            f"{where}: original raised {type(exp_exc).__name__}: {exp_exc}; "
            f"emitted returned {got!r}")
        assert type(got_exc) is type(exp_exc), (
            f"{where}: original raised {type(exp_exc).__name__}: {exp_exc}; "
            f"emitted raised {type(got_exc).__name__}: {got_exc}")
    else:
        if got_exc is not None:
            raise AssertionError(
                f"{where}: original returned {expected!r}; emitted raised "
                f"{type(got_exc).__name__}: {got_exc}") from got_exc
        assert_same(expected, got, f"{where}: result")

    # Arguments may have been mutated in place; the mutation must match too.
    assert_same(args1, args2, f"{where}: args after call")
    assert_same(kwargs1, kwargs2, f"{where}: kwargs after call")


def _lower_and_emit(fn):
    func = lower(fn)
    verify(func)
    text = print_function(func)
    assert isinstance(text, str) and text.strip(), "print_function returned empty text"
    assert fn.__name__ in text, f"function name {fn.__name__!r} missing from IR text:\n{text}"
    prim = compile_primal(func)
    assert callable(prim)
    source = prim.source
    assert isinstance(source, str) and source.strip(), "emitted source is empty"
    compile(source, f"<primal {fn.__name__}>", "exec")
    return func, text, prim


# ---------------------------------------------------------------------------
# Tests
# ---------------------------------------------------------------------------

def test_corpus_shape():
    """The corpus itself honours its documented convention."""
    assert len(CASES) >= 45
    for fn, inputs in CASES:
        assert callable(fn)
        assert 2 <= len(inputs) <= 4, fn.__name__
        for input_set in inputs:
            args, kwargs = input_set
            assert isinstance(args, tuple) and isinstance(kwargs, dict), fn.__name__


@pytest.mark.parametrize("fn,inputs", CASES, ids=IDS)
def test_roundtrip(fn, inputs):
    func, text, prim = _lower_and_emit(fn)
    for index, input_set in enumerate(inputs):
        _check_input(fn, prim, index, input_set)


@pytest.mark.parametrize("fn,inputs,exc_type", RAISING_CASES, ids=RAISING_IDS)
def test_bad_input_raises_same_exception(fn, inputs, exc_type):
    _, _, prim = _lower_and_emit(fn)
    for index, (args, kwargs) in enumerate(inputs):
        where = f"{fn.__name__} bad input #{index} ({_describe(args, kwargs)})"
        a1, k1 = copy.deepcopy((args, kwargs))
        a2, k2 = copy.deepcopy((args, kwargs))
        with pytest.raises(exc_type):
            fn(*a1, **k1)
        try:
            got = prim(*a2, **k2)
        except Exception as exc:  # noqa: BLE001
            assert type(exc) is exc_type, (
                f"{where}: original raised {exc_type.__name__}; emitted raised "
                f"{type(exc).__name__}: {exc}")
        else:
            raise AssertionError(f"{where}: original raised {exc_type.__name__}; "
                                 f"emitted returned {got!r}")


def test_verify_all_cases():
    """Lowering + verification succeeds for every function in the corpus."""
    failures = []
    for fn, _ in CASES:
        try:
            verify(lower(fn))
        except Exception as exc:  # noqa: BLE001 - collect every failure
            failures.append(f"{fn.__name__}: {type(exc).__name__}: {exc}")
    assert not failures, "\n".join(failures)


_LINE_COMMENT = re.compile(r"#\s*-?\d+\s*$")


@pytest.mark.parametrize("fn,inputs", CASES, ids=IDS)
def test_ir_text_has_line_numbers(fn, inputs):
    text = s2sad.ir(fn)
    assert isinstance(text, str) and text.strip()
    assert fn.__name__ in text
    lines = text.splitlines()
    assert any(_LINE_COMMENT.search(line) for line in lines), text
    missing = [line for line in lines if " = " in line and "#" not in line]
    assert not missing, "op lines without a line-number comment:\n" + "\n".join(missing)
