"""What the frontend reads is what runs: decorated functions are differentiated through
their wrappers, a file edited since it was imported is refused, deep expressions compile,
derivatives compile safely from several threads, a gradient has the type of its argument
(an array for a 0-d array) and transforms do not keep the functions they were given
alive. Values are compared with the plain function, central finite differences or
derivatives worked out by hand."""
import functools
import gc
import importlib.util
import linecache
import math
import sys
import textwrap
import threading
import weakref

import numpy as np
import pytest

import s2sad
from s2sad import api
from s2sad.frontend import limits

from .numeric import numeric_gradient

# -- decorators -------------------------------------------------------------------------


def doubled(fn):
    @functools.wraps(fn)
    def wrapper(x):
        return 2 * fn(x)
    return wrapper


def tripled(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return 3.0 * fn(*args, **kwargs)
    return wrapper


def passed_through(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)
    return wrapper


def shifted(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        value = fn(*args, **kwargs)
        return value + args[0]  # uses args itself: not a plain forwarding wrapper
    return wrapper


@doubled
def squared(x):
    return x ** 2 * 1.5


@tripled
def product(x, y, *, k=2.0):
    return x * y * k


@passed_through
@tripled
def wave(x, y=4.0):
    return math.sin(x) * y


@passed_through
def plain(x):
    return x * x * x


@shifted
def cubed(x):
    return x * x * x


@functools.lru_cache(maxsize=None)
def memoized(x):
    return x * x


class Shapes:
    @staticmethod
    @tripled
    def area(x):
        return x * x

    @classmethod
    @tripled
    def side(cls, x):
        return x * cls.factor

    factor = 5.0


def test_a_wraps_decorator_that_changes_the_result_is_differentiated():
    assert squared(2.0) == 12.0
    assert s2sad.grad(squared)(2.0) == 12.0  # d/dx 2 * 1.5 x^2 = 6x
    assert s2sad.value_and_grad(squared)(2.0) == (12.0, 12.0)
    assert s2sad.jvp(squared)(2.0, 0.5) == (12.0, 6.0)
    assert s2sad.vjp(squared)(2.0, 2.0) == (12.0, 24.0)
    assert s2sad.hessian(squared)(3.0) == pytest.approx(6.0)
    assert s2sad.grad(s2sad.grad(squared))(1.0) == pytest.approx(6.0)


def test_a_wrapper_passing_on_args_and_kwargs_takes_the_wrapped_parameters():
    assert s2sad.grad(product)(2.0, 5.0) == 30.0  # 3 * y * k
    assert s2sad.grad(product, wrt="y")(2.0, 5.0, k=3.0) == 18.0  # 3 * x * k
    value, (dx, dy) = s2sad.value_and_grad(product, wrt=(0, 1))(2.0, 5.0)
    assert (value, dx, dy) == (product(2.0, 5.0), 30.0, 12.0)
    value, tangent = s2sad.jvp(product)(2.0, 5.0, 1.0)
    assert (value, tangent) == (60.0, 30.0)


def test_stacked_wrappers_and_defaults():
    assert wave(0.5) == pytest.approx(3.0 * math.sin(0.5) * 4.0)
    assert s2sad.grad(wave)(0.5) == pytest.approx(3.0 * math.cos(0.5) * 4.0)
    assert s2sad.grad(wave, wrt=1)(0.5, 2.0) == pytest.approx(3.0 * math.sin(0.5))
    assert s2sad.grad(wave)(0.7, 2.0) == pytest.approx(numeric_gradient(wave, (0.7, 2.0), 0))


def test_a_wrapper_that_only_passes_its_arguments_on_is_skipped():
    assert "mul %0, %x" in s2sad.ir(plain) or "mul %x, %x" in s2sad.ir(plain)
    assert "@fn" not in s2sad.ir(plain)
    assert s2sad.grad(plain)(2.0) == 12.0


def test_a_wrapper_using_its_args_otherwise_is_read_as_written():
    assert cubed(2.0) == 10.0
    with pytest.raises(s2sad.DifferentiationError) as info:
        s2sad.grad(cubed)(2.0)  # never 12.0, the derivative of the function it wraps
    assert __file__ in str(info.value)


def test_decorated_static_and_class_methods():
    assert s2sad.grad(Shapes.area)(2.0) == 12.0  # 3 * 2x
    assert Shapes.side(2.0) == 30.0
    assert s2sad.grad(Shapes.side, wrt=1)(Shapes, 2.0) == 15.0  # 3 * 5


def test_a_wrapper_without_source_is_refused_at_the_definition():
    with pytest.raises(s2sad.DifferentiationError) as info:
        s2sad.grad(memoized)(2.0)
    message = str(info.value)
    line = memoized.__wrapped__.__code__.co_firstlineno
    assert message.startswith(f"{__file__}:{line}: ")
    assert "no source" in message and "memoized.__wrapped__" in message


def test_functools_wraps_after_a_transform_does_not_share_its_cache():
    def base(x):
        return x * x

    assert s2sad.grad(base)(3.0) == 6.0
    wrapped = doubled(base)  # copies base.__dict__, where base's transforms are kept
    assert s2sad.grad(wrapped) is not s2sad.grad(base)
    assert s2sad.grad(wrapped)(3.0) == 12.0
    assert s2sad.grad(base)(3.0) == 6.0


# -- source edited after import -----------------------------------------------------------


def load_module(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MODULE = textwrap.dedent("""\
    import math

    SCALE = 1.5


    def f(x):
        return x * x * 3.0


    def make(k):
        def inner(x):
            return k * x * x
        return inner


    g = lambda x: math.sin(x) * 2.0


    class Model:
        def loss(self, x):
            return x * x * SCALE
    """)


@pytest.mark.parametrize("edit", [
    ("return x * x * 3.0", "return x * x * 5.0"),       # a constant
    ("return x * x * 3.0", "return x + x * 3.0"),       # an operator
    ("import math\n", "import math\nimport cmath\n"),     # the function moved down
])
def test_a_function_whose_file_was_edited_is_refused(tmp_path, edit):
    path = tmp_path / "edited_math.py"
    path.write_text(MODULE)
    module = load_module(path, f"edited_math_{abs(hash(edit))}")
    path.write_text(MODULE.replace(*edit) + "\n# edited\n")
    for transform in (s2sad.grad, s2sad.jvp):
        with pytest.raises(s2sad.DifferentiationError) as info:
            transform(module.f)(2.0, *(() if transform is s2sad.grad else (1.0,)))
        message = str(info.value)
        assert message.startswith(f"{path}:6: "), message
        assert "changed since it was loaded" in message and "reload" in message
    assert module.f(2.0) == 12.0  # the code that runs is the old one


def test_a_module_edited_elsewhere_still_differentiates(tmp_path):
    path = tmp_path / "edited_below.py"
    path.write_text(MODULE)
    module = load_module(path, "edited_below")
    path.write_text(MODULE + "\n\ndef added(y):\n    return y - 1.0\n")
    assert s2sad.grad(module.f)(2.0) == 12.0
    assert s2sad.grad(module.make(2.0))(3.0) == 12.0
    assert s2sad.grad(module.g)(0.3) == pytest.approx(2.0 * math.cos(0.3))
    assert s2sad.grad(module.Model.loss, wrt=1)(module.Model(), 2.0) == 6.0


def test_a_lambda_nested_function_and_method_of_an_edited_file_are_refused(tmp_path):
    path = tmp_path / "edited_all.py"
    path.write_text(MODULE)
    module = load_module(path, "edited_all")
    path.write_text(MODULE.replace("2.0", "7.0").replace("k * x", "k + x")
                    .replace("SCALE\n", "SCALE * 2\n"))
    for fn, wrt, args in ((module.g, 0, (0.3,)), (module.make(2.0), 0, (3.0,)),
                          (module.Model.loss, 1, (module.Model(), 2.0))):
        with pytest.raises(s2sad.DifferentiationError, match="changed since it was loaded"):
            s2sad.grad(fn, wrt=wrt)(*args)


def test_a_notebook_cell_run_again_with_new_text_is_read_anew():
    filename = "<ipython-input-41-trust>"
    source = "def cell(x):\n    return 4.0 * x * x\n"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {}
    exec(compile(source, filename, "exec"), namespace)
    assert s2sad.grad(namespace["cell"])(1.0) == 8.0
    edited = source.replace("4.0", "9.0")  # the cell's text replaced, not run again
    linecache.cache[filename] = (len(edited), None, edited.splitlines(True), filename)
    with pytest.raises(s2sad.DifferentiationError, match="changed since it was loaded"):
        s2sad.grad(namespace["cell"], wrt="x")(1.0)


def asserting(x):
    assert x > 0.0, "x must be positive"
    return x * x * 2.0


def test_a_function_with_an_assert_in_a_test_module_differentiates():
    # pytest rewrote this module's asserts: the code that runs is not the text's own
    assert s2sad.grad(asserting)(3.0) == 12.0
    assert s2sad.jvp(asserting)(3.0, 1.0) == (18.0, 12.0)


# -- deep expressions -------------------------------------------------------------------


def from_text(body, name):
    filename = f"<trust {name}>"
    source = f"import math\n\n\ndef {name}(x):\n    return {body}\n"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {}
    exec(compile(source, filename, "exec"), namespace)
    return namespace[name], filename


def test_a_sum_of_2000_terms_in_one_expression():
    limit = sys.getrecursionlimit()
    f, _ = from_text(" + ".join(["x"] * 2000), "long_sum")
    assert s2sad.grad(f)(0.5) == 2000.0
    assert s2sad.value_and_grad(f)(0.25) == (500.0, 2000.0)
    assert s2sad.jvp(f)(0.5, 1.0) == (1000.0, 2000.0)
    assert sys.getrecursionlimit() == limit


def test_180_nested_calls_in_one_expression():
    depth = 180
    f, _ = from_text("math.sin(" * depth + "x" + ")" * depth, "nested_sines")
    for x in (0.3, 1.1):
        expected = numeric_gradient(f, (x,), 0)
        assert s2sad.grad(f)(x) == pytest.approx(expected, rel=1e-6, abs=1e-9)
        value, tangent = s2sad.jvp(f)(x, 1.0)
        assert value == f(x)
        assert tangent == pytest.approx(expected, rel=1e-6, abs=1e-9)
    chained = 1.0
    inner = 0.3
    for _ in range(depth):  # the chain rule by hand
        chained *= math.cos(inner)
        inner = math.sin(inner)
    assert s2sad.grad(f)(0.3) == pytest.approx(chained, rel=1e-12)


def test_an_expression_too_deep_is_an_error_at_the_function(monkeypatch):
    monkeypatch.setattr(limits, "RECURSION_LIMIT", 200)
    limit = sys.getrecursionlimit()
    f, filename = from_text(" + ".join(["x"] * 2000), "too_deep")
    with pytest.raises(s2sad.DifferentiationError) as info:
        s2sad.grad(f)(1.0)
    assert str(info.value).startswith(f"{filename}:4: ")
    assert "too deeply" in str(info.value)
    assert not isinstance(info.value, RecursionError)
    assert sys.getrecursionlimit() == limit


# -- threads ----------------------------------------------------------------------------


THREADED = "SCALE = 1.0\n\n" + "".join(
    f"def f{i}(x):\n    return SCALE * x * x + {i}.0 * x\n\n" for i in range(8))


def run_in_threads(count, work):
    barrier = threading.Barrier(count)
    errors = []
    results = [None] * count

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


def test_threads_compiling_at_once_each_follow_a_rebound_global(tmp_path):
    for round_ in range(4):
        path = tmp_path / f"threaded_{round_}.py"
        path.write_text(THREADED)
        module = load_module(path, f"threaded_{round_}")
        functions = [getattr(module, f"f{i}") for i in range(8)]
        # d/dx (SCALE x^2 + i x) = 2 SCALE x + i
        assert run_in_threads(8, lambda i: s2sad.grad(functions[i])(1.0)) == \
            [2.0 + i for i in range(8)]
        module.SCALE = 10.0  # every derivative assumed SCALE: each compiles again
        assert run_in_threads(8, lambda i: s2sad.grad(functions[i])(1.0)) == \
            [20.0 + i for i in range(8)]
        assert run_in_threads(8, lambda i: s2sad.jvp(functions[i])(2.0, 1.0)) == \
            [(40.0 + 2 * i, 40.0 + i) for i in range(8)]


def test_threads_calling_one_derivative_compile_it_once(monkeypatch):
    def loss(x, w):
        return np.sum(np.tanh(w * x) ** 2)

    compiles = []
    original = api.pipeline.compile_for_call

    def counting(*args, **kwargs):
        compiles.append(args[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(api.pipeline, "compile_for_call", counting)
    x = np.linspace(-1.0, 1.0, 5)
    w = 0.7
    expected = numeric_gradient(loss, (x, w), 0)
    gradient = s2sad.grad(loss)
    results = run_in_threads(8, lambda i: gradient(x, w))
    for result in results:
        np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-9)
    assert len(compiles) == 1
    results = run_in_threads(8, lambda i: s2sad.grad(loss)(x, w + 0.0))
    for result in results:
        np.testing.assert_allclose(result, expected, rtol=1e-6, atol=1e-9)
    assert len(compiles) == 1


# -- 0-d arrays -------------------------------------------------------------------------


def test_the_gradient_of_a_0d_array_is_a_0d_array():
    gradient = s2sad.grad(lambda a: a * a)(np.array(2.0))
    assert type(gradient) is np.ndarray and gradient.shape == () and gradient == 4.0
    value, gradient = s2sad.value_and_grad(lambda a: a * a * 3.0)(np.array(2.0))
    assert value == 12.0 and type(gradient) is np.ndarray and gradient.shape == ()
    assert gradient == 12.0
    value, cotangent = s2sad.vjp(lambda a: a * a)(np.array(3.0), 2.0)
    assert type(cotangent) is np.ndarray and cotangent.shape == () and cotangent == 12.0
    promoted = s2sad.grad(lambda a: a * a)(np.array(3))  # an int array: promoted
    assert type(promoted) is np.ndarray and promoted.dtype == np.float64 and promoted == 6.0


def test_a_0d_array_in_a_tuple_wrt_keeps_its_type():
    def f(a, b, c):
        return np.sum(a * b * c)

    ga, gb, gc = s2sad.grad(f, wrt=(0, 1, 2))(np.array(2.0), 3.0, np.ones(2))
    assert type(ga) is np.ndarray and ga.shape == () and ga == 6.0
    assert isinstance(gb, float) and gb == 4.0
    np.testing.assert_array_equal(gc, [6.0, 6.0])
    scalar = s2sad.grad(f)(2.0, 3.0, 1.0)
    assert isinstance(scalar, float) and not isinstance(scalar, np.ndarray) and scalar == 3.0


# -- what transforms keep alive ---------------------------------------------------------


def closure_over(array):
    def f(x):
        return np.sum(array * x * x)
    return f


@pytest.mark.parametrize("transform", [
    lambda f, x: s2sad.grad(f)(x),
    lambda f, x: s2sad.value_and_grad(f)(x),
    lambda f, x: s2sad.jvp(f)(x, 1.0),
    lambda f, x: s2sad.vjp(f)(x, 1.0),
    lambda f, x: s2sad.hvp(f)(x, 1.0),
    lambda f, x: s2sad.hessian(f)(x),
    lambda f, x: s2sad.jacfwd(f)(x),
    lambda f, x: s2sad.grad(s2sad.grad(f))(x),
], ids=["grad", "value_and_grad", "jvp", "vjp", "hvp", "hessian", "jacfwd", "grad2"])
def test_a_function_and_what_it_closes_over_are_freed(transform):
    array = np.ones(1000)
    f = closure_over(array)
    assert transform(f, 2.0) is not None
    function, data = weakref.ref(f), weakref.ref(array)
    del f, array
    gc.collect()
    assert function() is None and data() is None


def test_a_transform_kept_keeps_its_function():
    g = s2sad.grad(closure_over(np.full(3, 2.0)))
    gc.collect()
    assert g(1.5) == 18.0  # d/dx 6 x^2
    assert s2sad.grad(g.f) is g


def test_functions_given_as_arguments_are_not_all_kept():
    def loss(x, act):
        return act(x) * x

    gradient = s2sad.grad(loss)
    first = [lambda z: z * 2.0]
    kept = weakref.ref(first[0])
    assert gradient(3.0, first[0]) == 12.0
    del first
    for k in range(40):
        assert gradient(3.0, lambda z, k=k: z * float(k)) == 6.0 * k
    gc.collect()
    assert kept() is None
    assert len(gradient.compiled) <= api.Derivative.FUNCTION_KEYS + 1


# -- options ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["grad", "value_and_grad", "vjp", "jvp", "jacfwd",
                                  "jacrev", "hvp", "hessian"])
def test_every_transform_takes_optimize(name):
    def f(x):
        return x * x * x

    transform = getattr(s2sad, name)
    plain = transform(f)
    unoptimized = transform(f, optimize=False)
    decorated = transform(optimize=False)(f)
    args = (2.0, 1.0) if name in ("vjp", "jvp", "hvp") else (2.0,)
    for other in (unoptimized, decorated):
        assert np.allclose(np.asarray(other(*args), dtype=float),
                           np.asarray(plain(*args), dtype=float))
