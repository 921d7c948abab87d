"""Reverse rules of Python builtins: abs, pow, min, max, sum, float and friends, and the
copy module's copy and deepcopy."""
import builtins
import copy
import math

import numpy as np

from ..runtime import sum_adjoint, unbroadcast
from .registry import linear, nondifferentiable, pure, reverse, tangent


@reverse(builtins.abs, kind="same", scalar=True)
def abs_scalar(g, y, x):
    # abs'(0) = 0; float() of each comparison: NumPy scalars compare to np.bool_, which
    # does not subtract
    return g * (float(x > 0) - float(x < 0))


@reverse(builtins.abs, kind="same")
def abs_(g, y, x):
    return g * np.sign(x)


@reverse(builtins.pow, kind="same", scalar=True)
def pow_scalar(g, y, a, b):
    # a = 0 as in operators.py: a ** 0 has derivative 0, a ** b derivative 0 in b
    return g * b * a ** (b - 1 + (b == 0)), g * y * math.log(a + (a == 0))


@reverse(builtins.pow, kind="same")
def pow_(g, y, a, b):
    # a = 0 as in operators.py: a ** 0 has derivative 0, a ** b derivative 0 in b
    return (unbroadcast(g * b * a ** (b - 1 + (b == 0)), a),
            unbroadcast(g * y * np.log(a + (a == 0)), b))


@reverse(builtins.max, kind="same")
def max_(g, y, a, b):
    # A tie sends the whole adjoint to the first argument, the one max returns.
    first = a >= b
    return g * first, g * (not first)


@reverse(builtins.min, kind="same")
def min_(g, y, a, b):
    first = a <= b
    return g * first, g * (not first)


# A tie with a constant goes to the constant: max(z, 0.0) has derivative 0 at 0.
@reverse(builtins.max, kind="same", against_constant=True)
def max_against_constant(g, y, a, b):
    return g * (a > b), g * (b > a)


@reverse(builtins.min, kind="same", against_constant=True)
def min_against_constant(g, y, a, b):
    return g * (a < b), g * (b < a)


@reverse(builtins.sum)
def sum_(g, y, iterable, start=0):
    return sum_adjoint(g, iterable), unbroadcast(g, start)


# forward: the tangents summed, and the start's added (sum itself would add the start)
@tangent(builtins.sum, operand=0)
def sum_tangent(d, y, iterable, start=0):
    return sum(d)


@tangent(builtins.sum, operand=1)
def sum_start_tangent(d, y, iterable, start=0):
    return d


@reverse(builtins.float, kind="scalar")
def float_(g, y, x):
    return g


@reverse(copy.copy, copy.deepcopy)
def copy_(g, y, x, memo=None):
    # a copy: the identity (of numbers, arrays, and containers of them)
    return g


linear(copy.copy, copy.deepcopy)


nondifferentiable(builtins.len, builtins.range, builtins.int, builtins.bool, builtins.round,
                  builtins.isinstance, builtins.type, builtins.id, builtins.hash, builtins.str,
                  builtins.repr, builtins.sorted, builtins.any, builtins.all, builtins.divmod,
                  builtins.format, builtins.slice)
nondifferentiable(builtins.len, kind="scalar")  # a count: a number
nondifferentiable(builtins.print, pure=False)
pure(builtins.enumerate, builtins.zip, builtins.reversed, builtins.list, builtins.tuple)
linear(builtins.list, builtins.tuple)
linear(("method", "pop"), pure=False)  # list.pop(i): pop the tangent list alike
