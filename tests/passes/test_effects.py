"""The effects oracle (passes/effects.py) and the rewrites that ask it: programs on which
merging, identities, dropping or writing into the caller's arrays gave wrong numbers.

Each program is checked against the plain function's value, a hand-derived gradient and
forward mode, and the arrays passed in must come back unchanged."""
import threading

import numpy as np
import pytest

import s2sad
from s2sad.frontend import lower
from s2sad.frontend.primitive import with_source
from s2sad.passes.effects import Effects
from s2sad.passes.kinds import Kinds


# --- iterators are never merged, and using one is an effect ---------------------------

def two_enumerates(x, v):
    s = 0.0
    for i, a in enumerate(v):
        s = s + x * a
    for i, a in enumerate(v):
        s = s + x * a
    return s


def zip_in_zip(x, v):
    s = 0.0
    for a, b in zip(v, v):
        for c, d in zip(v, v):
            s = s + x * a * c
    return s


def two_reversed(x, v):
    s = 0.0
    for a in reversed(v):
        s = s + x * a
    for a in reversed(v):
        s = s * 0.5 + x * a
    return s


def list_of_iterator_twice(x, v):
    it = iter(v)
    a = list(it)
    b = list(it)  # empty: the first list used the iterator up
    return x * len(a) + x * len(b) * 10.0


def iterator_resumed(x, v):
    it = iter(v)
    s = 0.0
    for a in it:
        s = s + x * a
        break
    for b in it:
        s = s + 2.0 * x * b
    return s


def one_enumerate_object(x, v):
    e = enumerate(v)
    s = 0.0
    for i, a in e:
        s = s + x * a
    for i, a in e:  # runs zero times
        s = s + 100.0 * x * a
    return s


@pytest.mark.parametrize("f", [two_enumerates, zip_in_zip, two_reversed,
                               list_of_iterator_twice, iterator_resumed,
                               one_enumerate_object])
def test_iterators_are_not_merged(f):
    v = np.array([1.0, 2.0, 3.0])
    x = 1.5
    slope = f(1.0, v)  # each is linear in x
    value, grad = s2sad.value_and_grad(f)(x, v)
    assert value == f(x, v)
    assert grad == pytest.approx(slope, rel=1e-12)
    assert s2sad.jvp(f)(x, v, 1.0)[1] == pytest.approx(slope, rel=1e-12)


# --- a fresh array never becomes an alias of one written later -------------------------

def copy_by_identity(x):
    w = x * np.ones(3)
    v = w * 1.0  # a new array: the store below must not reach it
    w[0] = 5.0
    return np.sum(v * v) + np.sum(w * w)


@pytest.mark.parametrize("optimize", [True, False])
def test_identity_keeps_a_new_array(optimize):
    value, grad = s2sad.value_and_grad(copy_by_identity)(2.0)
    assert value == copy_by_identity(2.0) == 45.0  # 5x^2 + 25
    assert grad == pytest.approx(20.0)
    assert s2sad.grad(copy_by_identity, optimize=optimize)(2.0) == pytest.approx(20.0)
    assert s2sad.jvp(copy_by_identity)(2.0, 1.0)[1] == pytest.approx(20.0)


# --- identical calls are not merged when one is written through a view -----------------

def written_through_reshape(x):
    a = np.sin(np.ones(4))
    k = np.sin(np.ones(4)).reshape(2, 2)
    k[:, -1] += 1.0
    return np.sum(a) * x + np.sum(k) * x


def base_written_through_view(x):
    b = np.sin(np.ones(4))
    a = np.sin(np.ones(4))
    k = b.reshape(2, 2)
    k[:, -1] += 1.0
    return np.sum(a) * x + np.sum(k) * x


def written_through_transpose(x, v):
    a = v * 2.0
    k = a.T
    k[0] = x
    b = v * 2.0
    return np.sum(b * x) + np.sum(k)


@pytest.mark.parametrize("f", [written_through_reshape, base_written_through_view])
def test_calls_written_through_a_view_are_not_merged(f):
    expected = 2 * 4 * np.sin(1.0) + 2.0
    value, grad = s2sad.value_and_grad(f)(1.0)
    assert value == f(1.0) == pytest.approx(expected)
    assert grad == pytest.approx(expected)
    assert s2sad.jvp(f)(1.0, 1.0)[1] == pytest.approx(expected)


def test_arithmetic_written_through_a_transpose_is_not_merged():
    v = np.ones(3)
    value, grad = s2sad.value_and_grad(written_through_transpose)(1.0, v)
    assert value == written_through_transpose(1.0, v.copy()) == 11.0
    assert grad == pytest.approx(7.0)
    assert s2sad.jvp(written_through_transpose)(1.0, v, 1.0)[1] == pytest.approx(7.0)
    assert np.array_equal(v, np.ones(3))


# --- numbers a loop binds are not objects written in place ------------------------------

def shift_items(x, v):
    s = 0.0
    for i, e in enumerate(v):
        e += 0.3
        s = s + e * x
    return s


def shift_pairs(x, v):
    s = 0.0
    for i, (a, b) in enumerate(zip(v, reversed(v))):
        a -= 1.0
        s = s + a * b * x
    return s


