"""Reverse mode against central finite differences: ``grad``, ``value_and_grad``, ``vjp``,
``source``, caching, decorators, ``wrt`` handling, errors, and random programs.

The functions and the points they are checked at are in ``gradcases.py``. Finite
differences use a step of ``eps * max(1, |x|)`` per coordinate; gradients must agree to
``rtol=1e-5, atol=1e-7`` unless ``gradcases.TOLERANCES`` says otherwise.

``S2SAD_FUZZ_EXAMPLES`` sets the number of random programs (default 100).
"""
from __future__ import annotations

import ast
import copy
import inspect
import math
import os
import sys
from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, note, settings

import s2sad

try:
    from . import gradcases
    from ..programs import Program, float_programs, inputs
except ImportError:  # run outside the tests package
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import gradcases  # type: ignore
    from programs import Program, float_programs, inputs  # type: ignore

RTOL = 1e-5
ATOL = 1e-7
FUZZ_EXAMPLES = int(os.environ.get("S2SAD_FUZZ_EXAMPLES", "100"))


# ---------------------------------------------------------------------------
# Finite differences
# ---------------------------------------------------------------------------

def _as_float(value: Any) -> float:
    """The scalar a function returned (float, 0-d or size-1 array) as a Python float."""
    arr = np.asarray(value, dtype=np.float64)
    if arr.size != 1:
        raise ValueError("expected a scalar output, got shape %r" % (arr.shape,))
    return float(arr.reshape(()))


def wrt_positions(fn: Callable[..., Any], wrt: Any) -> List[int]:
    """The positions ``wrt`` names (an int, a parameter name, or a tuple of those)."""
    params = list(inspect.signature(fn).parameters)
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    out = []
    for w in items:
        out.append(params.index(w) if isinstance(w, str) else int(w))
    return out


def _fd_structure(x: Any, evaluate: Callable[[Any], float], eps: float) -> Any:
    """Central differences of ``evaluate`` around ``x``, in the structure of ``x``."""
    if isinstance(x, np.ndarray):
        base = np.asarray(x, dtype=np.float64)
        g = np.zeros(base.shape, dtype=np.float64)
        for idx in np.ndindex(*base.shape):
            h = eps * max(1.0, abs(float(base[idx])))
            xp = base.copy()
            xm = base.copy()
            xp[idx] += h
            xm[idx] -= h
            g[idx] = (evaluate(xp) - evaluate(xm)) / (xp[idx] - xm[idx])
        return g
    if isinstance(x, tuple):
        return tuple(_fd_structure(v, (lambda new, i=i: evaluate(x[:i] + (new,) + x[i + 1:])), eps)
                     for i, v in enumerate(x))
    if isinstance(x, list):
        return [_fd_structure(v, (lambda new, i=i: evaluate(x[:i] + [new] + x[i + 1:])), eps)
                for i, v in enumerate(x)]
    if isinstance(x, dict):
        out = {}
        for k, v in x.items():
            def ev(new: Any, k: Any = k) -> float:
                d = dict(x)
                d[k] = new
                return evaluate(d)
            out[k] = _fd_structure(v, ev, eps)
        return out
    if isinstance(x, (float, int, np.floating)) and not isinstance(x, bool):
        x = float(x)
        h = eps * max(1.0, abs(x))
        xp, xm = x + h, x - h
        return (evaluate(xp) - evaluate(xm)) / (xp - xm)
    raise TypeError("cannot differentiate numerically with respect to %r" % type(x).__name__)


def numerical_grad(fn: Callable[..., Any], args: Sequence[Any], wrt: Any = 0,
                   eps: float = 1e-6, kwargs: Dict[str, Any] = None) -> Any:
    """Central finite-difference gradient of the scalar ``fn(*args, **kwargs)``.

    Floats give floats, arrays arrays of the same shape (float64), tuples/lists/dicts the
    same container; a tuple ``wrt`` gives a tuple of those in the same order.
    """
    kwargs = kwargs or {}
    args = tuple(args)
    results = []
    for pos in wrt_positions(fn, wrt):
        def evaluate(new: Any, pos: int = pos) -> float:
            call_args = args[:pos] + (new,) + args[pos + 1:]
            return _as_float(fn(*copy.deepcopy(call_args), **copy.deepcopy(kwargs)))
        results.append(_fd_structure(args[pos], evaluate, eps))
    return tuple(results) if isinstance(wrt, tuple) else results[0]


