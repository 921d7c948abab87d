"""Bad input to the transforms. Each case either gets the right derivative (checked with
central finite differences) or an error of a stated type whose message names the line of
this file it is about and what to do. No case fails inside generated code with a raw
TypeError or NameError, and no array passed in is changed."""
import copy
import linecache
import math
import os

import numpy as np
import pytest

import s2sad

from .frontend.test_errors import marked_line
from .numeric import numeric_directional, numeric_gradient

HERE = os.path.basename(__file__)


def def_line(fn):
    return fn.__code__.co_firstlineno


def assert_names(error, line, *phrases):
    """The message names this file and ``line``, and says each of ``phrases``."""
    message = str(error)
    assert f"{HERE}:{line}" in message, message
    for phrase in phrases:
        assert phrase in message, message


def same(a, b):
    """Equal values of equal types and dtypes (NaN equal to NaN)."""
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.dtype == b.dtype and a.shape == b.shape \
            and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    return type(a) is type(b) and (a == b or (a != a and b != b))


def call_unchanged(fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, asserting afterwards (also when it raises) that the
    arguments are as they were."""
    before = copy.deepcopy((args, kwargs))
    try:
        return fn(*args, **kwargs)
    finally:
        assert same(list(args), list(before[0])), "an argument was changed"
        assert all(same(kwargs[k], before[1][k]) for k in kwargs), "an argument was changed"


def check_grad(f, args, wrt=0, rtol=1e-6, atol=1e-7):
    """grad and jvp of ``f`` agree with finite differences; returns the gradient."""
    gradient = call_unchanged(s2sad.grad(f, wrt), *args)
    positions = wrt if isinstance(wrt, tuple) else (wrt,)
    parts = gradient if isinstance(wrt, tuple) else (gradient,)
    for position, part in zip(positions, parts):
        np.testing.assert_allclose(part, numeric_gradient(f, args, position), rtol, atol)
        direction = np.cos(np.arange(np.size(args[position])) + 1.0).reshape(
            np.shape(args[position]))
        direction = direction if np.ndim(args[position]) else float(direction)
        tangent = direction if not isinstance(wrt, tuple) else \
            tuple(direction if p == position else 0.0 * args[p] for p in positions)
        _, out = call_unchanged(s2sad.jvp(f, wrt), *args, tangent)
        np.testing.assert_allclose(out, numeric_directional(f, args, [position], [direction]),
                                   rtol, atol)
    return gradient


# =====================================================================================
# Functions without source, and functions from notebook cells
# =====================================================================================

@pytest.mark.parametrize("fn, x", [
    (math.sin, 0.7), (math.exp, -0.3), (abs, -2.0), (math.atan, 1.5),
    (np.sin, 0.4), (np.tanh, np.float64(0.25)),
    (np.sum, np.array([[1.0, 2.0], [3.0, 4.0]])), (np.linalg.norm, np.array([3.0, -4.0])),
], ids=lambda v: getattr(v, "__name__", None))
def test_builtins_and_c_functions_with_a_rule_are_differentiated(fn, x):
    check_grad(fn, (x,))


def test_a_ufunc_with_two_operands_is_differentiated_in_each():
    check_grad(np.arctan2, (0.3, -1.2), wrt=(0, 1))


@pytest.mark.parametrize("fn", [len, math.floor, print], ids=lambda f: f.__name__)
def test_builtins_without_a_derivative_say_so(fn):
    with pytest.raises(s2sad.SourceUnavailableError) as info:
        s2sad.grad(fn)(1.5)
    assert "no source to differentiate" in str(info.value)
    assert "register a derivative rule" in str(info.value)


def test_a_function_made_by_exec_without_source_is_a_clear_error():
    namespace = {}
    exec("def made(x):\n    return x * x\n", namespace)
    with pytest.raises(s2sad.SourceUnavailableError) as info:
        s2sad.grad(namespace["made"])(3.0)
    assert str(info.value).startswith("<string>:1: cannot read the source of made")
    assert "define it in a file (or a notebook cell)" in str(info.value)


def notebook_cell(source, number):
    """Run ``source`` as IPython runs a cell: compiled under a cell name registered in
    linecache. Returns the cell's namespace and its file name."""
    filename = f"<ipython-input-{number}-5f3a9c>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": np, "math": math}
    exec(compile(source, filename, "exec"), namespace)
    return namespace, filename


