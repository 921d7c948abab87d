"""The rules of s2sad/rules/linalg_rules.py: for each function, ``grad`` against central
finite differences and ``jvp`` (forward mode) against ``grad · v`` (reverse mode), with
the tolerances of test_numpy_more.py; second derivatives (``hvp``, forward over reverse,
and ``vjp`` of ``grad``, reverse over reverse) against finite differences of the gradient.

Decompositions are defined up to the sign of each eigen- or singular vector, so their
losses use every output in sign-invariant ways (``u * u``, ``u[:, :1] * vh[:1, :]``).
Inputs keep what the derivatives assume: well-conditioned matrices, distinct eigenvalues
and singular values.
"""
from __future__ import annotations

import numpy as np
import pytest

import s2sad

from .test_numpy_more import arr, check, pos


def spd(n: int, seed: int = 0) -> np.ndarray:
    m = arr(n, n, seed=seed)
    return m @ m.T + n * np.eye(n)


def well(*shape: int, seed: int = 0) -> np.ndarray:
    """A well-conditioned (stack of) matrix of full rank."""
    return arr(*shape, seed=seed) + 2.0 * np.eye(*shape[-2:])


def weights(shape: tuple) -> np.ndarray:
    """Fixed distinct weights, so a loss sees every entry differently."""
    return np.linspace(0.2, 1.5, int(np.prod(shape))).reshape(shape)


def check_second_order(f, x: np.ndarray) -> None:
    """hvp (forward over reverse) against central differences of the gradient along v."""
    v = np.random.default_rng(3).uniform(-1, 1, x.shape)
    e = 1e-5
    fd = (s2sad.grad(f)(x + e * v) - s2sad.grad(f)(x - e * v)) / (2 * e)
    np.testing.assert_allclose(s2sad.hvp(f)(x, v), fd, rtol=1e-4, atol=1e-6)


def assert_refused(f, x: np.ndarray, match: str) -> None:
    """Both modes raise a DifferentiationError saying ``match`` when the derivative runs."""
    with pytest.raises(s2sad.DifferentiationError, match=match):
        s2sad.grad(f)(x)
    with pytest.raises(s2sad.DifferentiationError, match=match):
        s2sad.jvp(f)(x, np.ones(x.shape))


# ---------------------------------------------------------------------------------------
# det, slogdet, inv, solve
def f_det(a): return np.sin(np.linalg.det(a))
def f_det_batch(a): return np.sum(np.sin(np.linalg.det(a)))
def f_inv(a): return np.sum(np.sin(np.linalg.inv(a)))
def f_solve_vec(a, b): return np.sum(np.sin(np.linalg.solve(a, b)))
def f_solve_mat(a, b): return np.sum(np.sin(np.linalg.solve(a, b)))
def f_slogdet(a):
    s, l = np.linalg.slogdet(a)
    return np.sin(l) * s


def test_det():
    check(f_det, [spd(3) - 2.0])
    check(f_det_batch, [np.stack([spd(3), spd(3, 1) - 1.0])])


def test_slogdet():
    check(f_slogdet, [spd(3) - 2.5])   # a negative determinant: sign -1


def test_inv():
    check(f_inv, [spd(3)])
    check(f_inv, [np.stack([spd(3), spd(3, 1)])])


@pytest.mark.parametrize("wrt", [0, 1])
def test_solve(wrt):
    check(f_solve_vec, [spd(3), arr(3, seed=4)], wrt)
    check(f_solve_mat, [spd(3), arr(3, 2, seed=4)], wrt)


def test_linalg_float32():
    check(f_inv, [spd(3).astype(np.float32)], rtol=1e-2, atol=1e-3)


# ---------------------------------------------------------------------------------------
# pinv, matrix_power
def f_pinv(a):
    return np.sum(np.sin(np.linalg.pinv(a)) * weights(np.swapaxes(a, -1, -2).shape))


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (2, 5), (2, 4, 3)], ids=str)
def test_pinv(shape):
    check(f_pinv, [well(*shape)])


def power(n: int):
    def f(a):
        return np.sum(np.sin(np.linalg.matrix_power(a, n)) * weights((3, 3)))
    return f


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, -1, -2])
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)], ids=str)
def test_matrix_power(n, shape):
    check(power(n), [np.eye(3) + 0.3 * arr(*shape)])