def numerical_jacobian(fn: Callable[[np.ndarray], Any], x: np.ndarray,
                       eps: float = 1e-6) -> np.ndarray:
    """Central-difference Jacobian of an array-valued ``fn`` at the array ``x``,
    shape ``out.shape + x.shape``."""
    x = np.asarray(x, dtype=np.float64)
    out_shape = np.shape(fn(x.copy()))
    J = np.zeros(out_shape + x.shape)
    for idx in np.ndindex(*x.shape):
        h = eps * max(1.0, abs(float(x[idx])))
        xp = x.copy()
        xm = x.copy()
        xp[idx] += h
        xm[idx] -= h
        J[(Ellipsis,) + idx] = (np.asarray(fn(xp)) - np.asarray(fn(xm))) / (xp[idx] - xm[idx])
    return J


# ---------------------------------------------------------------------------
# Comparing structures
# ---------------------------------------------------------------------------

def assert_same_structure(g: Any, x: Any, path: str = "grad") -> None:
    """``g`` is shaped like the argument ``x``: float for float, same-shape same-dtype array
    for an array, same container type and keys/length for tuples, lists and dicts."""
    if isinstance(x, np.ndarray):
        assert isinstance(g, np.ndarray), "%s: expected ndarray, got %s" % (path, type(g).__name__)
        assert g.shape == x.shape, "%s: shape %r, argument has %r" % (path, g.shape, x.shape)
        assert g.dtype == x.dtype, "%s: dtype %s, argument has %s" % (path, g.dtype, x.dtype)
    elif isinstance(x, (tuple, list)):
        assert type(g) is type(x), "%s: expected %s, got %s" % (path, type(x).__name__,
                                                               type(g).__name__)
        assert len(g) == len(x), "%s: length %d, argument has %d" % (path, len(g), len(x))
        for i, (gi, xi) in enumerate(zip(g, x)):
            assert_same_structure(gi, xi, "%s[%d]" % (path, i))
    elif isinstance(x, dict):
        assert isinstance(g, dict), "%s: expected dict, got %s" % (path, type(g).__name__)
        assert set(g) == set(x), "%s: keys %r, argument has %r" % (path, sorted(g), sorted(x))
        for k in x:
            assert_same_structure(g[k], x[k], "%s[%r]" % (path, k))
    elif isinstance(x, float):
        assert isinstance(g, float) and not isinstance(g, np.ndarray), (
            "%s: expected a float, got %s %r" % (path, type(g).__name__, g))
    else:
        raise TypeError("unexpected argument type %s" % type(x).__name__)


def _leaves(x: Any, path: str = "") -> List[Tuple[str, Any]]:
    if isinstance(x, (tuple, list)):
        return [leaf for i, v in enumerate(x) for leaf in _leaves(v, "%s[%d]" % (path, i))]
    if isinstance(x, dict):
        return [leaf for k in sorted(x) for leaf in _leaves(x[k], "%s[%r]" % (path, k))]
    return [(path, x)]


def assert_close(actual: Any, expected: Any, rtol: float = RTOL, atol: float = ATOL,
                 what: str = "") -> None:
    """Leafwise ``|actual - expected| <= atol + rtol * |expected|``."""
    a_leaves = _leaves(actual)
    e_leaves = _leaves(expected)
    assert [p for p, _ in a_leaves] == [p for p, _ in e_leaves], (
        "%s: structure %r differs from %r" % (what, actual, expected))
    for (path, a), (_, e) in zip(a_leaves, e_leaves):
        a_arr = np.asarray(a, dtype=np.float64)
        e_arr = np.asarray(e, dtype=np.float64)
        assert a_arr.shape == e_arr.shape, "%s%s: shape %r vs %r" % (what, path, a_arr.shape,
                                                                       e_arr.shape)
        ok = np.abs(a_arr - e_arr) <= atol + rtol * np.abs(e_arr)
        if not np.all(ok):
            raise AssertionError(
                "%s%s: reverse mode and finite differences differ (rtol=%g, atol=%g)\n"
                "  reverse: %r\n  numeric: %r\n  max abs err: %g"
                % (what, path, rtol, atol, a_arr, e_arr, float(np.max(np.abs(a_arr - e_arr)))))


