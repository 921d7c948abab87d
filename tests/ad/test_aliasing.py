"""Writes seen through other names (``s2sad/ad/aliasing.py``): a write another live name
of the same array may see is refused in both modes, with the write's file and line, the
other name and its line, and what to write instead; a write nothing else sees is
differentiated as before (checked against finite differences, forward against reverse,
by ``test_fuzz.check_function``). The whole round-trip corpus and every gradient case
pass the check: no false alarms.
"""
from __future__ import annotations

import inspect
import os
import sys
from typing import Any, Callable

import numpy as np
import pytest

import s2sad
from s2sad.ad.aliasing import AliasedWriteError, check_aliased_writes
from s2sad.ad.prepare import inline_user_calls
from s2sad.frontend import lower
from s2sad.pipeline import kinds_of_call

try:
    from .. import corpus
    from . import gradcases
    from .test_fuzz import check_function
except ImportError:  # run outside the tests package
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import corpus  # type: ignore
    import gradcases  # type: ignore
    from test_fuzz import check_function  # type: ignore

X = np.array([0.3, -0.7, 1.1])
W = np.array([[0.2, -0.4, 0.9], [0.5, 0.1, -0.3]])


# --- refused: another name sees the write -------------------------------------------

def alias_carried_by_a_loop(x, c):
    y = x * 1.0
    prev = np.zeros(3)
    t = 0.0
    for i in range(3):
        y[i] = c * y[i]
        t = t + np.sum(prev * prev)
        prev = y
    return t


def alias_through_a_branch(x, c):
    r = x * 2.0
    if c > 0.0:
        b = r
    else:
        b = r * 2.0
    r[0] = c
    return np.sum(b)


def alias_in_a_list(x, c):
    r = x * 2.0
    items = [r, c]
    r *= c
    return np.sum(items[0])


def view_by_reshape(W, c):
    a = W * 1.0
    v = a.reshape(-1)
    v[0] = c
    return np.sum(a * a)


def view_by_transpose(W, c):
    a = W * 1.0
    t = np.transpose(a)
    a[0, 1] = c
    return np.sum(t * t)


def view_by_dot_t(W, c):
    a = W * 1.0
    t = a.T
    t[1, 0] = c
    return np.sum(a * a)


def asarray_of_a_parameter(x, c):
    a = np.asarray(x)
    a[0] = c
    return np.sum(x * x)


def row_of_a_loop_over_an_array(W, c):
    a = W * 1.0
    for row in a:
        row *= c
    return np.sum(a)


def sorted_in_place(x, c):
    y = x * c
    y.sort()
    return y[0]


REFUSED = [
    (alias_carried_by_a_loop, X, "y[i] = c * y[i]", "prev", "carried by the loop at line"),
    (alias_through_a_branch, X, "r[0] = c", "b", "set in the branches of the if at line"),
    (alias_in_a_list, X, "r *= c", "items", "bound at line"),
    (view_by_reshape, W, "v[0] = c", "a", "bound at line"),
    (view_by_transpose, W, "a[0, 1] = c", "t", "bound at line"),
    (view_by_dot_t, W, "t[1, 0] = c", "a", "bound at line"),
    (asarray_of_a_parameter, X, "a[0] = c", "x", "a parameter of asarray_of_a_parameter()"),
    (row_of_a_loop_over_an_array, W, "row *= c", "a", "bound at line"),
    (sorted_in_place, X, "y.sort()", "y", ""),
]


def _line_of(fn: Callable[..., Any], text: str) -> int:
    lines, first = inspect.getsourcelines(fn)
    return first + next(i for i, line in enumerate(lines) if text in line)


@pytest.mark.parametrize("fn, arg, write, other, bound", REFUSED,
                         ids=[case[0].__name__ for case in REFUSED])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_a_write_another_name_sees_is_refused(fn: Callable[..., Any], arg: np.ndarray,
                                              write: str, other: str, bound: str,
                                              mode: str) -> None:
    before = arg.copy()
    with pytest.raises(AliasedWriteError) as caught:
        if mode == "reverse":
            s2sad.value_and_grad(fn, wrt=(0, 1))(arg, 0.8)
        else:
            s2sad.jvp(fn, wrt=(0, 1))(arg, 0.8, (np.ones_like(arg), 1.0))
    error = caught.value
    assert (error.filename, error.lineno) == (inspect.getsourcefile(fn), _line_of(fn, write))
    assert f"`{write}` changes " in error.message
    if other == "y":  # a method: the name itself is read after it
        assert "y is read after it, at line" in error.message and "np.sort(y)" in error.advice
    else:
        assert f"but {other} ({bound}" in error.message
        assert "is read after the change, at line" in error.message
    assert error.advice
    assert np.array_equal(arg, before)


