"""Higher-order derivatives: ``hessian``, ``hvp`` (forward-over-reverse), and composed
transforms (``grad(grad(f))``, ``jvp(grad(f))``) on functions with loops and branches.

Contract under test::

    s2sad.hessian(f, wrt)(*args) -> array of shape arg.shape + arg.shape
    s2sad.hvp(f, wrt)(*args, v)  -> H v, in the structure of the wrt argument(s)
    s2sad.grad(s2sad.grad(f)), s2sad.jvp(s2sad.grad(f)) work on loops and branches.

Oracles: closed forms (logistic regression, Rosenbrock, x^3 sin x) and central differences
of the reverse-mode gradient ``s2sad.grad`` (step 1e-5 along v). The test points are checked
(without the compiler) to run every line of their function and to sit well away from branch
boundaries. A missing feature fails; nothing here is skipped.
"""
from __future__ import annotations

import copy
import math
import os
import sys
import tracemalloc
from typing import Any, Callable, List, Sequence, Set, Tuple

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, note, settings

import s2sad

try:
    from . import gradcases
    from . import test_forward as fwd
    from . import test_reverse as rev
except ImportError:  # run outside the tests package
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import gradcases  # type: ignore
    import test_forward as fwd  # type: ignore
    import test_reverse as rev  # type: ignore

try:
    from ..programs import Program, float_programs, inputs
except ImportError:
    from programs import Program, float_programs, inputs  # type: ignore

assert_close = rev.assert_close
numerical_jacobian = rev.numerical_jacobian

FD2_EPS = 1e-5                 # step for differences of a gradient
FD2_RTOL, FD2_ATOL = 1e-6, 1e-8
EXACT_RTOL, EXACT_ATOL = 1e-9, 1e-12   # against closed forms / other AD paths


def fd_of_grad(gradfn: Callable[..., Any], args: Sequence[Any], wrt: Any, v: Any,
               eps: float = FD2_EPS) -> Any:
    """Central difference of ``gradfn`` (a gradient: structured like the wrt argument(s))
    at ``args`` along ``v``: approximately H v."""
    pos = rev.wrt_positions(gradfn, wrt)
    vs = v if isinstance(wrt, tuple) else (v,)
    plus = gradfn(*fwd.args_with(args, pos, [fwd.shifted(args[p], vi, eps)
                                             for p, vi in zip(pos, vs)]))
    minus = gradfn(*fwd.args_with(args, pos, [fwd.shifted(args[p], vi, -eps)
                                              for p, vi in zip(pos, vs)]))
    def diff(a: Any, b: Any) -> Any:
        d = (np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)) / (2 * eps)
        return float(d) if d.ndim == 0 else d

    return fwd.map_output(diff, plus, minus)


def lines_run(fn: Callable[..., Any], args: Sequence[Any]) -> Set[int]:
    """Line numbers of ``fn`` that run on ``args``."""
    code = fn.__code__
    seen: Set[int] = set()

    def local(frame: Any, event: str, arg: Any) -> Any:
        if event == "line":
            seen.add(frame.f_lineno)
        return local

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        return local if frame.f_code is code else None

    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        fn(*copy.deepcopy(tuple(args)))
    finally:
        sys.settrace(old)
    return seen


def body_lines(fn: Callable[..., Any]) -> Set[int]:
    import inspect
    lines, start = inspect.getsourcelines(fn)
    out = set()
    for k, text in enumerate(lines[1:], start + 1):
        t = text.strip()
        if t and not t.startswith("#") and t not in ("else:",) and not t.startswith('"""'):
            out.add(k)
    return out


def float_path_stable(fn: Callable[..., Any], args: Sequence[Any], delta: float = 1e-4) -> bool:
    """The control-flow path is the same under moves of ``delta`` of each float/array
    entry of ``args`` (both signs)."""
    here = rev._control_path(fn, copy.deepcopy(tuple(args)))
    for i, a in enumerate(args):
        if isinstance(a, float):
            idxs: List[Any] = [None]
        elif isinstance(a, np.ndarray):
            idxs = list(np.ndindex(*a.shape))
        else:
            continue
        for idx in idxs:
            for sign in (1.0, -1.0):
                moved = list(copy.deepcopy(tuple(args)))
                if idx is None:
                    moved[i] = a + sign * delta
                else:
                    moved[i][idx] += sign * delta
                if rev._control_path(fn, moved) != here:
                    return False
    return True


