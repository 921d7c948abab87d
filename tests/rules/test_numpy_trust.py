"""Rules that had to be made trustworthy: products of every shape NumPy accepts (dot,
matmul, inner, vdot, tensordot, einsum in all its forms), stacks of one array, the
triangle that eigh, eigvalsh and cholesky read, cross along any axis, NumPy's named
results (slogdet, eigh, svd, qr) at first and second order, NumPy semantics of np.*
functions on Python floats, the rules of gradient, select, trapezoid, ediff1d, interp,
the operator module, NumPy scalar conversions and dict(...), and error messages that name
NumPy's signature.

Each function is checked against central finite differences of the function NumPy
computes and, where it is installed, against autograd (the same source with ``np`` bound
to ``autograd.numpy``): ``grad`` (reverse), ``jvp`` (forward) along a random direction, and
``hvp`` (forward over reverse) against finite differences of the gradient where the
function is smooth.
"""
from __future__ import annotations

import copy
import math
import operator
import types
import warnings
from typing import Any, Callable, Optional, Sequence

import numpy as np
import pytest

import s2sad
from ..numeric import numeric_directional, numeric_gradient

RTOL, ATOL = 1e-5, 1e-7


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed + 7 * len(shape) + sum(shape)).uniform(-1.0, 1.0, shape)


def direction(x: Any, seed: int = 11) -> Any:
    v = np.random.default_rng(seed).uniform(-1.0, 1.0, np.shape(x))
    return v if isinstance(x, np.ndarray) else float(v)


def autograd_version(f: Callable[..., Any]) -> Optional[Callable[..., Any]]:
    """``f`` with ``np`` bound to ``autograd.numpy`` (None when autograd is missing)."""
    try:
        import autograd.numpy as anp
    except ImportError:  # pragma: no cover
        return None
    names = dict(f.__globals__, np=anp)
    return types.FunctionType(f.__code__, names, f.__name__, f.__defaults__, f.__closure__)


def close(got: Any, expected: Any, rtol: float = RTOL, atol: float = ATOL) -> None:
    got = np.asarray(got, dtype=np.float64)
    assert np.shape(got) == np.shape(expected), (np.shape(got), np.shape(expected))
    np.testing.assert_allclose(got, np.asarray(expected, dtype=np.float64), rtol=rtol,
                               atol=atol)


def check(f: Callable[..., Any], args: Sequence[Any], wrt: int = 0, *, hvp: bool = True,
          autograd: bool = True, rtol: float = RTOL, atol: float = ATOL) -> None:
    """grad and jvp of ``f`` in argument ``wrt`` against finite differences and autograd;
    hvp against finite differences of the gradient (and autograd's)."""
    args = list(args)
    x = args[wrt]
    g = s2sad.grad(f, wrt)(*args)
    close(g, numeric_gradient(f, args, wrt), rtol, atol)
    ag = autograd_version(f) if autograd else None
    if ag is not None:
        import autograd as autograd_module
        close(g, autograd_module.grad(ag, wrt)(*args), 1e-8, 1e-10)
    v = direction(x)
    value, t = s2sad.jvp(f, wrt)(*args, v)
    close(value, f(*args), 1e-12, 1e-12)
    close(t, numeric_directional(f, args, [wrt], [v]), rtol, atol)
    close(t, np.sum(np.asarray(g) * v), 1e-9, 1e-10)
    if not hvp:
        return
    h = s2sad.hvp(f, wrt)(*args, v)
    e = 1e-5

    def moved(sign: float) -> Any:
        return s2sad.grad(f, wrt)(*[a + sign * e * v if i == wrt else a
                                    for i, a in enumerate(args)])

    close(h, (np.asarray(moved(1.0)) - np.asarray(moved(-1.0))) / (2 * e), 1e-4, 1e-6)
    if ag is not None:
        import autograd as autograd_module
        close(h, autograd_module.hessian_vector_product(ag, wrt)(*args, v), 1e-7, 1e-9)


# -- products of every shape NumPy accepts -------------------------------------------------
def f_dot(a, b): return np.sum(np.sin(np.dot(a, b)))
def f_matmul(a, b): return np.sum(np.sin(np.matmul(a, b)))
def f_at(a, b): return np.sum(np.sin(a @ b))
def f_dot_method(a, b): return np.sum(np.sin(a.dot(b)))
def f_inner(a, b): return np.sum(np.sin(np.inner(a, b)))
def f_vdot(a, b): return np.sin(np.vdot(a, b))
def f_tensordot1(a, b): return np.sum(np.sin(np.tensordot(a, b, axes=1)))
def f_tensordot0(a, b): return np.sum(np.sin(np.tensordot(a, b, axes=0)))