def same_values(a: Any, b: Any) -> bool:
    """Exact equality of nested arguments (arrays: same dtype, shape and values)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.dtype == b.dtype
                and a.shape == b.shape and np.array_equal(a, b))
    if isinstance(a, (tuple, list)):
        return (type(a) is type(b) and len(a) == len(b)
                and all(same_values(u, v) for u, v in zip(a, b)))
    if isinstance(a, dict):
        return (isinstance(b, dict) and set(a) == set(b)
                and all(same_values(a[k], b[k]) for k in a))
    return type(a) is type(b) and a == b


def _case_id(case: Tuple[Any, Any, Any]) -> str:
    fn, wrt, _ = case
    w = wrt if isinstance(wrt, tuple) else (wrt,)
    return "%s-wrt_%s" % (fn.__name__, "_".join(str(v) for v in w))


def _tolerance(fn: Callable[..., Any]) -> Tuple[float, float]:
    return gradcases.TOLERANCES.get(fn.__name__, (RTOL, ATOL))


def _arg_for(fn: Callable[..., Any], args: Sequence[Any], wrt: Any) -> Any:
    pos = wrt_positions(fn, wrt)
    return tuple(args[p] for p in pos) if isinstance(wrt, tuple) else args[pos[0]]


CASE_IDS = [_case_id(c) for c in gradcases.CASES]


# ---------------------------------------------------------------------------
# The sanity of the oracle itself (runs without the compiler)
# ---------------------------------------------------------------------------

def test_numerical_grad_matches_analytic_gradients() -> None:
    def f(x1, x2):
        return math.log(x1) + x1 * x2 - math.sin(x2)

    assert_close(numerical_grad(f, (2.0, 5.0), (0, 1)), (5.5, 2.0 - math.cos(5.0)))
    assert_close(numerical_grad(f, (2.0, 5.0), ("x2", "x1")), (2.0 - math.cos(5.0), 5.5))

    def h(p, a, d):
        return p[0] * p[1] + np.sum(a ** 2) + d["k"] ** 3 + d["v"][1]

    a = np.array([[1.0, -2.0], [0.5, 3.0]])
    got = numerical_grad(h, ((2.0, 3.0), a, {"k": 1.5, "v": [4.0, 5.0]}), (0, 1, 2))
    assert_close(got, ((3.0, 2.0), 2 * a, {"k": 3 * 1.5 ** 2, "v": [0.0, 1.0]}), atol=1e-6)
    assert type(got[0]) is tuple and type(got[2]["v"]) is list


def test_cases_are_module_level_and_scalar() -> None:
    assert len({c[0].__name__ for c in gradcases.CASES}) >= 60
    for fn, wrt, argsets in gradcases.CASES:
        assert inspect.getsource(fn).startswith("def ")
        assert argsets
        for args in argsets:
            _as_float(fn(*copy.deepcopy(args)))
            wrt_positions(fn, wrt)


# ---------------------------------------------------------------------------
# grad and value_and_grad on the cases
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", gradcases.CASES, ids=CASE_IDS)
def test_grad_matches_finite_differences(case: Tuple[Any, Any, Any]) -> None:
    fn, wrt, argsets = case
    rtol, atol = _tolerance(fn)
    g = s2sad.grad(fn, wrt=wrt)
    for k, args in enumerate(argsets):
        got = g(*copy.deepcopy(args))
        arg = _arg_for(fn, args, wrt)
        if isinstance(wrt, tuple):
            assert isinstance(got, tuple) and len(got) == len(wrt), (
                "args #%d: wrt=%r must give a tuple of %d gradients, got %r"
                % (k, wrt, len(wrt), got))
        assert_same_structure(got, arg, "args #%d: grad" % k)
        expected = numerical_grad(fn, args, wrt)
        assert_close(got, expected, rtol, atol, "args #%d: grad" % k)


@pytest.mark.parametrize("case", gradcases.CASES, ids=CASE_IDS)
def test_value_and_grad(case: Tuple[Any, Any, Any]) -> None:
    fn, wrt, argsets = case
    rtol, atol = _tolerance(fn)
    vg = s2sad.value_and_grad(fn, wrt=wrt)
    for k, args in enumerate(argsets):
        expected_value = fn(*copy.deepcopy(args))
        result = vg(*copy.deepcopy(args))
        assert isinstance(result, tuple) and len(result) == 2, "value_and_grad gave %r" % (result,)
        value, got = result
        assert np.array_equal(np.asarray(value), np.asarray(expected_value)), (
            "args #%d: value %r, but the function returns %r" % (k, value, expected_value))
        assert_same_structure(got, _arg_for(fn, args, wrt), "args #%d: grad" % k)
        assert_close(got, numerical_grad(fn, args, wrt), rtol, atol, "args #%d: grad" % k)


@pytest.mark.parametrize("case", gradcases.CASES, ids=CASE_IDS)
def test_arguments_not_mutated(case: Tuple[Any, Any, Any]) -> None:
    fn, wrt, argsets = case
    g = s2sad.grad(fn, wrt=wrt)
    vg = s2sad.value_and_grad(fn, wrt=wrt)
    for k, args in enumerate(argsets):
        before = copy.deepcopy(args)
        live = copy.deepcopy(args)
        g(*live)
        assert same_values(live, before), "args #%d: grad mutated its arguments" % k
        vg(*live)
        assert same_values(live, before), "args #%d: value_and_grad mutated its arguments" % k


_OPTIMIZE_SUBSET = [c for c in gradcases.CASES if c[0].__name__ in (
    "lecture_f", "fan_out", "branch_elif", "loop_range", "while_value_cond", "break_continue",
    "early_return_loop", "running_max", "helper_in_loop", "list_append_sum", "wrt_dict_arg",
    "setitem_overwrite_loop", "aug_diag_in_branch", "broadcast_col_row", "rnn")]


@pytest.mark.parametrize("case", _OPTIMIZE_SUBSET, ids=[_case_id(c) for c in _OPTIMIZE_SUBSET])
def test_grad_without_optimization(case: Tuple[Any, Any, Any]) -> None:
    fn, wrt, argsets = case
    rtol, atol = _tolerance(fn)
    g = s2sad.grad(fn, wrt=wrt, optimize=False)
    for k, args in enumerate(argsets):
        got = g(*copy.deepcopy(args))
        assert_same_structure(got, _arg_for(fn, args, wrt), "args #%d: grad" % k)
        assert_close(got, numerical_grad(fn, args, wrt), rtol, atol, "args #%d: grad" % k)


# ---------------------------------------------------------------------------
# The lecture values
# ---------------------------------------------------------------------------

def test_lecture_derivative_of_cos_5x2() -> None:
    d = s2sad.grad(gradcases.lecture_g)(2.0)
    assert isinstance(d, float)
    assert round(d, 3) == -18.259


def test_lecture_gradient() -> None:
    g1, g2 = s2sad.grad(gradcases.lecture_f, wrt=(0, 1))(2.0, 5.0)
    assert round(g1, 3) == 5.5
    assert round(g2, 3) == 1.716
    assert s2sad.grad(gradcases.lecture_f, wrt=("x1", "x2"))(2.0, 5.0) == (g1, g2)


def test_lecture_value_and_grad() -> None:
    value, (g1, g2) = s2sad.value_and_grad(gradcases.lecture_f, wrt=(0, 1))(2.0, 5.0)
    assert value == gradcases.lecture_f(2.0, 5.0)
    assert round(g1, 3) == 5.5 and round(g2, 3) == 1.716


def test_grad_accepts_keyword_arguments() -> None:
    g = s2sad.grad(gradcases.lecture_f, wrt=1)
    assert g(2.0, x2=5.0) == g(2.0, 5.0)
    assert round(g(x1=2.0, x2=5.0), 3) == 1.716
    d = s2sad.grad(gradcases.with_default)
    assert_close(d(0.4, shift=-0.3), numerical_grad(gradcases.with_default, (0.4, 2.0, -0.3), 0))


# ---------------------------------------------------------------------------
# vjp
# ---------------------------------------------------------------------------

def _inner(a: Any, b: Any) -> float:
    """Sum of elementwise products of two equally structured outputs."""
    if isinstance(a, (tuple, list)):
        return sum(_inner(u, v) for u, v in zip(a, b))
    return float(np.sum(np.asarray(a) * np.asarray(b)))


def test_vjp_vector_function_equals_seed_times_jacobian() -> None:
    rng = np.random.default_rng(7)
    fn = gradcases.VJP_vector
    for n in (1, 4, 7):
        x = rng.uniform(-2, 2, n)
        seed = rng.normal(size=n)
        value, cot = s2sad.vjp(fn)(x.copy(), seed.copy())
        assert np.array_equal(value, fn(x))
        assert isinstance(cot, np.ndarray) and cot.shape == x.shape and cot.dtype == x.dtype
        J = numerical_jacobian(fn, x)
        assert_close(cot, seed @ J, what="vjp n=%d: " % n)


def test_vjp_matrix_function_wrt_both() -> None:
    rng = np.random.default_rng(8)
    fn = gradcases.VJP_matrix
    A = rng.uniform(-1, 1, (3, 4))
    v = rng.uniform(-1, 1, 4)
    seed = rng.normal(size=3)
    value, (cA, cv) = s2sad.vjp(fn, wrt=(0, 1))(A.copy(), v.copy(), seed.copy())
    assert np.array_equal(value, fn(A, v))
    JA = numerical_jacobian(lambda a: fn(a, v), A)          # (3, 3, 4)
    Jv = numerical_jacobian(lambda w: fn(A, w), v)          # (3, 4)
    assert_close(cA, np.tensordot(seed, JA, axes=1), what="vjp wrt A: ")
    assert_close(cv, seed @ Jv, what="vjp wrt v: ")
    assert cA.shape == A.shape and cv.shape == v.shape


def test_vjp_tuple_output_takes_tuple_seed() -> None:
    rng = np.random.default_rng(9)
    fn = gradcases.VJP_tuple
    x = rng.uniform(-1, 1, 4)
    y = 0.7
    seed = (rng.normal(size=4), -1.3)
    value, (cx, cy) = s2sad.vjp(fn, wrt=(0, 1))(x.copy(), y, seed)
    expected_value = fn(x, y)
    assert isinstance(value, tuple) and len(value) == 2
    assert np.array_equal(value[0], expected_value[0]) and value[1] == expected_value[1]

    def projected(x, y):
        return _inner(fn(x, y), seed)

    ex, ey = numerical_grad(projected, (x, y), (0, 1))
    assert_same_structure(cx, x, "vjp wrt x")
    assert_same_structure(cy, y, "vjp wrt y")
    assert_close((cx, cy), (ex, ey), what="vjp tuple output: ")
    value0, c0 = s2sad.vjp(fn)(x.copy(), y, seed)
    assert_close(c0, ex, what="vjp wrt=0: ")


def test_vjp_of_scalar_function_is_seed_times_gradient() -> None:
    value, cot = s2sad.vjp(gradcases.lecture_f, wrt=(0, 1))(2.0, 5.0, 2.0)
    assert value == gradcases.lecture_f(2.0, 5.0)
    assert_close(cot, (11.0, 2.0 * (2.0 - math.cos(5.0))))


# ---------------------------------------------------------------------------
# source
# ---------------------------------------------------------------------------

def _body_lines(src: str) -> List[str]:
    """Code lines of generated source: no blank, comment, def, decorator, import or
    docstring lines."""
    tree = ast.parse(src)
    doc_lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef)) and node.body:
            first = node.body[0]
            if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                    and isinstance(first.value.value, str)):
                doc_lines.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    out = []
    for n, line in enumerate(src.splitlines(), 1):
        text = line.strip()
        if (not text or text.startswith("#") or n in doc_lines
                or text.startswith(("def ", "@", "import ", "from "))):
            continue
        out.append(text)
    return out


def test_source_of_lecture_function_is_small_scalar_python() -> None:
    src = s2sad.source(gradcases.lecture_f, wrt=(0, 1))
    assert isinstance(src, str)
    compile(src, "<s2sad reverse lecture_f>", "exec")
    assert "math.cos" in src, src
    assert "np.cos" not in src and "numpy.cos" not in src, src
    lines = _body_lines(src)
    assert len(lines) <= 15, "%d code lines:\n%s" % (len(lines), src)


def test_source_of_lecture_g() -> None:
    src = s2sad.source(gradcases.lecture_g)
    assert isinstance(src, str)
    compile(src, "<s2sad reverse lecture_g>", "exec")
    assert "math.sin" in src and "np.sin" not in src, src
    assert len(_body_lines(src)) <= 15, src


def test_source_default_mode_is_reverse() -> None:
    assert (s2sad.source(gradcases.lecture_f, wrt=(0, 1))
            == s2sad.source(gradcases.lecture_f, mode="reverse", wrt=(0, 1)))


@pytest.mark.parametrize("fn, wrt", [
    (gradcases.lecture_f, (0, 1)),
    (gradcases.lecture_g, 0),
    (gradcases.loop_range, 0),
    (gradcases.aug_diag_in_branch, (0, 1)),
    (gradcases.wrt_dict_arg, "params"),
], ids=lambda v: getattr(v, "__name__", str(v)))
def test_grad_source_attribute_equals_source(fn: Callable[..., Any], wrt: Any) -> None:
    g = s2sad.grad(fn, wrt=wrt)
    args = [c for c in gradcases.CASES if c[0] is fn][0][2][0]
    g(*copy.deepcopy(args))  # the source must not depend on whether g ran already
    assert isinstance(g.source, str)
    assert g.source == s2sad.source(fn, wrt=wrt)
    compile(g.source, "<s2sad reverse %s>" % fn.__name__, "exec")


def test_every_transform_result_has_source() -> None:
    for transform in (s2sad.grad, s2sad.value_and_grad, s2sad.vjp):
        h = transform(gradcases.loop_over_array)
        assert isinstance(h.source, str) and h.source


# ---------------------------------------------------------------------------
# Caching, decorators, wrt
# ---------------------------------------------------------------------------

def _forbid_lowering(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every reference to the frontend's ``lower`` raise: nothing may recompile."""
    from s2sad import frontend

    lower = frontend.lower

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the function was lowered again: compiled derivative not cached")

    for name, mod in list(sys.modules.items()):
        if (name == "s2sad" or name.startswith("s2sad.")) and mod is not None:
            for attr, val in list(vars(mod).items()):
                if val is lower:
                    monkeypatch.setattr(mod, attr, boom)


