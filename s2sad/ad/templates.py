"""Rule templates as IR: takes a rule and the kind of its operands, gives its template
lowered once by the frontend.

For number operands, the template of a ``math`` function (or any other that is not
NumPy's) has its NumPy calls made their ``math`` equivalents (``np.cos`` -> ``math.cos``),
so one template serves ``np.sin`` and ``math.sin`` and scalar code written with ``math``
never calls NumPy. The template of a NumPy function keeps NumPy's semantics on Python
floats, as the function itself does: its NumPy calls stay, and each division, power and
modulo takes a NumPy float (``numpy_float``), so where NumPy gives ±inf or NaN with a
RuntimeWarning (``np.log`` at 0, ``np.arccos`` at 1) the derivative does too, instead of
raising ZeroDivisionError or "math domain error".
"""
from __future__ import annotations

import inspect
import math
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .. import runtime
from ..errors import DifferentiationError
from ..ir import Builder, Function, Global, Op, Operand, Region, Value
from ..ir.inline import Mapping, bind
from ..ir.nodes import POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD, VAR_KEYWORD, VAR_POSITIONAL
from ..passes.kinds import SCALAR
from ..rules import REGISTRY, Rule

_CACHE: Dict[Tuple[int, str], Function] = {}
_ARITHMETIC = ("truediv", "floordiv", "mod", "pow")  # raise on Python floats, not NumPy's

NUMPY_TO_MATH = {
    np.sin: "sin", np.cos: "cos", np.tan: "tan", np.arcsin: "asin", np.arccos: "acos",
    np.arctan: "atan", np.sinh: "sinh", np.cosh: "cosh", np.tanh: "tanh", np.exp: "exp",
    np.expm1: "expm1", np.log: "log", np.log1p: "log1p", np.sqrt: "sqrt",
    np.log2: "log2", np.log10: "log10", np.arctan2: "atan2", np.hypot: "hypot",
}


def _scalar(ref: Global) -> Global:
    name = next((n for f, n in NUMPY_TO_MATH.items() if ref.obj is f), None)
    if name is None:
        return ref
    return Global(("math", name), getattr(math, name), "global", root_obj=math)


def is_numpy_rule(rule: Rule) -> bool:
    """Whether ``rule`` is that of a NumPy function (a ufunc, or a function of the numpy
    package): its derivative follows NumPy's semantics on numbers too."""
    if not (isinstance(rule.key, tuple) and rule.key[:1] == ("callable",)):
        return False
    obj = REGISTRY.keep_alive.get(rule.key[1])
    return isinstance(obj, np.ufunc) or \
        (getattr(obj, "__module__", None) or "").split(".")[0] == "numpy"


def _with_numpy_floats(region: Region) -> None:
    """Each division, power and modulo of ``region`` (and the regions within) computed on
    a NumPy float: its first operand (its second where the first is a literal) passes
    through ``numpy_float``."""
    for index in range(len(region.ops) - 1, -1, -1):
        op = region.ops[index]
        for inner in op.regions:
            _with_numpy_floats(inner)
        if op.opcode not in _ARITHMETIC or len(op.operands) != 2:
            continue
        side = 0 if isinstance(op.operands[0], Value) else 1
        if not isinstance(op.operands[side], Value):
            continue
        coerced = Value(op.operands[side].hint)
        region.ops.insert(index, Op("call", [Global(("numpy_float",), runtime.numpy_float,
                                                    "global"), op.operands[side]],
                                    [coerced], {"kwnames": ()}, (), op.loc))
        op.operands[side] = coerced


def lowered_template(rule: Rule, operands: str) -> Function:
    """The IR of the template ``rule`` uses for these operands (lowered once, cached)."""
    from ..frontend import lower  # the frontend reads the template's source like any other

    template = rule.template_for(operands)
    numpy = operands == "scalar" and is_numpy_rule(rule)
    key = (id(template), operands + ("/numpy" if numpy else ""))
    if key not in _CACHE:
        func = lower(template)
        if numpy:
            _with_numpy_floats(func.body)
        elif operands == "scalar":
            for op in func.walk():
                op.operands = [_scalar(o) if isinstance(o, Global) else o for o in op.operands]
        _CACHE[key] = func
    return _CACHE[key]


