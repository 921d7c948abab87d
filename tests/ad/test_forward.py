"""Forward mode against reverse mode and central finite differences: ``jvp``, ``jacfwd``,
``jacrev``, ``source(mode="forward")``, ``s2sad tangent`` and random programs.

Contract under test::

    s2sad.jvp(f, wrt)(*args, tangent) -> (value, tangent_out)
        tangent: the structure of the wrt argument (a tuple of them for a tuple wrt);
        tangent_out: the structure of f's output.
    s2sad.jacfwd(f, wrt)(*args), s2sad.jacrev(f, wrt)(*args)
        -> array of shape out.shape + arg.shape (a tuple of those for a tuple wrt).

The scalar functions and their points are ``gradcases.CASES`` (the reverse-mode corpus); the
finite-difference oracle and the comparison helpers are ``test_reverse``'s. Every case runs
in forward mode: none is marked xfail, since nothing in the corpus is out of forward mode's
reach (forward mode needs no tape, so loops, branches, early exits, containers and in-place
stores are no harder than in reverse mode).

Tolerances: a directional derivative <g, v> is compared with ``atol + rtol * scale`` where
``scale = sum |g_i| |v_i|`` (the size of the terms the inner product adds, so an inner
product that cancels to ~0 is not held to a relative tolerance it cannot meet). Against
finite differences: ``test_reverse``'s RTOL/ATOL; forward against reverse (both exact up to
rounding): rtol 1e-8, atol 1e-10.

``S2SAD_FUZZ_EXAMPLES`` sets the number of random programs (default 100).
"""
from __future__ import annotations

import copy
import math
import os
import subprocess
import sys
import zlib
from typing import Any, Callable, List, Sequence, Tuple

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, note, settings

import s2sad

try:
    from . import gradcases
    from . import test_reverse as rev
    from ..programs import Program, float_programs, inputs
except ImportError:  # run outside the tests package
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import gradcases  # type: ignore
    import test_reverse as rev  # type: ignore
    from programs import Program, float_programs, inputs  # type: ignore

numerical_grad = rev.numerical_grad
numerical_jacobian = rev.numerical_jacobian
assert_close = rev.assert_close
wrt_positions = rev.wrt_positions

RTOL, ATOL = rev.RTOL, rev.ATOL        # forward mode against finite differences
AD_RTOL, AD_ATOL = 1e-8, 1e-10         # forward mode against reverse mode
FD_EPS = 1e-6                          # step along a direction v with |v_i| <= 1
FUZZ_EXAMPLES = int(os.environ.get("S2SAD_FUZZ_EXAMPLES", "100"))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Cases that genuinely cannot work in forward mode (name -> reason). None: see the docstring.
FORWARD_XFAIL: dict = {}


# ---------------------------------------------------------------------------
# Structured values: random directions, x + h v, inner products
# ---------------------------------------------------------------------------

def random_like(x: Any, rng: np.random.Generator) -> Any:
    """A random direction with the structure of ``x``: floats for floats, same-shape
    same-dtype arrays for arrays, the same containers; entries uniform in [-1, 1]."""
    if isinstance(x, np.ndarray):
        return rng.uniform(-1.0, 1.0, size=x.shape).astype(x.dtype)
    if isinstance(x, tuple):
        return tuple(random_like(v, rng) for v in x)
    if isinstance(x, list):
        return [random_like(v, rng) for v in x]
    if isinstance(x, dict):
        return {k: random_like(v, rng) for k, v in x.items()}
    if isinstance(x, (float, np.floating)) and not isinstance(x, bool):
        return float(rng.uniform(-1.0, 1.0))
    raise TypeError("no tangent for a %s" % type(x).__name__)


def shifted(x: Any, v: Any, h: float) -> Any:
    """``x + h * v`` in the structure of ``x`` (floats stay Python floats)."""
    if isinstance(x, np.ndarray):
        return x + h * v
    if isinstance(x, tuple):
        return tuple(shifted(a, b, h) for a, b in zip(x, v))
    if isinstance(x, list):
        return [shifted(a, b, h) for a, b in zip(x, v)]
    if isinstance(x, dict):
        return {k: shifted(x[k], v[k], h) for k in x}
    return float(x + h * v)


def leaves(x: Any) -> List[Any]:
    """Leaves of a nested tuple/list/dict (dicts in sorted key order)."""
    return [leaf for _, leaf in rev._leaves(x)]