def test_grad_is_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    fn = gradcases.fan_out
    g1 = s2sad.grad(fn)
    first = g1(0.8)
    _forbid_lowering(monkeypatch)
    g2 = s2sad.grad(fn)
    if g1 is not g2:
        assert g2.source is g1.source, "a second grad(f) compiled again"
    assert g2(0.8) == first
    assert g1(0.8) == first
    assert s2sad.grad(fn, wrt=0) is g2 or s2sad.grad(fn, wrt=0).source is g1.source


def test_value_and_grad_and_vjp_are_cached() -> None:
    fn = gradcases.loop_range
    for transform in (s2sad.value_and_grad, s2sad.vjp):
        a = transform(fn, wrt=0)
        b = transform(fn, wrt=0)
        assert a is b or a.source is b.source


def test_different_wrt_is_a_different_derivative() -> None:
    g0 = s2sad.grad(gradcases.lecture_f, wrt=0)
    g1 = s2sad.grad(gradcases.lecture_f, wrt=1)
    assert g0 is not g1
    assert round(g0(2.0, 5.0), 3) == 5.5 and round(g1(2.0, 5.0), 3) == 1.716


def test_decorator_without_arguments() -> None:
    @s2sad.grad
    def square_sin(x):
        return math.sin(x) * x * x

    d = square_sin(0.7)
    assert isinstance(d, float)
    assert_close(d, math.cos(0.7) * 0.49 + 2 * 0.7 * math.sin(0.7))
    assert isinstance(square_sin.source, str)