CELL = """\
def cell(x, w):
    s = 0.0
    for i in range(4):
        if s < 1.0:
            s = s + math.sin(w * x) * x
        else:
            s = s * 0.5
    return s + np.sum(w * x)
"""


def test_a_function_from_a_notebook_cell_is_differentiated():
    namespace, filename = notebook_cell(CELL, 3)
    cell = namespace["cell"]
    check_grad(cell, (0.8, 1.3), wrt=(0, 1))
    check_grad(cell, (0.2, -0.6), wrt=(0, 1))
    assert "for i in range(4):" in s2sad.source(cell, example=(0.8, 1.3))


def test_a_lambda_from_a_notebook_cell_is_differentiated():
    namespace, _ = notebook_cell("k = 3.0\nf = lambda x: k * x * x\n", 4)
    check_grad(namespace["f"], (0.5,))


def test_errors_in_a_notebook_cell_name_the_cell_and_line():
    namespace, filename = notebook_cell("def bad(x):\n    try:\n        return x\n"
                                        "    except ValueError:\n        return 0.0\n", 5)
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        s2sad.grad(namespace["bad"])(1.0)
    assert str(info.value).startswith(f"{filename}:2: a try statement is not supported")


def test_a_shape_error_in_a_notebook_cell_names_the_cell_line():
    namespace, filename = notebook_cell("def add(a, b):\n    c = a * 2.0\n"
                                        "    return np.sum(c + b)\n", 6)
    with pytest.raises(ValueError) as info:
        call_unchanged(s2sad.grad(namespace["add"]), np.ones(2), np.ones(3))
    assert str(info.value).startswith(f"{filename}:3: operands could not be broadcast")


# =====================================================================================
# Lambdas, recursion, generators
# =====================================================================================

square = lambda x: x * x * x  # noqa: E731
two_parameters = lambda x, y: math.sin(x) * y + x / y  # noqa: E731
split_over_lines = s2sad.grad(
    lambda v: np.sum(np.tanh(v) ** 2))
pair = (lambda x: 2 * x, lambda x: 3 * x)  # here


def test_a_lambda_is_differentiated():
    check_grad(square, (1.7,))
    check_grad(two_parameters, (0.4, 1.9), wrt=(0, 1))


def test_a_lambda_written_over_lines_is_differentiated():
    v = np.array([0.3, -1.2, 2.0])
    np.testing.assert_allclose(call_unchanged(split_over_lines, v),
                               numeric_gradient(lambda w: np.sum(np.tanh(w) ** 2), (v,), 0),
                               rtol=1e-6)


def test_derivatives_of_a_lambda_compose():
    assert s2sad.grad(s2sad.grad(square))(2.0) == pytest.approx(12.0)


def test_two_lambdas_on_one_line_with_the_same_parameters_are_a_clear_error():
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        s2sad.grad(pair[0])(1.0)
    assert_names(info.value, marked_line(pair[0]), "one of 2 lambdas",
                 "define the function with def")


def lambda_inside(x):
    double = lambda v: 2.0 * v  # here  # noqa: E731
    return double(x)


def recursive(x, n):
    if n == 0:
        return x
    return recursive(x * x, n - 1)  # here


def generator(x):
    for i in range(3):
        yield x * i  # here


def consumes_generator_expression(x, w):
    total = sum(math.sin(x * k) for k in range(1, 4))
    return total + sum(v * v for v in w) * x


def test_a_lambda_inside_the_function_is_a_clear_error():
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        s2sad.grad(lambda_inside)(1.0)
    assert_names(info.value, marked_line(lambda_inside), "lambda", "named function")


def test_recursion_is_a_clear_error():
    with pytest.raises(s2sad.DifferentiationError) as info:
        s2sad.grad(recursive)(1.1, 2)
    assert_names(info.value, marked_line(recursive), "calls itself",
                 "write the recursion as a loop")


def test_a_generator_function_is_a_clear_error():
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        s2sad.grad(generator)(1.0)
    assert_names(info.value, marked_line(generator), "yield", "return a list")