def inner(a: Any, b: Any) -> float:
    """Sum of elementwise products of two equally structured values."""
    la, lb = leaves(a), leaves(b)
    assert len(la) == len(lb), "structures differ: %r vs %r" % (a, b)
    return float(sum(np.sum(np.asarray(u, dtype=np.float64) * np.asarray(w, dtype=np.float64))
                     for u, w in zip(la, lb)))


def abs_inner(a: Any, b: Any) -> float:
    """``sum |a_i| |b_i|``: the scale of ``inner(a, b)``."""
    la, lb = leaves(a), leaves(b)
    return float(sum(np.sum(np.abs(np.asarray(u, dtype=np.float64))
                            * np.abs(np.asarray(w, dtype=np.float64)))
                     for u, w in zip(la, lb)))


def map_output(fn: Callable[..., Any], *outs: Any) -> Any:
    """Apply ``fn`` leafwise to equally structured values (tuples, lists, dicts kept)."""
    first = outs[0]
    if isinstance(first, (tuple, list)):
        return type(first)(map_output(fn, *parts) for parts in zip(*outs))
    if isinstance(first, dict):
        return {k: map_output(fn, *[o[k] for o in outs]) for k in first}
    return fn(*outs)


def args_with(args: Sequence[Any], positions: Sequence[int], values: Sequence[Any]) -> Tuple:
    new = list(copy.deepcopy(tuple(args)))
    for p, val in zip(positions, values):
        new[p] = val
    return tuple(new)


def fd_along(fn: Callable[..., Any], args: Sequence[Any], wrt: Any, v: Any,
             eps: float = FD_EPS) -> Any:
    """Central difference of ``fn`` at ``args`` along the tangent ``v`` (structured like the
    wrt argument(s), as jvp takes it), in the structure of ``fn``'s output."""
    pos = wrt_positions(fn, wrt)
    vs = v if isinstance(wrt, tuple) else (v,)
    plus = fn(*args_with(args, pos, [shifted(args[p], vi, eps) for p, vi in zip(pos, vs)]))
    minus = fn(*args_with(args, pos, [shifted(args[p], vi, -eps) for p, vi in zip(pos, vs)]))
    return map_output(lambda a, b: (np.asarray(a, dtype=np.float64)
                                    - np.asarray(b, dtype=np.float64)) / (2 * eps), plus, minus)


def tangent_for(fn: Callable[..., Any], args: Sequence[Any], wrt: Any, seed: str) -> Any:
    rng = np.random.default_rng(zlib.crc32(seed.encode()))
    return random_like(rev._arg_for(fn, args, wrt), rng)


def assert_scaled_close(got: float, expected: float, scale: float, rtol: float, atol: float,
                        what: str) -> None:
    err = abs(float(got) - float(expected))
    tol = atol + rtol * scale
    assert math.isfinite(float(got)) and err <= tol, (
        "%s: %r vs expected %r (|diff| %.3g > %.3g = atol %g + rtol %g * scale %.3g)"
        % (what, got, expected, err, tol, atol, rtol, scale))


def check_output_structure(t: Any, value: Any, what: str) -> None:
    """The tangent of the output is shaped like the output."""
    if type(value) is float:
        assert isinstance(t, float) and not isinstance(t, np.ndarray), (
            "%s: the output is a float, its tangent is %s %r" % (what, type(t).__name__, t))
    elif isinstance(value, (tuple, list)):
        assert isinstance(t, (tuple, list)) and len(t) == len(value), (
            "%s: the output is a %s of %d, its tangent is %r" % (what, type(value).__name__,
                                                                 len(value), t))
        for k, (ti, vi) in enumerate(zip(t, value)):
            check_output_structure(ti, vi, "%s[%d]" % (what, k))
    else:
        assert np.shape(t) == np.shape(value), (
            "%s: output shape %r, tangent shape %r" % (what, np.shape(value), np.shape(t)))


def _case_params() -> List[Any]:
    out = []
    for case, cid in zip(gradcases.CASES, rev.CASE_IDS):
        reason = FORWARD_XFAIL.get(case[0].__name__)
        marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
        out.append(pytest.param(case, id=cid, marks=marks))
    return out


CASE_PARAMS = _case_params()


# ---------------------------------------------------------------------------
# The oracle itself (runs without the compiler)
# ---------------------------------------------------------------------------

