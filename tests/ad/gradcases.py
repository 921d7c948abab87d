"""Functions whose reverse-mode gradients the AD tests check, and where to check them.

Every function is defined at module level, so ``inspect.getsource`` reads it. ``CASES`` is a
list of ``(fn, wrt, [args, ...])``: ``wrt`` as passed to ``s2sad.grad`` (a position, a
parameter name, or a tuple of those), each ``args`` a tuple of positional arguments.
Arguments are Python floats and float64 arrays drawn from a seeded generator, or picked by
hand, always away from kinks (branch boundaries, ties of max/min, abs at 0) and
singularities, so central finite differences are a reliable oracle. Each branch of a
branching function is taken by at least one argument set.

``TOLERANCES`` overrides ``(rtol, atol)`` for the few cases that need it; ``VJP_*`` and
``NONSCALAR_*`` functions are for the vjp and error tests (their output is not a scalar).
"""
import math

import numpy as np
import numpy as onp
from numpy import tanh

_rng = np.random.default_rng(20240611)


def _vec(n, lo=-1.0, hi=1.0):
    return _rng.uniform(lo, hi, size=n)


def _mat(shape, lo=-1.0, hi=1.0):
    return _rng.uniform(lo, hi, size=shape)


def _num(lo=-1.0, hi=1.0):
    return float(_rng.uniform(lo, hi))


# =====================================================================================
# Straight-line scalar code; values used on several paths
# =====================================================================================

def lecture_f(x1, x2):
    """The lecture's two-variable function: gradient at (2, 5) is (5.5, 1.716)."""
    return math.log(x1) + x1 * x2 - math.sin(x2)


def lecture_g(x):
    """The lecture's one-variable function: derivative at 2 is -18.259."""
    return math.cos(5 * x ** 2)


def fan_out(x):
    a = x * x
    b = math.sin(a)
    c = a * b + a / (1.0 + b * b)
    return c * x + a


def reassigned(x, y):
    t = x * y
    t = t + x
    u = t * t - y
    t = u / (1.0 + t * t)
    return t + x * u


def unary_ops(x, y):
    z = -x * +y
    return z - (-(x - y)) ** 2 + -z


def arith_mix(x, y, z):
    return (x + 2.0) * (3.0 - y) / (z * z + 1.0) - x / y + 1.0 / z - 2.0 * x - y / 4.0


def with_default(x, scale=2.0, shift=0.5):
    return math.sin(scale * x) + shift * x * x


# =====================================================================================
# Power operator
# =====================================================================================

def pow_exponents(x):
    return x ** 2 + x ** 3 + x ** 0.5 + x ** -1 + x ** 2.5 + 2.0 ** x + x ** -2.5 + x ** 1


def pow_negative_base(x):
    return x ** 2 + x ** 3 - x ** 4 + (2 * x) ** 5 / 100.0 + x ** -1 + x ** -2 + x ** 0


def pow_both(x, y):
    return x ** y + y ** 2.0 * x ** (y - 1.0) + 1.5 ** (x * y)


# =====================================================================================
# The math module
# =====================================================================================

def math_trig(x, y):
    return (math.sin(x) * math.cos(y) + math.tan(x) + math.asin(x) + math.acos(x * 0.5)
            + math.atan(x * y) + math.atan2(x, y) + math.atan2(y, x - 2.0))


def math_hyperbolic(x):
    return (math.sinh(x) + math.cosh(x) * math.tanh(x) + math.asinh(3.0 * x)
            + math.acosh(1.5 + x * x) + math.atanh(x * 0.9))


def math_exp_log(x):
    return (math.exp(x) + math.expm1(x) + math.log(x) + math.log(x, 3.0) + math.log(5.0, x + 2.0)
            + math.log(x * x, x + 1.5) + math.log2(x) + math.log10(x) + math.log1p(x))


def math_exp2(x):
    """Only in CASES on Python 3.11+ (math.exp2 is new there)."""
    return math.exp2(x) * x + math.exp2(-x * x)


