"""Derivative rules: one table per library (``operators``, ``math_rules``,
``builtin_rules``, ``numpy_rules``, ``numpy_more``, ``numpy_shapes``, ``numpy_numeric``,
``linalg_rules``), held by the registry (see registry.py for how a rule is written)."""
from . import (builtin_rules, linalg_rules, math_rules, numpy_more,  # noqa: F401
               numpy_numeric, numpy_rules, numpy_shapes, operators, runtime_rules)
from . import helper_rules  # noqa: F401  (the rules of the helpers the tables call)
from .registry import (REGISTRY, Rule, attribute_key, is_pure_call, linear, lookup,
                       method_key, nondifferentiable, pure, reverse, tangent)
from .. import runtime as _runtime

pure(*(getattr(_runtime, name) for name in (
    "unbroadcast", "zeros_like", "save", "structure", "matmul_left", "matmul_right",
    "sum_adjoint", "expand", "reduced_extreme_adjoint", "moment_adjoint", "reshape_like",
    "split_adjoint", "unstack_adjoint", "transpose_adjoint", "clip_adjoint", "accumulate",
    "owned_copy", "snapshot", "broadcast_like", "unstack_like", "collapse", "sum_entries",
    "concat", "join", "like_dtype", "divide_or_zero", "clip_bound_adjoint", "dot_left", "dot_right",
    "numpy_float")))

__all__ = ["REGISTRY", "Rule", "attribute_key", "is_pure_call", "linear", "lookup",
           "method_key", "nondifferentiable", "pure", "reverse", "tangent"]