# ---------------------------------------------------------------------------
# Functions and points
# ---------------------------------------------------------------------------

def logreg_loss(w, X, y):
    return np.sum(np.log(1 + np.exp(-y * (X @ w))))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def logreg_grad_closed(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    s = _sigmoid(y * (X @ w))
    return X.T @ (-y * (1.0 - s))


def logreg_hessian_closed(w: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """For labels +-1: X^T diag(s (1 - s)) X with s = sigmoid(y * (X @ w))."""
    s = _sigmoid(y * (X @ w))
    return X.T @ ((s * (1.0 - s))[:, None] * X)


def _logreg_data() -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(2024)
    X = rng.standard_normal((20, 5))
    y = np.where(rng.standard_normal(20) > 0, 1.0, -1.0)
    w = rng.standard_normal(5) * 0.5
    v = rng.standard_normal(5)
    return w, X, y, v


def loop_branch_xy(x, y):
    s = 0.3
    for i in range(10):
        if s * x > 0.2:
            s = s * math.cos(x * 0.3) + 0.1 * math.sin(y * s)
        else:
            s = s + 0.2 * x * y - 0.05 * s * s
    return s * s + x * math.exp(-y * y)


LOOP_XY_POINTS = [(0.9, 0.7), (-0.8, 1.3), (0.5, -0.9)]


def loop_branch_w(w, A):
    h = w * 1.0
    total = 0.0
    for i in range(10):
        h = np.tanh(A @ h + w)
        if np.sum(h) > 0.0:
            total = total + np.sum(h * h) * (i + 1) * 0.1
        else:
            total = total - np.sum(np.sin(h)) * 0.2
    return total + np.dot(w, w)


_A3 = np.array([[0.2, -0.9, 0.3], [0.8, 0.1, -0.4], [-0.5, 0.6, 0.2]])
LOOP_W_POINTS = [(np.array([0.3, -0.2, 0.25]), _A3), (np.array([-0.4, 0.1, -0.3]), _A3),
                 (np.array([0.05, 0.4, -0.2]), _A3)]


def loop_branch_1d(x):
    y = x
    for i in range(6):
        if y > 0.5:
            y = math.sin(y) * 1.3 + 0.1 * x
        else:
            y = y * y * 0.5 + x * 0.7 + 0.3
    return y * math.exp(-0.1 * x)


LOOP_1D_POINTS = [0.9, -0.6, 0.2, 2.3]


def branchy2(p):
    x = p[0]
    y = p[1]
    if x > y:
        r = x * x * y + np.sin(x * y)
    else:
        r = np.exp(0.3 * x) * y ** 3 - x * y
    return r + x ** 4 * 0.1


def branchy3(p):
    x, y, z = p[0], p[1], p[2]
    s = x * y + z
    if s > 0.5:
        t = np.tanh(s) * z * z
    elif s > -0.5:
        t = s ** 3 + x * z
    else:
        t = np.exp(0.5 * s) * y
    return t + x * y * z + np.sum(p ** 2) * 0.25


HESSIAN_CASES = [
    (branchy2, [np.array([0.9, 0.4]), np.array([-0.3, 0.8]), np.array([1.4, -1.1])]),
    (branchy3, [np.array([0.8, 0.9, 0.3]), np.array([0.2, -0.5, 0.1]),
                np.array([1.2, -0.9, -0.6])]),
]


def scalar_branch(x):
    if x > 1.0:
        return x ** 3 * math.log(x)
    return math.sin(2.0 * x) * x


def mlp_loss(W1, b1, W2, b2, X, Y):
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(Y * log_probs, axis=1))


MLP_WRT = ("W1", "b1", "W2", "b2")


def _mlp_data() -> Tuple[Tuple[Any, ...], Tuple[np.ndarray, ...]]:
    rng = np.random.default_rng(77)
    W1 = rng.standard_normal((4, 5)) * 0.5
    b1 = rng.standard_normal(5) * 0.1
    W2 = rng.standard_normal((5, 3)) * 0.5
    b2 = rng.standard_normal(3) * 0.1
    X = rng.standard_normal((6, 4))
    Y = np.eye(3)[rng.integers(0, 3, size=6)]
    v = tuple(rng.standard_normal(a.shape) for a in (W1, b1, W2, b2))
    return (W1, b1, W2, b2, X, Y), v


def cube_sin(x):
    return x ** 3 * math.sin(x)


def cube_sin_d2(x: float) -> float:
    return 6 * x * math.sin(x) + 6 * x * x * math.cos(x) - x ** 3 * math.sin(x)


def cube_sin_d3(x: float) -> float:
    return (6 * math.sin(x) + 18 * x * math.cos(x) - 9 * x * x * math.sin(x)
            - x ** 3 * math.cos(x))


@s2sad.grad
def d_cube_sin(x):
    return x ** 3 * math.sin(x)


@s2sad.grad(wrt="x")
def d_sin_xy(x, y):
    return math.sin(x * y) * x


# ---------------------------------------------------------------------------
# The oracles themselves (run without the compiler)
# ---------------------------------------------------------------------------

def test_closed_forms_match_finite_differences() -> None:
    w, X, y, v = _logreg_data()
    assert_close(logreg_grad_closed(w, X, y), rev.numerical_grad(logreg_loss, (w, X, y), 0))
    H = logreg_hessian_closed(w, X, y)
    assert_close(H, numerical_jacobian(lambda u: logreg_grad_closed(u, X, y), w, eps=FD2_EPS),
                 FD2_RTOL, FD2_ATOL)
    assert np.allclose(H, H.T) and np.all(np.linalg.eigvalsh(H) > 0)
    for x in (0.7, -1.3, 2.2):
        d1 = rev._partial(cube_sin, (x,), 0, 1e-5, "central")
        assert abs(d1 - (3 * x * x * math.sin(x) + x ** 3 * math.cos(x))) < 1e-8
        d2 = (cube_sin(x + 1e-4) - 2 * cube_sin(x) + cube_sin(x - 1e-4)) / 1e-8
        assert abs(d2 - cube_sin_d2(x)) < 1e-5
        d3 = (cube_sin_d2(x + 1e-5) - cube_sin_d2(x - 1e-5)) / 2e-5
        assert abs(d3 - cube_sin_d3(x)) < 1e-7
    x = np.array([0.3, -1.2, 0.8, 1.1])
    assert_close(_rosenbrock_hessian(x),
                 numerical_jacobian(lambda u: rev.numerical_grad(gradcases.rosenbrock, (u,), 0,
                                                                 eps=1e-4), x, eps=1e-4),
                 1e-5, 1e-5)


def test_points_run_every_line_away_from_branch_boundaries() -> None:
    groups = [
        (loop_branch_xy, LOOP_XY_POINTS),
        (loop_branch_w, LOOP_W_POINTS),
        (loop_branch_1d, [(x,) for x in LOOP_1D_POINTS]),
        (branchy2, [(p,) for p in HESSIAN_CASES[0][1]]),
        (branchy3, [(p,) for p in HESSIAN_CASES[1][1]]),
        (scalar_branch, [(x,) for x in SCALAR_BRANCH_POINTS]),
    ]
    for fn, points in groups:
        covered: Set[int] = set()
        for args in points:
            covered |= lines_run(fn, args)
            assert float_path_stable(fn, args), "%s%r is near a branch boundary" % (
                fn.__name__, args)
        missing = body_lines(fn) - covered
        assert not missing, "%s: lines %s never run at the test points" % (fn.__name__,
                                                                             sorted(missing))


def test_fd_of_grad_helper() -> None:
    w, X, y, v = _logreg_data()
    assert_close(fd_of_grad(logreg_grad_closed, (w, X, y), 0, v),
                 logreg_hessian_closed(w, X, y) @ v, FD2_RTOL, FD2_ATOL)
    (W1, b1, W2, b2, Xm, Ym), vm = _mlp_data()
    assert mlp_loss(W1, b1, W2, b2, Xm, Ym) > 0


# ---------------------------------------------------------------------------
# Logistic regression: closed-form Hessian
# ---------------------------------------------------------------------------

def test_logistic_hessian_closed_form() -> None:
    w, X, y, _ = _logreg_data()
    H = s2sad.hessian(logreg_loss)(w.copy(), X, y)
    assert isinstance(H, np.ndarray) and H.shape == (5, 5) and H.dtype == np.float64, H
    expected = logreg_hessian_closed(w, X, y)
    assert_close(H, expected, EXACT_RTOL, EXACT_ATOL * np.abs(expected).max(), "hessian: ")
    assert_close(H, H.T, EXACT_RTOL, EXACT_ATOL * np.abs(expected).max(), "symmetry: ")


def test_logistic_hvp_closed_form() -> None:
    w, X, y, v = _logreg_data()
    expected = logreg_hessian_closed(w, X, y) @ v
    for wrt in (0, "w"):
        Hv = s2sad.hvp(logreg_loss, wrt=wrt)(w.copy(), X, y, v.copy())
        assert isinstance(Hv, np.ndarray) and Hv.shape == w.shape, Hv
        assert_close(Hv, expected, EXACT_RTOL, EXACT_ATOL * np.abs(expected).max(),
                     "hvp wrt=%r: " % (wrt,))


def test_logistic_hvp_columns_make_the_hessian() -> None:
    w, X, y, _ = _logreg_data()
    H = s2sad.hessian(logreg_loss)(w.copy(), X, y)
    cols = [s2sad.hvp(logreg_loss)(w.copy(), X, y, e) for e in np.eye(5)]
    assert_close(np.stack(cols, axis=1), H, EXACT_RTOL, EXACT_ATOL * np.abs(H).max())


def test_hvp_does_not_form_the_hessian() -> None:
    """n = 4000 parameters: the Hessian would take 128 MB; an HVP needs a few n-vectors and
    the data (about 2 MB)."""
    rng = np.random.default_rng(9)
    n = 4000
    X = rng.standard_normal((64, n)) / np.sqrt(n)
    y = np.where(rng.standard_normal(64) > 0, 1.0, -1.0)
    w = rng.standard_normal(n)
    v = rng.standard_normal(n)
    h = s2sad.hvp(logreg_loss)
    h(w, X, y, v)  # compile outside the measurement
    tracemalloc.start()
    try:
        Hv = h(w, X, y, v)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    s = _sigmoid(y * (X @ w))
    assert_close(Hv, X.T @ (s * (1 - s) * (X @ v)), 1e-8, 1e-12)
    assert peak < 32 * 2 ** 20, "hvp peaked at %.0f MB: was the Hessian formed?" % (peak / 2 ** 20)


# ---------------------------------------------------------------------------
# hvp against finite differences of the gradient: loops, branches, an MLP
# ---------------------------------------------------------------------------

def test_hvp_scalar_loop_with_branch() -> None:
    g = s2sad.grad(loop_branch_xy, wrt=(0, 1))
    h = s2sad.hvp(loop_branch_xy, wrt=(0, 1))
    rng = np.random.default_rng(3)
    for x, y in LOOP_XY_POINTS:
        v = (float(rng.uniform(-1, 1)), float(rng.uniform(-1, 1)))
        got = h(x, y, v)
        assert isinstance(got, tuple) and len(got) == 2, got
        assert all(isinstance(c, float) for c in got), got
        assert_close(got, fd_of_grad(g, (x, y), (0, 1), v), FD2_RTOL, FD2_ATOL,
                     "hvp at (%g, %g): " % (x, y))


def test_hvp_array_loop_with_branch() -> None:
    g = s2sad.grad(loop_branch_w)
    h = s2sad.hvp(loop_branch_w)
    rng = np.random.default_rng(4)
    for w, A in LOOP_W_POINTS:
        v = rng.uniform(-1, 1, 3)
        got = h(w.copy(), A.copy(), v.copy())
        assert isinstance(got, np.ndarray) and got.shape == (3,), got
        assert_close(got, fd_of_grad(g, (w, A), 0, v), FD2_RTOL, FD2_ATOL, "hvp at %r: " % (w,))


def test_hvp_small_mlp() -> None:
    args, v = _mlp_data()
    got = s2sad.hvp(mlp_loss, wrt=MLP_WRT)(*copy.deepcopy(args), copy.deepcopy(v))
    assert isinstance(got, tuple) and len(got) == 4, got
    for gi, vi in zip(got, v):
        assert isinstance(gi, np.ndarray) and gi.shape == vi.shape, (np.shape(gi), vi.shape)
    expected = fd_of_grad(s2sad.grad(mlp_loss, wrt=MLP_WRT), args, MLP_WRT, v)
    assert_close(got, expected, FD2_RTOL, FD2_ATOL, "mlp hvp: ")


def test_hessian_small_mlp_wrt_bias() -> None:
    args, _ = _mlp_data()
    H = s2sad.hessian(mlp_loss, wrt="b2")(*copy.deepcopy(args))
    assert isinstance(H, np.ndarray) and H.shape == (3, 3), H
    g = s2sad.grad(mlp_loss, wrt="b2")
    expected = numerical_jacobian(lambda b: g(args[0], args[1], args[2], b, args[4], args[5]),
                                  args[3], eps=FD2_EPS)
    assert_close(H, expected, FD2_RTOL, FD2_ATOL, "mlp hessian wrt b2: ")
    assert_close(H, H.T, EXACT_RTOL, 1e-12, "symmetry: ")


# ---------------------------------------------------------------------------
# hessian of small functions with branches
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("fn, points", HESSIAN_CASES, ids=[c[0].__name__ for c in HESSIAN_CASES])
def test_hessian_with_branches(fn: Callable[..., Any], points: List[np.ndarray]) -> None:
    hess = s2sad.hessian(fn)
    g = s2sad.grad(fn)
    for p in points:
        H = hess(p.copy())
        n = p.shape[0]
        assert isinstance(H, np.ndarray) and H.shape == (n, n), (np.shape(H), n)
        expected = numerical_jacobian(lambda q: g(q), p, eps=FD2_EPS)
        assert_close(H, expected, FD2_RTOL, FD2_ATOL, "hessian at %r: " % (p,))
        scale = max(1.0, float(np.abs(H).max()))
        assert_close(H, H.T, 0.0, 1e-10 * scale, "symmetry at %r: " % (p,))


SCALAR_BRANCH_POINTS = [1.7, 0.4, -0.9]


def test_hessian_of_function_of_one_float() -> None:
    hess = s2sad.hessian(scalar_branch)
    g = s2sad.grad(scalar_branch)
    for x in SCALAR_BRANCH_POINTS:
        H = hess(x)
        assert np.shape(H) == (), "arg.shape + arg.shape is (), got %r" % (np.shape(H),)
        expected = (g(x + FD2_EPS) - g(x - FD2_EPS)) / (2 * FD2_EPS)
        assert_close(float(H), expected, FD2_RTOL, FD2_ATOL, "hessian at %g: " % x)


def _rosenbrock_hessian(x: np.ndarray) -> np.ndarray:
    n = x.shape[0]
    H = np.zeros((n, n))
    for i in range(n - 1):
        H[i, i] += 1200.0 * x[i] ** 2 - 400.0 * x[i + 1] + 2.0
        H[i + 1, i + 1] += 200.0
        H[i, i + 1] -= 400.0 * x[i]
        H[i + 1, i] -= 400.0 * x[i]
    return H


def test_hessian_of_rosenbrock_loop_closed_form() -> None:
    for x in (np.array([0.3, -1.2, 0.8, 1.1]), np.array([1.0, 1.0, 1.0]),
              np.array([-0.5, 0.7])):
        H = s2sad.hessian(gradcases.rosenbrock)(x.copy())
        expected = _rosenbrock_hessian(x)
        assert isinstance(H, np.ndarray) and H.shape == expected.shape, np.shape(H)
        assert_close(H, expected, EXACT_RTOL, 1e-9, "rosenbrock at %r: " % (x,))


# ---------------------------------------------------------------------------
# Composition: grad(grad(f)), jvp(grad(f)), grad of a decorated gradient
# ---------------------------------------------------------------------------

def test_grad_of_grad_loop_with_branch() -> None:
    d1 = s2sad.grad(loop_branch_1d)
    d2 = s2sad.grad(s2sad.grad(loop_branch_1d))
    for x in LOOP_1D_POINTS:
        got = d2(x)
        assert isinstance(got, float), got
        expected = (d1(x + FD2_EPS) - d1(x - FD2_EPS)) / (2 * FD2_EPS)
        assert_close(got, expected, FD2_RTOL, FD2_ATOL, "d2f at %g: " % x)


def test_grad_of_grad_closed_form() -> None:
    d2 = s2sad.grad(s2sad.grad(cube_sin))
    for x in (0.7, -1.3, 2.2):
        assert_close(d2(x), cube_sin_d2(x), EXACT_RTOL, EXACT_ATOL, "f''(%g): " % x)


def test_third_derivative_closed_form() -> None:
    d3 = s2sad.grad(s2sad.grad(s2sad.grad(cube_sin)))
    for x in (0.7, -1.3, 2.2):
        assert_close(d3(x), cube_sin_d3(x), EXACT_RTOL, EXACT_ATOL, "f'''(%g): " % x)


def test_jvp_of_grad_agrees_with_hvp_scalar() -> None:
    g = s2sad.grad(loop_branch_1d)
    jg = s2sad.jvp(s2sad.grad(loop_branch_1d))
    h = s2sad.hvp(loop_branch_1d)
    for x in LOOP_1D_POINTS:
        v = 0.75
        value, t = jg(x, v)
        assert_close(value, g(x), EXACT_RTOL, EXACT_ATOL, "jvp(grad f) value at %g: " % x)
        hv = h(x, v)
        assert isinstance(hv, float), hv
        assert_close(t, hv, EXACT_RTOL, EXACT_ATOL, "jvp(grad f) vs hvp at %g: " % x)
        assert_close(hv, v * (g(x + FD2_EPS) - g(x - FD2_EPS)) / (2 * FD2_EPS), FD2_RTOL,
                     FD2_ATOL, "hvp vs FD at %g: " % x)


def test_jvp_of_grad_agrees_with_hvp_arrays() -> None:
    jg = s2sad.jvp(s2sad.grad(loop_branch_w))
    h = s2sad.hvp(loop_branch_w)
    g = s2sad.grad(loop_branch_w)
    rng = np.random.default_rng(6)
    for w, A in LOOP_W_POINTS:
        v = rng.uniform(-1, 1, 3)
        value, t = jg(w.copy(), A.copy(), v.copy())
        assert_close(value, g(w.copy(), A.copy()), EXACT_RTOL, EXACT_ATOL, "jvp(grad f) value: ")
        hv = h(w.copy(), A.copy(), v.copy())
        scale = float(np.abs(hv).max())
        assert_close(t, hv, EXACT_RTOL, EXACT_ATOL * max(1.0, scale), "jvp(grad f) vs hvp: ")


def test_jvp_of_grad_mlp_tuple_wrt() -> None:
    args, v = _mlp_data()
    jg = s2sad.jvp(s2sad.grad(mlp_loss, wrt=MLP_WRT), wrt=MLP_WRT)
    value, t = jg(*copy.deepcopy(args), copy.deepcopy(v))
    hv = s2sad.hvp(mlp_loss, wrt=MLP_WRT)(*copy.deepcopy(args), copy.deepcopy(v))
    assert_close(value, s2sad.grad(mlp_loss, wrt=MLP_WRT)(*copy.deepcopy(args)), EXACT_RTOL,
                 EXACT_ATOL, "jvp(grad) value: ")
    assert_close(t, hv, 1e-8, 1e-12, "jvp(grad) vs hvp: ")


def test_grad_of_decorated_gradient() -> None:
    # d_cube_sin is @s2sad.grad-decorated: it already is x -> f'(x)
    for x in (0.7, -1.3):
        assert_close(d_cube_sin(x), 3 * x * x * math.sin(x) + x ** 3 * math.cos(x))
        assert_close(s2sad.grad(d_cube_sin)(x), cube_sin_d2(x), EXACT_RTOL, EXACT_ATOL,
                     "grad(@grad f) at %g: " % x)
        assert_close(s2sad.grad(s2sad.grad(d_cube_sin))(x), cube_sin_d3(x), EXACT_RTOL,
                     EXACT_ATOL, "grad(grad(@grad f)) at %g: " % x)


def test_grad_of_decorated_gradient_with_wrt() -> None:
    # d_sin_xy(x, y) = d/dx [sin(xy) x] = y x cos(xy) + sin(xy)
    for x, y in ((0.7, 1.2), (-1.1, 0.4)):
        c, s = math.cos(x * y), math.sin(x * y)
        assert_close(d_sin_xy(x, y), y * x * c + s)
        dxx = s2sad.grad(d_sin_xy, wrt="x")(x, y)
        dxy = s2sad.grad(d_sin_xy, wrt="y")(x, y)
        assert_close(dxx, 2 * y * c - y * y * x * s, EXACT_RTOL, EXACT_ATOL, "d2/dx2: ")
        assert_close(dxy, 2 * x * c - x * x * y * s, EXACT_RTOL, EXACT_ATOL, "d2/dxdy: ")


# ---------------------------------------------------------------------------
# The reverse-mode corpus: hvp everywhere, hessian where the wrt argument is one array/float
# ---------------------------------------------------------------------------

def _grad_scale(g: Any) -> float:
    return max([1.0] + [float(np.max(np.abs(np.asarray(x, dtype=np.float64))))
                        for x in fwd.leaves(g)])


@pytest.mark.parametrize("case", fwd.CASE_PARAMS)
def test_hvp_on_corpus(case: Tuple[Any, Any, Any]) -> None:
    """H v against central differences (step 1e-6 along v) of the reverse-mode gradient;
    atol scales with the gradient's size (the differences' rounding error does)."""
    fn, wrt, argsets = case
    h = s2sad.hvp(fn, wrt=wrt)
    g = s2sad.grad(fn, wrt=wrt)
    for k, args in enumerate(argsets):
        v = fwd.tangent_for(fn, args, wrt, "hvp-%s-%d" % (fn.__name__, k))
        got = h(*copy.deepcopy(args), copy.deepcopy(v))
        rev.assert_same_structure(got, rev._arg_for(fn, args, wrt), "args #%d: hvp" % k)
        expected = fd_of_grad(g, args, wrt, v, eps=1e-6)
        atol = FD2_ATOL * _grad_scale(g(*copy.deepcopy(args)))
        assert_close(got, expected, FD2_RTOL, atol, "args #%d: hvp: " % k)


HESSIAN_CORPUS = [c for c in gradcases.CASES if not isinstance(c[1], tuple)
                  and all(isinstance(a[rev.wrt_positions(c[0], c[1])[0]], (float, np.ndarray))
                          for a in c[2])]


@pytest.mark.parametrize("case", HESSIAN_CORPUS, ids=[rev._case_id(c) for c in HESSIAN_CORPUS])
def test_hessian_on_corpus(case: Tuple[Any, Any, Any]) -> None:
    fn, wrt, argsets = case
    pos = rev.wrt_positions(fn, wrt)[0]
    hess = s2sad.hessian(fn, wrt=wrt)
    g = s2sad.grad(fn, wrt=wrt)
    for k, args in enumerate(argsets):
        x = args[pos]
        H = hess(*copy.deepcopy(args))
        shape = np.shape(x) * 2
        assert np.shape(H) == shape, "args #%d: hessian shape %r, expected %r" % (
            k, np.shape(H), shape)

        def grad_at(q: np.ndarray) -> Any:
            new = float(q) if isinstance(x, float) else q
            return np.asarray(g(*fwd.args_with(args, [pos], [new])), dtype=np.float64)

        expected = numerical_jacobian(grad_at, np.asarray(x, dtype=np.float64), eps=1e-6)
        atol = FD2_ATOL * _grad_scale(g(*copy.deepcopy(args)))
        assert_close(H, expected, FD2_RTOL, atol, "args #%d: hessian: " % k)
        if np.ndim(x):
            n = int(np.size(x))
            M = np.asarray(H, dtype=np.float64).reshape(n, n)
            assert_close(M, M.T, 0.0, 1e-9 * max(1.0, float(np.abs(M).max())),
                         "args #%d: symmetry: " % k)


SCALAR_CORPUS = [c for c in HESSIAN_CORPUS
                 if all(isinstance(a[rev.wrt_positions(c[0], c[1])[0]], float) for a in c[2])]


@pytest.mark.parametrize("case", SCALAR_CORPUS, ids=[rev._case_id(c) for c in SCALAR_CORPUS])
def test_grad_of_grad_on_corpus(case: Tuple[Any, Any, Any]) -> None:
    """Reverse over reverse: for a float wrt argument, grad(grad(f)) is f'' (against central
    differences of the reverse-mode gradient)."""
    fn, wrt, argsets = case
    pos = rev.wrt_positions(fn, wrt)[0]
    g = s2sad.grad(fn, wrt=wrt)
    gg = s2sad.grad(s2sad.grad(fn, wrt=wrt), wrt=wrt)
    for k, args in enumerate(argsets):
        got = gg(*copy.deepcopy(args))
        assert isinstance(got, float), "args #%d: grad(grad(f)) gave %r" % (k, got)
        expected = fd_of_grad(g, args, pos, 1.0, eps=1e-6 * max(1.0, abs(args[pos])))
        atol = FD2_ATOL * _grad_scale(g(*copy.deepcopy(args)))
        assert_close(got, expected, FD2_RTOL, atol, "args #%d: grad(grad(f)): " % k)


# ---------------------------------------------------------------------------
# Arguments are not mutated
# ---------------------------------------------------------------------------

INPLACE_CASES = [c for c in gradcases.CASES if c[0].__name__ in (
    "aug_diag_in_branch", "setitem_slice", "setitem_overwrite_loop", "aug_array_elements",
    "setitem_basic", "np_build_arrays")]


@pytest.mark.parametrize("case", INPLACE_CASES, ids=[rev._case_id(c) for c in INPLACE_CASES])
def test_hessian_and_hvp_do_not_mutate_arguments(case: Tuple[Any, Any, Any]) -> None:
    fn, _, argsets = case
    for k, args in enumerate(argsets):
        live = copy.deepcopy(args)
        s2sad.hessian(fn, wrt=0)(*live)
        assert rev.same_values(live, args), "args #%d: hessian mutated its arguments" % k
        v = fwd.tangent_for(fn, args, 0, "hvp-%s-%d" % (fn.__name__, k))
        live_v = copy.deepcopy(v)
        s2sad.hvp(fn, wrt=0)(*live, live_v)
        assert rev.same_values(live, args), "args #%d: hvp mutated its arguments" % k
        assert rev.same_values(live_v, v), "args #%d: hvp mutated v" % k


# ---------------------------------------------------------------------------
# Random programs: hvp against differences of the reverse-mode gradient
# ---------------------------------------------------------------------------

FUZZ_EXAMPLES = int(os.environ.get("S2SAD_FUZZ_EXAMPLES", "100"))


@settings(max_examples=FUZZ_EXAMPLES, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(float_programs(allow_nonsmooth=False), inputs(), inputs(lo=-1.0, hi=1.0))
def test_random_programs_hvp(prog: Program, args: Tuple[float, ...],
                             direction: Tuple[float, ...]) -> None:
    note("generated program:\n" + prog.source)
    fn = prog.make()
    n = prog.n_params
    args = tuple(args[:n])
    v = tuple(direction[:n])
    wrt = tuple(range(n))
    try:
        got = s2sad.hvp(fn, wrt=wrt)(*args, v)
    except Exception as exc:  # noqa: BLE001
        raise AssertionError("hvp raised %s: %s at %r along %r\n--- program ---\n%s"
                             % (type(exc).__name__, exc, args, v, prog.source)) from exc
    assert isinstance(got, tuple) and len(got) == n, got
    g = s2sad.grad(fn, wrt=wrt)
    fd5 = fd_of_grad(g, args, wrt, v, eps=1e-5)
    bad = [i for i in range(n)
           if not (math.isfinite(got[i]) and abs(got[i] - fd5[i]) <= 1e-5 + 1e-5 * abs(fd5[i]))]
    if not bad:
        return
    fd4 = fd_of_grad(g, args, wrt, v, eps=1e-4)
    if any(abs(fd4[i] - fd5[i]) > 1e-4 * (1.0 + abs(fd5[i])) for i in bad) \
            or fwd._nonsmooth(fn, args, v):
        event("skipped: gradient not smooth at the drawn point")
        return
    raise AssertionError("at %r along %r: hvp %r, differences of the gradient %r\n"
                         "--- program ---\n%s" % (args, v, got, fd5, prog.source))