def math_cbrt(x):
    """Only in CASES on Python 3.11+ (math.cbrt is new there)."""
    return math.cbrt(x) * x + math.cbrt(x * x + 1.0)


def math_roots_misc(x, y):
    return (math.sqrt(x) + math.pow(x, y) + math.pow(x, 3.0) + math.hypot(x, y)
            + math.fabs(x - 5.0) + math.fabs(y) + math.erf(x - y) + math.erfc(y)
            + math.degrees(x) * math.radians(y) + math.copysign(x, -1.0))


def math_gamma(x):
    return math.lgamma(x) + math.gamma(x * 0.5 + 1.0)


# =====================================================================================
# Builtins
# =====================================================================================

def builtins_mix(x, y, z):
    return (abs(x) * abs(y - z) + pow(x, 2) + pow(y, z) + min(x, y) * max(y, z)
            + sum([x, y, z]) + float(x) * 2.0 + max(x * y, 0.25) + min(z, 3.0))


# =====================================================================================
# Branches
# =====================================================================================

def branch_elif(x):
    if x < -1.0:
        y = x * x
    elif x < 1.0:
        y = math.sin(x) * 3.0
    else:
        y = math.exp(-x) * x
    return y * x


def cond_expr(x, y):
    a = x * y if x > y else x + y * y
    b = math.sin(a) if a > 0 else a ** 2
    return a + b * x


def nested_branch(x, y):
    if x > 0:
        if y > 0:
            r = x * y
        else:
            r = x - y * y
    else:
        if y > x:
            r = math.exp(x) * y
        else:
            r = x * x * y
    return r + x


def branch_on_computed(x):
    t = math.sin(3.0 * x)
    u = x * x
    if t > 0.5 and u < 4.0:
        u = u * t
    elif t < -0.5 or u > 9.0:
        u = u - t
    return u + t


def branch_one_sided(x, y):
    z = x * 2.0
    if y > 1.0:
        z = z * y
    w = z + x
    if not (x < 0.0):
        w = w * w
    return w


# =====================================================================================
# Loops
# =====================================================================================

def loop_range(x, n):
    s = 0.0
    p = x
    for i in range(n):
        s = s + p / (i + 1)
        p = p * x
    return s + math.sin(s)


def loop_range_step(x):
    for i in range(1, 8, 2):
        x = x * math.cos(x * i * 0.1) + 0.1 * i
    return x


def loop_over_array(a):
    s = 0.0
    for v in a:
        s = s * 0.5 + v * v
    return s


def loop_enumerate(a):
    s = 0.0
    for i, v in enumerate(a):
        s += (i + 1) * math.sin(v)
    return s


def loop_zip(a, b):
    s = 0.0
    for u, v in zip(a, b):
        s += u * v + math.tanh(u - v)
    return s


def loop_reversed(c, x):
    acc = 0.0
    for ci in reversed(c):
        acc = acc * x + ci
    return acc


def while_counted(x):
    n = 0
    y = x
    while n < 6:
        y = y - 0.1 * (y * y - 2.0)
        n += 1
    return y


def while_value_cond(x):
    y = x
    while y < 10.0:
        y = y * 1.7 + 0.5
    return y * y


def while_true_break(x):
    y = x
    k = 0
    while True:
        y = math.sin(y) + x
        k += 1
        if k >= 5:
            break
    return y


def break_continue(a):
    s = 0.0
    for i in range(len(a)):
        if a[i] < 0:
            continue
        if s > 3.0:
            break
        s += a[i] ** 2
    return s


def nested_loops(A):
    s = 0.0
    n, m = A.shape
    for i in range(n):
        for j in range(m):
            s += A[i, j] * A[j, i] * (i + 1) - math.sin(A[i, j])
    return s


def nested_loops_carried(x):
    y = x
    for i in range(3):
        for j in range(i + 1):
            y = y * 0.9 + math.sin(y * (j + 1))
    return y


