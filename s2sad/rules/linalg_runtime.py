"""Helpers that the templates of linalg_rules.py call (so generated derivative code calls
them). Each takes NumPy arrays (stacks of matrices allowed: the last two axes are the
matrix) and gives an adjoint, a tangent or a gradient; linalg_rules.py declares which are
linear in which arguments and which have derivative rules of their own.

Decompositions assume what makes them differentiable, as usual: distinct eigenvalues
(``eigh``, ``eig``), distinct nonzero singular values (``svd``), full rank (``qr``).
"""
from __future__ import annotations

import operator
from typing import Any, List, Optional, Tuple

import numpy as np

from ..errors import DifferentiationError
from ..runtime import zeros_like


def _t(x: Any) -> Any:
    """The transpose of the last two axes."""
    return np.swapaxes(x, -1, -2)


def _zero_if_number(g: Any, like: Any) -> Any:
    """``g``, or an array of zeros shaped like ``like`` when ``g`` is a number zero (the
    adjoint of an output nothing used)."""
    return np.zeros(np.shape(like)) if np.ndim(g) == 0 else g


def inverse_gaps(w: Any) -> Any:
    """F with F[..., i, j] = 1 / (w_j - w_i) off the diagonal and 0 on it."""
    n = np.shape(w)[-1]
    off = ~np.eye(n, dtype=bool)
    gap = np.expand_dims(w, -2) - np.expand_dims(w, -1)
    return np.where(off, 1.0 / np.where(off, gap, 1.0), 0.0)


# -- solve, cholesky -------------------------------------------------------------------
def solve_matrix_adjoint(gb: Any, x: Any, b: Any) -> Any:
    """The adjoint of ``a`` in ``x = np.linalg.solve(a, b)`` given ``gb``, the adjoint of
    ``b`` (bilinear in ``gb`` and ``x``)."""
    if np.ndim(b) == 1:
        return -np.multiply.outer(gb, x) if np.ndim(gb) == 1 else \
            -(np.expand_dims(gb, -1) * np.expand_dims(x, -2))
    return -np.matmul(gb, _t(x))


def phi(x: Any) -> Any:
    """The lower triangle of the last two axes of ``x`` with its diagonal halved."""
    n = np.shape(x)[-1]
    return np.tril(x) * (1.0 - 0.5 * np.eye(n, dtype=np.result_type(x, np.float32)))


def symmetric_part(x: Any) -> Any:
    return 0.5 * (x + _t(x))


def _reads_upper(which: Any) -> bool:
    """Whether NumPy reads the upper triangle: ``UPLO`` of eigh and eigvalsh ("L" or
    "U", either case), or ``upper`` of cholesky (a bool)."""
    if isinstance(which, (bool, np.bool_)):
        return bool(which)
    return str(which).upper() == "U"


def from_triangle(d: Any, which: Any = "L") -> Any:
    """The symmetric matrix NumPy reads from ``d`` (eigh, eigvalsh and cholesky read one
    triangle and take the other as its mirror): the lower (``which`` "L", or False for
    cholesky) or upper ("U", or True) triangle of ``d`` and its mirror. Its tangent is
    itself applied to the tangent of ``d``."""
    if _reads_upper(which):
        return np.triu(d) + _t(np.triu(d, 1))
    return np.tril(d) + _t(np.tril(d, -1))


def onto_triangle(g: Any, which: Any = "L") -> Any:
    """The adjoint of ``d`` in ``from_triangle(d, which)`` (its transpose): the triangle
    read gets ``g`` and the mirror of ``g``'s other triangle, the triangle not read 0."""
    if _reads_upper(which):
        return np.triu(g) + np.triu(_t(g), 1)
    return np.tril(g) + np.tril(_t(g), -1)


# -- norm ------------------------------------------------------------------------------
_MATRIX_ORDS = (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf)


def _norm_plan(x: Any, ord: Any, axis: Any) -> Tuple[str, Any]:
    """How ``np.linalg.norm(x, ord, axis)`` reduces: ``("vector", axis)`` (an int, or None
    for all of ``x``) or ``("matrix", (row, column))``."""
    nd = np.ndim(x)
    if axis is None:
        if ord is None or nd == 1:
            return "vector", None
        if nd == 2:
            return "matrix", (0, 1)
        raise DifferentiationError("np.linalg.norm with ord=%r needs a 1-D or 2-D array "
                                   "or an axis" % (ord,))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    axes = tuple(operator.index(a) % nd for a in axes)
    if len(axes) == 1:
        return "vector", axes[0]
    return "matrix", axes


