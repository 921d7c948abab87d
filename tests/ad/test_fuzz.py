"""Property-based fuzzing of derivatives on random NumPy programs with loops, branches and
calls (``array_programs.py``), and the regressions it found.

On every generated program ``f`` (its helpers compiled with it), at arguments drawn from
[-2, 2]:

* reverse mode against central finite differences: ``s2sad.grad`` when ``f`` returns a
  scalar, ``s2sad.vjp`` with a random seed ``u`` (then the finite differences are those of
  ``<u, f(x)>``) when it returns an array;
* forward mode against reverse mode: ``<u, J v>`` from ``s2sad.jvp`` with a random tangent
  ``v`` equals ``<J^T u, v>`` from the reverse sweep (``u = 1`` for a scalar output);
* the value the derivatives return is ``f``'s, and the arguments come back unchanged.

Tolerances. Central differences take a step ``h = 1e-6`` per coordinate (arguments are of
size ~1): truncation error ``h^2 |f'''| / 6`` and rounding error ``~1e-16 * C / h`` with
intermediate values ``C <= 400`` (the generator's cap) are both far below
``|AD - FD| <= 1e-5 * |FD| + 1e-6``, the tolerance used. Forward against reverse (both
exact up to rounding): ``|<u, Jv> - <J^T u, v>| <= 1e-8 * scale + 1e-10`` where ``scale =
sum_i |J^T u|_i |v_i|``. Kinks are known by construction (``where``, ``maximum``/``minimum``
and ``if`` conditions are the only ones the generator emits): a coordinate is compared
with finite differences only when the instrumented twin of the program takes the same
decision at every kink at ``x + h e_i`` and ``x - h e_i`` as at ``x``; forward against
reverse is checked at every point, kinks included (both follow the same side of a tie).

Examples: ``S2SAD_FUZZ_EXAMPLES`` (the variable the other fuzz tests read) sets the number
of programs per hypothesis test; by default 150 for each of the two tests here, about 15 s
in all on a 2-core machine. Run ``S2SAD_FUZZ_EXAMPLES=2000 python -m pytest -q
tests/ad/test_fuzz.py`` to fuzz harder.
"""
from __future__ import annotations

import copy
import inspect
import linecache
import os
import re
import sys
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

import s2sad
from s2sad.ad.aliasing import AliasedWriteError

try:
    from ..array_programs import ArrayProgram, Kinks, array_programs_with_inputs
except ImportError:  # run outside the tests package
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from array_programs import ArrayProgram, Kinks, array_programs_with_inputs  # type: ignore

FD_STEP = 1e-6
FD_RTOL, FD_ATOL = 1e-5, 1e-6
AD_RTOL, AD_ATOL = 1e-8, 1e-10
EXAMPLES = int(os.environ.get("S2SAD_FUZZ_EXAMPLES", "150"))

# What the statistics (pytest --hypothesis-show-statistics) count, by a marker in the source.
FEATURES = (("a loop", ("for ",)), ("an if", ("if ",)), ("a call", ("h0(", "h1(")),
            ("a store", ("] = ", "] += ")), ("a where", ("np.where",)),
            ("a product", (" @ ", "np.dot")))

fuzz_settings = settings(max_examples=EXAMPLES, deadline=None,
                         suppress_health_check=[HealthCheck.too_slow,
                                                HealthCheck.data_too_large])


# ---------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------

def _inner(a: Sequence[Any], b: Sequence[Any]) -> Tuple[float, float]:
    """``sum <a_k, b_k>`` over equally shaped pairs, and its scale ``sum |a_k| |b_k|``."""
    total = scale = 0.0
    for x, y in zip(a, b):
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        total += float(np.sum(x * y))
        scale += float(np.sum(np.abs(x) * np.abs(y)))
    return total, scale


def _random_like(x: Any, rng: np.random.Generator) -> Any:
    if isinstance(x, np.ndarray) or np.ndim(x):
        return rng.uniform(-1.0, 1.0, size=np.shape(x))
    return float(rng.uniform(-1.0, 1.0))


