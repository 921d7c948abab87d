"""The worked examples of the lecture notes on automatic differentiation.

    f(x1, x2) = ln(x1) + x1*x2 - sin(x2)     gradient at (2, 5): (5.5, 1.716)
    g(x)      = cos(5 x^2)                    derivative at 2:    -18.259

Run ``s2sad adjoint examples/lecture.py:f --wrt x1,x2`` to see the adjoint program of f,
``s2sad ir examples/lecture.py:f`` to see f as three-address SSA. The ``float``
annotations let the printed program be specialized for numbers, as it is when the
gradient is called with floats.
"""
import math


def f(x1: float, x2: float):
    """The lecture's two-variable function."""
    return math.log(x1) + x1 * x2 - math.sin(x2)


def g(x: float):
    """The lecture's one-variable function."""
    return math.cos(5 * x ** 2)


if __name__ == "__main__":
    import s2sad

    print(s2sad.source(f, wrt=("x1", "x2")))
    value, (b1, b2) = s2sad.value_and_grad(f, wrt=("x1", "x2"))(2.0, 5.0)
    print(f"f(2, 5) = {value:.4f}, gradient = ({b1:.3f}, {b2:.3f})")
    print(f"g'(2) = {s2sad.grad(g)(2.0):.3f}")
