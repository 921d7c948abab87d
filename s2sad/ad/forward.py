"""Forward mode: takes a Function and the parameters to differentiate, gives (in place) a
Function that takes a tangent ``d<name>`` for each of them and returns ``(value,
tangent)``, the Jacobian-vector product.

Each active op is followed by its tangent (the dual-number rule), so tangents travel with
the primal values and no tape is needed. Branches yield their results' tangents as extra
results; loops carry tangents as extra carried values.

A primitive's tangent is the sum, over its active operands, of that operand's
contribution, from its rule: the primitive applied to the operand's tangent where it is
linear (``np.sum``, ``@``, ``x.T``, a list's ``pop``), an explicit tangent template, or,
for elementwise primitives, the reverse template read forwards (``g`` := the tangent,
without undoing broadcasting).
"""
from __future__ import annotations

import inspect
from typing import Any, Dict, List, Optional

from ..ir import Builder, Const, Function, Global, Op, Operand, Param, Region, Value
from ..ir.inline import bind, inline, split_call
from ..ir.nodes import KEYWORD_ONLY
from ..ir.printer import shown_path
from ..passes.dce import eliminate_dead_code
from ..passes.effects import Effects
from ..passes.kinds import SCALAR, Kinds, is_array
from ..passes.shapes import remove_redundant_broadcasts
from ..passes.simplify import eliminate_common_subexpressions, simplify
from .. import runtime
from .activity import Activity, callee_rule
from .reverse import define_everywhere, helper, no_rule_error, zero_like
from .templates import bind_rule, lowered_template, lowered_tangent, operand_shape

_STRUCTURAL_COPIES = ("copy",)