def test_directional_fd_helpers() -> None:
    def h(p, a, d):
        return p[0] * p[1] + np.sum(a ** 2) + d["k"] ** 3 + d["v"][1]

    a = np.array([[1.0, -2.0], [0.5, 3.0]])
    args = ((2.0, 3.0), a, {"k": 1.5, "v": [4.0, 5.0]})
    rng = np.random.default_rng(0)
    v = random_like(args, rng)
    assert type(v[0]) is tuple and type(v[2]["v"]) is list and v[1].shape == a.shape
    assert isinstance(v[0][0], float)
    g = ((3.0, 2.0), 2 * a, {"k": 3 * 1.5 ** 2, "v": [0.0, 1.0]})
    fd = fd_along(h, args, (0, 1, 2), v)
    assert_scaled_close(fd, inner(g, v), abs_inner(g, v), RTOL, ATOL, "fd_along")
    assert_scaled_close(fd, inner(numerical_grad(h, args, (0, 1, 2)), v), abs_inner(g, v),
                        RTOL, ATOL, "fd_along vs numerical_grad")
    # vector outputs keep their structure
    vec = fd_along(lambda x, y: (np.sin(x) * y, y * y), (np.array([0.1, 0.2]), 1.5), (0, 1),
                   (np.array([1.0, -1.0]), 0.5))
    assert isinstance(vec, tuple) and vec[0].shape == (2,)
    assert_close(vec, (np.cos([0.1, 0.2]) * 1.5 * np.array([1.0, -1.0])
                       + np.sin([0.1, 0.2]) * 0.5, 1.5))


def test_lecture_jacobian_by_hand() -> None:
    J = numerical_jacobian(lambda x: lecture_vec_x(x), np.array([2.0, 3.0]))
    assert_close(J, LECTURE_J)


def test_vector_case_points_are_away_from_branch_boundaries() -> None:
    for x, A in VEC_LOOP_POINTS:
        margins = _vec_loop_margins(x, A)
        assert min(abs(m) for m in margins) > 1e-2, margins
    signs = {m > 0 for x, A in VEC_LOOP_POINTS for m in _vec_loop_margins(x, A)}
    assert signs == {True, False}, "both branches of VEC_loop_branch must be taken"


# ---------------------------------------------------------------------------
# jvp on the scalar corpus
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASE_PARAMS)
def test_jvp_matches_finite_differences(case: Tuple[Any, Any, Any]) -> None:
    fn, wrt, argsets = case
    rtol, atol = rev._tolerance(fn)
    f_jvp = s2sad.jvp(fn, wrt=wrt)
    for k, args in enumerate(argsets):
        v = tangent_for(fn, args, wrt, "%s-%d" % (fn.__name__, k))
        expected_value = fn(*copy.deepcopy(args))
        result = f_jvp(*copy.deepcopy(args), copy.deepcopy(v))
        assert isinstance(result, tuple) and len(result) == 2, "jvp gave %r" % (result,)
        value, t = result
        assert np.array_equal(np.asarray(value), np.asarray(expected_value)), (
            "args #%d: value %r, but the function returns %r" % (k, value, expected_value))
        check_output_structure(t, expected_value, "args #%d: tangent" % k)
        fd = fd_along(fn, args, wrt, v)
        g_num = numerical_grad(fn, args, wrt)
        scale = abs_inner(g_num, v)
        assert_scaled_close(float(np.sum(t)), float(np.sum(fd)), scale, rtol, atol,
                            "args #%d: jvp vs finite differences along v" % k)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_jvp_matches_reverse_mode(case: Tuple[Any, Any, Any]) -> None:
    fn, wrt, argsets = case
    f_jvp = s2sad.jvp(fn, wrt=wrt)
    g = s2sad.grad(fn, wrt=wrt)
    for k, args in enumerate(argsets):
        v = tangent_for(fn, args, wrt, "%s-%d" % (fn.__name__, k))
        _, t = f_jvp(*copy.deepcopy(args), copy.deepcopy(v))
        gr = g(*copy.deepcopy(args))
        assert_scaled_close(float(np.sum(t)), inner(gr, v), abs_inner(gr, v), AD_RTOL, AD_ATOL,
                            "args #%d: jvp <-> <grad, v>" % k)


@pytest.mark.parametrize("case", CASE_PARAMS)
def test_jvp_does_not_mutate_arguments(case: Tuple[Any, Any, Any]) -> None:
    fn, wrt, argsets = case
    f_jvp = s2sad.jvp(fn, wrt=wrt)
    for k, args in enumerate(argsets):
        v = tangent_for(fn, args, wrt, "%s-%d" % (fn.__name__, k))
        live_args, live_v = copy.deepcopy(args), copy.deepcopy(v)
        f_jvp(*live_args, live_v)
        assert rev.same_values(live_args, args), "args #%d: jvp mutated its arguments" % k
        assert rev.same_values(live_v, v), "args #%d: jvp mutated the tangent" % k