def _shifted(args: Sequence[Any], k: int, index: Tuple[int, ...], delta: float) -> Tuple:
    moved = list(copy.deepcopy(tuple(args)))
    if index:
        moved[k] = moved[k].copy()
        moved[k][index] += delta
    else:
        moved[k] = moved[k] + delta
    return tuple(moved)


Twin = Callable[..., Tuple[Any, Kinks]]


class _Case:
    """A function, its arguments and an output seed ``u``, with the oracles. ``twin`` runs
    the same function recording its kinks (``ArrayProgram.make_instrumented``)."""

    def __init__(self, fn: Callable[..., Any], twin: Twin, args: Tuple[Any, ...],
                 seed: int) -> None:
        self.fn = fn
        self.source = inspect.getsource(fn)
        self.params = list(inspect.signature(fn).parameters)
        self.args = args
        self.wrt = tuple(range(len(args)))
        rng = np.random.default_rng(seed)
        self.value = fn(*copy.deepcopy(args))
        self.scalar = np.ndim(self.value) == 0
        self.u = 1.0 if self.scalar else rng.uniform(-1.0, 1.0, size=np.shape(self.value))
        self.v = tuple(_random_like(a, rng) for a in args)
        self.twin = twin
        self.decisions = twin(*copy.deepcopy(args))[1].decisions

    def fail(self, what: str, *sources: Tuple[str, Callable[[], str]]) -> AssertionError:
        parts = ["%s\nat args=%r" % (what, self.args), "--- function ---\n" + self.source]
        for title, get in sources:
            try:
                parts.append("--- %s ---\n%s" % (title, get()))
            except Exception as exc:  # noqa: BLE001 - the source is only context
                parts.append("--- %s: unavailable (%s) ---" % (title, exc))
        return AssertionError("\n".join(parts))

    def reverse_source(self) -> str:
        return s2sad.source(self.fn, wrt=self.wrt)

    def forward_source(self) -> str:
        return s2sad.source(self.fn, mode="forward", wrt=self.wrt)

    def run(self, what: str, call: Callable[[], Any],
            source: Callable[[], str]) -> Any:
        """``call()``, failing with the program and generated source if it raises or
        changes the arguments."""
        before = copy.deepcopy(self.args)
        try:
            result = call()
        except Exception as exc:  # noqa: BLE001
            raise self.fail("%s raised %s: %s" % (what, type(exc).__name__, exc),
                            (what, source)) from exc
        for k, (a, b) in enumerate(zip(before, self.args)):
            if not np.array_equal(a, b):
                raise self.fail("%s changed argument %d: %r -> %r" % (what, k, a, b))
        return result

    def cotangent(self) -> Tuple[Any, ...]:
        """``J^T u`` by reverse mode (``grad`` for a scalar output, ``vjp`` otherwise)."""
        if self.scalar:
            value, g = self.run("value_and_grad", lambda: s2sad.value_and_grad(
                self.fn, wrt=self.wrt)(*self.args), self.reverse_source)
        else:
            value, g = self.run("vjp", lambda: s2sad.vjp(self.fn, wrt=self.wrt)(
                *self.args, self.u), self.reverse_source)
        self.check_value("reverse mode", value)
        for k, (gk, a) in enumerate(zip(g, self.args)):
            if np.shape(gk) != np.shape(a) or isinstance(a, float) != isinstance(gk, float):
                raise self.fail("d/d%s is a %s of shape %r, the argument a %s of shape %r"
                                % (self.params[k], type(gk).__name__, np.shape(gk),
                                   type(a).__name__, np.shape(a)),
                                ("reverse source", self.reverse_source))
        return g

    def check_value(self, what: str, value: Any) -> None:
        if not (np.shape(value) == np.shape(self.value)
                and np.allclose(value, self.value, rtol=1e-12, atol=1e-12)):
            raise self.fail("%s returns the value %r, f returns %r" % (what, value, self.value))

    def phi(self, args: Tuple[Any, ...]) -> Tuple[float, List[Tuple[bool, ...]]]:
        """``<u, f(args)>`` and the decisions taken at kinks."""
        value, kinks = self.twin(*args)
        return float(np.sum(self.u * np.asarray(value, dtype=np.float64))), kinks.decisions

    def check_against_fd(self, g: Tuple[Any, ...]) -> None:
        skipped = 0
        for k, a in enumerate(self.args):
            for index in np.ndindex(*np.shape(a)):
                up, dec_up = self.phi(_shifted(self.args, k, index, FD_STEP))
                down, dec_down = self.phi(_shifted(self.args, k, index, -FD_STEP))
                if dec_up != self.decisions or dec_down != self.decisions:
                    skipped += 1
                    continue
                fd = (up - down) / (2 * FD_STEP)
                got = float(np.asarray(g[k])[index])
                if not abs(got - fd) <= FD_RTOL * abs(fd) + FD_ATOL:
                    name = self.params[k] + ("[%s]" % ", ".join(map(str, index))
                                                     if index else "")
                    raise self.fail("d<u, f>/d%s: reverse mode %r, central differences %r "
                                    "(u=%r)" % (name, got, fd, self.u),
                                    ("reverse source", self.reverse_source))
        if skipped:
            event("finite differences: coordinates next to a kink skipped")

    def check_forward(self, g: Tuple[Any, ...]) -> None:
        value, t = self.run("jvp", lambda: s2sad.jvp(self.fn, wrt=self.wrt)(
            *self.args, self.v), self.forward_source)
        self.check_value("forward mode", value)
        if np.shape(t) != np.shape(self.value):
            raise self.fail("the tangent has shape %r, the output %r"
                            % (np.shape(t), np.shape(self.value)))
        forward, _ = _inner([self.u], [t])
        reverse, scale = _inner(g, self.v)
        if not abs(forward - reverse) <= AD_RTOL * scale + AD_ATOL:
            raise self.fail("<u, J v> by forward mode %r, <J^T u, v> by reverse mode %r "
                            "(v=%r, u=%r)" % (forward, reverse, self.v, self.u),
                            ("forward source", self.forward_source),
                            ("reverse source", self.reverse_source))