def operand(shape, seed):
    return rand(*shape, seed=seed) if shape else 0.7


# the contracted axis has 3 entries: a's last, b's second to last (its only one if 1-D)
A_SHAPES = [(), (3,), (2, 3), (4, 2, 3), (2, 1, 2, 3)]
B_SHAPES = [(), (3,), (3, 2), (4, 3, 2), (2, 1, 3, 2), (2, 3)]
PAIRS = [(f, sa, sb) for f in (f_dot, f_matmul, f_at, f_inner, f_vdot, f_tensordot1, f_tensordot0)
         for sa in A_SHAPES for sb in B_SHAPES]


def accepted(f, sa, sb):
    try:
        f(operand(sa, 1), operand(sb, 2))
        return True
    except (ValueError, TypeError, IndexError):
        return False


@pytest.mark.parametrize("f,sa,sb", [p for p in PAIRS if accepted(*p)],
                         ids=lambda p: getattr(p, "__name__", str(p)))
@pytest.mark.parametrize("wrt", [0, 1])
def test_products_of_every_shape(f, sa, sb, wrt):
    a, b = operand(sa, 1), operand(sb, 2)
    # vdot of N-D operands is not in autograd; autograd's tensordot/inner of scalars differ
    check(f, [a, b], wrt, autograd=f is not f_vdot and (sa != () and sb != ()),
          hvp=(sa, sb) != ((), ()))


def test_dot_of_stacks_both_sides():
    # (2, 3, 4) . (3, 4, 5): the last axis of a against the second to last of b
    a, b = rand(2, 3, 4), rand(3, 4, 5)
    check(f_dot, [a, b], 0)
    check(f_dot, [a, b], 1)
    check(f_dot_method, [a, b], 0, autograd=False)  # autograd's arrays have no .dot


def test_matmul_of_a_vector_and_a_stack():
    check(f_matmul, [rand(3), rand(4, 3, 2)], 0)
    check(f_matmul, [rand(3), rand(4, 3, 2)], 1)
    check(f_at, [rand(4, 2, 3), rand(3)], 0)
    check(f_at, [rand(4, 2, 3), rand(3)], 1)


# -- einsum: sublists, three and more operands, '...', repeated labels, implicit output --
A23, B34, C42 = rand(2, 3, seed=1), rand(3, 4, seed=2), rand(4, 2, seed=3)
S33, T332, E523 = rand(3, 3, seed=4), rand(3, 3, 2, seed=5), rand(5, 2, 3, seed=6)
def es_sublists(a, b): return np.sum(np.sin(np.einsum(a, [0, 1], b, [1, 2], [0, 2])))
def es_sublists_second(b, a): return np.sum(np.sin(np.einsum(a, [0, 1], b, [1, 2], [0, 2])))
def es_sublists_implicit(a, b): return np.sum(np.sin(np.einsum(a, [0, 1], b, [1, 2])))
def es_sublists_three(a, b, c): return np.sin(np.einsum(a, [0, 1], b, [1, 2], c, [2, 0]))
def es_sublists_ellipsis(e): return np.sum(np.sin(np.einsum(e, [Ellipsis, 1, 2], [1, Ellipsis])))
def es_three(a, b, c): return np.sin(np.einsum("ij,jk,ki->", a, b, c))
def es_three_out(a, b, c): return np.sum(np.sin(np.einsum("ij,jk,kl->il", a, b, c)))
def es_trace(a): return np.sin(np.einsum("ii", a))
def es_diagonal(a): return np.sum(np.sin(np.einsum("ii->i", a)))
def es_partial_trace(a): return np.sum(np.sin(np.einsum("iij->j", a)))
def es_implicit(a, b): return np.sum(np.sin(np.einsum("ij,jk", a, b)))
def es_transpose(a): return np.sum(np.sin(np.einsum("ba", a)) * np.arange(6.0).reshape(3, 2))
def es_ellipsis(e, b): return np.sum(np.sin(np.einsum("...ij,jk->...ik", e, b)))
def es_ellipsis_implicit(e, b): return np.sum(np.sin(np.einsum("...j,jk", e, b)))
def es_ellipsis_traces(e): return np.sum(np.sin(np.einsum("...ii->...", e)))
def es_broadcast(a, r): return np.sum(np.sin(np.einsum("ij,ij->ij", a, r)))
def es_summed(a): return np.sum(np.sin(np.einsum("ij->", a)))
def es_outer(a, b): return np.sum(np.sin(np.einsum("i,j->ij", a, b)))
def es_scalar(s, a): return np.sum(np.sin(np.einsum(",ij->ij", s, a)))