def test_decorator_with_wrt_names() -> None:
    @s2sad.grad(wrt=("a", "b"))
    def bilinear(a, b, c):
        return a * b * c + a * a

    ga, gb = bilinear(2.0, 3.0, 4.0)
    assert_close((ga, gb), (16.0, 8.0))

    @s2sad.value_and_grad(wrt=1)
    def vg(a, b):
        return a * math.exp(b)

    value, gb = vg(2.0, 0.5)
    assert value == 2.0 * math.exp(0.5)
    assert_close(gb, 2.0 * math.exp(0.5))


@pytest.mark.parametrize("fn, by_name, by_position, args", [
    (gradcases.lecture_f, ("x1", "x2"), (0, 1), (2.0, 5.0)),
    (gradcases.lecture_f, "x2", 1, (0.7, -1.3)),
    (gradcases.mlp, ("W1", "W2"), (0, 2), gradcases.CASES[[c[0] for c in gradcases.CASES]
                                                          .index(gradcases.mlp)][2][0]),
    (gradcases.int_first, "x", 1, (3, 0.4)),
    (gradcases.wrt_dict_arg, ("params",), (0,),
     gradcases.CASES[[c[0] for c in gradcases.CASES].index(gradcases.wrt_dict_arg)][2][0]),
], ids=["lecture_f-both", "lecture_f-x2", "mlp", "int_first", "dict-tuple"])
def test_wrt_by_name_equals_by_position(fn: Callable[..., Any], by_name: Any, by_position: Any,
                                        args: Tuple[Any, ...]) -> None:
    a = s2sad.grad(fn, wrt=by_name)(*copy.deepcopy(args))
    b = s2sad.grad(fn, wrt=by_position)(*copy.deepcopy(args))
    assert_close(a, b, rtol=0.0, atol=0.0)
    if isinstance(by_name, tuple):
        assert isinstance(a, tuple) and len(a) == len(by_name)


