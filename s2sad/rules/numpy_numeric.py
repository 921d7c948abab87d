"""Reverse and forward rules of NumPy's numerical helpers: ``np.gradient`` (in the values;
the spacings are constants), ``np.select`` (in the choices and the default),
``np.trapezoid`` (and ``np.trapz`` where NumPy still has it; in the values, the sample
points and the spacing), ``np.ediff1d`` (in all three arrays) and ``np.interp`` (in the
points ``x``, the values ``fp`` and the ``left``/``right`` values; the knots ``xp`` are
constants). The helpers are in numpy_numeric_runtime.py."""
import numpy as np

from ..runtime import unbroadcast
from . import numpy_numeric_runtime as rt
from .numpy_numeric_runtime import (ediff1d_adjoint, ediff1d_tangent, gradient_adjoint,
                                    gradient_like, interp_bound_mask, interp_fp_adjoint,
                                    interp_fp_tangent, interp_slope, interp_slope_adjoint,
                                    select_adjoint, select_choices_like,
                                    select_default_adjoint, select_default_like,
                                    trapezoid_adjoint, trapezoid_x_adjoint)
from .registry import linear, nondifferentiable, pure, reverse, tangent


# -- np.gradient: linear in f
@reverse(np.gradient)
def gradient(g, y, f, *varargs, axis=None, edge_order=1):
    return gradient_adjoint(g, f, varargs, axis, edge_order)


linear(np.gradient)


# -- np.select: the conditions are masks
@reverse(np.select)
def select(g, y, condlist, choicelist, default=0):
    return (None, select_adjoint(g, condlist, choicelist),
            select_default_adjoint(g, condlist, default))


@tangent(np.select, operand=1)
def select_choices_tangent(d, y, condlist, choicelist, default=0):
    return select_choices_like(d, y, condlist)


@tangent(np.select, operand=2)
def select_default_tangent(d, y, condlist, choicelist, default=0):
    return select_default_like(d, y, condlist)


# -- np.trapezoid: linear in y, in x and in dx (each alone)
TRAPEZOIDS = tuple(f for f in (getattr(np, "trapezoid", None), getattr(np, "trapz", None))
                   if f is not None)
integrate = TRAPEZOIDS[0]  # np.trapezoid (NumPy 2), or np.trapz before it


@reverse(*TRAPEZOIDS)
def trapezoid(g, result, y, x=None, dx=1.0, axis=-1):
    return (trapezoid_adjoint(g, y, x, dx, axis), trapezoid_x_adjoint(g, y, x, axis),
            unbroadcast(g * integrate(y, axis=axis), dx))


linear(*TRAPEZOIDS, operands=(0, 1, 2))


# -- np.ediff1d: [to_begin, np.diff(ravel(ary)), to_end], jointly linear
@reverse(np.ediff1d)
def ediff1d(g, y, ary, to_end=None, to_begin=None):
    return (ediff1d_adjoint(g, 0, ary, to_end, to_begin),
            ediff1d_adjoint(g, 1, ary, to_end, to_begin),
            ediff1d_adjoint(g, 2, ary, to_end, to_begin))


@tangent(np.ediff1d, operand=0)
def ediff1d_ary_tangent(d, y, ary, to_end=None, to_begin=None):
    return ediff1d_tangent(d, 0, ary, to_end, to_begin)


@tangent(np.ediff1d, operand=1)
def ediff1d_end_tangent(d, y, ary, to_end=None, to_begin=None):
    return ediff1d_tangent(d, 1, ary, to_end, to_begin)


@tangent(np.ediff1d, operand=2)
def ediff1d_begin_tangent(d, y, ary, to_end=None, to_begin=None):
    return ediff1d_tangent(d, 2, ary, to_end, to_begin)


# -- np.interp: piecewise linear in x (a kink at each knot: the interval to the right),
#    linear in fp, left and right
@reverse(np.interp)
def interp(g, y, x, xp, fp, left=None, right=None, period=None):
    return (unbroadcast(g * interp_slope(x, xp, fp, left, right, period), x), None,
            interp_fp_adjoint(g, x, xp, fp, left, right, period),
            unbroadcast(g * interp_bound_mask(x, xp, period, False), left),
            unbroadcast(g * interp_bound_mask(x, xp, period, True), right))


@tangent(np.interp, operand=0)
def interp_x_tangent(d, y, x, xp, fp, left=None, right=None, period=None):
    return d * interp_slope(x, xp, fp, left, right, period)


@tangent(np.interp, operand=2)
def interp_fp_tangent_(d, y, x, xp, fp, left=None, right=None, period=None):
    return interp_fp_tangent(d, x, xp, fp, left, right, period)