INPLACE_CASES = [c for c in gradcases.CASES if c[0].__name__ in (
    "aug_diag_in_branch", "setitem_slice", "setitem_overwrite_loop", "aug_array_elements",
    "setitem_basic", "np_build_arrays")]


@pytest.mark.parametrize("case", INPLACE_CASES, ids=[rev._case_id(c) for c in INPLACE_CASES])
def test_jacobians_do_not_mutate_arguments(case: Tuple[Any, Any, Any]) -> None:
    fn, wrt, argsets = case
    for name, jac in JACOBIANS:
        for k, args in enumerate(argsets):
            live = copy.deepcopy(args)
            jac(fn, wrt)(*live)
            assert rev.same_values(live, args), "args #%d: %s mutated its arguments" % (k, name)


JACOBIAN_CORPUS = [c for c in gradcases.CASES
                   if all(isinstance(a[p], (float, np.ndarray)) for a in c[2]
                          for p in wrt_positions(c[0], c[1]))]


@pytest.mark.parametrize("case", JACOBIAN_CORPUS, ids=[rev._case_id(c) for c in JACOBIAN_CORPUS])
def test_jacobians_of_scalar_functions_equal_the_gradient(case: Tuple[Any, Any, Any]) -> None:
    """For a scalar output jacfwd and jacrev are the gradient, of shape out.shape + arg.shape
    (out.shape is () but for size1_output's (1, 1))."""
    fn, wrt, argsets = case
    g = s2sad.grad(fn, wrt=wrt)
    for name, jac in JACOBIANS:
        j = jac(fn, wrt)
        for k, args in enumerate(argsets):
            got = j(*copy.deepcopy(args))
            expected = g(*copy.deepcopy(args))
            out_shape = np.shape(fn(*copy.deepcopy(args)))
            if isinstance(wrt, tuple):
                assert isinstance(got, tuple) and len(got) == len(wrt), (name, got)
            got_parts = got if isinstance(wrt, tuple) else (got,)
            exp_parts = expected if isinstance(wrt, tuple) else (expected,)
            reshaped = []
            for gi, ei in zip(got_parts, exp_parts):
                assert np.shape(gi) == out_shape + np.shape(ei), (
                    "args #%d: %s shape %r, expected %r" % (k, name, np.shape(gi),
                                                            out_shape + np.shape(ei)))
                reshaped.append(np.reshape(np.asarray(gi, dtype=np.float64), np.shape(ei)))
            assert_close(tuple(reshaped), tuple(np.asarray(e, dtype=np.float64)
                                                for e in exp_parts),
                         AD_RTOL, AD_ATOL * max(1.0, _max_abs(expected)),
                         "args #%d: %s vs grad: " % (k, name))


def _max_abs(x: Any) -> float:
    return max([0.0] + [float(np.max(np.abs(np.asarray(v, dtype=np.float64))))
                        for v in leaves(x)])


def test_jvp_lecture_values() -> None:
    # d/dx1 of ln x1 + x1 x2 - sin x2 at (2, 5) is 5.5, d/dx2 is 2 - cos 5
    value, t = s2sad.jvp(gradcases.lecture_f, wrt=(0, 1))(2.0, 5.0, (1.0, 0.0))
    assert value == gradcases.lecture_f(2.0, 5.0)
    assert isinstance(t, float) and round(t, 3) == 5.5
    _, t = s2sad.jvp(gradcases.lecture_f, wrt=("x1", "x2"))(2.0, 5.0, (0.0, 1.0))
    assert round(t, 3) == 1.716
    _, t = s2sad.jvp(gradcases.lecture_g)(2.0, 1.0)
    assert round(t, 3) == -18.259
    _, t = s2sad.jvp(gradcases.lecture_f, wrt="x2")(2.0, 5.0, 2.0)
    assert_close(t, 2.0 * (2.0 - math.cos(5.0)))


def test_jvp_is_linear_in_the_tangent() -> None:
    fn, wrt, argsets = [c for c in gradcases.CASES if c[0] is gradcases.wrt_dict_arg][0]
    args = argsets[0]
    rng = np.random.default_rng(5)
    u = random_like(args[0], rng)
    w = random_like(args[0], rng)
    f_jvp = s2sad.jvp(fn, wrt=wrt)
    _, tu = f_jvp(*copy.deepcopy(args), u)
    _, tw = f_jvp(*copy.deepcopy(args), w)
    combo = {k: 2.0 * u[k] - 0.5 * w[k] for k in u}
    _, tc = f_jvp(*copy.deepcopy(args), combo)
    assert_scaled_close(tc, 2.0 * tu - 0.5 * tw, abs(2.0 * tu) + abs(0.5 * tw), AD_RTOL, AD_ATOL,
                        "jvp(2u - w/2)")