def test_matrix_power_zero_has_zero_gradient():
    a = np.eye(3) + 0.3 * arr(3, 3)
    assert np.array_equal(s2sad.grad(power(0))(a), np.zeros((3, 3)))


# ---------------------------------------------------------------------------------------
# norm: every ord and axis NumPy takes
def norm_loss(ord, axis=None, keepdims=False):
    def f(x):
        return np.sum(np.sin(np.linalg.norm(x, ord, axis, keepdims)) * 1.5)
    return f


def f_norm(x): return np.sin(np.linalg.norm(x))
def f_norm_2(x): return np.sin(np.linalg.norm(x, 2))
def f_norm_fro(x): return np.sin(np.linalg.norm(x, "fro"))
def f_norm_axis(x): return np.sum(np.sin(np.linalg.norm(x, axis=1)))
def f_norm_axis_keep(x): return np.sum(np.sin(np.linalg.norm(x, 2, axis=0, keepdims=True)))
def f_norm_keywords(x): return np.sum(np.sin(np.linalg.norm(x, ord=np.inf, axis=-1)))


VECTOR_ORDS = [None, 2, 1, np.inf, -np.inf, 3, 0.5, 2.5, -1, -1.5]
MATRIX_ORDS = [None, "fro", "nuc", 1, -1, np.inf, -np.inf, 2, -2]


@pytest.mark.parametrize("f,shape", [(f_norm, (4,)), (f_norm, (3, 4)), (f_norm, (2, 3, 2)),
                                     (f_norm_2, (4,)), (f_norm_fro, (3, 4)),
                                     (f_norm_axis, (3, 4)), (f_norm_axis_keep, (3, 4)),
                                     (f_norm_keywords, (3, 4))],
                         ids=lambda c: getattr(c, "__name__", str(c)))
def test_norm_calls(f, shape):
    check(f, [arr(*shape)])


@pytest.mark.parametrize("ord", VECTOR_ORDS, ids=str)
@pytest.mark.parametrize("axis,keepdims,shape", [(None, False, (5,)), (1, False, (3, 4)),
                                                 (0, True, (3, 4)), (-1, False, (2, 3, 4))],
                         ids=str)
def test_vector_norms(ord, axis, keepdims, shape):
    check(norm_loss(ord, axis, keepdims), [arr(*shape)])


@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=str)
@pytest.mark.parametrize("axis,keepdims,shape", [(None, False, (3, 4)), (None, False, (4, 3)),
                                                 ((2, 0), True, (3, 2, 4)),
                                                 ((-2, -1), False, (2, 3, 3))], ids=str)
def test_matrix_norms(ord, axis, keepdims, shape):
    check(norm_loss(ord, axis, keepdims), [arr(*shape)])


def test_norm_float32():
    x = arr(3, 4, dtype=np.float32)
    for ord in (None, 1, np.inf, "nuc"):
        g = s2sad.grad(norm_loss(ord))(x)
        assert g.dtype == np.float32
        check(norm_loss(ord), [x], rtol=1e-3, atol=1e-4)


def plain_norm(ord):
    def f(x):
        return np.linalg.norm(x, ord)
    return f


def test_norm_subgradients_at_kinks():
    x = np.array([0.0, -2.0, 2.0, 1.0])
    # |x| at 0 -> 0
    assert s2sad.grad(plain_norm(1))(x).tolist() == [0.0, -1.0, 1.0, 1.0]
    # a tie of the largest |x_i| goes to the first
    assert s2sad.grad(plain_norm(np.inf))(x).tolist() == [0.0, -1.0, 0.0, 0.0]
    assert s2sad.grad(plain_norm(-np.inf))(x).tolist() == [0.0, 0.0, 0.0, 0.0]  # |0| is least
    y = np.array([2.0, -1.0, 1.0, 3.0])
    assert s2sad.grad(plain_norm(-np.inf))(y).tolist() == [0.0, -1.0, 0.0, 0.0]
    # the 2-norm of zero: the subgradient 0, not nan
    assert s2sad.grad(plain_norm(None))(np.zeros(3)).tolist() == [0.0, 0.0, 0.0]
    # ties of column sums (matrix 1-norm) go to the first column
    m = np.array([[1.0, -1.0], [2.0, 2.0]])
    assert s2sad.grad(plain_norm(1))(m).tolist() == [[1.0, 0.0], [1.0, 0.0]]


