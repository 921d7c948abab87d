"""Users' own derivative rules, and stopping gradients.

A rule is written the way the built-in ones are (s2sad/rules/): a plain Python function
whose body is the derivative math, which the compiler inlines into generated code::

    @s2sad.register_reverse(softclip)
    def softclip_adjoint(g, y, x, limit=1.0):
        return g * (1.0 - (y / limit) ** 2)        # the adjoint of x

    @s2sad.register_forward(softclip)
    def softclip_tangent(dx, y, x, limit=1.0):
        return dx * (1.0 - (y / limit) ** 2)       # the tangent of y from x's

A reverse rule takes ``g`` (the adjoint of the result), ``y`` (the result), then the
function's parameters with their defaults, and returns the adjoint of the first
parameter, or a tuple of the adjoints of the first k (``None`` where there is none). A
forward rule takes the tangent of one operand (``operand=``, the first by default), ``y``
and the parameters, and returns that operand's contribution to the tangent of ``y``.
``register_linear(f)`` says ``f`` is linear in its first argument (its tangent is ``f``
of the tangent). ``nondifferentiable(f)`` says ``f`` has no derivative;
``stop_gradient(x)`` is ``x`` with no derivative flowing through it.

Rules apply wherever the function is called, in loops, branches, nested calls and
higher-order derivatives (write them with differentiable operations for those). A function
with a rule is used through its rule, not differentiated through its body.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Tuple

from .rules import registry


def _forget_compiled() -> None:
    """Rules changed: compile derivatives again on their next call."""
    from . import api
    from .ad import templates

    for transforms in list(api._TRANSFORMS.values()):
        for transform in transforms.values():
            if isinstance(transform, api.Derivative):
                transform.forget()
    templates._CACHE.clear()


def register_reverse(fn: Callable[..., Any], *, kind: Optional[str] = None) -> Callable:
    """Decorator: the decorated template is ``fn``'s reverse (adjoint) rule. ``kind``:
    "same" if ``fn`` works elementwise (forward mode can then reuse this rule)."""
    def register(template: Callable[..., Any]) -> Callable[..., Any]:
        registry.reverse(fn, kind=kind)(template)
        _forget_compiled()
        return template
    return register


def register_forward(fn: Callable[..., Any], operand: int = 0) -> Callable:
    """Decorator: the decorated template is ``fn``'s forward (tangent) rule for one
    operand position."""
    def register(template: Callable[..., Any]) -> Callable[..., Any]:
        registry.tangent(fn, operand=operand)(template)
        _forget_compiled()
        return template
    return register


def register_linear(fn: Callable[..., Any], operands: Tuple[int, ...] = (0,)) -> Callable:
    """Declare ``fn`` linear in these operand positions (forward mode applies ``fn`` to the
    tangent); returns ``fn``, so it also works as a decorator."""
    registry.linear(fn, operands=operands)
    _forget_compiled()
    return fn


def nondifferentiable(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Declare ``fn`` to have no derivative: its results carry none. Returns ``fn``, so it
    also works as a decorator."""
    registry.nondifferentiable(fn)
    _forget_compiled()
    return fn


def stop_gradient(x: Any) -> Any:
    """``x`` itself, with no derivative flowing through it."""
    return x


registry.nondifferentiable(stop_gradient)
