"""Rule templates as IR: takes a rule, gives its template lowered once by the frontend."""
from __future__ import annotations

from typing import Dict, Tuple

from ..ir import Function
from ..rules import Rule

_CACHE: Dict[Tuple[int, str], Function] = {}


def lowered_template(rule: Rule, operands: str) -> Function:
    """The IR of the template ``rule`` uses for these operands (lowered once, cached)."""
    from ..frontend import lower  # the frontend reads the template's source like any other

    template = rule.template_for(operands)
    key = (id(template), operands)
    if key not in _CACHE:
        _CACHE[key] = lower(template)
    return _CACHE[key]
