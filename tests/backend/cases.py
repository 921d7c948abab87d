"""Functions that stress out-of-SSA naming: swaps, values kept past their overwrite,
names that clash with what the compiler generates, unusual signatures."""
import math

import numpy as np

t = 10.0  # a global called like the compiler's temporaries


def keeps_old_value(x):
    y = x
    x = x * 2
    return x + y


def swaps_in_loop(a, b, n):
    for _ in range(n):
        a, b = b, a + b
    return a, b


def rotates_three(a, b, c, n):
    for _ in range(n):
        a, b, c = c, a, b
    return a, b, c


def old_value_after_update(n):
    s = 1.0
    total = 0.0
    for i in range(n):
        old = s
        s = s * 1.5 + i
        total += old * s
    return total, s


def user_names_like_generated(x, t_1=2.0):
    result = x * t_1
    stop = result > 3
    returned = 0.0
    acc = [result, t]
    for skip in range(3):
        if stop:
            returned += skip
            continue
        acc.append(skip)
    return result, stop, returned, acc, t


def shadows_builtin_names(x):
    slice = x[1:3]
    sum = 0.0
    for v in slice:
        sum += v
    return sum, x[::2]


def positional_only(a, b=1.0, /, c=2.0, *args, d, e=3.0, **kw):
    return a + b + c + sum(args) + d + e + len(kw)


DEFAULT_ARRAY = np.ones(3)


def array_default(x, w=DEFAULT_ARRAY, scale=-0.5, inf=float("inf")):
    return float(x * (w * scale).sum()) + min(inf, 1e300)


def recursive(n):
    if n <= 1:
        return 1
    return n * recursive(n - 1)


def constants(x):
    return (x ** -1.0, (-2) ** 2, x * 1e300 * 1e10, -0.0, 1 - 2j, -3j, math.inf, (0, -1))


def reassigned_in_branch_only(x):
    if x > 0:
        y = x * 2
    if x > 0:
        return y
    return -x


def loop_variable_after_loop(xs):
    for i, v in enumerate(xs):
        pass
    return i, v


def while_with_complex_test(n):
    i = 0
    total = 0
    while i < n and total < 100:
        total += i * i
        i += 1
    return i, total


CASES = [
    (keeps_old_value, [(3.0,), (-1.5,)]),
    (swaps_in_loop, [(0, 1, 10), (1.0, 1.0, 0)]),
    (rotates_three, [(1, 2, 3, 4), (1, 2, 3, 0)]),
    (old_value_after_update, [(5,), (0,)]),
    (user_names_like_generated, [(1.0,), (5.0,)]),
    (shadows_builtin_names, [(np.arange(5.0),)]),
    (array_default, [(2.0,)]),
    (recursive, [(5,), (1,)]),
    (constants, [(2.0,)]),
    (reassigned_in_branch_only, [(2.0,), (-2.0,)]),
    (loop_variable_after_loop, [([3.0, 4.0],)]),
    (while_with_complex_test, [(5,), (100,), (0,)]),
]
