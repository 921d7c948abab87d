"""Reverse and forward rules of ``np.linalg``: det, slogdet, inv, solve, pinv,
matrix_power, norm, cholesky, eigh, eigvalsh, eig, svd and qr, for matrices and stacks of
them (the last two axes are the matrix), and the fields of their named results.

What the derivatives assume is what makes each function differentiable: square
invertible matrices (det, inv, solve), full rank (pinv, qr), distinct eigenvalues (eigh,
eig; eig only when they are all real), distinct nonzero singular values (svd). eigh,
eigvalsh and cholesky read one triangle of a matrix and take it as symmetric: their
derivatives are those of that function, 0 in the triangle not read. The helpers are in
linalg_runtime.py.
"""
import numpy as np

from ..runtime import expand
from . import linalg_runtime as rt
from .linalg_runtime import (eig_adjoint, eig_tangent, eigh_adjoint, eigh_values_tangent,
                             eigh_vectors_tangent, field_adjoint, field_tangent,
                             from_triangle, matrix_power_adjoint, onto_triangle,
                             matrix_power_tangent, norm_gradient, norm_hessian_product,
                             phi, qr_factors, solve_matrix_adjoint, svd_adjoint,
                             svd_tangent, symmetric_part)
from .registry import attribute_key, linear, pure, reverse, tangent


