"""Users' own rules (register_reverse, register_forward, register_linear,
nondifferentiable) and stop_gradient: used in loops, branches, nested calls and
higher-order derivatives; the example in examples/ runs."""
import math
import runpy
from pathlib import Path

import numpy as np
import pytest

import s2sad

ROOT = Path(__file__).resolve().parent.parent


def softclip(x, limit=1.0):
    """A smooth clip with a hand-written derivative rule (below)."""
    return limit * math.tanh(x / limit)


@s2sad.register_reverse(softclip)
def softclip_adjoint(g, y, x, limit=1.0):
    return g * (1.0 - (y / limit) ** 2)


@s2sad.register_forward(softclip)
def softclip_tangent(dx, y, x, limit=1.0):
    return dx * (1.0 - (y / limit) ** 2)


def uses_softclip(x, y):
    total = 0.0
    for i in range(4):
        if x > 0:
            total = total + softclip(x * y + i, limit=2.0)
        else:
            total = total - softclip(x - i)
    return helper(total) * y


def helper(t):
    return softclip(t) + t * t


def fd(f, args, i, eps=1e-6):
    plus, minus = list(args), list(args)
    plus[i] += eps
    minus[i] -= eps
    return (f(*plus) - f(*minus)) / (2 * eps)


@pytest.mark.parametrize("args", [(0.7, 1.3), (-0.4, 0.9)])
def test_registered_rule_in_loops_branches_and_nested_calls(args):
    gx, gy = s2sad.grad(uses_softclip, wrt=(0, 1))(*args)
    assert gx == pytest.approx(fd(uses_softclip, args, 0), rel=1e-6)
    assert gy == pytest.approx(fd(uses_softclip, args, 1), rel=1e-6)
    _, tangent = s2sad.jvp(uses_softclip, wrt=(0, 1))(*args, (1.0, 0.0))
    assert tangent == pytest.approx(gx, rel=1e-10)


def test_the_rule_is_used_not_the_body():
    source = s2sad.source(uses_softclip, wrt=(0, 1), example=(0.7, 1.3))
    assert "softclip(" in source and "math.tanh" not in source.split("adjoint of")[1]


def test_higher_order_through_a_registered_rule():
    def second(x):
        return (fd(lambda v: s2sad.grad(uses_softclip)(v, 1.3), (x,), 0))
    h = s2sad.hvp(uses_softclip)(0.7, 1.3, 1.0)
    assert h == pytest.approx(second(0.7), rel=1e-5)


def staircase(x):
    return math.floor(x * 3.0)


s2sad.nondifferentiable(staircase)


def uses_staircase(x):
    return x * staircase(x) + s2sad.stop_gradient(x * x)


def test_nondifferentiable_and_stop_gradient_carry_no_derivative():
    assert s2sad.grad(uses_staircase)(0.7) == pytest.approx(staircase(0.7))
    assert s2sad.jvp(uses_staircase)(0.7, 1.0)[1] == pytest.approx(staircase(0.7))
    source = s2sad.source(uses_staircase, example=(0.7,))
    assert "staircase(" in source


@s2sad.register_linear
def double_rows(a):
    return np.concatenate([a, a])


@s2sad.register_reverse(double_rows)
def double_rows_adjoint(g, y, a):
    half = len(a)
    return g[:half] + g[half:]


def uses_double_rows(a):
    return np.sum(np.sin(double_rows(a * 2.0)))


def test_linear_declaration_gives_forward_mode():
    a = np.array([0.3, -0.5, 1.1])
    grad = s2sad.grad(uses_double_rows)(a)
    assert np.allclose(grad, 4.0 * np.cos(2.0 * a))
    v = np.array([1.0, 0.5, -2.0])
    assert s2sad.jvp(uses_double_rows)(a, v)[1] == pytest.approx(grad @ v)


def uses_opaque_c_function(x):
    return math.gamma(x) + np.sum(np.frexp(x)[0])  # np.frexp has no rule


def test_a_callable_with_no_rule_names_the_line_and_the_fix():
    with pytest.raises(s2sad.DifferentiationError) as info:
        s2sad.grad(uses_opaque_c_function)(0.7)
    message = str(info.value)
    assert "test_custom_rules.py:" in message and "'np.frexp'" in message
    assert "s2sad.register_reverse" in message and "s2sad.nondifferentiable" in message


def scaled(x):
    return x * 3.0


def uses_scaled(x):
    return scaled(x) + 1.0


def scaled_by_thirty(g, y, x):
    return g * 30.0


def test_registering_a_rule_recompiles_existing_derivatives():
    g = s2sad.grad(uses_scaled)
    assert g(2.0) == pytest.approx(3.0)  # differentiated through scaled's body
    s2sad.register_reverse(scaled)(scaled_by_thirty)
    assert g(2.0) == pytest.approx(30.0)  # now through the rule


def test_custom_rule_example_runs():
    namespace = runpy.run_path(str(ROOT / "examples" / "custom_rule.py"))
    grad, expected = namespace["main"]()
    assert np.allclose(grad, expected)
