"""The worked examples of the lecture notes on automatic differentiation.

    f(x1, x2) = ln(x1) + x1*x2 - sin(x2)     gradient at (2, 5): (5.5, 1.716)
    g(x)      = cos(5 x^2)                    derivative at 2:    -18.259

Run ``s2sad ir examples/lecture.py:f`` to see f as three-address SSA.
"""
import math


def f(x1, x2):
    """The lecture's two-variable function."""
    return math.log(x1) + x1 * x2 - math.sin(x2)


def g(x):
    """The lecture's one-variable function."""
    return math.cos(5 * x ** 2)


if __name__ == "__main__":
    import s2sad

    print(s2sad.ir(f))
    print("f(2, 5) =", f(2.0, 5.0))