def test_one_element_tuple_wrt_gives_one_element_tuple() -> None:
    got = s2sad.grad(gradcases.lecture_g, wrt=(0,))(2.0)
    assert isinstance(got, tuple) and len(got) == 1, got
    assert round(got[0], 3) == -18.259
    got = s2sad.grad(gradcases.lecture_f, wrt=("x2",))(2.0, 5.0)
    assert isinstance(got, tuple) and len(got) == 1 and round(got[0], 3) == 1.716, got


def test_wrt_order_is_respected() -> None:
    ab = s2sad.grad(gradcases.lecture_f, wrt=(0, 1))(2.0, 5.0)
    ba = s2sad.grad(gradcases.lecture_f, wrt=("x2", "x1"))(2.0, 5.0)
    assert ba == (ab[1], ab[0])


# ---------------------------------------------------------------------------
# Errors and dtypes
# ---------------------------------------------------------------------------

def test_grad_of_nonscalar_output_raises() -> None:
    with pytest.raises(s2sad.DifferentiationError):
        s2sad.grad(gradcases.NONSCALAR_output)(np.array([1.0, 2.0, 3.0]))


def test_grad_of_nonscalar_output_raises_for_value_and_grad() -> None:
    with pytest.raises(s2sad.DifferentiationError):
        s2sad.value_and_grad(gradcases.NONSCALAR_output)(np.ones((2, 2)))