def check_function(fn: Callable[..., Any], args: Tuple[Any, ...], seed: int = 0,
                   twin: Optional[Twin] = None) -> None:
    """Every check of the module docstring on ``fn`` at ``args``, differentiated with
    respect to all of them. Without a ``twin`` that records kinks, ``fn`` must be smooth
    around ``args``."""
    case = _Case(fn, twin or (lambda *a: (fn(*a), Kinks())), args, seed)
    g = case.cotangent()
    case.check_forward(g)
    case.check_against_fd(g)


def check_program(prog: ArrayProgram, args: Tuple[Any, ...], seed: int) -> None:
    """Every check on a generated program; a program that gave a local array a second
    name (``prog.aliased``) may instead be refused by an :class:`AliasedWriteError`
    pointing at one of its in-place writes, and no other program may."""
    note("generated program:\n" + prog.source)
    event("output: array" if prog.out else "output: scalar")
    for feature, markers in FEATURES:
        if any(m in prog.source for m in markers):
            event("has " + feature)
    fn = prog.make()
    try:
        check_function(fn, args, seed, prog.make_instrumented())
    except AssertionError as failure:
        refusal = failure.__cause__
        if not (prog.aliased and isinstance(refusal, AliasedWriteError)):
            raise
        check_refusal(refusal, fn)
        event("refused: a write another name sees")


def check_refusal(error: AliasedWriteError, fn: Callable[..., Any]) -> None:
    """``error`` points at an in-place write in ``fn``'s module (a store or an augmented
    assignment), quotes it and says what to write instead."""
    filename = inspect.getsourcefile(fn)
    written = linecache.getline(filename, error.lineno).strip()
    assert error.filename == filename and re.search(r"\] = |[-+*/]= ", written), \
        (str(error), written)
    assert f"`{written}`" in error.message and error.advice, str(error)


@fuzz_settings
@given(array_programs_with_inputs(array_output=False), st.integers(0, 2 ** 32 - 1))
def test_random_array_programs_scalar_output(case: Tuple[ArrayProgram, Tuple], seed: int) -> None:
    check_program(case[0], case[1], seed)