class ForwardMode:
    """Builds the tangent program of one function. Use :func:`forward_mode`."""

    def __init__(self, func: Function, wrt: List[int], param_kinds: Dict[Value, str],
                 as_tuple: bool = False, keep_value: bool = True):
        self.keep_value = keep_value  # False: return the tangent alone (the value is dead)
        self.func = func
        self.wrt = wrt
        self.as_tuple = as_tuple
        self.activity = Activity(func, wrt)
        self.kinds = Kinds(func, param_kinds)
        define_everywhere(func)
        self.builder = Builder(func.loc)
        self.tan: Dict[Value, Operand] = {}
        self.broadcasts = False  # whether the op's contributions undid a broadcast
        self.containers: set = set()  # tuples and lists built from values with tangents

    def kind(self, operand: Operand) -> str:
        return self.kinds(operand)

    def varied(self, operand: object) -> bool:
        """Whether ``operand`` needs a tangent: it varies with the inputs and reaches the
        output."""
        return self.activity.active(operand)

    def zero(self, value: Operand) -> Operand:
        return zero_like(self.builder, self.kind(value), value)

    def tangent_of(self, operand: Operand) -> Optional[Operand]:
        return self.tan.get(operand) if isinstance(operand, Value) else None

    def dense(self, operand: Operand) -> Operand:
        """The tangent of ``operand``, a zero when it has none."""
        found = self.tangent_of(operand)
        return found if found is not None else self.zero(operand)

    def set_tangent(self, value: Value, tangent: Operand) -> None:
        if isinstance(tangent, Value) and not tangent.hint and value.hint:
            tangent.hint = "d" + value.hint
        self.tan[value] = tangent

    # -- the function -----------------------------------------------------------------
    def run(self) -> Function:
        func = self.func
        taken = {p.name for p in func.params}
        names = []
        for index in self.wrt:
            param = func.params[index]
            name = "d" + param.name
            while name in taken:
                name += "_"
            taken.add(name)
            names.append(name)
            value = Value(name)
            func.params.append(Param(name, KEYWORD_ONLY, value))
            func.body.args.append(value)
            self.tan[param.value] = value
        ret = func.body.ops[-1]
        self.region(func.body)
        result = ret.operands[0]
        with self.builder.region(func.body), self.builder.at(ret.loc):
            func.body.ops.pop()
            if isinstance(result, Value) and not result.hint:
                result.hint = "value"
            tangent = self.dense(result)
            if self.tangent_of(result) is None and not (self.kind(result) == SCALAR
                                                        or is_array(self.kind(result))):
                tangent = self.builder.value("call", [helper("structure"), tangent, result],
                                             attrs={"kwnames": ()})
            elif self.tangent_of(result) is not None and is_array(self.kind(result)):
                # float32 in, float32 out (a Python float's tangent would make it float64)
                tangent = self.builder.value("call", [helper("like_dtype"), tangent, result],
                                             attrs={"kwnames": ()})
            output = self.builder.value("tuple", [result, tangent]) if self.keep_value \
                else tangent
            self.builder.terminate("return", [output])
        params = {p.value: self.kind(p.value) for p in func.params}
        params.update({v: self.kind(p.value) for p, v in
                       zip([func.params[i] for i in self.wrt], func.body.args[-len(self.wrt):])})
        floats = [func.params[i].value for i in self.wrt] + \
            list(func.body.args[-len(self.wrt):])  # the arguments (promoted), tangents
        simplify(func, Effects(func, Kinds(func, params, dict(self.kinds.kinds))), floats)
        shaped_like = {t: v for v, t in self.tan.items() if isinstance(t, Value)}
        kinds = Kinds(func, params, dict(self.kinds.kinds))
        remove_redundant_broadcasts(func, kinds, shaped_like)
        effects = Effects(func, kinds)
        # Whether every value carrying a tangent is a number: then each tangent op is
        # elementwise, and tangents may be arrays of directions (jacfwd's vector mode).
        func.scalar_only = all(self.kind(v) == SCALAR or v in self.containers
                               for v in self.tan)
        simplify(func, effects, floats)
        eliminate_common_subexpressions(func, effects)
        eliminate_dead_code(func, effects)
        where = f"{shown_path(func.loc.filename)}:{func.loc.line}"
        func.header = [f"Forward mode of {func.qualname} ({where}).",
                       f"Takes the tangent {', '.join(names)} of "
                       f"{', '.join(func.params[i].name for i in self.wrt)}; returns "
                       + (f"(value, dvalue): what {func.name} returns and its tangent."
                          if self.keep_value else f"the tangent of what {func.name} returns.")]
        return func

    # -- regions ----------------------------------------------------------------------
    def region(self, region: Region) -> None:
        """Rewrite ``region`` in place: every op followed by its tangent."""
        ops, region.ops = region.ops, []
        with self.builder.region(region):
            for op in ops:
                if op.opcode in ("yield", "return"):
                    region.ops.append(op)
                    continue
                with self.builder.at(op.loc):
                    if op.opcode == "if":
                        self.if_(op)
                    elif op.opcode in ("for", "while"):
                        self.loop(op)
                    else:
                        region.ops.append(op)
                        self.op(op)

    def if_(self, op: Op) -> None:
        for region in op.regions:
            self.region(region)
        varied = [k for k, r in enumerate(op.results) if self.varied(r)]
        for region in op.regions:
            self.yield_tangents(region, varied, len(op.results))
        self.append_with_tangents(op, varied)

    def yield_tangents(self, region: Region, varied: List[int], at: int) -> None:
        """Yield the tangents of the values ``region`` yields at ``varied`` positions,
        inserted at position ``at`` (before a loop's exit flag)."""
        with self.builder.region(region):
            last = region.ops.pop()
            last.operands[at:at] = [self.dense(last.operands[k]) for k in varied]
            region.ops.append(last)

    def append_with_tangents(self, op: Op, varied: List[int]) -> None:
        """Append a control-flow op whose results at ``varied`` gain tangent results."""
        tangents = [Value() for _ in varied]
        op.results.extend(tangents)
        self.builder.current.ops.append(op)
        for k, t in zip(varied, tangents):
            self.set_tangent(op.results[k], t)

    def loop(self, op: Op) -> None:
        n = len(op.results)
        code = op.opcode
        offset = op.attrs["ntargets"] if code == "for" else 0
        body = op.regions[-1]
        varied = [k for k in range(n) if self.varied(op.results[k])
                  or self.varied(body.args[offset + k])]
        inits = op.operands[1:] if code == "for" else op.operands
        starts = [self.dense(inits[k]) for k in varied]
        for region in op.regions:
            base = offset if region is body else 0
            new_args = [Value("d" + region.args[base + k].hint) for k in varied]
            for k, arg in zip(varied, new_args):
                self.set_tangent(region.args[base + k], arg)
            region.args.extend(new_args)
        for region in op.regions:
            self.region(region)
        self.yield_tangents(body, varied, n)
        op.operands.extend(starts)
        self.append_with_tangents(op, varied)

    # -- one op -----------------------------------------------------------------------
    def op(self, op: Op) -> None:
        if not any(self.tangent_of(o) is not None for o in op.operands):
            return
        code = op.opcode
        if code in ("assert", "raise") or not op.results:
            return
        if code in _STRUCTURAL_COPIES:
            return self.set_tangent(op.result, self.tan[op.operands[0]])
        if code in ("tuple", "list"):
            if all(self.kind(o) == SCALAR for o in op.operands):
                self.containers.add(op.result)
            return self.set_tangent(op.result, self.builder.value(
                code, [self.dense(o) for o in op.operands]))
        if code == "dict":
            parts: List[Operand] = []
            for key, value in zip(op.operands[0::2], op.operands[1::2]):
                parts += [key, self.dense(value)]
            return self.set_tangent(op.result, self.builder.value("dict", parts))
        if code == "unpack":
            parts_op = self.builder.op("unpack", [self.dense(op.operands[0])], len(op.results),
                                       attrs=dict(op.attrs))
            for result, part in zip(op.results, parts_op.results):
                self.set_tangent(result, part)
            return
        if code == "getitem":
            if self.tangent_of(op.operands[0]) is not None:
                self.set_tangent(op.result, self.builder.value(
                    "getitem", [self.tan[op.operands[0]], op.operands[1]]))
            return
        if code == "setitem":
            container, index, value = op.operands
            buffer = self.builder.value("call", [helper("owned_copy"), self.dense(container)],
                                        attrs={"kwnames": ()})
            return self.set_tangent(op.result, self.builder.value(
                "setitem", [buffer, index, self.dense(value)]))
        if code == "pop":
            popped = self.builder.op("pop", [self.dense(op.operands[0])], 2)
            for result, part in zip(op.results, popped.results):
                self.set_tangent(result, part)
            return
        if code == "append":
            items, value = op.operands
            return self.set_tangent(op.result, self.builder.value(
                "append", [self.dense(items), self.dense(value)]))
        if not self.varied(op.results[0]):
            return
        self.primitive(op)

    def primitive(self, op: Op) -> None:
        rule = callee_rule(op)
        if rule is None:
            raise no_rule_error(op)
        if op.opcode in ("call", "method"):
            positional, keywords = split_call(op, 1)
            if op.opcode == "method":
                positional = [op.operands[0]] + positional
        else:
            positional, keywords = list(op.operands), {}
        contributions: List[Operand] = []
        for position, operand in enumerate(positional + list(keywords.values())):
            d = self.tangent_of(operand)
            if d is None:
                continue
            parameter = parameter_index(rule, position, positional, keywords)
            contribution = self.contribution(op, rule, positional, keywords, position,
                                             parameter, d)
            if contribution is not None:
                contributions.append(contribution)
        if not contributions:
            return
        total = contributions[0]
        for c in contributions[1:]:
            total = self.sum(op.results[0], total, c)
        if self.broadcasts and self.kind(op.results[0]) != SCALAR:
            # An operand broadcast into the result: its tangent must take the result's shape
            # (one check on the sum; free when the shapes already match).
            total = self.builder.value("call", [helper("broadcast_like"), total, op.results[0]],
                                       attrs={"kwnames": ()})
        self.broadcasts = False
        self.set_tangent(op.results[0], total)

    def sum(self, value: Value, a: Operand, b: Operand) -> Operand:
        """Two tangents of ``value`` added: elementwise through lists, tuples and dicts."""
        if self.kind(value) == SCALAR or is_array(self.kind(value)):
            return self.builder.value("add", [a, b])
        return self.builder.value("call", [helper("accumulate"), a, b], attrs={"kwnames": ()})

    def contribution(self, op: Op, rule, positional: List[Operand], keywords: Dict[str, Operand],
                     position: int, parameter: int, d: Operand) -> Optional[Operand]:
        """The tangent of ``op``'s result due to the tangent ``d`` of one operand (the
        ``position``-th of the call, bound to the primitive's ``parameter``-th parameter)."""
        if parameter in rule.linear:
            return self.apply_to_tangent(op, position, d)
        if parameter in rule.tangents:
            template = lowered_tangent(rule.tangents[parameter])
            mapping = bind_rule(template, op, positional, keywords, self.builder)
            mapping[template.params[0].value] = d
            mapping[template.params[1].value] = op.results[0]
            return inline(template, mapping, self.builder)
        if rule.elementwise:
            kinds = [self.kind(o) for o in positional + list(keywords.values())]
            shape = operand_shape(rule, positional, kinds, self.activity.is_varied,
                                  matrix=False)
            template = lowered_template(rule, shape)
            mapping = bind_rule(template, op, positional, keywords, self.builder)
            mapping[template.params[0].value] = d
            mapping[template.params[1].value] = op.results[0]
            returned = inline(template, mapping, self.builder)
            outputs = self.returned_adjoints(returned)
            if parameter >= len(outputs) or outputs[parameter] == Const(None):
                return None
            return self.forwards(outputs[parameter], op.results[0])
        if not rule.differentiable or rule.linear or rule.tangents:
            return None  # operands a rule does not name give shapes, axes, masks, indices
        raise no_rule_error(op, "forward")

    def apply_to_tangent(self, op: Op, position: int, d: Operand) -> Operand:
        """The primitive applied with one operand replaced by its tangent."""
        skip = 1 if op.opcode == "call" else 0
        operands = list(op.operands)
        operands[skip + position] = d
        return self.builder.value(op.opcode, operands, attrs=dict(op.attrs))

    def returned_adjoints(self, returned: Operand) -> List[Operand]:
        for op in reversed(self.builder.current.ops):
            if returned in op.results:
                if op.opcode == "tuple":
                    return list(op.operands)
                break
        if isinstance(returned, Const) and isinstance(returned.value, tuple):
            return [Const(v) for v in returned.value]
        return [returned]

    def forwards(self, value: Operand, result: Value) -> Operand:
        """A reverse template's output read forwards: instead of summing the adjoint down
        to the operand's shape, the tangent is broadcast up to the result's."""
        if not isinstance(value, Value):
            return value
        for op in reversed(self.builder.current.ops):
            if value in op.results:
                if op.opcode == "call" and isinstance(op.operands[0], Global) \
                        and op.operands[0].obj is runtime.unbroadcast:
                    self.broadcasts = True
                    return op.operands[1]
                break
        return value


def parameter_index(rule: Any, position: int, positional: List[Operand],
                    keywords: Dict[str, Operand]) -> int:
    """The parameter of the primitive that the ``position``-th operand of a call binds to:
    a keyword's place among the parameters its rule's templates name (call order when
    none names it), so ``np.append(a, axis=0, values=v)`` finds the rule of ``values``."""
    if position < len(positional):
        return position
    name = list(keywords)[position - len(positional)]
    for template in [rule.template, rule.scalar_template, *rule.tangents.values()]:
        if template is not None:
            names = list(inspect.signature(template).parameters)[2:]
            return names.index(name) if name in names else position
    return position


def forward_mode(func: Function, wrt: List[int], param_kinds: Dict[Value, str],
                 as_tuple: bool = False, keep_value: bool = True) -> Function:
    """Turn ``func`` into its tangent program in place (see the module docstring); with
    ``keep_value=False`` it returns the tangent alone and computes only what that needs."""
    return ForwardMode(func, wrt, param_kinds, as_tuple, keep_value).run()


__all__ = ["forward_mode"]