def test_wrt_missing_parameter_raises() -> None:
    with pytest.raises(s2sad.DifferentiationError):
        s2sad.grad(gradcases.lecture_f, wrt="x3")(2.0, 5.0)
    with pytest.raises(s2sad.DifferentiationError):
        s2sad.grad(gradcases.lecture_f, wrt=("x1", "nope"))(2.0, 5.0)


def test_size1_array_output_is_a_scalar() -> None:
    a = np.array([0.5, -1.0, 2.0])
    g = s2sad.grad(gradcases.size1_output)(a.copy())
    assert_close(g, a)


def test_float32_input_gives_float32_gradient() -> None:
    x = np.array([0.3, -1.2, 0.8, 2.0], dtype=np.float32)
    for fn in (gradcases.onp_alias, gradcases.np_trig, gradcases.loop_over_array):
        xin = np.clip(x, -0.7, 0.7) if fn is gradcases.np_trig else x
        g = s2sad.grad(fn)(xin.copy())
        assert isinstance(g, np.ndarray) and g.dtype == np.float32, (fn.__name__, g)
        assert g.shape == xin.shape
        expected = numerical_grad(fn, (xin.astype(np.float64),), 0)
        assert_close(g, expected, rtol=1e-4, atol=1e-4, what=fn.__name__ + ": ")


def test_float64_stays_float64_and_float_stays_float() -> None:
    g = s2sad.grad(gradcases.broadcast_vec_scalar, wrt=(0, 1))(np.ones(3), 0.5)
    assert g[0].dtype == np.float64 and isinstance(g[1], float)


# ---------------------------------------------------------------------------
# Random programs
# ---------------------------------------------------------------------------

def _partial(fn: Callable[..., Any], args: Sequence[float], i: int, h: float,
             kind: str) -> float:
    def at(delta: float) -> float:
        a = list(args)
        a[i] = a[i] + delta
        return float(fn(*a))
    if kind == "central":
        return (at(h) - at(-h)) / (2 * h)
    if kind == "forward":
        return (at(h) - at(0.0)) / h
    return (at(0.0) - at(-h)) / h