# ---------------------------------------------------------------------------
# Vector-valued functions
# ---------------------------------------------------------------------------

def VEC_sin_rev(x):
    return np.sin(x) * x[::-1] + x * x


def VEC_scalars_to_array(a, b):
    return np.array([a * b, math.exp(a) - b, a / (1.0 + b * b)])


def VEC_matrix_in(M, w):
    return np.sin(M) @ w + M[:, 0] * M[:, 2]


def VEC_tuple_out(x, s):
    return np.tanh(x) * s, np.sum(x ** 2) * s + math.sin(s)


def VEC_loop_branch(x, A):
    y = x * 1.0
    for k in range(4):
        z = np.tanh(A @ y) + x
        if np.sum(z) > 0.0:
            y = z * 0.5
        else:
            y = z * z - 0.3
    return y


def _vec_loop_margins(x: np.ndarray, A: np.ndarray) -> List[float]:
    """The branch conditions' values np.sum(z) of VEC_loop_branch, iteration by iteration."""
    y = x * 1.0
    out = []
    for _ in range(4):
        z = np.tanh(A @ y) + x
        out.append(float(np.sum(z)))
        y = z * 0.5 if np.sum(z) > 0.0 else z * z - 0.3
    return out


_vrng = np.random.default_rng(31337)
VEC_LOOP_POINTS = [
    (np.array([0.4, -0.2, 0.3]), np.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6], [0.3, 0.2, 0.1]])),
    (np.array([-0.4, -0.2, 0.1]), np.array([[0.5, -0.3, 0.2], [0.1, 0.4, -0.6], [0.3, 0.2, 0.1]])),
]

VECTOR_CASES = [
    (VEC_sin_rev, 0, [(_vrng.uniform(-1.5, 1.5, 5),), (_vrng.uniform(-1.5, 1.5, 1),)]),
    (VEC_scalars_to_array, (0, 1), [(0.7, -1.2), (-0.3, 0.4)]),
    (VEC_scalars_to_array, "b", [(0.7, -1.2)]),
    (VEC_matrix_in, (0, 1), [(_vrng.uniform(-1, 1, (2, 3)), _vrng.uniform(-1, 1, 3))]),
    (VEC_matrix_in, 0, [(_vrng.uniform(-1, 1, (2, 3)), _vrng.uniform(-1, 1, 3))]),
    (VEC_tuple_out, (0, 1), [(_vrng.uniform(-1, 1, 4), 0.8)]),
    (VEC_tuple_out, 0, [(_vrng.uniform(-1, 1, 3), -1.1)]),
    (VEC_loop_branch, 0, VEC_LOOP_POINTS),
]
VECTOR_IDS = [rev._case_id(c) for c in VECTOR_CASES]


@pytest.mark.parametrize("case", VECTOR_CASES, ids=VECTOR_IDS)
def test_vector_jvp_matches_finite_differences(case: Tuple[Any, Any, Any]) -> None:
    fn, wrt, argsets = case
    f_jvp = s2sad.jvp(fn, wrt=wrt)
    for k, args in enumerate(argsets):
        v = tangent_for(fn, args, wrt, "vec-%s-%d" % (fn.__name__, k))
        expected_value = fn(*copy.deepcopy(args))
        value, t = f_jvp(*copy.deepcopy(args), copy.deepcopy(v))
        assert rev.same_values(map_output(np.asarray, value), map_output(np.asarray,
                                                                         expected_value)), (
            "args #%d: value %r, but the function returns %r" % (k, value, expected_value))
        check_output_structure(t, expected_value, "args #%d: tangent" % k)
        assert_close(t, fd_along(fn, args, wrt, v), RTOL, ATOL, "args #%d: J v: " % k)


