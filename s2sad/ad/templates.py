"""Rule templates as IR: takes a rule and the kind of its operands, gives its template
lowered once by the frontend.

For number operands, a template's NumPy calls become their ``math`` equivalents
(``np.cos`` -> ``math.cos``), so one template serves ``np.sin`` and ``math.sin`` and
scalar code never calls NumPy.
"""
from __future__ import annotations

import math
from typing import Callable, Dict, Sequence, Tuple

import numpy as np

from ..ir import Function, Global, Operand
from ..passes.kinds import SCALAR
from ..rules import Rule

_CACHE: Dict[Tuple[int, str], Function] = {}

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


def lowered_template(rule: Rule, operands: str) -> Function:
    """The IR of the template ``rule`` uses for these operands (lowered once, cached)."""
    from ..frontend import lower  # the frontend reads the template's source like any other

    template = rule.template_for(operands)
    key = (id(template), operands)
    if key not in _CACHE:
        func = lower(template)
        if operands == "scalar":
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