@tangent(np.interp, operand=3)
def interp_left_tangent(d, y, x, xp, fp, left=None, right=None, period=None):
    return d * interp_bound_mask(x, xp, period, False)


@tangent(np.interp, operand=4)
def interp_right_tangent(d, y, x, xp, fp, left=None, right=None, period=None):
    return d * interp_bound_mask(x, xp, period, True)


# -- the helpers: pure; linear in the adjoint or tangent they take first (and in the
#    other values named); each one's transpose is its reverse rule
pure(rt.gradient_adjoint, rt.gradient_like, rt.select_adjoint, rt.select_default_adjoint,
     rt.select_choices_like, rt.select_default_like, rt.trapezoid_adjoint,
     rt.trapezoid_x_adjoint, rt.ediff1d_adjoint, rt.ediff1d_tangent, rt.interp_slope,
     rt.interp_fp_adjoint, rt.interp_fp_tangent, rt.interp_slope_adjoint,
     rt.interp_bound_mask)
linear(rt.gradient_adjoint, rt.gradient_like, rt.select_adjoint, rt.select_default_adjoint,
       rt.select_choices_like, rt.select_default_like, rt.ediff1d_adjoint,
       rt.ediff1d_tangent, rt.interp_fp_adjoint, rt.interp_fp_tangent,
       rt.interp_slope_adjoint)
linear(rt.trapezoid_adjoint, operands=(0, 2, 3))
linear(rt.trapezoid_x_adjoint, operands=(0, 1))
linear(rt.interp_slope, operands=(2,))  # piecewise constant in x
nondifferentiable(rt.interp_bound_mask)


@reverse(rt.gradient_adjoint)
def gradient_adjoint_(b, result, g, f, varargs=(), axis=None, edge_order=1):
    return gradient_like(b, varargs, axis, edge_order)


@reverse(rt.gradient_like)
def gradient_like_(b, result, d, varargs=(), axis=None, edge_order=1):
    return gradient_adjoint(b, d, varargs, axis, edge_order)


@reverse(rt.select_adjoint)
def select_adjoint_(b, result, g, condlist, choicelist):
    return select_choices_like(b, g, condlist)


@reverse(rt.select_choices_like)
def select_choices_like_(b, result, d, y, condlist):
    return select_adjoint(b, condlist, d)


@reverse(rt.select_default_adjoint)
def select_default_adjoint_(b, result, g, condlist, default):
    return select_default_like(b, g, condlist)


@reverse(rt.select_default_like)
def select_default_like_(b, result, d, y, condlist):
    return select_default_adjoint(b, condlist, d)


@reverse(rt.trapezoid_adjoint)
def trapezoid_adjoint_(b, result, g, y, x=None, dx=1.0, axis=-1):
    # <b, trapezoid_adjoint(g, y, x, dx)> = g . trapezoid(b, x, dx)
    return (integrate(b, x, dx, axis), None, trapezoid_x_adjoint(g, b, x, axis),
            unbroadcast(g * integrate(b, axis=axis), dx))


@reverse(rt.trapezoid_x_adjoint)
def trapezoid_x_adjoint_(b, result, g, y, x, axis=-1):
    # <b, trapezoid_x_adjoint(g, y, x)> = g . trapezoid(y, b)
    return integrate(y, b, axis=axis), trapezoid_adjoint(g, y, b, 1.0, axis)


@reverse(rt.ediff1d_adjoint)
def ediff1d_adjoint_(b, result, g, which, ary, to_end=None, to_begin=None):
    return ediff1d_tangent(b, which, ary, to_end, to_begin)


@reverse(rt.ediff1d_tangent)
def ediff1d_tangent_(b, result, d, which, ary, to_end=None, to_begin=None):
    return ediff1d_adjoint(b, which, ary, to_end, to_begin)


@reverse(rt.interp_fp_adjoint)
def interp_fp_adjoint_(b, result, g, x, xp, fp, left=None, right=None, period=None):
    return interp_fp_tangent(b, x, xp, fp, left, right, period)


@reverse(rt.interp_fp_tangent)
def interp_fp_tangent_(b, result, d, x, xp, fp, left=None, right=None, period=None):
    return interp_fp_adjoint(b, x, xp, fp, left, right, period)


@reverse(rt.interp_slope)
def interp_slope_(b, result, x, xp, fp, left=None, right=None, period=None):
    return None, None, interp_slope_adjoint(b, x, xp, fp, left, right, period)


@reverse(rt.interp_slope_adjoint)
def interp_slope_adjoint_(b, result, g, x, xp, fp, left=None, right=None, period=None):
    return unbroadcast(interp_slope(x, xp, b, left, right, period), g)