@pytest.mark.parametrize("case", VECTOR_CASES, ids=VECTOR_IDS)
def test_vector_jvp_agrees_with_vjp(case: Tuple[Any, Any, Any]) -> None:
    """u . (J v) from forward mode equals (u^T J) . v from reverse mode."""
    fn, wrt, argsets = case
    f_jvp = s2sad.jvp(fn, wrt=wrt)
    f_vjp = s2sad.vjp(fn, wrt=wrt)
    for k, args in enumerate(argsets):
        v = tangent_for(fn, args, wrt, "vec-%s-%d" % (fn.__name__, k))
        out = fn(*copy.deepcopy(args))
        u = random_like(map_output(lambda o: o if isinstance(o, np.ndarray) else float(o), out),
                        np.random.default_rng(k + 100))
        _, t = f_jvp(*copy.deepcopy(args), copy.deepcopy(v))
        _, cot = f_vjp(*copy.deepcopy(args), copy.deepcopy(u))
        lhs = inner(u, t)
        rhs = inner(cot, v)
        scale = abs_inner(cot, v) + abs_inner(u, t)
        assert_scaled_close(lhs, rhs, scale, AD_RTOL, AD_ATOL, "args #%d: u.(Jv) vs (u^T J).v" % k)


# ---------------------------------------------------------------------------
# Jacobians: the lecture's f: R^2 -> R^2 and shapes
# ---------------------------------------------------------------------------

def lecture_vec_array(x1, x2):
    return np.array([x1 * x2 + math.cos(x1), x2 ** 3 + math.log(x1) - x2])


def lecture_vec_tuple(x1, x2):
    return x1 * x2 + math.cos(x1), x2 ** 3 + math.log(x1) - x2


def lecture_vec_x(x):
    return np.array([x[0] * x[1] + np.cos(x[0]), x[1] ** 3 + np.log(x[0]) - x[1]])


# At (2, 3): columns d/dx1 = (3 - sin 2, 1/2), d/dx2 = (2, 3*9 - 1).
LECTURE_J = np.array([[3.0 - math.sin(2.0), 2.0], [0.5, 26.0]])

JACOBIANS = [("jacfwd", lambda f, wrt: s2sad.jacfwd(f, wrt=wrt)),
             ("jacrev", lambda f, wrt: s2sad.jacrev(f, wrt=wrt))]


@pytest.mark.parametrize("fn", [lecture_vec_array, lecture_vec_tuple], ids=["array", "tuple"])
@pytest.mark.parametrize("name, jac", JACOBIANS, ids=[j[0] for j in JACOBIANS])
def test_lecture_jacobian_columns(fn: Callable[..., Any], name: str, jac: Any) -> None:
    cols = jac(fn, (0, 1))(2.0, 3.0)
    assert isinstance(cols, tuple) and len(cols) == 2, "%s wrt=(0, 1) gave %r" % (name, cols)
    c1, c2 = (np.asarray(c, dtype=np.float64) for c in cols)
    assert c1.shape == (2,) and c2.shape == (2,), (c1.shape, c2.shape)
    assert_close(c1, np.array([3.0 - math.sin(2.0), 0.5]), 1e-12, 1e-12, "%s column 1: " % name)
    assert_close(c2, np.array([2.0, 26.0]), 1e-12, 1e-12, "%s column 2: " % name)
    col = np.asarray(jac(fn, "x1")(2.0, 3.0), dtype=np.float64)
    assert col.shape == (2,)
    assert_close(col, LECTURE_J[:, 0], 1e-12, 1e-12, "%s wrt x1: " % name)


@pytest.mark.parametrize("fn", [lecture_vec_array, lecture_vec_tuple], ids=["array", "tuple"])
def test_lecture_jacfwd_equals_jacrev_and_fd(fn: Callable[..., Any]) -> None:
    for x1, x2 in [(2.0, 3.0), (0.7, -1.3), (3.1, 0.4)]:
        fwd = np.stack([np.asarray(c, dtype=np.float64)
                        for c in s2sad.jacfwd(fn, wrt=(0, 1))(x1, x2)], axis=-1)
        bwd = np.stack([np.asarray(c, dtype=np.float64)
                        for c in s2sad.jacrev(fn, wrt=(0, 1))(x1, x2)], axis=-1)
        J = numerical_jacobian(lambda x: np.asarray(fn(x[0], x[1])), np.array([x1, x2]))
        assert_close(fwd, bwd, AD_RTOL, AD_ATOL, "jacfwd vs jacrev at (%g, %g): " % (x1, x2))
        assert_close(fwd, J, RTOL, ATOL, "jacfwd vs FD at (%g, %g): " % (x1, x2))


@pytest.mark.parametrize("name, jac", JACOBIANS, ids=[j[0] for j in JACOBIANS])
def test_lecture_jacobian_of_array_argument(name: str, jac: Any) -> None:
    J = jac(lecture_vec_x, 0)(np.array([2.0, 3.0]))
    assert isinstance(J, np.ndarray) and J.shape == (2, 2) and J.dtype == np.float64, J
    assert_close(J, LECTURE_J, 1e-12, 1e-12, "%s: " % name)