def _safe(y: Any) -> Any:
    """``y`` with zeros replaced by ones (a norm of zero then gives the subgradient 0)."""
    return np.where(y == 0, 1.0, y)


def _first_extreme(a: Any, axis: int, largest: bool) -> Any:
    """A mask of the first maximum (or minimum) of ``a`` along ``axis``."""
    axis = axis % np.ndim(a)
    index = (np.argmax if largest else np.argmin)(a, axis=axis)
    positions = np.arange(np.shape(a)[axis]).reshape(
        [-1 if k == axis else 1 for k in range(np.ndim(a))])
    return positions == np.expand_dims(index, axis)


def _power_gradient(x: Any, p: float, axes: Any) -> Any:
    """The gradient of (sum |x|^p)^(1/p) over ``axes``: sign(x) (|x| / y)^(p - 1)."""
    if p == 2:
        return x / _safe(np.sqrt(np.sum(x * x, axis=axes, keepdims=True)))
    magnitude = np.abs(x)
    y = np.sum(magnitude ** p, axis=axes, keepdims=True) ** (1.0 / p)
    return np.sign(x) * (magnitude / _safe(y)) ** (p - 1.0)


def _vector_gradient(x: Any, ord: Any, axis: Optional[int]) -> Any:
    if ord is None:
        return _power_gradient(x, 2, axis)
    if ord == 0:  # the number of nonzero entries: piecewise constant
        return np.zeros(np.shape(x))
    if ord in (np.inf, -np.inf):
        magnitude = np.abs(x)
        along = 0 if axis is None else axis
        return np.sign(x) * _first_extreme(magnitude, along, ord > 0)
    if isinstance(ord, str):
        raise DifferentiationError("np.linalg.norm of vectors takes no ord=%r" % (ord,))
    if ord == 1:
        return np.sign(x)
    return _power_gradient(x, float(ord), axis)


def _matrix_gradient(x: Any, ord: Any) -> Any:
    """The gradient of a matrix norm over the last two axes of ``x``."""
    if ord is None or ord == "fro":
        return _power_gradient(x, 2, (-2, -1))
    if ord == "nuc" or ord in (2, -2):
        u, _, vh = np.linalg.svd(x, full_matrices=False)
        if ord == "nuc":
            return np.matmul(u, vh)
        k = 0 if ord == 2 else -1  # singular values come largest first
        return np.expand_dims(u[..., :, k], -1) * np.expand_dims(vh[..., k, :], -2)
    if ord in (1, -1):  # the largest (smallest) column sum of |x|
        pick = _first_extreme(np.sum(np.abs(x), axis=-2), -1, ord > 0)
        return np.sign(x) * np.expand_dims(pick, -2)
    if ord in (np.inf, -np.inf):  # the largest (smallest) row sum of |x|
        pick = _first_extreme(np.sum(np.abs(x), axis=-1), -1, ord > 0)
        return np.sign(x) * np.expand_dims(pick, -1)
    raise DifferentiationError("np.linalg.norm of matrices takes ord in %s, not %r"
                               % (_MATRIX_ORDS, ord))


def norm_gradient(x: Any, ord: Any = None, axis: Any = None) -> Any:
    """The gradient of ``np.linalg.norm(x, ord, axis)`` as an array shaped like ``x`` (each
    norm is a number, so its adjoint is this times the norm's adjoint). At kinks it takes
    a subgradient: sign(0) = 0, a zero norm gives 0, ties of the largest (smallest) entry,
    column or row go to the first."""
    kind, axes = _norm_plan(x, ord, axis)
    if kind == "vector":
        return _vector_gradient(np.asarray(x), ord, axes)
    moved = np.moveaxis(np.asarray(x), axes, (-2, -1))
    return np.moveaxis(_matrix_gradient(moved, ord), (-2, -1), axes)


def _spectral_hessian_product(d: Any, x: Any, ord: Any) -> Any:
    """The derivative along ``d`` of the gradient of the nuclear norm (U V^T) or of the
    largest (``ord`` 2) or smallest (-2) singular value (u_k v_k^T) of the matrices in the
    last two axes of ``x``, from the tangent of the reduced SVD."""
    y = np.linalg.svd(x, full_matrices=False)
    du, _, dvh = svd_tangent(d, y, x, False, True)
    u, vh = y[0], y[2]
    if ord == "nuc":
        return np.matmul(du, vh) + np.matmul(u, dvh)
    k = 0 if ord == 2 else -1   # singular values come largest first
    return (np.expand_dims(du[..., :, k], -1) * np.expand_dims(vh[..., k, :], -2)
            + np.expand_dims(u[..., :, k], -1) * np.expand_dims(dvh[..., k, :], -2))


