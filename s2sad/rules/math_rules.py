"""Reverse rules of the ``math`` module: scalar in, scalar out, so the adjoints stay plain
float arithmetic (``math.cos``, never ``np.cos``)."""
import math

from . import numpy_rules
from ..runtime import divide_or_zero
from .registry import nondifferentiable, reverse

# -- the functions NumPy has too: NumPy's templates, which scalar code specializes to
#    ``math`` (``np.cos`` becomes ``math.cos``; see ad/templates.py)
for _fn, _template in {
    math.exp: numpy_rules.exp, math.expm1: numpy_rules.expm1, math.log1p: numpy_rules.log1p,
    math.sqrt: numpy_rules.sqrt, math.sin: numpy_rules.sin, math.cos: numpy_rules.cos,
    math.tan: numpy_rules.tan, math.asin: numpy_rules.arcsin,
    math.acos: numpy_rules.arccos, math.atan: numpy_rules.arctan,
    math.sinh: numpy_rules.sinh, math.cosh: numpy_rules.cosh, math.tanh: numpy_rules.tanh,
}.items():
    reverse(_fn, kind="scalar")(_template)


if hasattr(math, "exp2"):  # Python 3.11+
    @reverse(math.exp2, kind="scalar")
    def exp2(g, y, x):
        return g * y * 0.6931471805599453


if hasattr(math, "cbrt"):  # Python 3.11+
    @reverse(math.cbrt, kind="scalar")
    def cbrt(g, y, x):
        return g / (3.0 * y * y)


@reverse(math.log, kind="scalar")
def log(g, y, x, base=None):
    return (g / x if base is None else g / (x * math.log(base)),
            None if base is None else -g * y / (base * math.log(base)))


@reverse(math.log2, kind="scalar")
def log2(g, y, x):
    return g / (x * 0.6931471805599453)


@reverse(math.log10, kind="scalar")
def log10(g, y, x):
    return g / (x * 2.302585092994046)


@reverse(math.pow, kind="scalar")
def pow_(g, y, x, p):
    # x = 0 as in operators.py: x ** 0 has derivative 0, x ** p derivative 0 in p
    return g * p * x ** (p - 1 + (p == 0)), g * y * math.log(x + (x == 0))


@reverse(math.hypot, kind="scalar")
def hypot(g, y, x, z):
    return divide_or_zero(g * x, y), divide_or_zero(g * z, y)  # 0 at (0, 0), a kink


# -- trigonometry
@reverse(math.atan2, kind="scalar")
def atan2(g, y, a, b):
    return g * b / (a * a + b * b), -g * a / (a * a + b * b)


@reverse(math.asinh, kind="scalar")
def asinh(g, y, x):
    return g / math.sqrt(x * x + 1.0)


@reverse(math.acosh, kind="scalar")
def acosh(g, y, x):
    return g / math.sqrt(x * x - 1.0)


@reverse(math.atanh, kind="scalar")
def atanh(g, y, x):
    return g / (1.0 - x * x)


# -- special functions and the rest
@reverse(math.erf, kind="scalar")
def erf(g, y, x):
    return g * 1.1283791670955126 * math.exp(-x * x)


@reverse(math.erfc, kind="scalar")
def erfc(g, y, x):
    return -g * 1.1283791670955126 * math.exp(-x * x)


@reverse(math.fabs, kind="scalar")
def fabs(g, y, x):
    return g * (float(x > 0) - float(x < 0))  # fabs'(0) = 0 (x may be a NumPy scalar)


@reverse(math.copysign, kind="scalar")
def copysign(g, y, x, s):
    return g * (float(y > 0) - float(y < 0)) * (float(x > 0) - float(x < 0)), None


@reverse(math.degrees, kind="scalar")
def degrees(g, y, x):
    return g * 57.29577951308232


@reverse(math.radians, kind="scalar")
def radians(g, y, x):
    return g * 0.017453292519943295


@reverse(math.fmod, kind="scalar")
def fmod(g, y, a, b):
    return g, -g * math.trunc(a / b)


@reverse(math.lgamma, kind="scalar")
def lgamma(g, y, x):
    return g * digamma(x)


@reverse(math.gamma, kind="scalar")
def gamma(g, y, x):
    return g * y * digamma(x)


def digamma(x):
    """The digamma function (derivative of lgamma), by recurrence and asymptotic series."""
    result = 0.0
    while x < 6.0:
        result -= 1.0 / x
        x += 1.0
    f = 1.0 / (x * x)
    return result + math.log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))))


nondifferentiable(math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite,
                  math.isclose, math.factorial, math.gcd, math.comb, math.perm, kind="scalar")