def tanh_layer(x, A):
    return np.tanh(A @ x)


def test_jacobian_shapes_vector_to_vector() -> None:
    rng = np.random.default_rng(11)
    A = rng.uniform(-1, 1, (4, 3))
    x = rng.uniform(-1, 1, 3)
    expected = (1.0 - np.tanh(A @ x) ** 2)[:, None] * A
    for name, jac in JACOBIANS:
        J = jac(tanh_layer, 0)(x.copy(), A.copy())
        assert isinstance(J, np.ndarray) and J.shape == (4, 3), (name, np.shape(J))
        assert_close(J, expected, 1e-12, 1e-12, "%s tanh(A @ x): " % name)


def test_jacobian_shapes_matrix_to_vector() -> None:
    rng = np.random.default_rng(12)
    M = rng.uniform(-1, 1, (2, 3))
    w = rng.uniform(-1, 1, 3)
    JM = numerical_jacobian(lambda m: VEC_matrix_in(m, w), M)
    Jw = numerical_jacobian(lambda u: VEC_matrix_in(M, u), w)
    assert JM.shape == (2, 2, 3)
    results = {}
    for name, jac in JACOBIANS:
        J = jac(VEC_matrix_in, 0)(M.copy(), w.copy())
        assert isinstance(J, np.ndarray) and J.shape == (2, 2, 3), (name, np.shape(J))
        assert_close(J, JM, RTOL, ATOL, "%s wrt M: " % name)
        both = jac(VEC_matrix_in, (0, 1))(M.copy(), w.copy())
        assert isinstance(both, tuple) and len(both) == 2, (name, both)
        assert both[0].shape == (2, 2, 3) and both[1].shape == (2, 3), (
            name, both[0].shape, both[1].shape)
        assert_close(both, (JM, Jw), RTOL, ATOL, "%s wrt (M, w): " % name)
        results[name] = both
    assert_close(results["jacfwd"], results["jacrev"], AD_RTOL, AD_ATOL, "jacfwd vs jacrev: ")


def test_jacobian_shapes_scalars_to_vector() -> None:
    for name, jac in JACOBIANS:
        J = jac(VEC_scalars_to_array, "a")(0.7, -1.2)
        assert np.shape(J) == (3,), (name, np.shape(J))
        expected = numerical_jacobian(lambda a: VEC_scalars_to_array(float(a), -1.2),
                                      np.array(0.7))
        assert_close(np.asarray(J, dtype=np.float64), expected, RTOL, ATOL, "%s: " % name)


def test_jacobian_of_scalar_function_is_its_gradient() -> None:
    fn, wrt, argsets = [c for c in gradcases.CASES if c[0] is gradcases.np_trig][0]
    x = argsets[0][0]
    g = s2sad.grad(fn)(x.copy())
    for name, jac in JACOBIANS:
        J = jac(fn, 0)(x.copy())
        assert isinstance(J, np.ndarray) and J.shape == x.shape, (name, np.shape(J))
        assert_close(J, g, AD_RTOL, AD_ATOL, "%s of a scalar function: " % name)


def test_jacobian_of_loop_with_branch() -> None:
    for x, A in VEC_LOOP_POINTS:
        J = numerical_jacobian(lambda u: VEC_loop_branch(u, A), x)
        fwd = s2sad.jacfwd(VEC_loop_branch)(x.copy(), A.copy())
        bwd = s2sad.jacrev(VEC_loop_branch)(x.copy(), A.copy())
        assert np.shape(fwd) == (3, 3) and np.shape(bwd) == (3, 3)
        assert_close(fwd, J, RTOL, ATOL, "jacfwd loop: ")
        assert_close(bwd, J, RTOL, ATOL, "jacrev loop: ")


# ---------------------------------------------------------------------------
# Generated source and the command line
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("fn, wrt", [
    (gradcases.lecture_f, (0, 1)),
    (gradcases.lecture_g, 0),
    (gradcases.loop_range, 0),
    (gradcases.branch_elif, 0),
    (gradcases.mlp, ("W1", "b1", "W2")),
    (lecture_vec_array, ("x1", "x2")),
], ids=["lecture_f", "lecture_g", "loop_range", "branch_elif", "mlp", "lecture_vec_array"])
def test_forward_source_is_python(fn: Callable[..., Any], wrt: Any) -> None:
    src = s2sad.source(fn, mode="forward", wrt=wrt)
    assert isinstance(src, str) and src.strip(), src
    compile(src, "<s2sad forward %s>" % fn.__name__, "exec")
    assert any(line.startswith("def ") for line in src.splitlines()), src
    if fn is gradcases.lecture_f:
        assert src != s2sad.source(fn, mode="reverse", wrt=wrt)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "s2sad", *args], capture_output=True,
                          text=True, cwd=ROOT)