def norm_hessian_product(d: Any, x: Any, ord: Any = None, axis: Any = None) -> Any:
    """The Hessian of ``np.linalg.norm(x, ord, axis)`` times ``d`` (the derivative of
    ``norm_gradient`` along ``d``; the Hessian is symmetric, so also its adjoint). Orders
    whose norm is piecewise linear (1, inf, -inf, the matrix 1 and inf norms) or constant
    (0) give zero, and so does a zero norm (a kink, where the gradient is taken 0); 'nuc',
    2 and -2 of matrices need distinct nonzero singular values (as the SVD's derivative)."""
    kind, axes = _norm_plan(x, ord, axis)
    x = np.asarray(x)
    if kind == "matrix":
        if ord == "nuc" or ord in (2, -2):
            return np.moveaxis(_spectral_hessian_product(
                np.moveaxis(np.broadcast_to(d, np.shape(x)), axes, (-2, -1)),
                np.moveaxis(x, axes, (-2, -1)), ord), (-2, -1), axes)
        if ord is not None and ord != "fro":
            return np.zeros(np.shape(x))
        p = 2.0
    elif ord is None:
        p = 2.0
    elif isinstance(ord, str) or ord in (0, 1, np.inf, -np.inf):
        return np.zeros(np.shape(x))
    else:
        p = float(ord)
    # H d = (p - 1) / y ((|x| / y)^(p - 2) d - w (w . d)), w the gradient
    w = _power_gradient(x, p, axes)
    magnitude = np.abs(x)
    norm = np.sum(magnitude ** p, axis=axes, keepdims=True) ** (1.0 / p)
    y = _safe(norm)
    curvature = 1.0 if p == 2 else (magnitude / y) ** (p - 2.0)
    return np.where(norm == 0, 0.0, (p - 1.0) / y * (curvature * d - w * np.sum(
        w * d, axis=axes, keepdims=True)))


# -- eigh ------------------------------------------------------------------------------
def eigh_adjoint(gw: Any, gv: Any, w: Any, v: Any) -> Any:
    """The adjoint of a symmetric ``a`` in ``w, v = np.linalg.eigh(a)`` (distinct
    eigenvalues; symmetrized): V (diag(gw) + F * (V^T gv)) V^T with F_ij = 1/(w_j - w_i)."""
    vt = _t(v)
    inner = np.expand_dims(gw, -1) * np.eye(np.shape(w)[-1]) if np.ndim(gw) else \
        np.zeros(np.shape(v))
    if np.ndim(gv):
        inner = inner + inverse_gaps(w) * np.matmul(vt, gv)
    return symmetric_part(np.matmul(v, np.matmul(inner, vt)))


def eigh_values_tangent(d: Any, v: Any) -> Any:
    """The tangent of the eigenvalues of ``np.linalg.eigh``: diag(V^T d V)."""
    return np.diagonal(np.matmul(_t(v), np.matmul(d, v)), axis1=-2, axis2=-1)


def eigh_vectors_tangent(d: Any, w: Any, v: Any) -> Any:
    """The tangent of the eigenvectors of ``np.linalg.eigh``: V (F * (V^T d V))."""
    return np.matmul(v, inverse_gaps(w) * np.matmul(_t(v), np.matmul(symmetric_part(d), v)))


# -- eig (real eigenvalues) ------------------------------------------------------------
def _real_eig(w: Any, v: Any) -> Tuple[Any, Any]:
    """``np.linalg.eig``'s eigenvalues and eigenvectors as real arrays (NumPy 2.5 and later
    return complex ones even when every eigenvalue is real), or an error if they are not."""
    if np.iscomplexobj(w):
        if np.any(np.imag(w) != 0):
            raise DifferentiationError("s2sad differentiates np.linalg.eig only for real "
                                       "matrices whose eigenvalues are all real")
        return np.real(w), np.real(v)
    return w, v


