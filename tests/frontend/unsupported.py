"""Functions using constructs the compiler rejects. Each offending line ends with '# here'."""
import math

import numpy as np

COUNTER = 0


def uses_try(x):
    try:  # here
        return math.log(x)
    except ValueError:
        return 0.0


def uses_with(x):
    with open("f") as handle:  # here
        return x + len(handle.read())


def uses_yield(x):
    yield x  # here


async def uses_async(x):  # here
    return x


def uses_global(x):
    global COUNTER
    COUNTER = COUNTER + 1  # here
    return x


def uses_nested_def(x):
    def inner(y):  # here
        return y * 2
    return inner(x)


def uses_nested_class(x):
    class Box:  # here
        pass
    return x


def uses_del(x):
    y = x * 2
    del y  # here
    return x


def uses_lambda(x):
    square = lambda v: v * v  # here  # noqa: E731
    return square(x)


def uses_import(x):
    import cmath  # here
    return cmath.sqrt(x)


def uses_star_call(xs):
    return max(*xs)  # here


def uses_kwargs_call(x, options):
    return np.sum(x, **options)  # here


def uses_bare_raise(x):
    if x < 0:
        raise  # here
    return x


def uses_walrus_in_while_else(x):
    while (x := x / 2) > 1:  # here
        pass
    else:
        x = -x
    return x


def uses_starred_literal(xs):
    return [*xs, 1.0]  # here


def uses_undefined_name(x):
    return x * not_defined_anywhere  # here  # noqa: F821


def reads_before_assignment(x):
    z = y + x  # here  # noqa: F821
    y = 1.0
    return z


def make_nonlocal_writer():
    total = 0.0

    def writes_nonlocal(x):
        nonlocal total
        total = total + x  # here
        return total
    return writes_nonlocal