@fuzz_settings
@given(array_programs_with_inputs(), st.integers(0, 2 ** 32 - 1))
def test_random_array_programs(case: Tuple[ArrayProgram, Tuple], seed: int) -> None:
    check_program(case[0], case[1], seed)


# ---------------------------------------------------------------------------
# The oracle catches a wrong derivative
# ---------------------------------------------------------------------------

def cube(x):
    return x ** 3


@s2sad.register_reverse(cube)
def cube_wrong_adjoint(g, y, x):
    return g * 2.0 * x * x               # should be 3 x^2


@s2sad.register_forward(cube)
def cube_tangent(dx, y, x):
    return dx * 3.0 * x * x


def uses_cube(x, W):
    return np.sum(cube(W @ x))


def test_the_checks_catch_a_wrong_adjoint() -> None:
    x, W = np.array([0.3, -0.4, 0.5]), np.array([[0.1, 0.2, -0.3], [0.7, -0.5, 0.2]])
    with pytest.raises(AssertionError, match="forward mode"):
        check_function(uses_cube, (x, W))


# ---------------------------------------------------------------------------
# Regressions the fuzzer found (minimised programs, checked the same way)
# ---------------------------------------------------------------------------
# The value ``vjp`` returned was the output array after the adjoint sweep had put the
# stored elements back (``r0[0] = old``): [0, 0] instead of [1, 0].

def stored_then_returned(x, c):
    r0 = x[1:] + x[1:]
    r0[0] += c
    return r0


def stored_then_returned_in_a_tuple(x, c):
    r0 = x * 2.0
    r0[0] = c
    return r0, c


def sum_of_column(a, b, s=0.5):
    r0 = np.sin(a[:, 0])
    return np.sum(a.reshape(3, 2) @ (r0 / (1.0 + a[:, 0] * a[:, 0])))


def doubled(a, b, s=0.5):
    sum_of_column(np.zeros((2, 3)), np.zeros(3))
    return a + a


def stored_after_a_loop(W):                # the output's kind is not known statically
    s0 = np.sum(W)
    v0 = np.zeros(3)
    for i in range(2):
        v1 = W[0]
        v0 += np.sin(v1) - np.where(v1 > v1[0], np.sum(W, axis=0), 1.0)
    v0[:2] = W[:, 1]
    v0[1] = np.tanh(sum_of_column(W, b=np.mean(W, axis=0))
                    * (doubled(s0, v0.sum(), s=np.mean(W)) * (np.mean(W) / 2.0)))
    return v0


def stored_in_a_branch_returned_as_a_view(x, W):
    v0 = np.sum(W, axis=0)
    if np.sum(x) < 0.5:
        v0[::2] = np.tanh(W[0] @ W.T + np.sum(x[1:]))
    return v0[1:]


# A condition an inlined helper makes constant (``h0`` returns a literal): its ``if`` was
# folded only after differentiation, and the adjoint then read the taken branch's values
# outside their region (the verifier refused the program).

def returns_half(a, s=0.5):
    return s


def stored_in_a_branch_a_helper_decides(W):
    s0 = np.sum(W)
    if returns_half(W) > 1.0:
        v0 = W[-1] + np.cos(W[0])
    else:
        v1 = np.zeros(3)
        for j in range(3):
            v1[j] = s0 * W[0, j]
        s0 = s0 + np.sum(v1 * v1)
    return s0


def test_a_branch_an_inlined_helper_makes_constant() -> None:
    check_function(stored_in_a_branch_a_helper_decides, (np.array([[0.3, -0.2, 0.5],
                                                                   [0.1, 0.4, -0.6]]),))


def test_vjp_returns_the_array_it_stored_into_as_the_primal_left_it() -> None:
    W = np.array([[-2.0, 0.99, -1.34], [0.1, 1.0, 0.2]])
    check_function(stored_after_a_loop, (W,))
    check_function(stored_in_a_branch_returned_as_a_view, (np.array([1.6, 0.0, 0.1]) - 2.0, W))
    check_function(stored_then_returned, (np.zeros(3), 1.0))
    check_function(stored_then_returned, (np.array([0.5, -1.0, 2.0]), -0.3), seed=3)