def test_cli_tangent_prints_a_forward_program() -> None:
    result = _cli("tangent", "examples/lecture.py:f", "--wrt", "x1,x2")
    assert result.returncode == 0, result.stderr
    program = result.stdout
    assert any(line.startswith("def ") for line in program.splitlines()), program
    compile(program, "tangent.py", "exec")
    adjoint = _cli("adjoint", "examples/lecture.py:f", "--wrt", "x1,x2")
    assert adjoint.returncode == 0 and adjoint.stdout != program


def test_cli_tangent_default_wrt() -> None:
    result = _cli("tangent", "examples/lecture.py:g")
    assert result.returncode == 0, result.stderr
    compile(result.stdout, "tangent.py", "exec")
    assert "def " in result.stdout


def test_cli_tangent_missing_parameter_is_an_error() -> None:
    result = _cli("tangent", "examples/lecture.py:f", "--wrt", "z")
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.strip() and result.stdout == ""


# ---------------------------------------------------------------------------
# Random programs
# ---------------------------------------------------------------------------

def _nonsmooth(fn: Callable[..., Any], args: Sequence[float], v: Sequence[float]) -> bool:
    """The drawn point is not smooth: some coordinate is FD-unreliable (test_reverse's
    test), or a step along v changes the control-flow path."""
    if any(rev._fd_unreliable(fn, args, i) for i in range(len(args))):
        return True
    here = rev._control_path(fn, args)
    for h in (1e-7, 1e-6, 1e-5):
        for sign in (1.0, -1.0):
            moved = [a + sign * h * vi for a, vi in zip(args, v)]
            if rev._control_path(fn, moved) != here:
                return True
    return False


@settings(max_examples=FUZZ_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(float_programs(allow_nonsmooth=False), inputs(), inputs(lo=-1.0, hi=1.0))
def test_random_programs_jvp(prog: Program, args: Tuple[float, ...],
                             direction: Tuple[float, ...]) -> None:
    note("generated program:\n" + prog.source)
    fn = prog.make()
    n = prog.n_params
    args = tuple(args[:n])
    v = tuple(direction[:n])
    wrt = tuple(range(n))
    value = fn(*args)
    try:
        f_jvp = s2sad.jvp(fn, wrt=wrt)
        got_value, t = f_jvp(*args, v)
    except Exception as exc:  # noqa: BLE001
        raise AssertionError("jvp raised %s: %s at %r along %r\n--- program ---\n%s"
                             % (type(exc).__name__, exc, args, v, prog.source)) from exc
    assert got_value == value or (math.isnan(got_value) and math.isnan(value)), (
        "jvp's value %r, the function's %r\n--- program ---\n%s" % (got_value, value, prog.source))
    assert isinstance(t, float), "the tangent is %r, not a float" % (t,)
    g = s2sad.grad(fn, wrt=wrt)(*args)
    expected = inner(g, v)
    scale = abs_inner(g, v)
    # forward against reverse: both differentiate the branch taken, at any point
    if not abs(t - expected) <= 1e-9 + 1e-8 * scale:
        raise AssertionError(
            "at %r along %r: forward mode %r, <reverse gradient, v> %r (gradient %r)\n"
            "--- program ---\n%s--- forward source ---\n%s"
            % (args, v, t, expected, g, prog.source, _forward_source(fn, wrt)))
    # forward against central differences along v, at smooth points
    fd = float(fd_along(fn, args, wrt, v))
    if abs(t - fd) <= 1e-5 + 1e-5 * max(scale, abs(fd)):
        return
    if _nonsmooth(fn, args, v):
        event("skipped: not smooth at the drawn point")
        return
    raise AssertionError("at %r along %r: forward mode %r, finite differences %r\n"
                         "--- program ---\n%s" % (args, v, t, fd, prog.source))


def _forward_source(fn: Callable[..., Any], wrt: Any) -> str:
    try:
        return s2sad.source(fn, mode="forward", wrt=wrt)
    except Exception as exc:  # noqa: BLE001
        return "<no source: %s>" % exc