def test_a_generator_expression_consumed_inside_is_differentiated():
    check_grad(consumes_generator_expression, (0.6, np.array([0.5, -1.5, 2.0])), wrt=(0, 1))


# =====================================================================================
# Closures and globals that change between calls; writing them
# =====================================================================================

SCALE = 2.0
ACTIVATION = np.tanh


def scaled(x):
    return SCALE * ACTIVATION(x)


def make_closure(c):
    def f(x):
        return c * x * x

    def set_c(value):
        nonlocal c
        c = value
    return f, set_c


def test_a_rebound_closure_variable_is_seen_by_the_next_call():
    """A compiled derivative assumes the objects its free names named when it compiled;
    when one is rebound, the next call compiles again (never a stale result)."""
    f, set_c = make_closure(2.0)
    g = s2sad.grad(f)
    assert g(3.0) == pytest.approx(12.0)
    set_c(5.0)
    assert g(3.0) == pytest.approx(30.0)
    assert s2sad.jvp(f)(3.0, 1.0) == pytest.approx((45.0, 30.0))
    set_c(-1.0)
    assert s2sad.value_and_grad(f)(3.0) == pytest.approx((-9.0, -6.0))


def test_derivatives_of_derivatives_see_a_rebound_closure_variable():
    f, set_c = make_closure(2.0)
    second = s2sad.grad(s2sad.grad(f))
    product = s2sad.hvp(f)
    assert (second(3.0), product(3.0, 1.0)) == pytest.approx((4.0, 4.0))
    set_c(5.0)
    assert (second(3.0), product(3.0, 1.0)) == pytest.approx((10.0, 10.0))


def test_a_rebound_global_is_seen_by_the_next_call(monkeypatch):
    g = s2sad.grad(scaled)
    assert g(0.5) == pytest.approx(2.0 * (1 - math.tanh(0.5) ** 2))
    monkeypatch.setitem(globals(), "SCALE", 3.0)
    assert g(0.5) == pytest.approx(3.0 * (1 - math.tanh(0.5) ** 2))
    monkeypatch.setitem(globals(), "ACTIVATION", np.sin)  # a different rule now
    assert g(0.5) == pytest.approx(3.0 * math.cos(0.5))


def test_an_array_closed_over_and_changed_in_place_is_read_live():
    w = np.array([1.0, 2.0])

    def f(x):
        return np.sum(w * x)
    g = s2sad.grad(f)
    np.testing.assert_allclose(g(np.zeros(2)), [1.0, 2.0])
    w[:] = [4.0, -1.0]
    np.testing.assert_allclose(g(np.zeros(2)), [4.0, -1.0])


COUNTER = 0


def writes_global(x):
    global COUNTER
    COUNTER = COUNTER + 1  # here
    return x * x


def make_nonlocal_writer():
    total = 0.0

    def writes_nonlocal(x):
        nonlocal total
        total = total + x  # here
        return total * x
    return writes_nonlocal


@pytest.mark.parametrize("fn, name", [(writes_global, "global variable 'COUNTER'"),
                                      (make_nonlocal_writer(), "nonlocal variable 'total'")])
def test_assigning_global_and_nonlocal_variables_is_a_clear_error(fn, name):
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        s2sad.grad(fn)(1.0)
    assert_names(info.value, marked_line(fn), name, "return the new value")
    assert COUNTER == 0


# =====================================================================================
# Arguments of other dtypes
# =====================================================================================

def poly(x):
    return x * x * x - 2.0 * x


def array_poly(x):
    return np.sum(np.sin(x) * x + x * x)


def scaled_copy(x):
    y = np.zeros_like(x)  # an int array for int x, unless promoted
    y[0] = x[0] * 0.5
    return np.sum(y * x)


def test_python_ints_and_bools_are_differentiated_as_floats():
    for value in (3, -2, True, np.int64(4), np.bool_(False)):
        gradient = s2sad.grad(poly)(value)
        assert isinstance(gradient, float)
        assert gradient == s2sad.grad(poly)(float(value))
        value_out, tangent = s2sad.jvp(poly)(value, 1.0)
        assert (value_out, tangent) == s2sad.jvp(poly)(float(value), 1.0)


