"""Generated code never confuses its own names with the user's: programs whose parameters
and variables are named like adjoints (``bx``), tangents (``dx``), the seed, tapes, loop
counters, temporaries (``t``, ``t_1``, ``_``), suffixed names (``x_1``), shadowed modules
(``np``, ``math``) and the runtime helpers generated code calls. Each is differentiated in
reverse and forward mode, against central finite differences, and its generated source
compiles. Loops and branches make the programs use tapes."""
import importlib
import inspect
import linecache
import math
import pkgutil

import numpy
import numpy as onp
import pytest

import s2sad
import s2sad.rules

from .numeric import numeric_directional, numeric_gradient


def adjoint_names(x, bx, dx, by):
    seed = x * bx
    value = seed + dx
    tape = 0.0
    for count in range(3):
        if value > by:
            tape = tape + math.sin(value) * seed
        else:
            tape = tape - value * dx
        value = value * 0.9 + tape * 0.1
    return tape + value


def seed_and_value(seed, value, x):
    count = 0.0
    while count < 3.0:
        if seed * x > value:
            x = x * seed - value
        else:
            x = x + value * 0.5
        count = count + 1.0
    return x * seed


def temporaries(x, t, t_1):
    _ = x * t
    s = 0.0
    for _i in range(4):
        if _ > 0.0:
            s = s + _ * t_1
        else:
            s = s - _
        _ = _ * 0.5 + x
    return s


def np_parameter(x, np):
    y = x * np
    for i in range(3):
        y = onp.sin(y) + np
    return y


def np_local(x):
    np = 3.0
    s = onp.zeros(3)
    for i in range(3):
        s = s + onp.sin(x * np)
        np = np * 0.5
    return onp.sum(s)


def math_parameter(x, math):
    y = x
    for i in range(3):
        if y > math:
            y = y * math
        else:
            y = y + math * y
    return y


def helper_parameters(x, unbroadcast, zeros_like, s2sad):
    y = x * unbroadcast
    for i in range(3):
        y = numpy.tanh(y * zeros_like) + s2sad * y
    return numpy.sum(y)


def suffixed(x, x_1, bx_1):
    x_2 = x * x_1
    for i in range(3):
        if x_2 > bx_1:
            x_2 = x_2 * 0.5 + x
        else:
            x_2 = x_2 + x_1 * x
    bx = x_2 * bx_1
    return bx + x_1


W0 = onp.array([0.5, -1.5])


def default_names(x, w=W0, w_default=0.25):
    s = onp.sum(w * x)
    for i in range(2):
        s = s * w_default + onp.sum(onp.tanh(w * x))
    return s


def in_cell(source, number):
    """Run ``source`` the way a notebook runs a cell, in a namespace of its own."""
    filename = f"<ipython-input-{number}-e1c0de>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {"np": math}  # ``np`` here is the math module, not numpy
    exec(compile(source, filename, "exec"), namespace)
    return namespace


math_helper = in_cell("def math_helper(x):\n    return np.sin(x) * np.exp(-x)\n",
                      90)["math_helper"]
np = numpy  # this module's ``np`` and math_helper's are different objects


def two_modules_named_np(x):
    s = 0.0
    for i in range(2):
        s = s + math_helper(x) + np.cos(s * x)
    return s


def np_parameter_and_a_callee_using_np(x, np):
    if x > 0.0:
        return math_helper(x) * np
    return math_helper(-x) - np


CASES = [
    (adjoint_names, (0.7, 1.3, 0.2, 0.5)), (adjoint_names, (0.7, 1.3, 0.2, 5.0)),
    (seed_and_value, (1.1, 0.4, 0.3)), (seed_and_value, (0.2, 0.9, 1.5)),
    (temporaries, (0.7, 1.3, 0.2)), (temporaries, (-0.7, 1.3, 0.2)),
    (np_parameter, (0.7, 1.3)), (np_local, (0.7,)),
    (math_parameter, (0.7, 1.3)), (math_parameter, (1.7, 0.6)),
    (helper_parameters, (onp.array([0.3, -0.4]), 1.3, 0.7, 0.4)),
    (suffixed, (0.7, 1.3, 0.2)), (suffixed, (0.7, 1.3, 5.0)),
    (default_names, (onp.array([0.2, 0.9]), onp.array([1.5, -0.5]), 0.3)),
    (two_modules_named_np, (0.6,)),
    (np_parameter_and_a_callee_using_np, (0.6, 1.7)),
    (np_parameter_and_a_callee_using_np, (-0.6, 1.7)),
]


def check_both_modes(fn, args):
    """grad and jvp in every argument agree with finite differences; the generated
    sources compile."""
    wrt = tuple(range(len(args)))
    gradients = s2sad.grad(fn, wrt=wrt)(*args)
    directions = [onp.cos(onp.arange(onp.size(a)) + k + 1.0).reshape(onp.shape(a))
                  if onp.ndim(a) else math.cos(k + 1.0) for k, a in enumerate(args)]
    for position, gradient in zip(wrt, gradients):
        onp.testing.assert_allclose(gradient, numeric_gradient(fn, args, position),
                                    rtol=1e-6, atol=1e-8)
    _, tangent = s2sad.jvp(fn, wrt=wrt)(*args, tuple(directions))
    onp.testing.assert_allclose(tangent, numeric_directional(fn, args, wrt, directions),
                                rtol=1e-6, atol=1e-8)
    for mode in ("reverse", "forward"):
        compile(s2sad.source(fn, mode=mode, wrt=wrt, example=args), "<generated>", "exec")


@pytest.mark.parametrize("fn, args", CASES, ids=[f"{c[0].__name__}-{i}"
                                                for i, c in enumerate(CASES)])
def test_user_names_never_collide_with_generated_ones(fn, args):
    check_both_modes(fn, args)


def runtime_helper_names():
    """Every function generated code may call: the runtime's and the rules' helpers."""
    modules = [s2sad.runtime] + [
        importlib.import_module(f"s2sad.rules.{info.name}")
        for info in pkgutil.iter_modules(s2sad.rules.__path__) if "runtime" in info.name]
    return sorted({name for module in modules for name, obj in vars(module).items()
                   if inspect.isfunction(obj) and obj.__module__ == module.__name__
                   and not name.startswith("_")})


HELPER_PROGRAM = """\
def uses_{name}(x, {name}):
    y = x * {name}
    for i in range(3):
        if np.sum(y) > 0.0:
            y = np.tanh(y * {name}) + y
        else:
            y = y - {name} * np.sin(y)
    {name}_1 = np.sum(y * y)
    return {name}_1 * {name}
"""


@pytest.mark.parametrize("name", runtime_helper_names())
def test_a_parameter_named_like_a_runtime_helper(name):
    fn = in_cell(HELPER_PROGRAM.format(name=name), f"helper-{name}")
    fn["np"] = numpy
    check_both_modes(fn[f"uses_{name}"], (onp.array([0.4, -0.3, 0.8]), 0.9))
    check_both_modes(fn[f"uses_{name}"], (onp.array([-0.4, -0.3, 0.1]), 1.2))


def test_there_are_helpers_to_check():
    assert {"unbroadcast", "zeros_like", "expand", "like_dtype"} <= set(runtime_helper_names())