def nested_break(A):
    total = 0.0
    for i in range(A.shape[0]):
        row = 0.0
        for j in range(A.shape[1]):
            if A[i, j] > 0.8:
                break
            row += A[i, j] * A[i, j]
        total += row * (i + 1.0)
    return total


def early_return_branch(x):
    if x > 2.0:
        return x * x
    y = math.sin(x)
    if y < 0:
        return -y * x
    return y + x


def early_return_loop(a):
    s = 0.0
    for v in a:
        s += v * v
        if s > 4.0:
            return s * 2.0
    return s


def running_max(a):
    m = a[0]
    for i in range(1, len(a)):
        if a[i] > m:
            m = a[i]
    return m * m + np.sum(a)


def loop_swap(x, y):
    for _ in range(5):
        x, y = y, x * 0.5 + y * 0.8
    return x * y


def loop_parity(x):
    s = x
    for i in range(6):
        if i % 2 == 0:
            s = s * math.cos(s)
        else:
            s = s + x * 0.5
    return s


def loop_cumprod(a):
    p = 1.0
    s = 0.0
    for v in a:
        p = p * v
        s = s + p
    return s


def newton_sqrt(a):
    y = a
    for _ in range(8):
        y = 0.5 * (y + a / y)
    return y


# =====================================================================================
# The user's own helper functions
# =====================================================================================

def _scale_shift(v, scale=1.0, shift=0.0):
    return v * scale + shift


def _poly(v, c0, c1, c2=0.5):
    return c0 + v * (c1 + v * c2)


def _soft(v, k=2.0):
    if v > 0:
        return math.log1p(v * k)
    return v * k - v * v


def _outer_helper(v, w=1.5):
    return _poly(_scale_shift(v, shift=w), 0.5, c1=w) * _soft(v)


def _polar(x, y):
    return math.hypot(x, y), math.atan2(y, x)


def helper_kwargs(x, y):
    a = _scale_shift(x, scale=y)
    b = _scale_shift(y, 2.0, shift=x)
    c = _scale_shift(a * b)
    return a + b * c


def helper_in_loop(a):
    s = 0.0
    for v in a:
        s = s + _poly(v, 1.0, c1=s * 0.1)
    return s


def helper_branch(x, y):
    return _soft(x) * y + _soft(y - x, k=3.0)


def helper_nested(x):
    return _outer_helper(x) + _outer_helper(x * 0.5, w=-0.25)


def helper_tuple_result(x, y):
    r, t = _polar(x, y)
    return r * t + r


# =====================================================================================
# Containers
# =====================================================================================

def tuple_list_literals(x, y):
    p = (x * y, x + y, 3.0)
    a, b, c = p
    q = [a, b]
    return a * b + c * p[1] + q[0] * q[-1]


def star_unpack(x, y, z):
    first, *rest = (x, y, z)
    return first * sum(rest) + rest[-1]


def list_append_sum(x, n):
    xs = []
    v = x
    for i in range(n):
        v = math.sin(v) + x
        xs.append(v * (i + 1))
    return sum(xs) + xs[0] * xs[-1]


def list_append_array_items(a):
    ys = []
    for v in a:
        ys.append(v * v)
    return sum(ys) * ys[1]


def list_comprehension(a):
    return sum([v * v for v in a]) * 0.5


def dict_literal_lookup(x, y):
    d = {"a": x * y, "b": math.exp(x)}
    e = {"w": d["a"] + y}
    return d["a"] * d["b"] + e["w"]


def wrt_tuple_arg(p, x):
    w, b = p
    return math.tanh(w * x + b) ** 2 + w * b


def wrt_tuple_of_arrays(p, X):
    W, b = p
    return np.sum(np.tanh(X @ W + b) ** 2)


def wrt_list_arg(ws, x):
    s = 0.0
    for i in range(len(ws)):
        s += ws[i] * x ** i
    return s * s


def wrt_dict_arg(params, X):
    h = np.tanh(X @ params["W"] + params["b"])
    return np.sum(h * h) + params["scale"] * np.sum(h)