def test_the_advice_is_a_program_that_works() -> None:
    def advised(x, c):
        r = x * 2.0
        items = [r.copy(), c]
        r *= c
        return np.sum(items[0]) + np.sum(r)

    with pytest.raises(AliasedWriteError) as caught:
        s2sad.grad(alias_in_a_list, wrt=(0, 1))(X, 0.8)
    assert "store a copy (r.copy()) in items" in caught.value.advice
    assert "write r = r * c instead of `r *= c`" in caught.value.advice
    check_function(advised, (X, 0.8))


# --- followed: nothing else sees the write --------------------------------------------

def alias_dead_before_the_write(x, c):
    r = x * 2.0
    b = r
    s = np.sum(b * b)
    r *= c
    return s + np.sum(r)


def accumulate_in_a_loop(x, c):
    h = np.zeros(3)
    for i in range(4):
        h += np.tanh(c * x + 0.5 * h)
        h *= 0.9
    return np.sum(h * h)


def fill_a_local_array(x, c):
    y = np.zeros(3)
    for i in range(3):
        y[i] = c * x[i] ** 2
    y[1:] += x[:2]
    return np.sum(y * y)


def rows_made_in_a_loop(x, c):
    rows = []
    for i in range(3):
        r = np.zeros(3)
        r[i] = x[i] * c
        rows.append(r)
    return np.sum(np.stack(rows) ** 2)


def alias_read_before_each_write(x, c):
    y = x * 1.0
    prev = np.zeros(3)
    t = 0.0
    for i in range(3):
        t = t + np.sum(prev * prev)
        y[i] = c * y[i]
        prev = y
    return t


def element_read_then_stored(x, c):
    y = x * 1.0
    old = y[1]
    y[1] = old * c
    return np.sum(y * y) + old


def store_into_the_parameter(x, c):
    x[0] = c * x[1]
    return np.sum(x * x)


def store_in_one_branch_read_in_the_other(W, c):
    S = W * 1.0
    for i in range(2):
        if W[i, 0] > 0.0:
            S[i, i] += c * c
        else:
            S[i, i] -= c
    return np.sum(S * S)


FOLLOWED = [alias_dead_before_the_write, accumulate_in_a_loop, fill_a_local_array,
            rows_made_in_a_loop, alias_read_before_each_write, element_read_then_stored,
            store_into_the_parameter]


@pytest.mark.parametrize("fn", FOLLOWED, ids=[fn.__name__ for fn in FOLLOWED])
def test_a_write_nothing_else_sees_is_differentiated(fn: Callable[..., Any]) -> None:
    check_function(fn, (X.copy(), 0.8))


def test_a_store_in_a_branch_is_not_seen_by_the_other_branch() -> None:
    check_function(store_in_one_branch_read_in_the_other, (W.copy(), 0.8))


def test_scalar_augmented_assignment_before_any_call() -> None:
    """Source shown before a call takes unannotated parameters as numbers."""
    def rebinding(x):
        v = x
        x += x
        return v * x

    assert "def rebinding_adjoint" in s2sad.grad(rebinding).source
    assert s2sad.grad(rebinding)(1.5) == pytest.approx(2 * 1.5 * 2.0)


# --- no false alarms ------------------------------------------------------------------

def _checked(fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    func = lower(fn)
    wrt = list(range(len(func.params)))
    inline_user_calls(func, wrt)
    check_aliased_writes(func, wrt, kinds_of_call(fn, args, kwargs))


# The corpus's one write another name sees: ``state["m"][i] = ...`` stores into the list
# ``state`` holds, and ``state["m"][i]`` read on the next line must see it.
CORPUS_REFUSED = {"adam_step": 'state["m"][i] = b1 * state["m"][i]'}


@pytest.mark.parametrize("fn, inputs", corpus.CASES,
                         ids=[getattr(case[0], "__name__", "?") for case in corpus.CASES])
def test_the_corpus_passes_the_check(fn: Callable[..., Any], inputs: list) -> None:
    for args, kwargs in inputs:
        if fn.__name__ not in CORPUS_REFUSED:
            _checked(fn, args, kwargs)
            continue
        with pytest.raises(AliasedWriteError) as caught:
            _checked(fn, args, kwargs)
        assert caught.value.lineno == _line_of(fn, CORPUS_REFUSED[fn.__name__])
        assert "but state (carried by the loop at line" in caught.value.message


@pytest.mark.parametrize("fn, args", [(fn, sets[0]) for fn, _, sets in gradcases.CASES],
                         ids=[case[0].__name__ for case in gradcases.CASES])
def test_the_gradient_cases_pass_the_check(fn: Callable[..., Any], args: tuple) -> None:
    _checked(fn, args, {})
