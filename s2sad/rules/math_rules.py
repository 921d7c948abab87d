"""Reverse rules of the ``math`` module: scalar in, scalar out, so the adjoints stay plain
float arithmetic (``math.cos``, never ``np.cos``)."""
import math

from .registry import nondifferentiable, reverse

# -- powers, exponentials and logarithms
@reverse(math.exp, kind="scalar")
def exp(g, y, x):
    return g * y


@reverse(math.expm1, kind="scalar")
def expm1(g, y, x):
    return g * (y + 1.0)


if hasattr(math, "cbrt"):  # Python 3.11+
    @reverse(math.cbrt, kind="scalar")
    def cbrt(g, y, x):
        return g / (3.0 * y * y)


if hasattr(math, "exp2"):  # Python 3.11+
    @reverse(math.exp2, kind="scalar")
    def exp2(g, y, x):
        return g * y * 0.6931471805599453


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


@reverse(math.log1p, kind="scalar")
def log1p(g, y, x):
    return g / (1.0 + x)


@reverse(math.sqrt, kind="scalar")
def sqrt(g, y, x):
    return g / (2.0 * y)


@reverse(math.pow, kind="scalar")
def pow_(g, y, x, p):
    return g * p * x ** (p - 1), g * y * math.log(x)


@reverse(math.hypot, kind="scalar")
def hypot(g, y, x, z):
    return g * x / y, g * z / y


# -- trigonometry
@reverse(math.sin, kind="scalar")
def sin(g, y, x):
    return g * math.cos(x)


@reverse(math.cos, kind="scalar")
def cos(g, y, x):
    return -g * math.sin(x)


@reverse(math.tan, kind="scalar")
def tan(g, y, x):
    return g * (1.0 + y * y)


@reverse(math.asin, kind="scalar")
def asin(g, y, x):
    return g / math.sqrt(1.0 - x * x)


@reverse(math.acos, kind="scalar")
def acos(g, y, x):
    return -g / math.sqrt(1.0 - x * x)


@reverse(math.atan, kind="scalar")
def atan(g, y, x):
    return g / (1.0 + x * x)


@reverse(math.atan2, kind="scalar")
def atan2(g, y, a, b):
    return g * b / (a * a + b * b), -g * a / (a * a + b * b)


# -- hyperbolic functions
@reverse(math.sinh, kind="scalar")
def sinh(g, y, x):
    return g * math.cosh(x)


@reverse(math.cosh, kind="scalar")
def cosh(g, y, x):
    return g * math.sinh(x)


@reverse(math.tanh, kind="scalar")
def tanh(g, y, x):
    return g * (1.0 - y * y)


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
    return g * ((x > 0) - (x < 0))


@reverse(math.copysign, kind="scalar")
def copysign(g, y, x, s):
    return g * ((y > 0) - (y < 0)) * ((x > 0) - (x < 0)), None


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
