"""Differential fuzzing of the primal pipeline on randomly generated programs.

Each example is a random function (see ``programs.py``); it is lowered to IR,
verified, emitted back to Python, and the emitted function must give exactly
the same result as the original (same type and float bits, NaN equal to NaN),
or raise the same exception type.

``S2SAD_FUZZ_EXAMPLES`` sets the number of examples per test (default 150).
"""
from __future__ import annotations

import os
import sys

import pytest
from hypothesis import given, note, settings

try:
    from .programs import (Program, describe_outcome, inputs, outcome, programs,
                           same_outcome)
except ImportError:  # run outside the tests package
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from programs import (Program, describe_outcome, inputs, outcome,  # type: ignore
                          programs, same_outcome)

EXAMPLES = int(os.environ.get("S2SAD_FUZZ_EXAMPLES", "150"))
fuzz_settings = settings(max_examples=EXAMPLES, deadline=None)


def _check_round_trip(prog: Program, args: tuple) -> None:
    from s2sad.backend import compile_primal
    from s2sad.frontend import lower
    from s2sad.ir import verify

    note("generated program:\n" + prog.source)
    args = args[:prog.n_params]
    fn = prog.make()
    expected = outcome(fn, args)

    def fail(what: str) -> str:
        return "%s\n--- generated program, args=%r ---\n%s" % (what, args, prog.source)

    try:
        func = lower(fn)
    except Exception as exc:  # noqa: BLE001
        raise AssertionError(fail("lower() raised %s: %s" % (type(exc).__name__, exc))) from exc
    try:
        verify(func)
    except Exception as exc:  # noqa: BLE001
        raise AssertionError(fail("verify() raised %s: %s" % (type(exc).__name__, exc))) from exc
    try:
        prim = compile_primal(func)
    except Exception as exc:  # noqa: BLE001
        raise AssertionError(fail("compile_primal() raised %s: %s"
                                  % (type(exc).__name__, exc))) from exc
    note("emitted primal:\n" + getattr(prim, "source", "<no .source>"))
    actual = outcome(prim, args)
    assert same_outcome(expected, actual), fail(
        "original %s but emitted primal %s\n--- emitted ---\n%s"
        % (describe_outcome(expected), describe_outcome(actual),
           getattr(prim, "source", "<no .source>")))


@fuzz_settings
@given(programs(allow_arrays=False), inputs())
def test_scalar_programs_round_trip(prog: Program, args: tuple) -> None:
    _check_round_trip(prog, args)


@fuzz_settings
@given(programs(allow_arrays=True), inputs())
def test_array_programs_round_trip(prog: Program, args: tuple) -> None:
    _check_round_trip(prog, args)


@settings(max_examples=50, deadline=None)
@given(programs(allow_arrays=True), inputs())
def test_generated_programs_run(prog: Program, args: tuple) -> None:
    """The generator's own contract: programs compile, run, return a finite value."""
    import inspect
    import math

    note(prog.source)
    fn = prog.make()
    assert inspect.getsource(fn) == prog.source
    result = fn(*args[:prog.n_params])
    assert isinstance(result, (int, float)), type(result)
    assert math.isfinite(result), result


@settings(max_examples=50, deadline=None)
@given(programs(allow_lists=False, allow_arrays=False, allow_nonsmooth=False), inputs())
def test_float_programs_return_floats(prog: Program, args: tuple) -> None:
    """The floats-only variant (the one the AD tests use) only ever returns floats."""
    import math

    note(prog.source)
    for name in ("abs(", "max(", "min(", "np.", "sum(", "["):
        assert name not in prog.source
    result = prog.make()(*args[:prog.n_params])
    assert type(result) is float and math.isfinite(result), result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