@pytest.mark.parametrize("x", [np.arange(-2, 3), np.array([3, 1], dtype=np.uint8),
                               np.array([True, False, True]), np.array([[1, 2], [3, 4]])],
                         ids=["int64", "uint8", "bool", "int64 2-d"])
@pytest.mark.parametrize("fn", [array_poly, scaled_copy])
def test_int_and_bool_arrays_are_differentiated_as_float_arrays(fn, x):
    gradient = call_unchanged(s2sad.grad(fn), x)
    assert gradient.dtype == np.float64 and gradient.shape == x.shape
    as_float = x.astype(float)
    np.testing.assert_allclose(gradient, numeric_gradient(fn, (as_float,), 0), rtol=1e-6,
                               atol=1e-8)
    _, tangent = call_unchanged(s2sad.jvp(fn), x, np.ones(x.shape))
    np.testing.assert_allclose(tangent, np.sum(gradient), rtol=1e-9)


def tuple_argument(p):
    a, b = p
    return a * b + b


def test_ints_inside_a_tuple_argument_are_promoted():
    gradient = call_unchanged(s2sad.grad(tuple_argument), (2, 3))
    assert gradient == (3.0, 3.0) and all(isinstance(g, float) for g in gradient)


def test_an_int_argument_not_differentiated_stays_an_int():
    def repeat(x, n):
        s = 0.0
        for i in range(n):
            s = s + x * i
        return s
    assert s2sad.grad(repeat)(2.0, 4) == pytest.approx(6.0)


@pytest.mark.parametrize("x, description", [
    (1.0 + 2.0j, "a complex"), (np.complex128(1.0), "a complex128"),
    (np.array([1.0 + 1.0j, 2.0]), "an array of dtype complex128"),
])
def test_complex_arguments_are_a_clear_error(x, description):
    for transform, extra in ((s2sad.grad, ()), (s2sad.jvp, (1.0,)), (s2sad.vjp, (1.0,))):
        with pytest.raises(s2sad.DifferentiationError) as info:
            call_unchanged(transform(poly), x, *extra)
        assert_names(info.value, def_line(poly), "argument 'x'", description,
                     "complex differentiation is not supported", "real and imaginary parts")
        assert isinstance(info.value, TypeError)


@pytest.mark.parametrize("x, description", [
    (np.array([1.0, 2.0], dtype=object), "dtype object"),
    (np.array(["1.0", "2.0"]), "dtype <U3"), ("1.0", "a str"),
])
def test_object_and_string_arguments_are_a_clear_error(x, description):
    with pytest.raises(s2sad.DifferentiationError) as info:
        call_unchanged(s2sad.grad(array_poly), x)
    assert_names(info.value, def_line(array_poly), "argument 'x'", description,
                 "np.asarray(x, dtype=float)")


def test_a_bad_element_of_a_tuple_argument_is_named():
    with pytest.raises(s2sad.DifferentiationError) as info:
        s2sad.grad(tuple_argument)((1.0, 2.0j))
    assert_names(info.value, def_line(tuple_argument), "argument 'p[1]'", "complex")


def test_a_function_with_a_complex_result_is_a_clear_error():
    def rotate(x):
        return x * 1j
    with pytest.raises(s2sad.DifferentiationError) as info:
        s2sad.grad(rotate)(1.0)
    assert_names(info.value, def_line(rotate), "returned a complex",
                 "does not differentiate complex functions")


# =====================================================================================
# NaN, inf, empty arrays
# =====================================================================================

def sin_times(x):
    return np.sum(np.sin(x) * x)


def loop_over(x):
    s = 0.0
    for v in x:
        s = s + v * v
    return s + np.sum(x)


def test_nan_and_inf_follow_ieee_arithmetic():
    with np.errstate(all="ignore"):
        for value in (math.nan, math.inf, -math.inf):
            assert same(s2sad.grad(poly)(value), 3.0 * value * value - 2.0)
            assert same(s2sad.jvp(poly)(value, 1.0)[1], 3.0 * value * value - 2.0)
        x = np.array([math.nan, math.inf, -math.inf, 0.5])
        expected = np.sin(x) + x * np.cos(x)
        assert same(call_unchanged(s2sad.grad(sin_times), x), expected)
        assert same(call_unchanged(s2sad.jvp(sin_times), x, np.ones(4))[1], np.sum(expected))


