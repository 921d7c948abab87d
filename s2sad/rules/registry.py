"""The rule registry: takes a primitive (an IR opcode, a callable, a method or attribute
name), gives its derivative rule.

A reverse rule is a *template*: a plain Python function whose body is the derivative math.
Its parameters are ``g`` (the adjoint of the result), ``y`` (the result), then the
primitive's own parameters, bound like a Python call (defaults included). It returns the
adjoint of the first parameter, or a tuple literal of the adjoints of the first k
parameters (``None`` where there is no derivative); every path returns the same shape. The compiler lowers the template once and inlines it, so the adjoint of
``y = math.sin(x)`` reads ``bx = by * math.cos(x)`` in generated code::

    @reverse(math.sin, kind="scalar")
    def sin(g, y, x):
        return g * math.cos(x)

``kind`` is what the primitive returns (``"scalar"``, ``"array"``, ``"same"`` as its
operands broadcast, ``"reduce"`` a number unless an axis is given), used to keep scalar
code free of array helpers. A template registered with ``scalar=True`` is used when every
operand is a number, one with ``matrix=True`` when every operand is a 2-D array, one with
``against_constant=True`` when one of the first two operands is a constant (does not
depend on what is differentiated) and the other is not: that is how a tie with a constant
goes to the constant, so ``np.maximum(z, 0.0)`` has derivative 0 at 0 (relu'(0) = 0).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Hashable, List, Optional, Tuple

Key = Hashable


@dataclass
class Rule:
    """How to differentiate one primitive."""

    key: Key
    template: Optional[Callable[..., Any]] = None    # None: not differentiable
    scalar_template: Optional[Callable[..., Any]] = None
    matrix_template: Optional[Callable[..., Any]] = None
    constant_template: Optional[Callable[..., Any]] = None  # one operand a constant
    kind: Optional[str] = None
    pure: bool = True
    # Forward mode, per operand position: the primitive is linear in these operands (its
    # tangent is the primitive applied to that operand's tangent), or has an explicit
    # tangent template, or is elementwise (the tangent comes from the reverse template).
    linear: Tuple[int, ...] = ()
    tangents: Dict[int, Callable[..., Any]] = field(default_factory=dict)
    elementwise: bool = False
    # Called when a function is compiled with the call's arguments as far as they are
    # known then (literals, globals; UNKNOWN for the rest): raises ValueError for a call
    # the rule cannot differentiate, which becomes an error naming the call's line.
    check: Optional[Callable[..., None]] = None

    @property
    def differentiable(self) -> bool:
        """Whether it has a derivative at all (in either mode)."""
        return self.has_reverse or bool(self.linear) or bool(self.tangents)

    @property
    def has_reverse(self) -> bool:
        return self.template is not None or self.scalar_template is not None

    def template_for(self, operands: str) -> Callable[..., Any]:
        """The template for operands that are all ``"scalar"``, all ``"matrix"`` (2-D
        arrays), anything else (``"any"``), or ``"constant"`` (one of the first two a
        constant, the other not)."""
        if operands == "constant" and self.constant_template is not None:
            return self.constant_template
        if operands == "scalar" and self.scalar_template is not None:
            return self.scalar_template
        if operands == "matrix" and self.matrix_template is not None:
            return self.matrix_template
        return self.template or self.scalar_template


class Registry:
    """Rules by key. Callables are keyed by identity, everything else by value."""

    def __init__(self) -> None:
        self.rules: Dict[Key, Rule] = {}
        self.keep_alive: Dict[int, Any] = {}

    @staticmethod
    def _key(key: Any) -> Key:
        if isinstance(key, (str, tuple)):
            return key
        return ("callable", id(key))

    def rule(self, key: Any) -> Rule:
        k = self._key(key)
        if k not in self.rules:
            self.rules[k] = Rule(k)
            if not isinstance(key, (str, tuple)):
                self.keep_alive[id(key)] = key
        return self.rules[k]

    def get(self, key: Any) -> Optional[Rule]:
        try:
            return self.rules.get(self._key(key))
        except TypeError:
            return None


REGISTRY = Registry()
_PURE: Dict[int, Any] = {}


def pure(*objs: Any) -> None:
    """Declare callables that have no effects (unused calls to them may be removed)."""
    for obj in objs:
        _PURE[id(obj)] = obj


def linear(*keys: Any, operands: Tuple[int, ...] = (0,), kind: Optional[str] = None,
           pure: bool = True) -> None:
    """Declare each key linear in these operand positions: its tangent (forward mode) is the
    primitive itself applied to that operand's tangent. Its other operands (shapes, axes,
    masks, indices) contribute no tangent."""
    for key in keys:
        rule = REGISTRY.rule(key)
        rule.linear = tuple(operands)
        rule.pure = pure
        if kind is not None:
            rule.kind = kind


def tangent(*keys: Any, operand: int = 0) -> Callable:
    """Register the decorated template as the forward rule of ``operand`` of each key. Its
    parameters are ``d`` (that operand's tangent), ``y`` (the result), then the primitive's
    parameters; it returns ``d``'s contribution to the tangent of the result."""
    def register(template: Callable[..., Any]) -> Callable[..., Any]:
        for key in keys:
            REGISTRY.rule(key).tangents[operand] = template
        return template
    return register


def reverse(*keys: Any, kind: Optional[str] = None, scalar: bool = False,
            matrix: bool = False, elementwise: bool = False,
            against_constant: bool = False) -> Callable:
    """Register the decorated template as the reverse rule of each key (``scalar``: only
    for number operands; ``matrix``: only for 2-D array operands; ``against_constant``:
    only when one of the first two operands is a constant and the other is not)."""
    def register(template: Callable[..., Any]) -> Callable[..., Any]:
        for key in keys:
            rule = REGISTRY.rule(key)
            if against_constant:
                rule.constant_template = template
            elif scalar:
                rule.scalar_template = template
            elif matrix:
                rule.matrix_template = template
            else:
                rule.template = template
            if kind is not None:
                rule.kind = kind
            rule.elementwise = rule.elementwise or elementwise or kind in ("same", "scalar")
        return template
    return register


class _Unknown:
    """An argument whose value is not known when the function is compiled."""

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


def checked(*keys: Any) -> Callable:
    """Register the decorated function as the compile-time check of each key's calls: it
    takes the call's arguments (``UNKNOWN`` where not known at compile time) and raises
    ValueError, with a message for the user, for a call it refuses."""
    def register(check: Callable[..., None]) -> Callable[..., None]:
        for key in keys:
            REGISTRY.rule(key).check = check
        return check
    return register


def nondifferentiable(*keys: Any, kind: Optional[str] = None, pure: bool = True) -> None:
    """Declare that each key has no derivative: its results carry no adjoint."""
    for key in keys:
        rule = REGISTRY.rule(key)
        rule.template = rule.scalar_template = None
        rule.pure = pure
        if kind is not None:
            rule.kind = kind


def lookup(key: Any) -> Optional[Rule]:
    """The rule registered for ``key`` (an opcode, a callable, ``("method", name)`` or
    ``("getattr", name)``), or None."""
    return REGISTRY.get(key)


def method_key(name: str) -> Tuple[str, str]:
    return ("method", name)


def attribute_key(name: str) -> Tuple[str, str]:
    return ("getattr", name)


def is_pure_call(obj: Any) -> bool:
    """Whether calling ``obj`` has no effects (it has a rule and is marked pure)."""
    if id(obj) in _PURE:
        return True
    rule = REGISTRY.get(obj)
    return rule is not None and rule.pure