def test_vjp_returns_a_tuple_holding_a_stored_array_as_the_primal_left_it() -> None:
    x = np.array([1.0, 2.0, 3.0])
    value, (bx, bc) = s2sad.vjp(stored_then_returned_in_a_tuple, wrt=(0, 1))(
        x, 3.0, (np.ones(3), 1.0))
    assert np.array_equal(value[0], [3.0, 4.0, 6.0]) and value[1] == 3.0
    assert np.array_equal(bx, [0.0, 2.0, 2.0]) and bc == 2.0


# A write through one name of an array is not seen through another name of it in SSA (an
# alias ``b = a`` or a view ``b = a[1:]``): the value was 12 instead of 36 for the first,
# and the derivatives were wrong for all three. They are refused, naming the write, the
# other name and what to write instead; written that way, their derivatives are right.

def add_in_place_through_an_alias(x, c):
    r0 = x * 2.0
    b = r0
    r0 *= c
    return np.sum(b)


def store_into_a_view(x, c):
    r0 = x * 2.0
    v = r0[1:]
    v[0] = c
    return np.sum(r0 * r0)


def store_then_read_a_view(x, c):
    r0 = x * 2.0
    v = r0[1:]
    r0[1] = c
    return np.sum(v * v)


def add_through_an_alias_written_out(x, c):
    r0 = x * 2.0
    b = r0
    r0 = r0 * c
    return np.sum(b)


def store_into_a_copied_view(x, c):
    r0 = x * 2.0
    v = r0[1:].copy()
    v[0] = c
    return np.sum(r0 * r0)


def store_then_read_a_copied_view(x, c):
    r0 = x * 2.0
    v = r0[1:].copy()
    r0[1] = c
    return np.sum(v * v)


def _line_of(fn: Callable[..., Any], text: str) -> int:
    """The line number of the first line of ``fn`` that contains ``text``."""
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


@pytest.mark.parametrize("fn, write, other, other_bound, fix, fix_at", [
    (add_in_place_through_an_alias, "r0 *= c", "b", "b = r0", "b = r0.copy()", "b = r0"),
    (store_into_a_view, "v[0] = c", "r0", "r0 = x", "v = r0[1:].copy()", "v = r0[1:]"),
    (store_then_read_a_view, "r0[1] = c", "v", "v = r0[1:]", "v = r0[1:].copy()", "v = r0"),
])
@pytest.mark.parametrize("transform", ["value_and_grad", "vjp", "jvp"])
def test_writes_through_an_alias_are_refused(fn: Callable[..., Any], write: str, other: str,
                                             other_bound: str, fix: str, fix_at: str,
                                             transform: str) -> None:
    x, c = np.array([1.0, 2.0, 3.0]), 3.0
    calls = {"value_and_grad": lambda: s2sad.value_and_grad(fn, wrt=(0, 1))(x, c),
             "vjp": lambda: s2sad.vjp(fn, wrt=(0, 1))(x, c, 1.0),
             "jvp": lambda: s2sad.jvp(fn, wrt=(0, 1))(x, c, (np.ones(3), 1.0))}
    with pytest.raises(AliasedWriteError) as caught:
        calls[transform]()
    error = caught.value
    assert isinstance(error, s2sad.DifferentiationError)
    assert (error.filename, error.lineno) == (inspect.getsourcefile(fn), _line_of(fn, write))
    assert str(error).startswith(f"{error.filename}:{error.lineno}: `{write}` changes ")
    assert f"but {other} (bound at line {_line_of(fn, other_bound)})" in error.message
    assert f"is read after the change, at line {_line_of(fn, 'return')}" in error.message
    assert f"write {fix} at line {_line_of(fn, fix_at)}" in error.advice
    if "*=" in write:
        assert "write r0 = r0 * c instead of `r0 *= c`" in error.advice
    assert np.array_equal(x, [1.0, 2.0, 3.0])


@pytest.mark.parametrize("fn", [add_through_an_alias_written_out, store_into_a_copied_view,
                                store_then_read_a_copied_view])
def test_writes_through_an_alias_written_as_advised(fn: Callable[..., Any]) -> None:
    check_function(fn, (np.array([1.0, 2.0, 3.0]), 3.0))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
