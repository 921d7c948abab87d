"""Derivative rules of the runtime helpers that generated code calls, so that generated
code can be differentiated again (forward over reverse: Hessian-vector products)."""
from .. import runtime
from .registry import linear, nondifferentiable, tangent

nondifferentiable(runtime.zeros_like)

# Linear in the adjoint they take first (the other arguments give only shapes or masks).
linear(runtime.unbroadcast, runtime.expand, runtime.sum_adjoint,
       runtime.reduced_extreme_adjoint, runtime.reshape_like, runtime.split_adjoint,
       runtime.unstack_adjoint, runtime.transpose_adjoint, runtime.clip_adjoint,
       runtime.structure, runtime.owned_copy, runtime.save)
linear(runtime.matmul_left, operands=(0, 2))
linear(runtime.matmul_right, operands=(0, 1))
linear(runtime.moment_adjoint, operands=(0, 1))


@tangent(runtime.accumulate, operand=0)
@tangent(runtime.accumulate, operand=1)
def accumulate_tangent(d, y, a, b):
    return d


@tangent(runtime.add_at, operand=0)
def add_at_buffer_tangent(d, y, b, index, g):
    return d


@tangent(runtime.add_at, operand=2)
def add_at_value_tangent(d, y, b, index, g):
    return runtime.add_at(runtime.zeros_like(y), index, d)