EINSUMS = [
    (es_sublists, [A23, B34]), (es_sublists_second, [B34, A23]),
    (es_sublists_implicit, [A23, B34]), (es_sublists_three, [A23, B34, C42]),
    (es_sublists_ellipsis, [E523]), (es_three, [A23, B34, C42]),
    (es_three_out, [A23, B34, C42]), (es_trace, [S33]), (es_diagonal, [S33]),
    (es_partial_trace, [T332]), (es_implicit, [A23, B34]), (es_transpose, [A23]),
    (es_ellipsis, [E523, B34]), (es_ellipsis, [A23, B34]), (es_ellipsis_implicit, [E523, B34]),
    (es_ellipsis_traces, [np.stack([S33, 2.0 * S33.T])]), (es_broadcast, [A23, rand(1, 3)]),
    (es_summed, [A23]), (es_outer, [rand(3), rand(4)]), (es_scalar, [0.7, A23]),
]


# autograd refuses these (a sublist form without output, labels repeated in an operand)
NOT_IN_AUTOGRAD = {es_sublists_implicit, es_sublists_three, es_sublists_ellipsis, es_trace,
                   es_diagonal, es_partial_trace, es_ellipsis_traces}


@pytest.mark.parametrize("f,args", EINSUMS, ids=lambda c: getattr(c, "__name__", ""))
def test_einsum_forms(f, args):
    for wrt in range(len(args)):
        check(f, args, wrt, autograd=f not in NOT_IN_AUTOGRAD)


def es_too_many_operands(a): return np.sum(np.einsum("ij,jk", a, a, a))
def es_unknown_output_label(a): return np.sum(np.einsum("ij->ik", a))
def es_not_a_letter(a): return np.sum(np.einsum("i$", a))
def es_bad_sublist(a): return np.sum(np.einsum(a, [0, "x"]))
def es_double_arrow(a): return np.sum(np.einsum("ij->j->i", a))
def es_too_many_arguments(a):
    return np.sum(np.einsum("i,i,i,i,i,i,i,i,i,i,i->i", a, a, a, a, a, a, a, a, a, a, a))


@pytest.mark.parametrize("f,message", [
    (es_too_many_operands, "name 2 operands, the call gives 3"),
    (es_unknown_output_label, "'k' is in no operand"),
    (es_not_a_letter, "'$'"), (es_bad_sublist, "'x'"), (es_double_arrow, "'->'"),
    (es_too_many_arguments, "at most 11 positional arguments")],
    ids=lambda c: getattr(c, "__name__", ""))
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_malformed_einsum_is_refused_when_compiled(f, message, mode):
    line = f.__code__.co_firstlineno + (1 if f is es_too_many_arguments else 0)
    with pytest.raises(s2sad.DifferentiationError) as caught:
        s2sad.source(f, mode, example=(A23,))
    assert message in str(caught.value)
    assert "test_numpy_trust.py:%d" % line in str(caught.value)


# -- stacking one array: the array is the sequence of pieces, its adjoint an array ------
WEIGHTS = np.cos(np.arange(60.0)) + 1.5
def st_vstack(a): y = np.vstack(a); return np.sum(np.sin(y) * WEIGHTS[:y.size].reshape(y.shape))
def st_hstack(a): y = np.hstack(a); return np.sum(np.sin(y) * WEIGHTS[:y.size].reshape(y.shape))
def st_column_stack(a):
    y = np.column_stack(a)
    return np.sum(np.sin(y) * WEIGHTS[:y.size].reshape(y.shape))
def st_dstack(a): y = np.dstack(a); return np.sum(np.sin(y) * WEIGHTS[:y.size].reshape(y.shape))
def st_concatenate(a):
    y = np.concatenate(a)
    return np.sum(np.sin(y) * WEIGHTS[:y.size].reshape(y.shape))
def st_stack(a): y = np.stack(a); return np.sum(np.sin(y) * WEIGHTS[:y.size].reshape(y.shape))
def st_vstack_tuple(a):
    y = np.vstack((a,))
    return np.sum(np.sin(y) * WEIGHTS[:y.size].reshape(y.shape))
def st_hstack_list(a):
    y = np.hstack([a])
    return np.sum(np.sin(y) * WEIGHTS[:y.size].reshape(y.shape))
def st_column_stack_tuple(a):
    y = np.column_stack((a,))
    return np.sum(np.sin(y) * WEIGHTS[:y.size].reshape(y.shape))
def st_dstack_tuple(a):
    y = np.dstack((a,))
    return np.sum(np.sin(y) * WEIGHTS[:y.size].reshape(y.shape))
def st_row_stack(a):
    y = np.row_stack(a)
    return np.sum(np.sin(y) * WEIGHTS[:y.size].reshape(y.shape))