def wrt_nested_structure(params, x):
    W, b = params["layer"]
    return np.sum(np.sin(W @ x + b)) * params["c"]


# =====================================================================================
# Arrays: indexing, slicing, stores
# =====================================================================================

def index_slice(a):
    return a[0] * a[-1] + np.sum(a[1:4] ** 2) + np.sum(a[::2] * a[1::2]) + a[2:][0]


def index_2d(A):
    return (A[0, 1] * A[1, :].sum() + np.sum(A[:, 0] ** 2) + A[1:, ::2].sum() + A[-1][0]
            + np.sum(A[:, 0][:, None] * A[0][None, :]))


def setitem_basic(x, y):
    v = np.zeros(3)
    v[0] = x * y
    v[1] = math.sin(x)
    v[2] = v[0] + y
    return np.dot(v, v)


def setitem_overwrite_loop(a):
    y = np.zeros(3)
    for i in range(len(a)):
        y[0] = y[0] * 0.5 + a[i]
        y[i % 3] = y[i % 3] + a[i] ** 2
        y[1] = math.sin(y[0]) + y[1]
    return np.sum(y * y)


def setitem_slice(a):
    y = a.copy()
    y[1:3] = a[:2] * 2.0
    y[0] = y[3] * a[0]
    return np.sum(y ** 2)


def aug_diag_in_branch(A, d):
    S = A * 1.0
    n = len(d)
    for i in range(n):
        if d[i] > 0:
            S[i, i] += d[i] * d[i]
        else:
            S[i, i] -= d[i]
    return np.sum(S @ S)


def aug_array_elements(a):
    b = a * 2.0
    b[1] *= b[0]
    b[2] /= 1.0 + b[0] ** 2
    b[0] **= 2
    b[3] -= b[2]
    return np.sum(b * a)


# =====================================================================================
# Broadcasting (adjoints must be unbroadcast)
# =====================================================================================

def broadcast_vec_scalar(a, s):
    return np.sum((a + s) ** 2 * s - a / s)


def broadcast_matrix_row(M, r):
    return np.sum(np.tanh(M + r) * r)


def broadcast_col_row(c, r):
    return np.sum(np.sin(c * r) + c - r)


def broadcast_keepdims_normalize(X):
    Z = (X - X.mean(axis=0, keepdims=True)) / (X.std(axis=0, keepdims=True) + 0.1)
    W = np.arange(15.0).reshape(5, 3)
    return np.sum(Z * W)


# =====================================================================================
# NumPy functions
# =====================================================================================

def np_exp_log(x):
    return np.sum(np.exp(x) + np.log(x) + np.log1p(x) + np.expm1(x) + np.sqrt(x) + np.square(x))


def np_trig(x):
    return np.sum(np.sin(x) + np.cos(x) + np.tan(x) + np.tanh(x) + np.sinh(x) + np.cosh(x)
                  + np.arcsin(x) + np.arccos(x) + np.arctan(x))


def np_array_arith(x, y):
    return np.sum(x * y - x / (y * y + 1.0) + (x + y) ** 2 + x ** y - (-x) + np.power(x, 3)
                  + 2.0 ** y)


def np_reductions(A):
    s0 = np.sum(A, axis=0)
    m1 = np.mean(A, axis=1, keepdims=True)
    p = np.prod(A, axis=1)
    mx = np.max(A, axis=0)
    mn = A.min(axis=1, keepdims=True)
    return (np.sum(s0 * mx) + np.sum(m1 * mn) + np.sum(p) + np.max(A) * np.min(A) + np.mean(A)
            + A.sum(axis=1, keepdims=True).sum() * A.prod() + A.max(axis=1).sum())


def np_var_std(a, B):
    return np.var(a) + np.std(a) + np.sum(np.var(B, axis=0)) + B.std(axis=1).sum() + a.var()