@pytest.mark.parametrize("shape", [(0,), (0, 3)])
@pytest.mark.parametrize("fn", [sin_times, array_poly, loop_over])
def test_empty_arrays_have_empty_gradients(fn, shape):
    x = np.zeros(shape)
    gradient = call_unchanged(s2sad.grad(fn), x)
    assert gradient.shape == shape and gradient.dtype == np.float64
    value, tangent = call_unchanged(s2sad.jvp(fn), x, np.zeros(shape))
    assert value == 0.0 and tangent == 0.0


# =====================================================================================
# Errors raised while the derivative runs
# =====================================================================================

def broadcast_sum(a, b):
    c = a * 2.0
    d = c + b  # here
    return np.sum(d * d)


def product(a, b):
    c = np.tanh(a)
    for i in range(2):
        c = c @ b  # here
    return np.sum(c)


def checked(x):
    if x < 0.0:
        raise ValueError("x must not be negative")  # here
    return math.sqrt(x)


def solved(a, b):
    return np.sum(np.linalg.solve(a, b))  # here


def test_a_shape_mismatch_names_the_users_line_and_keeps_its_type():
    a, b = np.ones(2), np.ones(3)
    for call in (lambda: s2sad.grad(broadcast_sum)(a, b),
                 lambda: s2sad.jvp(broadcast_sum)(a, b, np.ones(2)),
                 lambda: s2sad.grad(broadcast_sum, wrt=(0, 1))(a, b=b),
                 lambda: s2sad.hessian(broadcast_sum)(a, b)):
        with pytest.raises(ValueError) as info:
            call_unchanged(call)
        assert_names(info.value, marked_line(broadcast_sum), "could not be broadcast",
                     "derivative of broadcast_sum")
    assert np.array_equal(a, np.ones(2)) and np.array_equal(b, np.ones(3))


def test_an_error_inside_a_loop_names_its_line():
    with pytest.raises(ValueError) as info:
        call_unchanged(s2sad.grad(product), np.ones((2, 3)), np.ones((2, 3)))
    assert_names(info.value, marked_line(product), "matmul")


def test_an_error_the_function_raises_names_its_raise_statement():
    with pytest.raises(ValueError) as info:
        s2sad.grad(checked)(-1.0)
    assert_names(info.value, marked_line(checked), "x must not be negative")
    assert s2sad.grad(checked)(4.0) == pytest.approx(0.25)


def test_a_linear_algebra_error_is_still_a_linalg_error():
    with pytest.raises(np.linalg.LinAlgError) as info:
        call_unchanged(s2sad.grad(solved), np.zeros((2, 2)), np.ones(2))
    assert_names(info.value, marked_line(solved), "ingular")


def test_an_error_in_a_derivative_of_a_derivative_names_the_users_line():
    def inner(x):
        return math.log(x) * x  # here
    with pytest.raises(ValueError) as info:
        s2sad.grad(s2sad.grad(inner))(-1.0)
    assert_names(info.value, marked_line(inner), "math domain error")
    assert str(info.value).count(HERE) == 1


# =====================================================================================
# wrt, outputs, and calls with the wrong arguments
# =====================================================================================

def two(a, b):
    return a * b + a


@pytest.mark.parametrize("wrt, phrases", [
    ("c", ("has no parameter 'c'", "its parameters: a, b")),
    (2, ("no parameter at position 2",)), (-3, ("no parameter at position -3",)),
    (("a", "a"), ("names parameter 'a' of two() twice", "list each parameter once")),
    ((0, "a"), ("names parameter 'a' of two() twice",)),
    ((1, -1), ("names parameter 'b' of two() twice",)),
    (1.5, ("wrt must be a parameter position (int) or name (str)", "got 1.5")),
    (None, ("got None",)), (True, ("got True",)), ((0, 1.0), ("got 1.0",)),
])
def test_a_bad_wrt_is_a_clear_error(wrt, phrases):
    with pytest.raises(s2sad.DifferentiationError) as info:
        s2sad.grad(two, wrt=wrt)(1.0, 2.0)
    assert_names(info.value, def_line(two), *phrases)