# -- determinants, inverses, solves ----------------------------------------------------
@reverse(np.linalg.det)
def det(g, y, a):
    return np.expand_dims(g * y, (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2)


@tangent(np.linalg.det)
def det_tangent(d, y, a):
    return y * np.trace(np.linalg.solve(a, d), axis1=-2, axis2=-1)


# returns a tuple (use it unpacked: ``s, l = np.linalg.slogdet(a)``); the sign has no
# derivative
@reverse(np.linalg.slogdet)
def slogdet(g, y, a):
    return np.expand_dims(g[1], (-2, -1)) * np.swapaxes(np.linalg.inv(a), -1, -2)


@tangent(np.linalg.slogdet)
def slogdet_tangent(d, y, a):
    return 0.0 * y[0], np.trace(np.linalg.solve(a, d), axis1=-2, axis2=-1)


@reverse(np.linalg.inv)
def inv(g, y, a):
    return -np.matmul(np.swapaxes(y, -1, -2), np.matmul(g, np.swapaxes(y, -1, -2)))


@tangent(np.linalg.inv)
def inv_tangent(d, y, a):
    return -np.matmul(y, np.matmul(d, y))


@reverse(np.linalg.solve)
def solve(g, y, a, b):
    return (solve_matrix_adjoint(np.linalg.solve(np.swapaxes(a, -1, -2), g), y, b),
            np.linalg.solve(np.swapaxes(a, -1, -2), g))


@tangent(np.linalg.solve, operand=0)
def solve_matrix_tangent(d, y, a, b):
    return -np.linalg.solve(a, np.matmul(d, y))


@tangent(np.linalg.solve, operand=1)
def solve_rhs_tangent(d, y, a, b):
    return np.linalg.solve(a, d)


@reverse(np.linalg.pinv)
def pinv(g, y, a, rcond=None, hermitian=False, rtol=None):
    # full rank: the transpose of the tangent below; y is P, the pseudo-inverse
    pt = np.swapaxes(y, -1, -2)
    gt = np.swapaxes(g, -1, -2)
    left = np.matmul(gt, np.matmul(y, pt))
    right = np.matmul(np.matmul(pt, y), gt)
    return (left - np.matmul(a, np.matmul(y, left)) + right - np.matmul(np.matmul(right, y), a)
            - np.matmul(pt, np.matmul(g, pt)))


@tangent(np.linalg.pinv)
def pinv_tangent(d, y, a, rcond=None, hermitian=False, rtol=None):
    # dP = -P dA P + P P^T dA^T (I - A P) + (I - P A) dA^T P^T P (Golub and Pereyra)
    dt = np.swapaxes(d, -1, -2)
    pt = np.swapaxes(y, -1, -2)
    return (np.matmul(np.matmul(y, pt), dt - np.matmul(dt, np.matmul(a, y)))
            + np.matmul(dt - np.matmul(y, np.matmul(a, dt)), np.matmul(pt, y))
            - np.matmul(y, np.matmul(d, y)))


@reverse(np.linalg.matrix_power)
def matrix_power(g, y, a, n):
    return matrix_power_adjoint(g, a, n)


@tangent(np.linalg.matrix_power)
def matrix_power_tangent_(d, y, a, n):
    return matrix_power_tangent(d, a, n)


# -- norms: every norm is a number, so its adjoint is g times the gradient --------------
@reverse(np.linalg.norm)
def norm(g, y, x, ord=None, axis=None, keepdims=False):
    return expand(g, x, axis, keepdims) * norm_gradient(x, ord, axis)


@tangent(np.linalg.norm)
def norm_tangent(d, y, x, ord=None, axis=None, keepdims=False):
    return np.sum(norm_gradient(x, ord, axis) * d, axis=axis, keepdims=keepdims)


# the gradient's own derivative (second derivatives of norm): the Hessian is symmetric,
# so one product serves both modes
@reverse(norm_gradient)
def norm_gradient_adjoint(g, y, x, ord=None, axis=None):
    return norm_hessian_product(g, x, ord, axis)


@tangent(norm_gradient)
def norm_gradient_tangent(d, y, x, ord=None, axis=None):
    return norm_hessian_product(d, x, ord, axis)


# -- factorizations --------------------------------------------------------------------
# cholesky reads the lower triangle of a (the upper one with upper=True, and returns L^T):
# the derivative is that of the function of that triangle (0 in the other), through the
# symmetric matrix it stands for (from_triangle, onto_triangle)
@reverse(np.linalg.cholesky)
def cholesky(g, y, a, upper=False):
    # Murray (2016): S = L^-T Phi(L^T G) L^-1, adjoint sym(S) for a symmetric matrix
    l = np.swapaxes(y, -1, -2) if upper else y
    gl = np.swapaxes(g, -1, -2) if upper else g
    return onto_triangle(symmetric_part(np.matmul(np.swapaxes(np.linalg.inv(l), -1, -2), np.matmul(
        phi(np.matmul(np.swapaxes(l, -1, -2), gl)), np.linalg.inv(l)))), upper)


@tangent(np.linalg.cholesky)
def cholesky_tangent(d, y, a, upper=False):
    # dL = L Phi(L^-1 dA L^-T), dA the symmetric matrix read from d
    l = np.swapaxes(y, -1, -2) if upper else y
    dl = np.matmul(l, phi(np.matmul(np.linalg.inv(l), np.matmul(
        from_triangle(d, upper), np.swapaxes(np.linalg.inv(l), -1, -2)))))
    return np.swapaxes(dl, -1, -2) if upper else dl


@reverse(np.linalg.qr)
def qr(g, y, a, mode="reduced"):
    # gA = (gQ + Q K) R^-T with N = Q^T gQ - gR R^T, K = tril(N - N^T, -1) - N
    q, r = qr_factors(y, a, mode)
    n = np.matmul(np.swapaxes(q, -1, -2), g[0]) - np.matmul(g[1], np.swapaxes(r, -1, -2))
    k = np.tril(n - np.swapaxes(n, -1, -2), -1) - n
    return np.swapaxes(np.linalg.solve(r, np.swapaxes(g[0] + np.matmul(q, k), -1, -2)),
                       -1, -2)


@tangent(np.linalg.qr)
def qr_tangent(d, y, a, mode="reduced"):
    # with B = dA R^-1, C = Q^T B, Omega = tril(C, -1) - tril(C, -1)^T (Q^T dQ):
    # dQ = B + Q (Omega - C), dR = (C - Omega) R
    q, r = qr_factors(y, a, mode)
    b = np.swapaxes(np.linalg.solve(np.swapaxes(r, -1, -2), np.swapaxes(d, -1, -2)), -1, -2)
    c = np.matmul(np.swapaxes(q, -1, -2), b)
    omega = np.tril(c, -1) - np.swapaxes(np.tril(c, -1), -1, -2)
    return b + np.matmul(q, omega - c), np.matmul(c - omega, r)


@reverse(qr_factors)
def qr_factors_adjoint(g, y, factors, a, mode="reduced"):
    # the identity on the factors (once checked)
    return g


# eigh: eigenvalues and eigenvectors of the symmetric matrix NumPy reads from the lower
# (UPLO="L") or upper ("U") triangle of a (distinct eigenvalues); the other triangle has
# derivative 0
@reverse(np.linalg.eigh)
def eigh(g, y, a, UPLO="L"):
    return onto_triangle(eigh_adjoint(g[0], g[1], y[0], y[1]), UPLO)


@tangent(np.linalg.eigh)
def eigh_tangent(d, y, a, UPLO="L"):
    return (eigh_values_tangent(from_triangle(d, UPLO), y[1]),
            eigh_vectors_tangent(from_triangle(d, UPLO), y[0], y[1]))


# eigvalsh: eigh's eigenvalues alone
@reverse(np.linalg.eigvalsh)
def eigvalsh(g, y, a, UPLO="L"):
    return onto_triangle(eigh_adjoint(g, 0.0, y, np.linalg.eigh(a, UPLO)[1]), UPLO)


@tangent(np.linalg.eigvalsh)
def eigvalsh_tangent(d, y, a, UPLO="L"):
    return eigh_values_tangent(from_triangle(d, UPLO), np.linalg.eigh(a, UPLO)[1])


# eig: real distinct eigenvalues (checked when it runs), eigenvectors of norm 1
@reverse(np.linalg.eig)
def eig(g, y, a):
    return eig_adjoint(g, y)


@tangent(np.linalg.eig)
def eig_tangent_(d, y, a):
    return eig_tangent(d, y)


# svd: singular values alone (compute_uv=False) or U, S, Vh (full_matrices=False, or any
# full_matrices for square matrices); distinct nonzero singular values
@reverse(np.linalg.svd)
def svd(g, y, a, full_matrices=True, compute_uv=True, hermitian=False):
    return svd_adjoint(g, y, a, full_matrices, compute_uv)


@tangent(np.linalg.svd)
def svd_tangent_(d, y, a, full_matrices=True, compute_uv=True, hermitian=False):
    return svd_tangent(d, y, a, full_matrices, compute_uv)


# -- the fields of the named results (``np.linalg.eigh(a).eigenvalues``): the adjoint is
#    the field's in a named tuple of zeros, the tangent the field of the tangent
def _field_rules(name):
    @reverse(attribute_key(name))
    def field(g, y, x):
        return field_adjoint(g, x, name)

    @tangent(attribute_key(name))
    def field_forward(d, y, x):
        return field_tangent(d, x, name)


for _name in ("sign", "logabsdet", "eigenvalues", "eigenvectors", "U", "S", "Vh", "Q", "R"):
    _field_rules(_name)


# -- helpers: all pure. The linear ones (in the adjoint they take first, and in the other
#    differentiable values the bilinear ones take) are declared so; the rest depend
#    nonlinearly on values other than the adjoint and get no linear declaration (it would
#    drop those values' terms): differentiating them again goes through their source, and
#    fails loudly on anything in it without a rule.
pure(rt.field_adjoint, rt.field_tangent, rt.from_triangle, rt.onto_triangle)
linear(rt.field_adjoint, rt.field_tangent, rt.from_triangle, rt.onto_triangle)


@reverse(rt.from_triangle)
def from_triangle_(b, result, d, which="L"):
    return onto_triangle(b, which)


@reverse(rt.onto_triangle)
def onto_triangle_(b, result, g, which="L"):
    return from_triangle(b, which)


@reverse(rt.field_adjoint)
def field_adjoint_(b, result, g, x, name):
    return field_tangent(b, x, name)


@reverse(rt.field_tangent)
def field_tangent_(b, result, d, x, name):
    return field_adjoint(b, x, name)


pure(solve_matrix_adjoint, phi, symmetric_part, qr_factors, norm_gradient,
     norm_hessian_product, eigh_adjoint, eigh_values_tangent, eigh_vectors_tangent,
     eig_adjoint, eig_tangent, svd_adjoint, svd_tangent, matrix_power_adjoint,
     matrix_power_tangent)
linear(phi, symmetric_part, qr_factors)
linear(solve_matrix_adjoint, operands=(0, 1))