def np_linalg(A, x, B):
    y = np.dot(A, x)
    Z = np.matmul(A, B)
    v = A @ x
    o = np.outer(y, v)
    return np.sum(Z ** 2) + np.dot(y, v) + np.sum(o) + x @ x


def np_shape_ops(A):
    B = A.T
    C = np.transpose(A)
    D = A.reshape(3, 2)
    E = np.reshape(A, (6,))
    F = A.ravel()
    return np.sum(B * D) + np.sum(C ** 2) * E[1] + F @ np.arange(6.0) + A.reshape(-1)[0]


def np_piecewise(x, y):
    return np.sum(np.maximum(x, y) * 2.0 + np.minimum(x, 0.5) + np.where(x > y, x * y, x - y)
                  + np.clip(x, -1.0, 1.0) ** 2 + np.abs(y) * x)


def np_concat_stack(a, b):
    c = np.concatenate([a, b * 2.0])
    S = np.stack([a, b])
    T = np.stack((a, b), axis=1)
    return np.sum(c ** 2) + np.sum(S[0] * S[1]) + np.sum(T[:, 0] - T[:, 1] ** 3)


def np_build_arrays(x, y):
    v = np.array([x, y, x * y])
    z = np.zeros(3)
    z[1] = x
    o = np.ones(3) * y
    w = np.zeros_like(v) + x
    M = np.array([[x, y], [y * y, x]])
    return v @ (o + w) + np.sum(M @ M) + z[1] * v[0]


def np_method_calls(x, w):
    a = np.exp(x * 0.1).sum()
    b = x.reshape(2, 6).sum(axis=1)
    c = x.dot(w)
    d = x.mean(axis=0)
    e = x.T @ c
    return a + b[0] * b[1] + c.sum() + d @ w + (e * e).sum()


def onp_alias(x):
    return onp.sum(onp.tanh(x) * onp.exp(-x)) + onp.dot(x, x)


def from_numpy_import(x):
    return np.sum(tanh(x) ** 2 * x)


def size1_output(a):
    return np.dot(a.reshape(1, -1), a.reshape(-1, 1)) * 0.5


# =====================================================================================
# Values that do not depend on wrt
# =====================================================================================

def constants_and_counters(x, n):
    k = 0
    s = 0
    c = 3 ** 2
    for i in range(n):
        k += 2
        s += i
    return x * k + s + c * x * x


def shape_dependent(a, B):
    n = a.shape[0]
    m = len(a)
    r, c = B.shape
    return np.sum(a * a) / n * m + np.sum(B) / (r * c) + a.size + B.ndim * a[0]


def argmax_select(a):
    i = np.argmax(a)
    j = int(np.argmin(a))
    return a[i] * 2.0 + a[j] ** 2 + np.sum(a * a) * (i + 1)


def nondiff_args(x, data, flag):
    scale = 2.0 if flag else 0.5
    return np.sum(np.sin(data * x)) * scale + len(data)


def int_first(n, x):
    s = 0.0
    for i in range(n):
        s = s + math.cos(x * i)
    return s * x


def mod_op(x):
    return (x * 3.0) % 2.0 + x * x


# =====================================================================================
# Composite, model-like functions
# =====================================================================================

def logistic_loss(w, b, X, y):
    z = X @ w + b
    return np.mean(np.log1p(np.exp(-y * z)))


def softmax_xent(W, X, Y):
    Z = X @ W
    Z = Z - Z.max(axis=1, keepdims=True)
    logp = Z - np.log(np.sum(np.exp(Z), axis=1, keepdims=True))
    return -np.sum(Y * logp) / X.shape[0]


def mlp(W1, b1, W2, X):
    h = np.tanh(X @ W1 + b1)
    out = h @ W2
    return np.sum(out ** 2) * 0.5


def rnn(W, U, xs):
    h = np.zeros(3)
    for t in range(len(xs)):
        h = np.tanh(W @ h + U * xs[t])
    return np.sum(h ** 2)