def test_wrt_as_a_list_means_a_tuple():
    assert s2sad.grad(two, wrt=["b", 0])(2.0, 5.0) == s2sad.grad(two, wrt=("b", 0))(2.0, 5.0)
    assert s2sad.grad(two, wrt=["b", 0])(2.0, 5.0) == (2.0, 6.0)


def vector_valued(x):
    return x * 2.0


def returns_none(x):
    y = x * 2.0  # noqa: F841


def returns_text(x):
    return "x"


@pytest.mark.parametrize("fn, x, what", [
    (vector_valued, np.ones(3), "an array of shape (3,)"),
    (returns_none, 1.0, "a NoneType"), (returns_text, 1.0, "a str"),
])
def test_grad_of_a_non_scalar_output_is_a_clear_error(fn, x, what):
    for transform in (s2sad.grad, s2sad.value_and_grad):
        with pytest.raises(s2sad.DifferentiationError) as info:
            call_unchanged(transform(fn), x)
        assert_names(info.value, def_line(fn), f"returned {what}", "s2sad.vjp",
                     "s2sad.jacrev")


def test_a_size_one_array_output_is_a_scalar():
    gradient = s2sad.grad(lambda x: x[:1] * 3.0)(np.array([1.0, 2.0]))
    np.testing.assert_allclose(gradient, [3.0, 0.0])


@pytest.mark.parametrize("transform, args, phrase", [
    (s2sad.grad, (1.0,), "two() missing a required argument: 'b'"),
    (s2sad.grad, (1.0, 2.0, 3.0), "two() too many positional arguments"),
    (s2sad.value_and_grad, (1.0,), "two() missing a required argument: 'b'"),
    (s2sad.jvp, (1.0, 1.0), "two() missing a required argument: 'b'"),
    (s2sad.vjp, (1.0, 2.0, 3.0, 1.0), "two() too many positional arguments"),
    (s2sad.jvp, (), "jvp(two) needs two's arguments followed by the tangent"),
    (s2sad.vjp, (), "vjp(two) needs two's arguments followed by the seed"),
])
def test_calls_with_the_wrong_number_of_arguments_are_type_errors(transform, args, phrase):
    with pytest.raises(s2sad.ArgumentError) as info:
        transform(two)(*args)
    assert isinstance(info.value, TypeError) and isinstance(info.value, s2sad.DifferentiationError)
    assert_names(info.value, def_line(two), phrase)


def test_a_keyword_the_function_does_not_take_is_a_type_error():
    with pytest.raises(TypeError) as info:
        s2sad.grad(two)(1.0, 2.0, c=3.0)
    assert_names(info.value, def_line(two), "unexpected keyword argument 'c'")


def test_jvp_with_the_wrong_number_of_tangents_is_a_type_error():
    with pytest.raises(TypeError) as info:
        s2sad.jvp(two, wrt=(0, 1))(1.0, 2.0, (1.0,))
    assert_names(info.value, def_line(two), "needs a tuple of 2 tangents")


def mutates_argument(x):
    x[0] = x[0] * 2.0
    return np.sum(x * x)


def test_grad_of_a_function_that_writes_into_its_argument_leaves_the_array_alone():
    x = np.array([1.5, -0.5, 2.0])
    gradient = call_unchanged(s2sad.grad(mutates_argument), x)
    np.testing.assert_allclose(gradient, [12.0, -1.0, 4.0])
    np.testing.assert_allclose(gradient, numeric_gradient(mutates_argument, (x,), 0))


def test_jvp_of_a_function_that_writes_into_its_argument_leaves_the_array_alone():
    x = np.array([1.5, -0.5, 2.0])
    _, tangent = call_unchanged(s2sad.jvp(mutates_argument), x, np.ones(3))
    assert tangent == pytest.approx(15.0)
    product = call_unchanged(s2sad.hvp(mutates_argument), x, np.ones(3))
    np.testing.assert_allclose(product, [8.0, 2.0, 2.0])  # the Hessian is diag(8, 2, 2)