def _control_path(fn: Callable[..., Any], args: Sequence[float]) -> List[int]:
    """The bytecode offsets ``fn`` executes on ``args``: which branches (``if``, conditional
    expressions, ``and``/``or``) and how many loop trips it takes. (Traced twice: on
    Python 3.13 the first traced call reports no opcode events.)"""
    code = fn.__code__
    path: List[int] = []

    def local(frame: Any, event: str, arg: Any) -> Any:
        if event == "opcode":
            path.append(frame.f_lasti)
        return local

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code is not code:
            return None
        frame.f_trace_opcodes = True
        return local

    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        for _ in range(2):
            del path[:]
            fn(*args)
    finally:
        sys.settrace(old)
    return path


def _fd_unreliable(fn: Callable[..., Any], args: Sequence[float], i: int) -> bool:
    """True when finite differences along coordinate ``i`` do not give the derivative of
    the branch ``fn`` takes at ``args``: a nearby point takes another control-flow path
    (the point sits on or next to a branch boundary), central differences disagree
    across step sizes, or one-sided slopes disagree however small the step."""
    here = _control_path(fn, args)
    for h in (1e-7, 1e-6, 1e-5):
        for sign in (1.0, -1.0):
            moved = list(args)
            moved[i] += sign * h * max(1.0, abs(args[i]))
            if _control_path(fn, moved) != here:
                return True
    c6 = _partial(fn, args, i, 1e-6, "central")
    c5 = _partial(fn, args, i, 1e-5, "central")
    scale = 1.0 + abs(c6)
    if not (math.isfinite(c5) and math.isfinite(c6)) or abs(c6 - c5) > 1e-4 * scale:
        return True
    gap6 = abs(_partial(fn, args, i, 1e-6, "forward") - _partial(fn, args, i, 1e-6, "backward"))
    gap7 = abs(_partial(fn, args, i, 1e-7, "forward") - _partial(fn, args, i, 1e-7, "backward"))
    return gap7 > 1e-5 * scale and gap7 > 0.5 * gap6


@settings(max_examples=FUZZ_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(float_programs(allow_nonsmooth=False), inputs())
def test_random_programs_gradient(prog: Program, args: Tuple[float, ...]) -> None:
    note("generated program:\n" + prog.source)
    fn = prog.make()
    args = tuple(args[:prog.n_params])
    wrt = tuple(range(prog.n_params))
    value = fn(*args)
    try:
        g = s2sad.grad(fn, wrt=wrt)
    except Exception as exc:  # noqa: BLE001
        raise AssertionError("grad() raised %s: %s\n--- program ---\n%s"
                             % (type(exc).__name__, exc, prog.source)) from exc
    note("generated gradient:\n" + getattr(g, "source", "<no .source>"))
    try:
        got = g(*args)
    except Exception as exc:  # noqa: BLE001
        raise AssertionError("the gradient raised %s: %s at %r\n--- program ---\n%s\n"
                             "--- gradient ---\n%s" % (type(exc).__name__, exc, args,
                                                       prog.source, getattr(g, "source", "")))
    assert isinstance(got, tuple) and len(got) == len(wrt), (
        "wrt=%r must give a tuple of %d gradients, got %r" % (wrt, len(wrt), got))
    for i, gi in enumerate(got):
        assert isinstance(gi, float), "d/d%s is %r, not a float" % (prog.params[i], gi)
        expected = _partial(fn, args, i, 1e-6 * max(1.0, abs(args[i])), "central")
        tol = 1e-5 + 1e-5 * abs(expected)
        if abs(gi - expected) <= tol:
            continue
        if _fd_unreliable(fn, args, i):
            event("skipped: not smooth at the drawn point")
            return
        raise AssertionError(
            "d/d%s at %r: reverse mode %r, finite differences %r (value %r)\n"
            "--- program ---\n%s--- gradient ---\n%s"
            % (prog.params[i], args, gi, expected, value, prog.source, getattr(g, "source", "")))


def float32_reduction(x):
    return np.sum(np.log(x * x + 1.0)) + np.mean(x) * np.max(x)


def test_float32_stays_float32_through_reductions() -> None:
    x = np.array([0.5, -1.5, 2.0], dtype=np.float32)
    g = s2sad.grad(float32_reduction)(x)
    assert g.dtype == np.float32
    assert np.allclose(g, s2sad.grad(float32_reduction)(x.astype(np.float64)), rtol=1e-5)