def eig_adjoint(g: Any, y: Any) -> Any:
    """The adjoint of ``a`` in ``w, v = np.linalg.eig(a)`` (real distinct eigenvalues,
    eigenvectors of norm 1): V^-T (diag(gw) + F * (V^T gv')) V^T with F_ij = 1/(w_j - w_i)
    and gv' = gv - V diag(V^T gv) (the part that keeps the norms 1)."""
    w, v = _real_eig(y[0], y[1])
    # (real parts: zero adjoints of NumPy's complex results are complex zeros)
    gw, gv = np.real(_zero_if_number(g[0], w)), np.real(_zero_if_number(g[1], v))
    gv = gv - v * np.sum(v * gv, axis=-2, keepdims=True)
    inner = np.expand_dims(gw, -1) * np.eye(np.shape(w)[-1]) + \
        inverse_gaps(w) * np.matmul(_t(v), gv)
    return np.linalg.solve(_t(v), np.matmul(inner, _t(v)))


def eig_tangent(d: Any, y: Any) -> Tuple[Any, Any]:
    """The tangents of ``w, v = np.linalg.eig(a)``: with P = V^-1 d V, diag(P) and
    V (F * P) without its part along each eigenvector (norms stay 1)."""
    w, v = _real_eig(y[0], y[1])
    p = np.linalg.solve(v, np.matmul(d, v))
    dv = np.matmul(v, inverse_gaps(w) * p)
    return (np.diagonal(p, axis1=-2, axis2=-1),
            dv - v * np.sum(v * dv, axis=-2, keepdims=True))


# -- svd -------------------------------------------------------------------------------
def _svd_factors(y: Any, a: Any, full_matrices: bool, compute_uv: bool) -> Tuple[Any, Any, Any]:
    """(U, S, Vh) of the reduced SVD of ``a``, from ``y = np.linalg.svd(a, ...)`` or, when
    it holds the singular values alone, computed again."""
    if not compute_uv:
        u, _, vh = np.linalg.svd(a, full_matrices=False)
        return u, y, vh
    m, n = np.shape(a)[-2:]
    if full_matrices and m != n:
        raise DifferentiationError(
            "s2sad differentiates np.linalg.svd of a non-square matrix only with "
            "full_matrices=False (the extra columns of U or rows of Vh are not unique)")
    return y[0], y[1], y[2]


def svd_adjoint(g: Any, y: Any, a: Any, full_matrices: bool = True,
                compute_uv: bool = True) -> Any:
    """The adjoint of ``a`` in ``y = np.linalg.svd(a, full_matrices, compute_uv)`` from the
    adjoints ``g`` of its outputs (distinct nonzero singular values):
    U [(F * (U^T gU - gU^T U)) S + diag(gS) + S (F * (V^T gV - gV^T V))] V^T
    + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T), F_ij = 1/(s_j^2 - s_i^2)."""
    u, s, vh = _svd_factors(y, a, full_matrices, compute_uv)
    if not compute_uv:
        return np.matmul(u * np.expand_dims(g, -2), vh)
    gu, gs, gvh = (_zero_if_number(gi, yi) for gi, yi in zip(g, (u, s, vh)))
    v, gv = _t(vh), _t(gvh)
    f = inverse_gaps(s * s)
    utgu = np.matmul(_t(u), gu)
    vtgv = np.matmul(vh, gv)
    inner = (f * (utgu - _t(utgu))) * np.expand_dims(s, -2) \
        + np.expand_dims(gs, -1) * np.eye(np.shape(s)[-1]) \
        + np.expand_dims(s, -1) * (f * (vtgv - _t(vtgv)))
    out = np.matmul(u, np.matmul(inner, vh))
    m, n, k = np.shape(u)[-2], np.shape(vh)[-1], np.shape(s)[-1]
    if m > k:  # the part of gU outside the span of U
        out = out + np.matmul((gu - np.matmul(u, utgu)) / np.expand_dims(s, -2), vh)
    if n > k:  # the part of gV outside the span of V
        out = out + np.matmul(u, (gvh - np.matmul(_t(vtgv), vh)) / np.expand_dims(s, -1))
    return out


