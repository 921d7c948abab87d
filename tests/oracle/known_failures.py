"""Regression programs for compiler bugs the oracle and the grammar fuzzer found.

``KNOWN_FAILURES`` fail today: ``test_known_failures.py`` runs each through the oracle
(``check.check``) under ``pytest.mark.xfail(strict=False)`` with the reason below, so the
suite stays green, and an XPASS says a fix has landed: move the entry to ``FIXED`` then,
and drop its construct from ``grammar_fuzz.KNOWN_BAD``. ``FIXED`` were wrong once and pass
now; they run as ordinary regressions. ``CORPUS_XFAIL`` marks the entries of the project's
corpora (``test_corpus_oracle.py``) that fail today, by (function name, input set).

Every function is at module level, so s2sad reads its source.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple

import numpy as np


class Regression(NamedTuple):
    fn: Callable[..., Any]
    args: Tuple[Any, ...]
    reason: str
    wrt: Optional[Tuple[int, ...]] = None  # None: every float argument


V = np.array([0.3, -0.2, 0.5, 0.9])
M = np.array([[0.4, -0.9, 0.8, -0.85], [-1.2, -0.9, -0.5, 0.2], [-0.7, -1.1, 1.0, 1.2]])
V4 = np.array([0.41286419, 0.81455955, -1.29105677, -0.38565903])


# ---------------------------------------------------------------------------
# Known before this oracle (the wraps decorator is fixed since: see FIXED)
# ---------------------------------------------------------------------------

def scaled(fn):
    @functools.wraps(fn)
    def wrapper(a, b=0.5):
        return 2.0 * fn(a, b) + 0.25
    return wrapper


@scaled
def h_wrapped(a, b=0.5):
    return np.tanh(a) * b + a * 0.5


def wraps_decorator(x):
    return h_wrapped(x, b=x)


def wraps_decorator_in_loop(x, w):
    acc = 0.0
    for i, e in enumerate(w):
        acc = 0.5 * acc + e * h_wrapped(e)
    return acc + x


def augment_element_of_a_local(x):
    r = np.cos(np.arange(4.0) * x)
    s = 0.0
    for i, e in enumerate(r):
        e += 0.3
        s = s + e
    return s


def augment_element_of_zip(x, M):
    for row in M:
        a = np.ones(3)
    k = a[:-1]
    for e, q in zip(k, k):
        q -= 1.0
    return x


def augment_element_of_reversed(x, v):
    u = v.copy()
    s = 0.0
    for e in reversed(u):
        e *= 2.0
        s = s * 0.5 + e * x
    return s


def element_of_reversed_renamed(x):
    r = np.cos(np.arange(4.0) * x)
    for e in reversed(r):
        s = e
    s += 1.0
    return np.sum(r * r) * 0.1 + s


# ---------------------------------------------------------------------------
# Found by the oracle and the grammar fuzzer
# ---------------------------------------------------------------------------

def element_of_a_copy_then_written(x, w):
    u = np.array(w)
    s = u[0]
    u *= 0.5
    return s * x + np.sum(u)


def element_of_a_constant_then_written(x):
    u = np.cos(np.arange(4.0))
    s = u[0]
    u[1] = x
    return s * x + np.sum(u * u)


def element_of_a_copy_augmented(x, v):
    u = v.copy()
    s = u[0]
    k = u[::2]
    s *= 1.0
    return np.sum(np.sin(k)) + s * x


def row_stored_then_written(x, w, M):
    u = M.copy()
    u[0] = w
    w[-3] += 1.0
    return np.mean(np.tanh(u))


def int_times_one(x):
    n = len([x, x])
    a = np.full(3, n * 1.0)
    a[0] = x
    return np.sum(a) * x


def int_times_one_returned(x):
    n = len([x, x])
    return n * 1.0


def tuple_assignment_then_augmented(x):
    v0, y = sum([x]), x
    y += x
    return v0 + y


def loop_items_summed_then_written(x):
    u = np.ones(4).copy()
    acc = 0.0
    for t in reversed(u):
        acc = acc * 0.75 + t
    u *= 0.5
    return acc * x + np.sum(u)


def list_concat(x):
    items = [1.0] + [x, 1.0]
    return items[2] * 0.5 + items[1] - items[-1]


def list_concat_prefix(xs):
    ys = [0.0] + xs
    return ys[0] * 1.0 + ys[1] * 2.0


def list_concat_then_unpack(xs):
    head, second, *_ = xs + [0.0, 0.0]
    return head + second


def max_of_a_list(zs):
    m = max(zs)
    return m * 2.0


def loop_over_an_iterator(x, M):
    r = np.sum(M, axis=0)
    acc = 0.0
    it = iter(r)
    for e in it:
        acc = acc * 0.9 + np.sin(e)
    acc += np.float64(acc)
    return x


def numpy_float64(x, v):
    a = np.float64(x) * 2.0
    return a * np.mean(v)


def reduction_twice(x, w):
    return x * w.sum() + w.sum()


def reduction_twice_along_an_axis(x, M):
    r1 = np.sum(M, axis=0)
    r2 = np.sum(M, axis=0)
    return np.sum(np.tanh(r1)) + np.sum(np.sin(r2)) * x


def reduction_of_an_alias(x, M):
    u = M
    return np.tanh(np.sum(u)) + np.tanh(np.sum(M)) * x


def branch_alias_write_after_repeated_call(x, v):
    r1 = np.tanh(v)
    v[0] = r1.sum()
    r2 = np.tanh(v)
    acc3 = 0.0
    u6 = np.array(r2)
    r1[-2] = 1.0
    if acc3 > 0.0:
        pass
    else:
        u8 = r1
        u8[1:] = u8[1:] * 0.5 + u8[:-1]
    return np.sum(u6 * u6) * 0.1


KNOWN_FAILURES: List[Regression] = [
    Regression(augment_element_of_a_local, (0.7,),
               "e += 0.3 on the element of enumerate(r), r = np.cos(...), is refused as a "
               "write into r"),
    Regression(augment_element_of_zip, (0.7, M),
               "q -= 1.0 on an element of zip(k, k), k a view of a local array, is refused "
               "as a write into k"),
    Regression(element_of_reversed_renamed, (0.7,),
               "s = e for e in reversed(r), then s += 1.0 after the loop: refused as a write "
               "into r (a NumPy scalar is not a view)"),
    Regression(element_of_a_constant_then_written, (0.7,),
               "s = u[0] of u = np.cos(np.arange(4.0)), then u[1] = x: refused as a write "
               "s sees"),
    Regression(tuple_assignment_then_augmented, (0.7,),
               "floats only: v0, y = sum([x]), x; y += x is refused as a write v0 sees"),
    Regression(max_of_a_list, ([1.0, 3.0, 2.0],),
               "max(zs) of one list is refused: 'the call to max_ is missing the argument "
               "b' (an internal name; max of an iterable is not supported)"),
    Regression(branch_alias_write_after_repeated_call, (0.52, V4),
               "gradient with respect to v wrong in entries 1 and 3 (0.0588 for 0.0563, "
               "-0.0742 for -0.0910), and forward and reverse disagree; the else branch is "
               "the one taken (acc3 is 0.0)"),
]


# ---------------------------------------------------------------------------
# Fixed: ordinary regressions now
# ---------------------------------------------------------------------------

def enumerate_twice(x, v):
    s = 0.0
    t = 0.0
    for i, e in enumerate(v):
        t = e * x
        s = 0.5 * s + t
    for j, d in enumerate(v):
        s = s + (j + 1) * d * x
    return s + t


def identity_copy_then_write(x, w):
    u = w * 1.0
    w[0] = x
    return np.sum(u * w)


def identity_copy_written(x, w):
    w = w * 1.0
    v = w * 1.0
    w[1] = x * x
    return np.sum(v) + np.sum(w)


def repeat_call_across_a_view_write(x, v):
    a = np.cos(v)
    k = a.reshape(2, 2)
    k[0, 1] = x
    b = np.cos(v)
    return np.sum(b * b) + np.sum(k)


def repeat_call_across_a_write(x):
    a = np.sin(np.ones(4))
    a[0] = x
    b = np.sin(np.ones(4))
    return np.sum(a * b)


def std_of_a_constant(x, v):
    return np.std(np.ones(4) * x) * 2.0 + np.std(v * 0.0 + x) + x


def abs_of_a_numpy_sum(x, v):
    return abs(np.sum(v)) * x + abs(v[0]) * x


def augment_element_of_a_parameter(x, v):
    s = 0.0
    for i, e in enumerate(v):
        e += 0.3
        s = s + e * x
    return s


FIXED: List[Regression] = [
    Regression(element_of_a_copy_then_written, (0.7, V),
               "s = u[0] of u = np.array(w), then u *= 0.5: refused as a write s sees (a "
               "NumPy scalar is a copy)"),
    Regression(reduction_twice, (0.7, V),
               "x * w.sum() + w.sum(): the gradient with respect to w was the float 1.7, not "
               "an array of 1.7 (the shape specialization loses the reduction's broadcast)"),
    Regression(reduction_twice_along_an_axis, (0.7, M),
               "np.sum(M, axis=0) twice: the gradient with respect to M had shape (1, 4)"),
    Regression(reduction_of_an_alias, (0.7, M),
               "np.sum(u) + np.sum(M) with u = M: the gradient with respect to M was a float"),
    Regression(augment_element_of_reversed, (0.7, V),
               "e *= 2.0 on an element of reversed(u) is refused as a write into u"),
    Regression(loop_items_summed_then_written, (0.7,),
               "acc summing the items of reversed(u), u = np.ones(4).copy(), then u *= 0.5: "
               "refused as a write acc (carried by the loop) may hold"),
    Regression(element_of_a_copy_augmented, (0.7, V),
               "s = u[0] of u = v.copy(), then s *= 1.0 while the view u[::2] is live: "
               "refused as a write into u"),
    Regression(row_stored_then_written, (0.7, V, M),
               "u = M.copy(); u[0] = w copies w's values, yet w[-3] += 1.0 is refused as a "
               "write u may hold"),
    Regression(int_times_one, (0.7,),
               "n * 1.0 (n an int) simplified to n: np.full(3, n * 1.0) is an int array, "
               "a[0] = x stores 0: value 2.8 instead of 3.29, gradient 4.7 instead of 5.4"),
    Regression(int_times_one_returned, (0.7,),
               "n * 1.0 (n an int) simplified to n: returns the int 2, the function the "
               "float 2.0"),
    Regression(list_concat, (0.7,),
               "list concatenation [1.0] + [x, 1.0] is differentiated as elementwise "
               "addition: gradient 0 instead of 1, and the tangent raises IndexError"),
    Regression(list_concat_prefix, ([1.0, 3.0],),
               "[0.0] + xs: gradient [1, 2] instead of [2, 0]"),
    Regression(list_concat_then_unpack, ([5.0],),
               "xs + [0.0, 0.0] unpacked: the tangent is dxs, too short to unpack "
               "(ValueError in jvp)"),
    Regression(loop_over_an_iterator, (0.7, M),
               "a loop over it = iter(r) whose result is only used by code that does not "
               "reach the output crashes in the derivative: object of type 'iterator' has "
               "no len()"),
    Regression(numpy_float64, (0.7, V),
               "np.float64(x) is refused: no derivative rule for np.float64"),
    Regression(wraps_decorator, (0.7,),
               "helpers decorated by a functools.wraps wrapper were differentiated without "
               "the wrapper: value and derivative of the bare helper"),
    Regression(wraps_decorator_in_loop, (0.7, V),
               "functools.wraps wrapper ignored inside a loop"),
    Regression(enumerate_twice, (0.7, V),
               "two loops over enumerate(v): CSE merged the two iterators"),
    Regression(identity_copy_then_write, (0.7, V),
               "u = w * 1.0 simplified into an alias of w, then w written"),
    Regression(identity_copy_written, (0.7, V),
               "v = w * 1.0 simplified into an alias of w, then w written"),
    Regression(repeat_call_across_a_view_write, (0.7, V),
               "identical calls merged across a write through a view of the first"),
    Regression(repeat_call_across_a_write, (0.7,),
               "identical calls merged across a write into the first"),
    Regression(std_of_a_constant, (0.7, V), "np.std of a constant vector: NaN gradient"),
    Regression(abs_of_a_numpy_sum, (0.7, V), "abs() of a NumPy scalar crashed"),
    Regression(augment_element_of_a_parameter, (0.7, V),
               "e += 0.3 in `for i, e in enumerate(v)` falsely refused"),
]


# Random programs of tests/programs.py that run into a failure above: (pattern in the
# source, what the oracle says, which regression it is). test_corpus_oracle excuses a
# sample that matches both.
GENERATED_XFAIL: List[Tuple[str, str, str]] = [
    (r"(?m)^\s*\w+, \w+ = [^\n]*\n(?:.*\n)*?\s*\w+ [-+*/]= ", "AliasedWriteError",
     "tuple_assignment_then_augmented"),
]


# The project's corpora: entries failing today, (function name, input set) -> reason.
CORPUS_XFAIL: Dict[Tuple[str, int], str] = {
    ("softmax_list", 0): "max(zs) of one list is refused (see max_of_a_list)",
    ("softmax_list", 1): "max(zs) of one list is refused (see max_of_a_list)",
    ("softmax_list", 2): "max(zs) of one list is refused (see max_of_a_list)",
}