def f_norm_0(x): return np.linalg.norm(x, 0) * np.sum(x)


def test_norm_order_0_has_no_derivative():
    # the number of nonzero entries is piecewise constant: zero derivative in both modes
    x = arr(5)
    np.testing.assert_allclose(s2sad.grad(f_norm_0)(x), np.full(5, 5.0), rtol=1e-12)
    _, t = s2sad.jvp(f_norm_0)(x, np.ones(5))
    assert t == pytest.approx(25.0)


# ---------------------------------------------------------------------------------------
# cholesky, qr
def f_cholesky(m):
    return np.sum(np.sin(np.linalg.cholesky(m @ m.T + 3.0 * np.eye(3))))


def f_qr(a):
    q, r = np.linalg.qr(a)
    return (np.sum(weights(q.shape[-2:]) * q * q) + np.sum(np.sin(r * r))
            + np.sum(np.sin(q[..., :, :1] * r[..., :1, :])))


def f_qr_complete_square(a):
    q, r = np.linalg.qr(a, mode="complete")
    return np.sum(weights((3, 3)) * q * q) + np.sum(np.cos(r * r))


def f_qr_wide(a):
    q, r = np.linalg.qr(a)
    return np.sum(r * r)


def test_cholesky():
    check(f_cholesky, [arr(3, 3)])


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (5, 2), (2, 4, 3)], ids=str)
def test_qr(shape):
    check(f_qr, [well(*shape)])


def test_qr_complete_square():
    check(f_qr_complete_square, [well(3, 3)])


def test_qr_wide_is_refused():
    assert_refused(f_qr_wide, well(3, 4), "mode='reduced'")


# ---------------------------------------------------------------------------------------
# eigh, eig
def f_eigh_values(m):
    w, v = np.linalg.eigh(m + m.T)
    return np.sum(np.sin(w))


def f_eigh_vectors(m):
    w, v = np.linalg.eigh(m + m.T)   # sign-invariant use of the eigenvectors
    return np.sum(np.sin(w)) + np.sum(v * v * np.arange(9.0).reshape(3, 3))


def f_eig(a):
    w, v = np.linalg.eig(a)
    w, v = np.real(w), np.real(v)  # NumPy 2.5 and later return complex arrays
    return np.sum(np.sin(w)) + np.sum(v * v * weights(a.shape[-2:]))


def f_eig_vectors_only(a):
    w, v = np.linalg.eig(a)
    v = np.real(v)
    return np.sum(np.cos(v * v))


def real_eigenvalues(*shape: int) -> np.ndarray:
    """Matrices with real, well separated eigenvalues (not symmetric)."""
    return np.diag([1.0, 2.0, 3.5]) + 0.3 * arr(*shape)


@pytest.mark.parametrize("f", [f_eigh_values, f_eigh_vectors], ids=lambda f: f.__name__)
def test_eigh(f):
    check(f, [arr(3, 3)])


@pytest.mark.parametrize("f", [f_eig, f_eig_vectors_only], ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)], ids=str)
def test_eig(f, shape):
    a = real_eigenvalues(*shape)
    assert np.all(np.imag(np.linalg.eig(a)[0]) == 0)
    check(f, [a])


def test_eig_complex_eigenvalues_are_refused():
    rotation = np.array([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 2.0]])
    assert_refused(f_eig, rotation, "eigenvalues are all real")


# ---------------------------------------------------------------------------------------
# svd
def f_svd_values(a):
    return np.sum(np.sin(np.linalg.svd(a, compute_uv=False)))