def test_loop_items_of_a_vector_are_numbers():
    v = np.array([1.0, 2.0, 3.0])
    assert s2sad.value_and_grad(shift_items)(2.0, v) == (shift_items(2.0, v),
                                                          pytest.approx(6.9))
    assert s2sad.grad(shift_items, wrt=1)(2.0, v) == pytest.approx(np.full(3, 2.0))
    slope = float(np.sum((v - 1.0) * v[::-1]))
    assert s2sad.value_and_grad(shift_pairs)(2.0, v)[1] == pytest.approx(slope)
    assert s2sad.jvp(shift_pairs)(2.0, v, 1.0)[1] == pytest.approx(slope)


# --- the derivative never writes into the caller's arrays ------------------------------

def writes_parameter(x):
    x[0] = x[0] * x[1]
    return np.sum(x * x)


def test_read_only_arguments_are_not_written():
    x = np.array([1.0, 2.0, 3.0])
    x.flags.writeable = False
    expected = np.array([2 * 2.0 * 2.0, 2 * 2.0 * 1.0 + 2 * 2.0, 6.0])  # (x0 x1)^2 + x1^2 + x2^2
    assert s2sad.grad(writes_parameter)(x) == pytest.approx(expected)
    assert s2sad.jvp(writes_parameter)(x, np.ones(3))[1] == pytest.approx(expected.sum())
    assert np.array_equal(x, [1.0, 2.0, 3.0])


def test_threads_sharing_an_argument_get_right_gradients():
    shared = np.array([1.0, 2.0, 3.0])
    grad = s2sad.grad(writes_parameter)
    expected = grad(shared.copy())
    wrong = []

    def work():
        for _ in range(200):
            if not np.allclose(grad(shared), expected):
                wrong.append(1)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not wrong
    assert np.array_equal(shared, [1.0, 2.0, 3.0])


# --- the oracle itself -------------------------------------------------------------------

def viewed(x):
    a = x * 2.0
    b = a.reshape(-1)
    c = x * 3.0
    b[0] = 1.0
    return a, c, iter(c)


def test_effects_answers():
    func = lower(with_source(viewed))
    effects = Effects(func, Kinds(func, {func.params[0].value: "array1"}))
    by_hint = {r.hint: r for op in func.walk() for r in op.results if r.hint}
    assert effects.written(by_hint["a"])  # written through the view b
    assert effects.written(by_hint["b"])
    assert not effects.written(by_hint["c"])
    assert not effects.written(func.params[0].value)
    iterators = [r for op in func.walk() if op.opcode == "call"
                 and getattr(op.operands[0], "obj", None) is iter for r in op.results]
    assert iterators and all(effects.stateful(r) for r in iterators)
    assert not effects.stateful(by_hint["c"])


# --- identities keep types: n * 1.0 of an int is a float ----------------------------------

def int_times_one(x, v):
    n = len(v)
    a = np.full(4, n * 1.0)  # a float array: the store below keeps its fraction
    a[0] = x * 0.5
    return np.sum(a * x)


def test_an_int_times_one_stays_a_float():
    v = np.ones(3)
    value, grad = s2sad.value_and_grad(int_times_one)(1.0, v)
    assert value == int_times_one(1.0, v) == 9.5  # 0.5 x^2 + 9 x
    assert grad == pytest.approx(10.0)
    assert s2sad.jvp(int_times_one)(1.0, v, 1.0) == (9.5, pytest.approx(10.0))


def element_of_a_copy_augmented(x, v):
    u = np.array(v)
    a = u[1]  # a number: t += 1.0 below rebinds t, it writes into nothing
    t = a
    t += 1.0
    return a * x + t * x


def test_an_element_of_an_array_copy_is_a_number():
    v = np.array([1.0, 2.0, 3.0])
    value, grad = s2sad.value_and_grad(element_of_a_copy_augmented)(1.5, v)
    assert value == element_of_a_copy_augmented(1.5, v)
    assert grad == pytest.approx(5.0)


# --- a store that carries no derivative is still undone before the adjoint reads -----------

def store_in_a_branch(v):
    r1 = np.tanh(v)
    v[0] = r1.sum()
    u = np.array(np.tanh(v))
    if v[1] > 100.0:
        pass
    else:
        w = r1
        w[1:] = w[1:] * 0.5 + w[:-1]  # changes r1, which tanh's adjoint reads
    return np.sum(u * u) * 0.1


def store_in_a_loop(v):
    r1 = np.tanh(v)
    s = np.sum(r1 * r1)
    for k in range(2):
        r1[k] = 5.0  # changes r1 after the product read it
    return s


def store_in_a_folded_branch(v):  # found by the grammar fuzzer
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


@pytest.mark.parametrize("f", [store_in_a_branch, store_in_a_loop, store_in_a_folded_branch])
def test_inactive_stores_are_undone(f):
    from ..numeric import numeric_gradient
    v = np.array([0.3, -0.5, 0.8, 0.1])
    expected = numeric_gradient(lambda a: f(a.copy()), (v,), 0)
    np.testing.assert_allclose(s2sad.grad(f)(v.copy()), expected, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(s2sad.jvp(f)(v.copy(), np.ones(4))[1], expected.sum(),
                               rtol=1e-6)
