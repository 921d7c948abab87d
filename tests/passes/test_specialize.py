"""Shape specialization (passes/specialize.py): gradients compiled for the arrays' shapes
read like hand-written NumPy and give the same numbers as the program that does not know
the shapes, and as finite differences."""
import re

import numpy as np
import pytest

import s2sad
from s2sad import api

from ..numeric import numeric_gradient

HELPERS = re.compile(r"(?<![\w.])(unbroadcast|expand|zeros_like|like_dtype|accumulate|structure|"
                     r"broadcast_like|matmul_left|matmul_right)\(")


def rnn_loss(Wx, Wh, b, Wy, xs, y):
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    for x in xs:
        h = np.tanh(x @ Wx + h @ Wh + b)
    prediction = h @ Wy
    return np.mean((prediction - y) ** 2)


def bias_and_columns(W, b, c, X):
    z = X @ W + b                      # b broadcast over rows
    s = np.sum(z * c, axis=0, keepdims=True)  # c a column: (n, 1)
    return np.mean(np.tanh(s)) + np.sum(z.mean(axis=1) ** 2)


def scaled_rows(a, w):
    m = a.max(axis=1)
    return np.sum((a - m[:, None]) * w) + np.sum(a @ w[:, None])


def layer_norm(x, g):
    mu = x.mean(axis=-1, keepdims=True)
    var = ((x - mu) ** 2).mean(axis=-1, keepdims=True)
    return np.sum(g * (x - mu) / np.sqrt(var + 1e-5))


def attention(Wq, Wk, Wv, g, X):
    mu = X.mean(axis=-1, keepdims=True)
    var = ((X - mu) ** 2).mean(axis=-1, keepdims=True)
    Xn = g * (X - mu) / np.sqrt(var + 1e-5)
    Q, K, V = Xn @ Wq, Xn @ Wk, Xn @ Wv
    S = Q @ K.T / np.sqrt(Q.shape[1])
    S = S - S.max(axis=1, keepdims=True)
    A = np.exp(S)
    A = A / A.sum(axis=1, keepdims=True)
    return np.sum((A @ V) ** 2)


def heat(u0, k):
    u = u0.copy()
    for _ in range(5):
        lap = u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:] - 4 * u[1:-1, 1:-1]
        u[1:-1, 1:-1] = u[1:-1, 1:-1] + k * lap
    return np.sum(u ** 2)


@pytest.mark.parametrize("f, args, wrt, helpers", [
    (attention, [(4, 4), (4, 4), (4, 4), (4,), (6, 4)], (0, 1, 2, 3),
     {"reduced_extreme_adjoint"}),
    (heat, [(6, 7), 0.1], 0, set()),
])
def test_realistic_adjoints_need_almost_no_helpers(f, args, wrt, helpers):
    rng = np.random.default_rng(4)
    args = tuple(rng.normal(size=a) if isinstance(a, tuple) else a for a in args)
    gradient = s2sad.value_and_grad(f, wrt=wrt)
    value, grads = gradient(*args)
    assert set(HELPERS.findall(gradient.source)) | {
        name for name in ("reduced_extreme_adjoint",) if name + "(" in gradient.source
    } == helpers, gradient.source
    assert value == f(*args)
    for position, g in zip(wrt if isinstance(wrt, tuple) else (wrt,),
                           grads if isinstance(wrt, tuple) else (grads,)):
        np.testing.assert_allclose(g, numeric_gradient(f, args, position), rtol=1e-6,
                                   atol=1e-8)


def _rnn_args():
    rng = np.random.default_rng(0)
    return (rng.normal(size=(3, 8)), rng.normal(size=(8, 8)) * 0.3, rng.normal(size=8),
            rng.normal(size=(8, 2)), rng.normal(size=(6, 5, 3)), rng.normal(size=(5, 2)))


def test_rnn_adjoint_reads_like_numpy():
    args = _rnn_args()
    gradient = s2sad.value_and_grad(rnn_loss, wrt=(0, 1, 2, 3))
    value, grads = gradient(*args)
    source = gradient.source
    assert not HELPERS.findall(source), source
    assert "bb = bb + t" in source and ".sum(0)" in source
    assert re.search(r"tape\.append\(\(\w+, \w+, \w+\)\)", source), source  # h, h, x
    for position, g in enumerate(grads):
        np.testing.assert_allclose(g, numeric_gradient(rnn_loss, args, position),
                                   rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f, shapes", [
    (bias_and_columns, [(3, 4), (4,), (5, 1), (5, 3)]),
    (scaled_rows, [(4, 3), (3,)]),
    (layer_norm, [(2, 3, 5), (5,)]),
])
def test_specialized_gradients_match_generic_and_finite_differences(f, shapes):
    rng = np.random.default_rng(1)
    args = tuple(rng.normal(size=s) for s in shapes)
    wrt = tuple(range(len(args)))
    shaped = s2sad.value_and_grad(f, wrt=wrt)
    value, grads = shaped(*args)
    generic = api.ValueAndGrad(f, wrt) if hasattr(api, "ValueAndGrad") else None
    if generic is not None:
        generic.SHAPE_VARIANTS = 0  # never specialized
        generic_value, generic_grads = generic(*args)
        assert value == generic_value
        for a, b in zip(grads, generic_grads):
            np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
    assert value == f(*args)
    for position, g in enumerate(grads):
        assert g.shape == args[position].shape
        np.testing.assert_allclose(g, numeric_gradient(f, args, position), rtol=1e-6,
                                   atol=1e-8)


def test_new_shapes_compile_again_and_many_share_one_program():
    gradient = s2sad.grad(bias_and_columns, wrt=(0, 1))
    rng = np.random.default_rng(2)
    for n in range(1, api.Derivative.SHAPE_VARIANTS + 4):
        args = (rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(n, 1)),
                rng.normal(size=(n, 3)))
        gW, gb = gradient(*args)
        np.testing.assert_allclose(gW, numeric_gradient(bias_and_columns, args, 0),
                                   rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(gb, numeric_gradient(bias_and_columns, args, 1),
                                   rtol=1e-6, atol=1e-8)
    assert len(gradient.compiled) <= api.Derivative.SHAPE_VARIANTS + 1


def test_float32_arguments_keep_their_dtype():
    args = tuple(a.astype(np.float32) for a in _rnn_args())
    grads = s2sad.grad(rnn_loss, wrt=(0, 1, 2, 3))(*args)
    assert all(g.dtype == np.float32 for g in grads)


def test_second_order_through_a_specialized_gradient():
    rng = np.random.default_rng(3)
    x, g = rng.normal(size=(2, 5)), rng.normal(size=5)
    v = rng.normal(size=(2, 5))
    s2sad.grad(layer_norm)(x, g)  # compiled for these shapes first
    hv = s2sad.hvp(layer_norm)(x, g, v)
    expected = numeric_gradient(lambda y: np.sum(s2sad.grad(layer_norm)(y, g) * v), (x,), 0)
    np.testing.assert_allclose(hv, expected, rtol=1e-5, atol=1e-7)
    other = rng.normal(size=(4, 5))  # another shape through the same hvp
    assert s2sad.hvp(layer_norm)(other, g, other).shape == (4, 5)