STACKS = [st_vstack, st_hstack, st_column_stack, st_dstack, st_concatenate, st_stack,
          st_vstack_tuple, st_hstack_list, st_column_stack_tuple, st_dstack_tuple] + \
    ([st_row_stack] if hasattr(np, "row_stack") else [])  # deprecated in NumPy 2


@pytest.mark.parametrize("f", STACKS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("shape", [(3,), (2, 3), (2, 3, 2)], ids=str)
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_stacking_one_array(f, shape):
    if f is st_concatenate and len(shape) == 1:
        pytest.skip("np.concatenate of a 1-D array: no pieces to join")
    a = rand(*shape)
    g = s2sad.grad(f)(a)
    assert type(g) is np.ndarray and g.shape == a.shape
    check(f, [a], autograd=f not in (st_column_stack, st_dstack, st_column_stack_tuple,
                                     st_dstack_tuple, st_row_stack)
          and not (f is st_hstack and a.ndim == 1))


# -- the triangle eigh, eigvalsh and cholesky read ----------------------------------------
def spd(n, seed, stack=()):
    m = np.random.default_rng(seed).uniform(-1.0, 1.0, stack + (n, n))
    a = m @ np.swapaxes(m, -1, -2) + n * np.eye(n)
    a[..., 0, n - 1] += 0.4  # not symmetric: only one triangle is read
    return a


WT = rand(3, 3, seed=9)
def tri_eigh(a): return np.sum(np.linalg.eigh(a)[0] * np.array([1.0, 2.0, 3.0]))
def tri_eigh_upper(a): return np.sum(np.linalg.eigh(a, UPLO="U")[0] * np.array([1.0, 2.0, 3.0]))
def tri_eigh_vectors(a):
    w, v = np.linalg.eigh(a)
    return np.sum(np.abs(v) * WT) + np.sum(w * w)
def tri_eigh_vectors_upper(a):
    w, v = np.linalg.eigh(a, "U")
    return np.sum(np.abs(v) * WT) + np.sum(w * w)
def tri_eigvalsh(a): return np.sum(np.linalg.eigvalsh(a) ** 2)
def tri_eigvalsh_upper(a): return np.sum(np.linalg.eigvalsh(a, UPLO="U") ** 2)
def tri_cholesky(a): return np.sum(np.linalg.cholesky(a) * WT)
def tri_cholesky_upper(a): return np.sum(np.linalg.cholesky(a, upper=True) * WT)
def tri_cholesky_stack(a): return np.sum(np.sin(np.linalg.cholesky(a)))


def numpy_reads(f, upper):
    """``f`` of the symmetric matrix NumPy reads from ``a`` (for autograd, which takes the
    matrix as symmetric)."""
    import autograd.numpy as anp

    def read(a):
        return f(anp.triu(a) + anp.triu(a, 1).T if upper else anp.tril(a) + anp.tril(a, -1).T)
    return read


TRIANGLES = [(tri_eigh, False), (tri_eigh_upper, True), (tri_eigh_vectors, False),
             (tri_eigh_vectors_upper, True), (tri_eigvalsh, False), (tri_eigvalsh_upper, True),
             (tri_cholesky, False), (tri_cholesky_upper, True)]


@pytest.mark.parametrize("f,upper", TRIANGLES, ids=lambda c: getattr(c, "__name__", str(c)))
def test_one_triangle_is_read(f, upper):
    a = spd(3, 1)
    check(f, [a], autograd=False)  # finite differences in every (non-symmetric) direction
    g = s2sad.grad(f)(a)
    unread = np.tril(np.ones((3, 3)), -1) if upper else np.triu(np.ones((3, 3)), 1)
    assert np.all(g[unread == 1] == 0.0)
    ag = autograd_version(f)
    # autograd has no eigvalsh and no cholesky(upper=True)
    if ag is not None and f not in (tri_eigvalsh, tri_eigvalsh_upper, tri_cholesky_upper):
        import autograd
        close(g, autograd.grad(numpy_reads(ag, upper))(a), 1e-8, 1e-10)


def test_cholesky_of_a_stack_reads_each_lower_triangle():
    check(tri_cholesky_stack, [spd(3, 2, (2,))], autograd=False)


# -- np.cross along any axes ---------------------------------------------------------------
W200 = np.cos(np.arange(200.0)) + 1.5
def cr_last(a, b): y = np.cross(a, b); return np.sum(np.sin(y) * W200[:y.size].reshape(y.shape))
def cr_axis(a, b):
    y = np.cross(a, b, axis=0)
    return np.sum(np.sin(y) * W200[:y.size].reshape(y.shape))
def cr_axes(a, b):
    y = np.cross(a, b, axisa=0, axisb=1, axisc=0)
    return np.sum(np.sin(y) * W200[:y.size].reshape(y.shape))
def cr_axisa(a, b):
    y = np.cross(a, b, axisa=0)
    return np.sum(np.sin(y) * W200[:y.size].reshape(y.shape))


# (the last flag: autograd agrees; it does not undo broadcasting in cross, nor take
# 2-vectors)
CROSSES = [(cr_last, (4, 3), (4, 3), True), (cr_last, (4, 3), (3,), False),
           (cr_last, (2, 1, 3), (5, 3), False), (cr_last, (4, 3), (4, 2), False),
           (cr_axis, (3, 4), (3, 4), True), (cr_axis, (3, 4), (3, 1), False),
           (cr_axes, (3, 4), (4, 3), True), (cr_axes, (2, 4), (4, 3), False),
           (cr_axisa, (3, 4), (4, 3), True), (cr_axisa, (3, 5, 4), (4, 3), False)]


@pytest.mark.parametrize("f,sa,sb,agrees", CROSSES,
                         ids=lambda c: getattr(c, "__name__", str(c)))
@pytest.mark.parametrize("wrt", [0, 1])
def test_cross_along_any_axes(f, sa, sb, agrees, wrt):
    args = [rand(*sa, seed=1), rand(*sb, seed=2)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # 2-vectors, NumPy 2
        try:
            f(*args)
        except ValueError:  # NumPy 2.5 and later take 3-vectors only
            pytest.skip("this NumPy does not take 2-vectors in np.cross")
        check(f, args, wrt, autograd=agrees)


# -- NumPy's named results (slogdet, eigh, svd, qr) at first and second order --------------
def nt_slogdet_stack(a): return np.sum(np.linalg.slogdet(a)[1])
def nt_slogdet_field(a): return np.sum(np.linalg.slogdet(a).logabsdet)
def nt_slogdet_unpacked(a):
    sign, logdet = np.linalg.slogdet(a)
    return np.sum(sign * logdet)
def nt_eigh_first(a): return np.sum(np.linalg.eigh(a)[0] ** 2)
def nt_eigh_field(a): return np.sum(np.linalg.eigh(a).eigenvalues ** 2)
def nt_eigh_vectors_field(a):
    return np.sum(np.linalg.eigh(a).eigenvectors[:, 0] ** 2 * np.array([1.0, 2.0, 3.0]))
def nt_svd_field(a): return np.sum(np.linalg.svd(a, full_matrices=False).S ** 3)
def nt_svd_vectors(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(u[:, 0] ** 2 * np.array([1.0, 2.0, 3.0, 4.0])) + np.sum(s * vh[0])
def nt_svd_values(a): return np.sum(np.linalg.svd(a, compute_uv=False) ** 3)
def nt_qr_fields(a): return np.sum(np.linalg.qr(a).R ** 2) + np.sum(np.linalg.qr(a).Q[:, 0] * A4)


A4 = np.arange(4.0)
SYM = rand(3, 3, seed=3) + rand(3, 3, seed=3).T
NAMED = [(nt_slogdet_stack, rand(2, 3, 3, seed=1) + 2.0 * np.eye(3), False),
         (nt_slogdet_field, rand(2, 3, 3, seed=1) + 2.0 * np.eye(3), False),
         (nt_slogdet_unpacked, rand(3, 3, seed=1) + 2.0 * np.eye(3), True),
         (nt_eigh_first, SYM, True), (nt_eigh_field, SYM, False),
         (nt_eigh_vectors_field, SYM, False), (nt_svd_field, rand(4, 3, seed=2), False),
         (nt_svd_vectors, rand(4, 3, seed=2), True), (nt_svd_values, rand(4, 3, seed=2), True),
         (nt_qr_fields, rand(4, 3, seed=2), False)]


@pytest.mark.parametrize("f,a,in_autograd", NAMED, ids=lambda c: getattr(c, "__name__", ""))
def test_named_results_first_and_second_order(f, a, in_autograd):
    # (autograd's results are plain tuples: no fields, and no stacks for slogdet)
    check(f, [a], autograd=in_autograd)
    # reverse over reverse: the Hessian from jacrev(grad) against forward over reverse
    close(s2sad.jacrev(s2sad.grad(f))(a), s2sad.hessian(f)(a), 1e-7, 1e-9)


def test_named_results_keep_their_type_in_the_runtime_helpers():
    from s2sad import runtime
    result = np.linalg.eigh(SYM)
    for value in (runtime.zeros_like(result), runtime.snapshot(result),
                  runtime.accumulate(result, result), runtime.structure(result, result)):
        assert type(value) is type(result)
    assert np.all(runtime.zeros_like(result).eigenvectors == 0.0)


# -- np.* on Python floats keeps NumPy's semantics; math.* keeps math's ---------------------
def sem_log(x): return np.log(x)
def sem_log2(x): return np.log2(x)
def sem_log1p(x): return np.log1p(x)
def sem_arctanh(x): return np.arctanh(x)
def sem_arccos(x): return np.arccos(x)
def sem_arcsin(x): return np.arcsin(x)
def sem_arccosh(x): return np.arccosh(x)
def sem_sqrt(x): return np.sqrt(x)
def sem_power_zero(x): return np.power(x, 0.0)
def sem_power_half(x): return np.power(x, 0.5)
def sem_power_base_zero(y): return np.power(0.0, y)
def sem_sin(x): return np.sin(x)
def sem_cosh(x): return np.cosh(x)
def sem_arctan2(x): return np.arctan2(x, 0.0)
def sem_chain(x): return np.log(x) * 2.0 + np.sqrt(x)


SEMANTICS = [(sem_log, 0.0), (sem_log2, 0.0), (sem_log1p, -1.0), (sem_arctanh, 1.0),
             (sem_arctanh, -1.0), (sem_arccos, 1.0), (sem_arccos, -1.0), (sem_arcsin, 1.0),
             (sem_arccosh, 1.0), (sem_sqrt, 0.0), (sem_power_zero, 0.0),
             (sem_power_half, 0.0), (sem_power_base_zero, 0.5), (sem_power_base_zero, 0.0),
             (sem_sin, math.inf), (sem_cosh, 800.0), (sem_arctan2, 0.0), (sem_chain, 0.0)]


def outcome(call):
    """What a call gives (value, or the exception's type) and whether it warned."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call()
        except Exception as error:  # noqa: BLE001 - the outcome is what is compared
            return type(error).__name__, False
    return result, any(issubclass(w.category, RuntimeWarning) for w in caught)


def same(a, b):
    if isinstance(a, tuple):
        return all(same(x, y) for x, y in zip(a, b))
    return np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)


@pytest.mark.parametrize("f,x", SEMANTICS, ids=lambda c: getattr(c, "__name__", str(c)))
def test_numpy_functions_of_floats_follow_numpy(f, x):
    # a Python float gives what a NumPy float (and a 0-d array) gives: ±inf or NaN and
    # NumPy's RuntimeWarning where the derivative is infinite or undefined, no exception
    for transform, extra in ((s2sad.grad, ()), (s2sad.jvp, (1.0,))):
        as_float = outcome(lambda: transform(f)(x, *extra))
        assert not isinstance(as_float[0], str), as_float
        for other in (np.float64(x), np.array(x)):
            as_numpy = outcome(lambda: transform(f)(other, *extra))
            assert same(as_float[0], as_numpy[0]), (as_float, as_numpy)
            assert as_float[1] == as_numpy[1]


def sem_math_sqrt(x): return math.sqrt(x)
def sem_math_loop(x):
    s = 0.0
    for i in range(3):
        s = s + math.sin(x * s + 1.0) / math.sqrt(x)
    return s


def test_math_functions_keep_math_and_its_speed():
    # math.sqrt'(0) divides a Python float by 0, as math would
    with pytest.raises(ZeroDivisionError):
        s2sad.grad(sem_math_sqrt)(0.0)
    code = s2sad.source(sem_math_loop, example=(1.5,))
    assert "math.cos" in code and "numpy_float" not in code and "np." not in code
    check(sem_math_loop, [1.5], autograd=False)


def test_numpy_functions_of_floats_away_from_edges():
    for f, x in ((sem_chain, 0.7), (sem_arccos, 0.3), (sem_power_half, 1.3)):
        check(f, [x])


def sem_mean(x): return np.mean(x)
def sem_mean_rows(x): return np.sum(np.mean(x, axis=1))
def sem_mean_method(x): return x.mean()
def sem_average(x): return np.average(x)


@pytest.mark.parametrize("f,shape", [(sem_mean, (0,)), (sem_mean_rows, (3, 0)),
                                     (sem_mean_method, (0,)), (sem_average, (0,))],
                         ids=lambda c: getattr(c, "__name__", str(c)))
def test_mean_of_an_empty_array(f, shape):
    a = np.zeros(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's "Mean of empty slice"
        value, g = s2sad.value_and_grad(f)(a)
        assert np.isnan(value) and type(g) is np.ndarray and g.shape == shape
        value, t = s2sad.jvp(f)(a, a)
        assert np.isnan(value) and np.isnan(t)


# -- rules that were missing: gradient, select, trapezoid, ediff1d, interp -------------------
W100 = np.cos(np.arange(100.0)) + 1.5
XS6 = np.array([0.0, 0.3, 0.9, 1.0, 1.7, 2.5])
XP, FP = np.array([0.0, 0.5, 1.2, 2.0, 3.0]), np.array([1.0, -0.5, 0.3, 2.0, 1.1])
X_OFF_KNOTS = np.array([-0.4, 0.2, 0.7, 1.5, 2.3, 3.4])
def nu_gradient(f): return np.sum(np.gradient(f) * W100[:f.size].reshape(f.shape))
def nu_gradient_axes(f):
    rows, columns = np.gradient(f, 0.5, XS6)
    return np.sum(rows * W100[:f.size].reshape(f.shape)) + np.sum(columns ** 2)
def nu_gradient_points(f): return np.sum(np.gradient(f, XS6, edge_order=2) ** 2)
def nu_gradient_axis(f):
    return np.sum(np.gradient(f, axis=1, edge_order=2) * W100[:f.size].reshape(f.shape))
def nu_gradient_first(f): return np.sum(np.gradient(f, 2.0)[0] ** 2)
def nu_select(a, b):
    return np.sum(np.select([a > 0.3, a < -0.2], [a * b, np.sin(a)], default=b)
                  * W100[:6].reshape(2, 3))
def nu_select_choices(b, a):
    return np.sum(np.select([a > 0.3, a < -0.2], [a * b, np.sin(b)], default=b * b)
                  * W100[:6].reshape(2, 3))
def nu_trapezoid(y): return np.sin(np.trapezoid(y))
def nu_trapezoid_points(y, x): return np.sum(np.sin(np.trapezoid(y, x, axis=0)))
def nu_trapezoid_in_points(x, y): return np.sum(np.sin(np.trapezoid(y, x=x, axis=0)))
def nu_trapezoid_spacing(dx, y): return np.sin(np.trapezoid(y * y, dx=dx))
def nu_ediff1d(a): return np.sum(np.ediff1d(a) ** 2 * W100[:a.size - 1])
def nu_ediff1d_ends(a, e):
    return np.sum(np.ediff1d(a, to_end=e, to_begin=a[:2] * 2.0) ** 2 * W100[:a.size + 3])
def nu_ediff1d_in_end(e, a):
    return np.sum(np.ediff1d(a, to_end=e * e, to_begin=-1.0) ** 2 * W100[:a.size + 2])
def nu_interp(x): return np.sum(np.sin(np.interp(x, XP, FP)))
def nu_interp_values(fp, x): return np.sum(np.sin(np.interp(x, XP, fp)))
def nu_interp_bounds(x): return np.sum(np.sin(np.interp(x, XP, FP, left=-1.0, right=3.0)))
def nu_interp_period(x): return np.sum(np.sin(np.interp(x, XP, FP, period=2.7)))
def nu_interp_period_values(fp, x): return np.sum(np.sin(np.interp(x, XP, fp, period=2.7)))
def nu_interp_left(left, x): return np.sum(np.sin(np.interp(x, XP, FP, left=left, right=left * 2.0)))
def nu_interp_number(x): return np.interp(x, XP, FP) ** 2


NUMERIC = [  # (function, arguments, autograd agrees: it has the function in that argument)
    (nu_gradient, [rand(6)], False), (nu_gradient, [rand(2)], False),
    (nu_gradient_axes, [rand(3, 6)], False), (nu_gradient_points, [rand(6)], False),
    (nu_gradient_axis, [rand(3, 5)], False), (nu_gradient_first, [rand(3, 4)], False),
    (nu_select, [rand(2, 3, seed=1), rand(2, 3, seed=2)], True),
    (nu_select_choices, [rand(2, 3, seed=2), rand(2, 3, seed=1)], True),
    (nu_trapezoid, [rand(5)], False), (nu_trapezoid_points, [rand(6, 2), XS6], False),
    (nu_trapezoid_in_points, [XS6, rand(6, 2)], False),
    (nu_trapezoid_spacing, [0.3, rand(5)], False),
    (nu_ediff1d, [rand(5)], False), (nu_ediff1d, [rand(2, 3)], False),
    (nu_ediff1d_ends, [rand(5), rand(2)], False), (nu_ediff1d_in_end, [rand(2), rand(5)], False),
    (nu_interp, [X_OFF_KNOTS], False), (nu_interp_values, [FP, X_OFF_KNOTS], False),
    (nu_interp_bounds, [X_OFF_KNOTS], False), (nu_interp_period, [X_OFF_KNOTS], False),
    (nu_interp_period_values, [FP, X_OFF_KNOTS], False),
    (nu_interp_left, [0.7, X_OFF_KNOTS], False), (nu_interp_number, [0.7], False),
]


@pytest.mark.parametrize("f,args,in_autograd", NUMERIC,
                         ids=lambda c: getattr(c, "__name__", "") if callable(c) else "")
def test_numeric_helpers(f, args, in_autograd):
    check(f, args, autograd=in_autograd)
    close(s2sad.jacrev(s2sad.grad(f))(*args), s2sad.hessian(f)(*args), 1e-7, 1e-9)


@pytest.mark.skipif(not hasattr(np, "trapz"), reason="NumPy without np.trapz")
def test_trapz_where_numpy_has_it():
    def nu_trapz(y): return np.sin(np.trapz(y))  # noqa: E704
    check(nu_trapz, [rand(5)], autograd=False)


def test_interp_is_piecewise_linear_in_x():
    # the slope of the interval each point is in; 0 outside the knots (a constant there)
    g = s2sad.grad(nu_interp)(X_OFF_KNOTS)
    slopes = np.diff(FP) / np.diff(XP)
    assert g[0] == 0.0 and g[-1] == 0.0
    close(g[1:-1], np.cos(np.interp(X_OFF_KNOTS, XP, FP))[1:-1] * slopes[[0, 1, 2, 3]])


# -- the operator module's functions as values, NumPy scalar types, dict(...), copy ----------
def op_product(x, y):
    op = operator.mul
    return op(x, y) + operator.truediv(x, y)
def op_all(x, y):
    add, sub, neg, power = operator.add, operator.sub, operator.neg, operator.pow
    return power(add(x, y), 2.0) * neg(sub(x, y)) + operator.abs(x) + operator.mod(x, 0.7)
def op_helper(x):
    h = op_all
    return h(x, 0.4)
def op_matmul(a, b):
    mm = operator.matmul
    return np.sum(np.sin(mm(a, b)))
def sc_float64(x): return np.sum(np.float64(x) * np.sin(x))
def sc_float32(x): return np.sum(np.float32(x) * 2.0 + x)
def sc_int(x): return np.int64(x) * x + int(x) * np.float64(x)
def dc_dict(x, y):
    d = dict(a=x, b=2.0 * y)
    return d["a"] * d["b"] + np.sin(d["a"])
def cp_copy(x): return copy.copy(x) * 2.0 + copy.deepcopy([x, x])[1] * x


@pytest.mark.parametrize("f,args", [
    (op_product, [1.3, 0.6]), (op_all, [1.3, 0.6]), (op_helper, [1.3]),
    (op_matmul, [rand(2, 3), rand(3, 4)]), (sc_float64, [0.8]), (sc_float64, [rand(3)]),
    (sc_int, [2.5]), (dc_dict, [1.3, 0.6]), (cp_copy, [1.3])],
    ids=lambda c: getattr(c, "__name__", ""))
def test_callables_as_values_and_conversions(f, args):
    for wrt in range(len(args)):
        check(f, args, wrt, autograd=f not in (op_helper, op_all, op_product, sc_float64,
                                               sc_int, cp_copy))


def test_float32_conversion_keeps_its_type_and_derivative():
    x = rand(3)
    g = s2sad.grad(sc_float32)(x)
    close(g, 3.0 * np.ones(3))
    assert g.dtype == np.float64
    value, t = s2sad.jvp(sc_float32)(x, np.ones(3))
    assert t == pytest.approx(9.0)


# -- error messages name the function as written and NumPy's own signature ------------------
def er_copy(x): return copy.copy(x) * 2
def er_stack_out(x): return np.sum(np.stack([x, x], axis=0, out=None))
def er_norm_positional(x): return np.linalg.norm(x, 2, None, False, 4)
def er_method(x): return np.sum(x.sum(0, None, None, False, 5))


def test_copy_of_a_number_is_differentiated():
    assert s2sad.grad(er_copy)(2.0) == 2.0
    assert s2sad.jvp(er_copy)(2.0, 1.0) == (4.0, 2.0)


@pytest.mark.parametrize("f,expected", [
    (er_stack_out, "s2sad differentiates np.stack without the argument out= (its signature: "
                   "np.stack(arrays, axis=0, out=None, *, dtype=None, casting='same_kind'))"),
    (er_norm_positional, "the call to np.linalg.norm does not match its signature "
                         "np.linalg.norm(x, ord=None, axis=None, keepdims=False)"),
    (er_method, "s2sad differentiates the method .sum() without more than 2 positional "
                "arguments")], ids=lambda c: getattr(c, "__name__", ""))
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_signature_errors_name_numpy_not_the_rule(f, expected, mode):
    if f in (er_method, er_stack_out) and mode == "forward":
        pytest.skip("forward mode applies the linear function to the tangent as called")
    with pytest.raises(s2sad.DifferentiationError) as caught:
        s2sad.source(f, mode, example=(rand(3),))
    message = str(caught.value)
    assert expected in message, message
    assert "test_numpy_trust.py:%d" % f.__code__.co_firstlineno in message
    assert "(g, y" not in message and "g, y," not in message