def rosenbrock(x):
    s = 0.0
    for i in range(len(x) - 1):
        s += 100.0 * (x[i + 1] - x[i] ** 2) ** 2 + (1.0 - x[i]) ** 2
    return s


def logsumexp(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def matrix_power_loop(A):
    P = np.eye(3)
    for _ in range(4):
        P = P @ A
    return np.sum(P * np.eye(3)) + np.sum(P)


# =====================================================================================
# Non-scalar functions (vjp and error tests)
# =====================================================================================

def VJP_vector(x):
    return np.sin(x) * x[::-1]


def VJP_matrix(A, v):
    return np.tanh(A @ v) * 2.0 + A[:, 0]


def VJP_tuple(x, y):
    return np.tanh(x) * y, np.sum(x ** 2) * y


def NONSCALAR_output(x):
    return x * 2.0


# =====================================================================================
# The cases
# =====================================================================================

_OH = np.eye(3)[[0, 2, 1, 1, 0]]

CASES = [
    # straight-line scalar code
    (lecture_f, (0, 1), [(2.0, 5.0), (0.7, -1.3), (3.1, 0.4)]),
    (lecture_g, 0, [(2.0,), (0.3,), (-1.1,)]),
    (fan_out, 0, [(0.8,), (-1.7,), (2.3,)]),
    (reassigned, (0, 1), [(0.5, 1.5), (-1.2, 0.7)]),
    (unary_ops, (0, 1), [(1.3, -0.4), (-2.0, 0.9)]),
    (arith_mix, (0, 1, 2), [(0.5, 1.5, -0.8), (-1.2, -0.7, 2.0)]),
    (with_default, 0, [(0.4,), (1.9,)]),
    (with_default, ("x", "shift"), [(0.4, 1.5, -0.3)]),
    # pow
    (pow_exponents, 0, [(0.6,), (1.7,)]),
    (pow_negative_base, 0, [(-0.8,), (-1.6,), (1.2,)]),
    (pow_both, ("x", "y"), [(1.3, 0.7), (0.4, 2.5), (2.2, -1.1)]),
    # math module
    (math_trig, (0, 1), [(0.3, 1.2), (-0.6, 0.8), (0.75, -1.4)]),
    (math_hyperbolic, 0, [(0.3,), (-0.7,)]),
    (math_exp_log, 0, [(0.6,), (2.3,)]),
    (math_roots_misc, (0, 1), [(1.3, 0.7), (2.6, -1.2)]),
    (math_gamma, 0, [(1.7,), (3.4,)]),
    # builtins
    (builtins_mix, (0, 1, 2), [(1.2, 0.8, 2.1), (-0.9, 1.5, 0.6), (0.3, 2.0, 1.1)]),
    # branches
    (branch_elif, 0, [(-2.0,), (0.3,), (2.5,), (-0.6,)]),
    (cond_expr, (0, 1), [(1.5, 0.5), (-0.5, 1.2), (-1.8, 0.3), (0.5, -1.5)]),
    (nested_branch, (0, 1), [(1.2, 0.7), (0.8, -1.1), (-0.5, 1.3), (-0.4, -2.0)]),
    (branch_on_computed, 0, [(0.3,), (-0.4,), (1.2,), (3.5,), (1.0,)]),
    (branch_one_sided, (0, 1), [(0.5, 1.5), (-0.7, 0.4), (1.1, 0.2), (-0.3, 2.2)]),
    # loops
    (loop_range, 0, [(0.7, 5), (-1.3, 4), (0.4, 0), (0.9, 1)]),
    (loop_range_step, 0, [(0.8,), (-1.5,)]),
    (loop_over_array, 0, [(_vec(5),), (_vec(1),)]),
    (loop_enumerate, 0, [(_vec(4, -2, 2),)]),
    (loop_zip, (0, 1), [(_vec(4), _vec(4))]),
    (loop_reversed, (0, 1), [(_vec(5), 0.7), (_vec(3), -1.4)]),
    (while_counted, 0, [(0.5,), (1.8,)]),
    (while_value_cond, 0, [(0.3,), (2.0,), (12.0,)]),
    (while_true_break, 0, [(0.4,), (-1.1,)]),
    (break_continue, 0, [(np.array([0.5, -0.3, 1.2, 1.4, 0.9, 0.7]),),
                         (np.array([-0.5, 0.6, 0.8, -1.0]),)]),
    (nested_loops, 0, [(_mat((3, 3)),)]),
    (nested_loops_carried, 0, [(0.6,), (-1.4,)]),
    (nested_break, 0, [(np.array([[0.3, 0.5, 0.95, 0.1], [0.2, -0.4, 0.6, 0.7],
                                  [0.9, 0.1, 0.2, 0.3]]),)]),
    (early_return_branch, 0, [(2.5,), (-1.0,), (0.7,)]),
    (early_return_loop, 0, [(np.array([0.8, 1.1, 1.6, 0.6]),), (np.array([0.2, -0.5, 0.3]),)]),
    (running_max, 0, [(np.array([0.3, 1.2, -0.4, 1.9, 0.5]),), (np.array([2.0, 0.1, -0.7]),)]),
    (loop_swap, (0, 1), [(0.5, -0.3), (1.2, 0.8)]),
    (loop_parity, 0, [(0.7,), (-0.4,)]),
    (loop_cumprod, 0, [(_vec(5, 0.5, 1.5),), (_vec(3, -1.5, 1.5),)]),
    (newton_sqrt, 0, [(2.0,), (0.7,)]),
    # helpers
    (helper_kwargs, (0, 1), [(0.6, 1.4), (-1.1, 0.3)]),
    (helper_in_loop, 0, [(_vec(4),)]),
    (helper_branch, (0, 1), [(0.5, 1.5), (-0.8, 0.2), (1.3, -0.6)]),
    (helper_nested, 0, [(0.9,), (-0.6,), (2.4,)]),
    (helper_tuple_result, (0, 1), [(1.2, 0.7), (-0.8, 1.5)]),
    # containers
    (tuple_list_literals, (0, 1), [(0.6, -1.3), (1.7, 0.4)]),
    (star_unpack, (0, 1, 2), [(0.6, -1.3, 2.1)]),
    (list_append_sum, 0, [(0.6, 4), (-1.2, 1)]),
    (list_append_array_items, 0, [(_vec(4),)]),
    (list_comprehension, 0, [(_vec(5),)]),
    (dict_literal_lookup, (0, 1), [(0.6, -1.3), (1.1, 0.9)]),
    (wrt_tuple_arg, 0, [((0.7, -0.2), 1.3), ((-1.1, 0.5), 0.4)]),
    (wrt_tuple_arg, ("p", "x"), [((0.7, -0.2), 1.3)]),
    (wrt_tuple_of_arrays, 0, [((_mat((3, 2)), _vec(2)), _mat((4, 3)))]),
    (wrt_list_arg, 0, [([0.5, -1.2, 0.8, 0.3], 0.9), ([1.5, 0.25], -1.3)]),
    (wrt_dict_arg, "params", [({"W": _mat((3, 2)), "b": _vec(2), "scale": 0.7}, _mat((5, 3)))]),
    (wrt_nested_structure, 0, [({"layer": (_mat((2, 3)), _vec(2)), "c": 1.3}, _vec(3))]),
    # arrays: indexing and stores
    (index_slice, 0, [(_vec(6),), (_vec(8),)]),
    (index_2d, 0, [(_mat((3, 4)),)]),
    (setitem_basic, (0, 1), [(0.6, -1.3), (1.4, 0.5)]),
    (setitem_overwrite_loop, 0, [(_vec(5),), (_vec(2),)]),
    (setitem_slice, 0, [(_vec(5),)]),
    (aug_diag_in_branch, (0, 1), [(_mat((3, 3)), np.array([0.5, -0.7, 1.2])),
                                  (_mat((4, 4)), np.array([-0.4, -1.1, 0.3, 0.9]))]),
    (aug_array_elements, 0, [(_vec(5),)]),
    # broadcasting
    (broadcast_vec_scalar, (0, 1), [(_vec(4), 0.7), (_vec(3), -1.3)]),
    (broadcast_matrix_row, (0, 1), [(_mat((3, 4)), _vec(4))]),
    (broadcast_col_row, (0, 1), [(_mat((3, 1)), _mat((1, 4)))]),
    (broadcast_keepdims_normalize, 0, [(_mat((5, 3)),)]),
    # numpy functions
    (np_exp_log, 0, [(_vec(4, 0.1, 0.9),)]),
    (np_trig, 0, [(_vec(4, -0.8, 0.8),)]),
    (np_array_arith, (0, 1), [(_vec(4, 0.3, 1.5), _vec(4, -1.0, 1.0))]),
    (np_reductions, 0, [(_mat((3, 4), 0.5, 1.5),), (_mat((3, 4), -1.0, 1.0),)]),
    (np_var_std, (0, 1), [(_vec(5), _mat((3, 4)))]),
    (np_linalg, (0, 1, 2), [(_mat((3, 4)), _vec(4), _mat((4, 2)))]),
    (np_shape_ops, 0, [(_mat((2, 3)),)]),
    (np_piecewise, (0, 1), [(np.array([0.2, -1.5, 1.4, 0.8, -0.3]),
                             np.array([0.6, -0.5, 0.3, -1.2, -0.9]))]),
    (np_concat_stack, (0, 1), [(_vec(3), _vec(3))]),
    (np_build_arrays, (0, 1), [(0.6, -1.3), (1.2, 0.4)]),
    (np_method_calls, (0, 1), [(_mat((3, 4)), _vec(4))]),
    (onp_alias, 0, [(_vec(4),)]),
    (from_numpy_import, 0, [(_vec(4),)]),
    (size1_output, 0, [(_vec(3),)]),
    # values that do not depend on wrt
    (constants_and_counters, 0, [(0.7, 4), (-1.2, 0)]),
    (shape_dependent, (0, 1), [(_vec(4), _mat((2, 3)))]),
    (argmax_select, 0, [(np.array([0.3, 1.2, -0.4, 0.8]),), (np.array([-1.3, 0.2, 0.9]),)]),
    (nondiff_args, 0, [(0.7, _vec(4), True), (-0.3, _vec(3), False)]),
    (int_first, 1, [(4, 0.7), (2, -1.3)]),
    (int_first, "x", [(3, 0.4)]),
    (mod_op, 0, [(0.3,), (1.1,), (-0.45,)]),
    # composite
    (logistic_loss, (0, 1), [(_vec(3), 0.2, _mat((6, 3)), np.array([1.0, -1.0, 1.0, 1.0, -1.0, -1.0]))]),
    (softmax_xent, 0, [(_mat((4, 3)), _mat((5, 4)), _OH)]),
    (mlp, ("W1", "b1", "W2"), [(_mat((3, 4)), _vec(4), _vec(4), _mat((5, 3)))]),
    (rnn, (0, 1), [(_mat((3, 3)), _vec(3), _vec(5))]),
    (rosenbrock, 0, [(_vec(4, -1.5, 1.5),), (np.array([1.0, 1.0, 1.0]),)]),
    (logsumexp, 0, [(_vec(5, -3.0, 3.0),)]),
    (matrix_power_loop, 0, [(_mat((3, 3)),)]),
]

if hasattr(math, "exp2"):
    CASES.append((math_exp2, 0, [(0.7,), (-1.3,)]))
if hasattr(math, "cbrt"):
    CASES.append((math_cbrt, 0, [(0.7,), (-1.3,)]))

# (rtol, atol) per function name where the default (1e-5, 1e-7) would not suit finite
# differences. Empty: at every case the central difference with step 1e-6 is within 1% of
# that tolerance of a Richardson-extrapolated reference.
TOLERANCES = {}
