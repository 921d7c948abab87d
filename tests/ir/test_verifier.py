"""The verifier accepts every lowered function and rejects each broken invariant."""
import pytest

from s2sad.frontend import lower
from s2sad.ir import (UNDEF, Const, Function, Loc, Op, Param, Region, Value,
                      VerificationError, verify)
from s2sad.ir.nodes import POSITIONAL_OR_KEYWORD

from .. import corpus

LOC = Loc("user.py", 3)


def function(ops, params=("x",)):
    values = [Value(p) for p in params]
    body = Region(values, ops(*values))
    return Function("f", [Param(p, POSITIONAL_OR_KEYWORD, v) for p, v in zip(params, values)],
                    body, LOC)


def ret(operand):
    return Op("return", [operand], loc=LOC)


def test_well_formed_function_passes():
    def ops(x):
        y = Value("y")
        return [Op("mul", [x, Const(2.0)], [y], loc=LOC), ret(y)]
    verify(function(ops))


@pytest.mark.parametrize("fn", [c[0] for c in corpus.CASES], ids=lambda f: f.__name__)
def test_every_corpus_function_verifies(fn):
    verify(lower(fn))


def broken_cases():
    def use_before_def(x):
        y, z = Value("y"), Value("z")
        return [Op("add", [z, x], [y], loc=LOC), Op("neg", [x], [z], loc=LOC), ret(y)]

    def defined_twice(x):
        y = Value("y")
        return [Op("neg", [x], [y], loc=LOC), Op("neg", [x], [y], loc=LOC), ret(y)]

    def unknown_opcode(x):
        y = Value("y")
        return [Op("frobnicate", [x], [y], loc=LOC), ret(y)]

    def no_location(x):
        y = Value("y")
        return [Op("neg", [x], [y]), ret(y)]

    def missing_return(x):
        return [Op("neg", [x], [Value()], loc=LOC)]

    def yield_arity(x):
        r = Value("r")
        then = Region([], [Op("yield", [x, x], loc=LOC)])
        orelse = Region([], [Op("yield", [x], loc=LOC)])
        return [Op("if", [x], [r], regions=[then, orelse], loc=LOC), ret(r)]

    def escapes_region(x):
        r, inner = Value("r"), Value("inner")
        then = Region([], [Op("neg", [x], [inner], loc=LOC), Op("yield", [inner], loc=LOC)])
        orelse = Region([], [Op("yield", [x], loc=LOC)])
        return [Op("if", [x], [r], regions=[then, orelse], loc=LOC), ret(inner)]

    def reads_undef(x):
        y = Value("y")
        return [Op("add", [x, UNDEF], [y], loc=LOC), ret(y)]

    def terminator_midway(x):
        return [ret(x), ret(x)]

    def loop_args(x):
        r = Value("r")
        body = Region([Value("i")], [Op("yield", [x], loc=LOC)])
        return [Op("for", [x, x], [r], {"ntargets": 1, "target": 0}, [body], LOC), ret(r)]

    def two_results(x):
        a, b = Value("a"), Value("b")
        return [Op("neg", [x], [a, b], loc=LOC), ret(a)]

    return [("uses .* before it is defined", use_before_def), ("redefines", defined_twice),
            ("unknown opcode", unknown_opcode), ("no source location", no_location),
            ("does not end with return", missing_return),
            ("yields 2 values, expected 1", yield_arity),
            ("outside its region", escapes_region), ("reads undef", reads_undef),
            ("terminator in the middle", terminator_midway),
            ("region 0 has 1 arguments, expected 2", loop_args),
            ("has 2 results, expected 1", two_results)]


@pytest.mark.parametrize("message, ops", broken_cases(), ids=[c[1].__name__ for c in broken_cases()])
def test_broken_invariant_is_reported(message, ops):
    with pytest.raises(VerificationError, match=message):
        verify(function(ops))


def test_duplicate_parameter_is_reported():
    x = Value("x")
    params = [Param("x", POSITIONAL_OR_KEYWORD, x), Param("x", POSITIONAL_OR_KEYWORD, x)]
    with pytest.raises(VerificationError, match="appears twice"):
        verify(Function("f", params, Region([x, x], [ret(x)]), LOC))