def f_svd(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return (np.sum(np.sin(s)) + np.sum(weights(u.shape[-2:]) * u * u)
            + np.sum(weights(vh.shape[-2:]) * vh * vh)
            + np.sum(np.sin(u[..., :, :1] * vh[..., :1, :])))


def f_svd_square_full(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(s * s) + np.sum(weights((3, 3)) * u * u) + np.sum(np.cos(u @ vh))


def f_svd_vectors_only(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(weights(vh.shape[-2:]) * vh * vh)


def f_svd_full(a):
    u, s, vh = np.linalg.svd(a)
    return np.sum(s)


@pytest.mark.parametrize("shape", [(3, 4), (4, 3), (2, 4, 3)], ids=str)
def test_svd_values(shape):
    check(f_svd_values, [arr(*shape)])


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 5), (2, 4, 3), (2, 2, 3)], ids=str)
def test_svd(shape):
    check(f_svd, [arr(*shape)])


def test_svd_square_full_matrices():
    check(f_svd_square_full, [arr(3, 3)])


def test_svd_one_output_used():
    check(f_svd_vectors_only, [arr(4, 3)])


def test_svd_full_matrices_of_non_square_is_refused():
    assert_refused(f_svd_full, arr(3, 4), "full_matrices=False")


# ---------------------------------------------------------------------------------------
# second derivatives: through the helpers' own rules (norm), templates written in
# differentiable primitives (pinv, qr, det, solve, cholesky), or the source of the helpers
# the first derivative calls (eig, eigh, svd, matrix_power)
SECOND_ORDER = {
    "norm_axis": (norm_loss(None, 1), arr(3, 4)), "norm_3": (norm_loss(3), arr(5)),
    "norm_-1.5": (norm_loss(-1.5, 0), pos(3, 4)), "norm_1": (norm_loss(1), arr(5)),
    "norm_inf": (norm_loss(np.inf, 1), arr(3, 4)), "norm_fro": (norm_loss("fro"), arr(3, 4)),
    "norm_axes": (norm_loss(None, (0, 2), True), arr(3, 2, 4)),
    "norm_matrix_-1": (norm_loss(-1), arr(3, 4)), "pinv": (f_pinv, well(4, 3)),
    "pinv_batch": (f_pinv, well(2, 3, 3)), "qr": (f_qr, well(4, 3)),
    "det": (f_det, spd(3) - 2.0), "cholesky": (f_cholesky, arr(3, 3)),
    "eig": (f_eig, real_eigenvalues(3, 3)), "eigh": (f_eigh_vectors, arr(3, 3)),
    "svd_values": (f_svd_values, arr(3, 4)), "svd": (f_svd, arr(4, 3)),
    "eig_batch": (f_eig, real_eigenvalues(2, 3, 3)),
    "matrix_power_3": (power(3), np.eye(3) + 0.3 * arr(3, 3)),
    "matrix_power_-2": (power(-2), np.eye(3) + 0.3 * arr(3, 3)),
}


@pytest.mark.parametrize("case", sorted(SECOND_ORDER))
def test_hvp(case):
    check_second_order(*SECOND_ORDER[case])


def test_hvp_solve():
    a, b = spd(3), arr(3, 2, seed=4)
    v = np.random.default_rng(3).uniform(-1, 1, a.shape)
    e = 1e-5
    fd = (s2sad.grad(f_solve_mat)(a + e * v, b) - s2sad.grad(f_solve_mat)(a - e * v, b)) / (2 * e)
    np.testing.assert_allclose(s2sad.hvp(f_solve_mat)(a, b, v), fd, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("case", ["norm_3", "norm_fro", "norm_axes", "pinv", "qr"])
def test_reverse_over_reverse(case):
    f, x = SECOND_ORDER[case]
    v = np.random.default_rng(5).uniform(-1, 1, x.shape)
    gradient, hv = s2sad.vjp(s2sad.grad(f))(x, v)
    np.testing.assert_allclose(gradient, s2sad.grad(f)(x), rtol=1e-12)
    np.testing.assert_allclose(hv, s2sad.hvp(f)(x, v), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("ord", ["nuc", 2, -2])
def test_second_derivative_of_spectral_norms(ord):
    # through the tangent of the SVD (distinct nonzero singular values), in both modes
    f, x = norm_loss(ord), arr(3, 4)
    check_second_order(f, x)
    v = np.random.default_rng(5).uniform(-1, 1, x.shape)
    np.testing.assert_allclose(s2sad.vjp(s2sad.grad(f))(x, v)[1], s2sad.hvp(f)(x, v),
                               rtol=1e-8, atol=1e-10)