def operand_shape(rule: Rule, operands: Sequence[Operand], kinds: Sequence[str],
                  is_varied: Callable[[Operand], bool], matrix: bool = True) -> str:
    """Which of ``rule``'s templates fits these operands (see ``Rule.template_for``):
    ``"constant"`` when it has one for a constant among its first two operands and exactly
    one of them varies, else ``"scalar"`` (numbers only), ``"matrix"`` (2-D arrays only,
    where ``matrix``), or ``"any"``."""
    if rule.constant_template is not None and len(operands) >= 2 \
            and is_varied(operands[0]) != is_varied(operands[1]):
        return "constant"
    if all(k == SCALAR for k in kinds):
        return "scalar"
    return "matrix" if matrix and all(k == "array2" for k in kinds) else "any"


def lowered_tangent(template) -> Function:
    """The IR of a forward (tangent) template, lowered once."""
    from ..frontend import lower

    key = (id(template), "tangent")
    if key not in _CACHE:
        _CACHE[key] = lower(template)
    return _CACHE[key]


def _callee(op: Op) -> Tuple[str, Any]:
    """How the user wrote the callee of ``op`` (``np.einsum``, ``x.sum``) and the object,
    when known."""
    if op.opcode == "call" and isinstance(op.operands[0], Global):
        return op.operands[0].dotted, op.operands[0].obj
    if op.opcode == "method":  # (ndarray's methods show no exact signature)
        return "the method .%s()" % op.attrs.get("name", "?"), None
    return op.opcode, None


def _signature(obj: Any) -> Optional[inspect.Signature]:
    try:
        return inspect.signature(obj)
    except (TypeError, ValueError):
        return None


def _not_taken(template: Function, positional: Sequence[Operand],
               keywords: Dict[str, Operand], method: bool) -> List[str]:
    """What a call passes that the rule's template (after its ``g`` and ``y``) takes no
    parameter for, in words (a method's object is not counted as an argument)."""
    params = template.params[2:]
    kinds = [p.kind for p in params]
    named = {p.name for p in params if p.kind != POSITIONAL_ONLY}
    problems = []
    if VAR_POSITIONAL not in kinds:
        room = sum(k in (POSITIONAL_ONLY, POSITIONAL_OR_KEYWORD) for k in kinds) - method
        if len(positional) - method > room:
            problems.append("more than %d positional argument%s" % (room, "" if room == 1
                                                                     else "s"))
    if VAR_KEYWORD not in kinds:
        extra = [k for k in keywords if k not in named]
        if extra:
            problems.append("the argument%s %s" % ("" if len(extra) == 1 else "s",
                                                   ", ".join(k + "=" for k in extra)))
    return problems


def bind_rule(template: Function, op: Op, positional: Sequence[Operand],
              keywords: Dict[str, Operand], builder: Builder) -> Mapping:
    """``bind`` a call's operands to a rule template's parameters (after ``g`` and ``y``).
    A call the template cannot take is an error in the user's terms: the callee as
    written, and its own signature (NumPy's), never the template's parameters."""
    try:
        return bind(template, positional, keywords, builder, skip=2)
    except DifferentiationError as error:
        name, obj = _callee(op)
        signature = _signature(obj) if obj is not None else None
        shown = "%s%s" % (name, signature) if signature is not None else name
        accepted = True
        if signature is not None:
            try:
                signature.bind(*range(len(positional)), **{k: 0 for k in keywords})
            except TypeError:
                accepted = False
        if signature is not None and not accepted:
            message = "the call to %s does not match its signature %s" % (name, shown)
        else:
            problems = _not_taken(template, positional, keywords, op.opcode == "method") \
                or ["these arguments"]
            message = "s2sad differentiates %s without %s%s" % (
                name, " or ".join(problems),
                "" if signature is None else " (its signature: %s)" % shown)
        raise DifferentiationError(message, error.filename, error.lineno) from None
