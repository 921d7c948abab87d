"""Reverse rules of Python's operators (the IR's arithmetic opcodes)."""
import builtins
import math
import operator

import numpy as np

from ..runtime import matmul_left, matmul_right, unbroadcast
from . import builtin_rules  # noqa: F401 (its rule of abs, for operator.abs)
from .registry import REGISTRY, linear, nondifferentiable, reverse


@reverse("add", kind="same")
def add(g, y, a, b):
    return unbroadcast(g, a), unbroadcast(g, b)


@reverse("sub", kind="same")
def sub(g, y, a, b):
    return unbroadcast(g, a), unbroadcast(-g, b)


@reverse("mul", kind="same")
def mul(g, y, a, b):
    return unbroadcast(g * b, a), unbroadcast(g * a, b)


@reverse("truediv", kind="same")
def truediv(g, y, a, b):
    return unbroadcast(g / b, a), unbroadcast(-g * y / b, b)


@reverse("pow", kind="same", scalar=True)
def pow_scalar(g, y, a, b):
    # at a = 0: a ** 0 is constant (derivative 0, not 0 * inf) and a ** b has derivative
    # 0 in b for b > 0 (the limit of y log a), so log reads 1 where a is 0
    return g * b * a ** (b - 1 + (b == 0)), g * y * math.log(a + (a == 0))


@reverse("pow", kind="same")
def pow_(g, y, a, b):
    return (unbroadcast(g * b * a ** (b - 1 + (b == 0)), a),
            unbroadcast(g * y * np.log(a + (a == 0)), b))


@reverse("mod", kind="same")
def mod(g, y, a, b):
    return unbroadcast(g, a), unbroadcast(-g * ((a - y) / b), b)


@reverse("matmul", kind="array")
def matmul(g, y, a, b):
    return matmul_left(g, a, b), matmul_right(g, a, b)


@reverse("matmul", matrix=True)
def matmul_matrices(g, y, a, b):
    return g @ b.T, a.T @ g


@reverse("neg", kind="same")
def neg(g, y, a):
    return -g


@reverse("pos", kind="same")
def pos(g, y, a):
    return g


# Piecewise constant or boolean: no derivative.
nondifferentiable("floordiv", "lshift", "rshift", "bitor", "bitxor", "bitand", "invert", "not",
                  "eq", "ne", "lt", "le", "gt", "ge", "is", "isnot", "in", "notin",
                  "and", "or")
linear("matmul", operands=(0, 1))


# -- the operator module's functions (``op = operator.mul; op(x, y)``): the operators' rules
#    (``abs``: the builtin's)
def _same_rules(fn, key):
    rule = REGISTRY.rule(key)
    for template, flag in ((rule.template, {}), (rule.scalar_template, {"scalar": True}),
                           (rule.matrix_template, {"matrix": True})):
        if template is not None:
            reverse(fn, kind=rule.kind, **flag)(template)
    REGISTRY.rule(fn).linear = rule.linear


for _fn, _key in ((operator.add, "add"), (operator.sub, "sub"), (operator.mul, "mul"),
                  (operator.truediv, "truediv"), (operator.pow, "pow"),
                  (operator.mod, "mod"), (operator.matmul, "matmul"),
                  (operator.neg, "neg"), (operator.pos, "pos"), (operator.abs, builtins.abs)):
    _same_rules(_fn, _key)
nondifferentiable(operator.floordiv, operator.lt, operator.le, operator.gt, operator.ge,
                  operator.eq, operator.ne, operator.not_, operator.truth, operator.is_,
                  operator.is_not, operator.contains, operator.lshift, operator.rshift,
                  operator.and_, operator.or_, operator.xor, operator.invert, operator.index)