def svd_tangent(d: Any, y: Any, a: Any, full_matrices: bool = True,
                compute_uv: bool = True) -> Any:
    """The tangent of ``np.linalg.svd(a, full_matrices, compute_uv)`` for the tangent ``d``
    of ``a``: with P = U^T d V, dS = diag(P), dU = U (F * (P S + S P^T)) + (I - U U^T) d V
    S^-1, dV = V (F * (S P + P^T S)) + (I - V V^T) d^T U S^-1."""
    u, s, vh = _svd_factors(y, a, full_matrices, compute_uv)
    v = _t(vh)
    p = np.matmul(_t(u), np.matmul(d, v))
    ds = np.diagonal(p, axis1=-2, axis2=-1)
    if not compute_uv:
        return ds
    f = inverse_gaps(s * s)
    row, column = np.expand_dims(s, -2), np.expand_dims(s, -1)
    du = np.matmul(u, f * (p * row + column * _t(p))) \
        + (np.matmul(d, v) - np.matmul(u, p)) / row
    dv = np.matmul(v, f * (column * p + _t(p) * row)) \
        + (np.matmul(_t(d), u) - np.matmul(v, _t(p))) / row
    return du, ds, _t(dv)


# -- matrix_power ----------------------------------------------------------------------
def _power_base(a: Any, n: Any) -> Tuple[Any, int, List[Any]]:
    """(B, m, [B^0, ..., B^(m-1)]) with a^n = B^m, m >= 0: B = a, or inv(a) for n < 0."""
    n = operator.index(n)
    base = a if n >= 0 else np.linalg.inv(a)
    identity = np.eye(np.shape(a)[-1], dtype=a.dtype)  # float32 stays float32
    powers = [np.broadcast_to(identity, np.shape(a))]
    for _ in range(abs(n) - 1):
        powers.append(np.matmul(powers[-1], base))
    return base, abs(n), powers


def matrix_power_adjoint(g: Any, a: Any, n: Any) -> Any:
    """The adjoint of ``a`` in ``np.linalg.matrix_power(a, n)``: the sum over k < m of
    (B^k)^T g (B^(m-1-k))^T, through B = inv(a) when n < 0."""
    base, m, powers = _power_base(a, n)
    gb = 0.0 * a
    for k in range(m):
        gb = gb + np.matmul(_t(powers[k]), np.matmul(g, _t(powers[m - 1 - k])))
    if operator.index(n) < 0:
        return -np.matmul(_t(base), np.matmul(gb, _t(base)))
    return gb


def matrix_power_tangent(d: Any, a: Any, n: Any) -> Any:
    """The tangent of ``np.linalg.matrix_power(a, n)``: the sum over k < m of
    B^k dB B^(m-1-k), with dB = d, or -B d B when B = inv(a) (n < 0)."""
    base, m, powers = _power_base(a, n)
    db = d if operator.index(n) >= 0 else -np.matmul(base, np.matmul(d, base))
    out = 0.0 * a
    for k in range(m):
        out = out + np.matmul(powers[k], np.matmul(db, powers[m - 1 - k]))
    return out


# -- named results --------------------------------------------------------------------
def _field_index(x: Any, name: str) -> int:
    fields = getattr(type(x), "_fields", ())
    if name not in fields:
        raise DifferentiationError("s2sad differentiates the attribute .%s only of NumPy's "
                                   "named results (slogdet, eigh, eig, svd, qr), not of %s"
                                   % (name, type(x).__name__))
    return fields.index(name)


def field_adjoint(g: Any, x: Any, name: str) -> Any:
    """The adjoint of the named tuple ``x`` (``np.linalg.eigh(a)``...) in ``x.<name>``:
    ``g`` at that field, zeros at the others (a named tuple of the same type)."""
    index = _field_index(x, name)
    return type(x)(*(g if i == index else zeros_like(v) for i, v in enumerate(x)))


def field_tangent(d: Any, x: Any, name: str) -> Any:
    """The tangent of ``x.<name>`` from the tangent ``d`` of the named tuple ``x`` (a
    tuple of the fields' tangents, named or not)."""
    return d[_field_index(x, name)]


# -- qr --------------------------------------------------------------------------------
def qr_factors(y: Any, a: Any, mode: str = "reduced") -> Tuple[Any, Any]:
    """``(q, r)`` of ``y = np.linalg.qr(a, mode)``, once it is checked that it is the
    reduced factorization of a matrix with at least as many rows as columns (the one
    s2sad differentiates)."""
    m, n = np.shape(a)[-2:]
    if mode not in ("reduced", "complete") or mode == "complete" and m != n or m < n:
        raise DifferentiationError(
            "s2sad differentiates np.linalg.qr only in mode='reduced' (or 'complete' for "
            "square matrices) with at least as many rows as columns, not mode=%r on a "
            "%d x %d matrix" % (mode, m, n))
    return y[0], y[1]
