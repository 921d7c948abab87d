"""Reverse mode: takes a Function and the parameters to differentiate, gives (in place) a
Function that returns ``(value, gradient)`` and takes the output's adjoint as ``seed``.

The body becomes a *primal sweep* (the user's ops) followed by an *adjoint sweep* (their
adjoints in reverse order). A value used on several paths gets the sum of its partial
adjoints: the first contribution assigns, later ones add.

Control flow keeps its shape. The adjoint of an ``if`` is an ``if`` on the same condition
running the adjoint of the branch taken; the adjoint of a loop is a loop running the
adjoints of the iterations backwards, ``count`` times, carrying the adjoints of the loop's
carried values and of the outer values the body reads.

Values the adjoint sweep needs (*residuals*) travel from where the primal computed them:
at the top level they are simply still there; out of a branch they leave as extra results
of its ``if``; out of a loop body they are pushed on a tape (a list) at the end of each
iteration and popped at the start of the matching adjoint iteration. Residuals are found
after the adjoint is built and simplified, so only what the final code reads travels.

In-place stores are undone in the adjoint sweep (``y[i] = v`` saves the old element and
puts it back), so every value the adjoint reads is what the primal saw, and the arrays the
user passed in come back unchanged.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Set

from ..errors import DifferentiationError
from ..ir import UNDEF, Builder, Const, Function, Global, Op, Operand, Param, Region, Value
from ..ir.inline import bind, inline, split_call
from ..ir.nodes import KEYWORD_ONLY
from ..ir.printer import shown_path
from ..passes.dce import eliminate_dead_code
from ..passes.kinds import OTHER, SCALAR, Kinds, is_array
from ..passes.shapes import remove_redundant_broadcasts
from ..passes.specialize import Shape, specialize_to_shapes
from ..passes.effects import Effects
from ..passes.simplify import eliminate_common_subexpressions, simplify
from .. import runtime
from .activity import Activity, callee_rule
from .templates import bind_rule, lowered_template, operand_shape


def no_rule_error(op: Op, mode: str = "reverse") -> DifferentiationError:
    """The error for an active op that has no derivative rule."""
    if op.opcode == "call":
        what = repr(op.operands[0].dotted) if isinstance(op.operands[0], Global) \
            else "this callable"
    elif op.opcode == "method":
        what = f"the method .{op.attrs['name']}()"
    elif op.opcode == "getattr":
        what = f"the attribute .{op.attrs['name']}"
    else:
        what = f"the operation {op.opcode}"
    loc = op.loc
    kind = "derivative rule" if mode == "reverse" else "forward-mode (tangent) rule"
    return DifferentiationError(
        f"no {kind} for {what}", loc.filename if loc else None, loc.line if loc else None,
        "register a rule with @s2sad.register_reverse(the_function) (and "
        "@s2sad.register_forward for forward mode), or declare "
        "s2sad.nondifferentiable(the_function) if it has no derivative")


def zero_like(builder: Builder, kind: str, value: Operand) -> Operand:
    """A zero derivative for ``value``: ``0.0`` for a number, else ``zeros_like(value)``."""
    if kind == SCALAR:
        return Const(0.0)
    return builder.value("call", [helper("zeros_like"), value], attrs={"kwnames": ()})


def helper(name: str) -> Global:
    """A runtime helper as an operand (generated code calls it by this name)."""
    return Global((name,), getattr(runtime, name), "global")


class Frame:
    """A primal region whose adjoint is being built, and how its residuals travel."""

    def __init__(self, region: Region, kind: str, parent: Optional["Frame"],
                 owner: Optional[Op] = None, branch: int = 0):
        self.region = region
        self.kind = kind          # "top", "branch" or "loop"
        self.parent = parent
        self.owner = owner        # the if or loop op whose region this is
        self.branch = branch      # which region of the if
        self.transported: Dict[Value, Operand] = {}
        self.pushed: List[Value] = []
        self.popped: List[Value] = []
        self.adjoint: Optional[Region] = None  # the adjoint region mirroring this one
        self.recomputed: List[Op] = []  # cheap residuals computed again, not taped


class ReverseMode:
    """Builds the adjoint of one function. Use :func:`reverse_mode`."""

    def __init__(self, func: Function, wrt: List[int], param_kinds: Dict[Value, str],
                 seed_name: str, as_tuple: bool = False,
                 shapes: Optional[Dict[Value, Shape]] = None):
        self.func = func
        self.shapes = shapes or {}  # of array parameters, when compiled for them
        self.wrt = wrt
        self.activity = Activity(func, wrt)
        self.kinds = Kinds(func, param_kinds)
        define_everywhere(func)
        self.builder = Builder(func.loc)
        self.adj: Dict[Value, Operand] = {}
        self.owned: Set[Value] = set()
        self.frames: Dict[int, Frame] = {}   # id(adjoint region) -> the frame it mirrors
        self.defs: Dict[Value, Op] = {r: op for op in func.walk() for r in op.results}
        self.tape: Optional[Value] = None
        self.seed_name = seed_name
        self.as_tuple = as_tuple  # wrt was a tuple: return a tuple even of one gradient
        self.adjoint_kinds: Dict[Value, str] = {}  # an adjoint has its primal's kind
        self.adjoint_of: Dict[Value, Value] = {}  # ... and its shape

    # -- adjoint bookkeeping ----------------------------------------------------------
    def active(self, operand: object) -> bool:
        return self.activity.active(operand)

    def kind(self, operand: Operand) -> str:
        return self.kinds(operand)

    def zero(self, value: Operand) -> Operand:
        zero = zero_like(self.builder, self.kind(value), value)
        if is_array(self.kind(value)):
            self.owned.add(zero)  # a container's zero may be a tuple: copied before updates
        return zero

    def set_adjoint(self, value: Value, adjoint: Operand) -> None:
        self.adj[value] = adjoint
        if isinstance(adjoint, Value):
            self.adjoint_kinds[adjoint] = self.kind(value)
            self.adjoint_of.setdefault(adjoint, value)

    def contribute(self, value: Operand, contribution: Operand) -> None:
        """Add ``contribution`` to the adjoint of ``value``."""
        if not self.active(value) or contribution == Const(None) or contribution is UNDEF:
            return
        current = self.adj.get(value)
        if current is None:
            if isinstance(contribution, Value) and not contribution.hint and value.hint:
                contribution.hint = "b" + value.hint
            if any(other is contribution for other in self.adj.values()):
                self.owned.discard(contribution)  # it now stands for two adjoints
            self.set_adjoint(value, contribution)
            return
        if is_array(self.kind(value)) and current in self.owned:
            # Our own buffer: add in place, as a careful hand-written gradient does.
            total = self.builder.value("add", [current, contribution], {"inplace": True},
                                       hint=self.hint(value))
        elif self.kind(value) == SCALAR or is_array(self.kind(value)):
            total = self.builder.value("add", [current, contribution], hint=self.hint(value))
        else:
            total = self.call("accumulate", current, contribution, hint=self.hint(value))
        self.owned.add(total)
        self.set_adjoint(value, total)

    @staticmethod
    def hint(value: Value) -> str:
        return "b" + value.hint if value.hint else ""

    def call(self, name: str, *operands: Operand, hint: str = "") -> Operand:
        return self.builder.value("call", [helper(name), *operands], attrs={"kwnames": ()},
                                  hint=hint)

    def owned_buffer(self, value: Value) -> Operand:
        """The adjoint of ``value`` as a buffer this code may update in place."""
        current = self.adj.get(value)
        if current is None:
            current = self.zero(value)
        if current in self.owned:
            return current
        return self.owned_copy(current, self.hint(value))

    def owned_copy(self, adjoint: Operand, hint: str = "") -> Operand:
        """A copy of ``adjoint`` this code may update in place."""
        copy = self.call("owned_copy", adjoint, hint=hint)
        self.owned.add(copy)
        if adjoint in self.adjoint_kinds:
            self.adjoint_kinds[copy] = self.adjoint_kinds[adjoint]
        return copy

    def simple_index(self, index: Operand) -> bool:
        """Whether ``index`` is made of ints and slices (no fancy indexing)."""
        if isinstance(index, Const):
            values = index.value if isinstance(index.value, tuple) else (index.value,)
            return all(isinstance(v, int) or v is None or v is Ellipsis for v in values)
        if isinstance(index, Value):
            producer = self.defs.get(index)
            if producer is not None and producer.opcode == "slice":
                return True
            if producer is not None and producer.opcode == "tuple":
                return all(self.simple_index(o) for o in producer.operands)
            return self.kind(index) == SCALAR
        return False

    def contribute_at(self, value: Operand, index: Operand, contribution: Operand) -> None:
        """Add ``contribution`` to ``adjoint(value)[index]``, in place."""
        if not self.active(value) or contribution == Const(None):
            return
        buffer = self.owned_buffer(value)
        if self.simple_index(index) and is_array(self.kind(value)):
            part = self.builder.value("getitem", [buffer, index])
            total = self.builder.value("add", [part, contribution])
            updated = self.builder.value("setitem", [buffer, index, total], hint=self.hint(value))
        else:
            updated = self.call("add_at", buffer, index, contribution, hint=self.hint(value))
        self.owned.add(updated)
        self.set_adjoint(value, updated)

    # -- the function -----------------------------------------------------------------
    def run(self) -> Function:
        func = self.func
        body = func.body
        ret = body.ops.pop()
        result = ret.operands[0]
        if isinstance(result, Value) and not result.hint:
            result.hint = "value"
        with self.builder.at(ret.loc), self.builder.region(body):
            value = self.snapshot(result)
        seed = Value(self.seed_name)
        self.kinds.kinds[seed] = self.kind(result)  # the seed is shaped like the output
        func.params.append(Param(self.seed_name, KEYWORD_ONLY, seed, 1.0))
        body.args.append(seed)
        adjoint = Region()
        top = Frame(body, "top", None)
        self.frames[id(adjoint)] = top
        with self.builder.at(ret.loc), self.builder.region(adjoint):
            if self.active(result):
                self.contribute(result, seed)
            self.block(body, top)
            grads = [self.gradient(func.params[i]) for i in self.wrt]
            grad = grads[0] if len(grads) == 1 and not self.as_tuple \
                else self.builder.value("tuple", grads)
            output = self.builder.value("tuple", [value, grad])
            self.builder.terminate("return", [output])
        for op in adjoint.ops:
            op.attrs["adjoint"] = True  # kept by the passes that replace it (specialize)
        body.ops.extend(adjoint.ops)
        self.simplify(seed, result)
        self.transport_residuals([op for op in body.ops if op.attrs.get("adjoint")])
        func.header = self.header()
        return func

    def snapshot(self, result: Operand) -> Operand:
        """``result`` as the primal sweep leaves it: an array in it is copied when the
        function stores into arrays, since the adjoint sweep puts the old elements back
        (``y[i] = old``) in the very arrays the result may hold."""
        if not isinstance(result, Value) or self.kind(result) == SCALAR or \
                not any(op.opcode == "setitem" for op in self.func.walk()):
            return result
        return self.call("snapshot", result, hint="value")

    def header(self) -> List[str]:
        """What the generated function computes, for the comment at its top."""
        names = [self.func.params[i].name for i in self.wrt]
        grads = ", ".join("b" + n for n in names)
        if len(names) > 1 or self.as_tuple:
            grads = f"({grads},)" if len(names) == 1 else f"({grads})"
        where = f"{shown_path(self.func.loc.filename)}:{self.func.loc.line}"
        lines = [f"Reverse mode of {self.func.qualname} ({where}).",
                 f"Differentiates {', '.join(names)}; {self.seed_name} is the adjoint of the "
                 f"output (1.0 for a gradient).",
                 f"Returns (value, {grads}): value is what {self.func.name} returns, "
                 "b<name> its derivative."]
        for frame in self.frames.values():
            if frame.kind == "loop" and frame.pushed:
                held = ", ".join(v.hint or "temporary" for v in frame.pushed)
                lines.append(f"The tape holds, per iteration of the loop at line "
                             f"{frame.owner.loc.line}: {held}.")
        return lines

    # -- after the adjoint is built ---------------------------------------------------
    def simplify(self, seed: Value, result: Operand) -> None:
        """Drop helpers scalar code does not need, then everything left unused."""
        params = {p.value: self.kind(p.value) for p in self.func.params}
        params[seed] = self.kind(result)
        known = dict(self.kinds.kinds)
        known.update(self.adjoint_kinds)
        floats = [seed] + [self.func.params[i].value for i in self.wrt]  # promoted
        simplify(self.func, Effects(self.func, Kinds(self.func, params, known)), floats)
        shaped_like = {a: v for a, v in self.adjoint_of.items() if a is not seed}  # a seed
        kinds = Kinds(self.func, params, known)
        remove_redundant_broadcasts(self.func, kinds, shaped_like)
        specialize_to_shapes(self.func, kinds, self.shapes, seed, result)
        self.effects = Effects(self.func, kinds)  # the helpers removed only shared objects
        simplify(self.func, self.effects, floats)
        eliminate_common_subexpressions(self.func, self.effects)
        eliminate_dead_code(self.func, self.effects)

    def transport_residuals(self, adjoint_ops: List[Op]) -> None:
        """Make every primal value the adjoint sweep reads available where it reads it."""
        region_of: Dict[Value, Region] = {}

        def record(region: Region) -> None:
            for arg in region.args:
                region_of[arg] = region
            for op in region.ops:
                for r in op.results:
                    region_of[r] = region
                for inner in op.regions:
                    record(inner)

        record(self.func.body)
        self.region_of = region_of
        frame_of = {id(f.region): f for f in self.frames.values() if f.kind != "top"}

        def resolve(operand: Operand) -> Operand:
            if isinstance(operand, Value):
                region = region_of.get(operand)
                frame = frame_of.get(id(region)) if region is not None else None
                if frame is not None:
                    return self.transport(frame, operand)
            return operand

        def walk(ops: List[Op]) -> None:
            for op in ops:
                op.operands = [resolve(o) for o in op.operands]
                op.attrs["adjoint"] = True  # the emitter labels these lines
                for region in op.regions:
                    walk(region.ops)

        walk(adjoint_ops)
        for frame in self.frames.values():
            if frame.kind == "loop":
                frame.adjoint.ops[0:0] = frame.recomputed
                if frame.pushed:
                    self.tape_frame(frame)

    def transport(self, frame: Frame, value: Value) -> Operand:
        """``value`` (defined in ``frame``'s primal region) as read by its adjoint region."""
        if frame.kind == "top":
            return value
        if value in frame.transported:
            return frame.transported[value]
        if frame.kind == "branch":
            owner = frame.owner
            exported = Value(value.hint)
            owner.results.append(exported)
            for index, region in enumerate(owner.regions):  # None: defined on both paths
                region.ops[-1].operands.append(value if index == frame.branch else Const(None))
            found = self.transport(frame.parent, exported)
        elif self.recomputable(frame, value):
            producer = self.defs[value]
            operands = [self.transport(frame, o) if isinstance(o, Value) else o
                        for o in producer.operands]
            found = Value(value.hint)
            frame.recomputed.append(Op(producer.opcode, operands, [found],
                                       dict(producer.attrs, adjoint=True), (), producer.loc))
        else:
            found = Value(value.hint)
            frame.pushed.append(value)
            frame.popped.append(found)
        frame.transported[value] = found
        return found

    def recomputable(self, frame: Frame, value: Value) -> bool:
        """Whether ``value`` is cheaper to compute again in the adjoint iteration than to
        tape: a negation, or arithmetic with a literal, of this iteration's values (not of
        one that may be changed in place, :mod:`s2sad.passes.effects`: the adjoint would
        read it before the store is undone)."""
        producer = self.defs.get(value)
        if producer is None or len(producer.results) != 1:
            return False
        operands = [o for o in producer.operands if isinstance(o, Value)]
        if len(operands) != 1 or self.region_of.get(operands[0]) is not frame.region \
                or self.effects.written(operands[0], contents=True):
            return False
        if producer.opcode in ("neg", "pos"):
            return True
        return (producer.opcode in ("add", "sub", "mul", "truediv")
                and any(isinstance(o, Const) for o in producer.operands))

    def tape_frame(self, frame: Frame) -> None:
        """Push a loop body's residuals at the end of each iteration; pop them at the start
        of the matching adjoint iteration."""
        loc = frame.owner.loc
        if self.tape is None:
            self.tape = Value("tape")
            self.func.body.ops.insert(0, Op("list", [], [self.tape], {"quiet": True}, (),
                                            self.func.loc))
        body = frame.region
        pushes: List[Op] = []
        if len(frame.pushed) == 1:
            packed: Operand = frame.pushed[0]
        else:
            packed = Value("")
            pushes.append(Op("tuple", list(frame.pushed), [packed], {"quiet": True}, (), loc))
        pushes.append(Op("method", [self.tape, packed], [Value("")],
                         {"name": "append", "kwnames": (), "quiet": True}, (), loc))
        body.ops[-1:-1] = pushes
        popped = Value("") if len(frame.popped) > 1 else frame.popped[0]
        pops = [Op("method", [self.tape], [popped],
                   {"name": "pop", "kwnames": (), "quiet": True, "adjoint": True}, (), loc)]
        if len(frame.popped) > 1:
            pops.append(Op("unpack", [popped], list(frame.popped),
                           {"count": len(frame.popped), "star": None, "quiet": True,
                            "adjoint": True}, (), loc))
        frame.adjoint.ops[0:0] = pops

    def gradient(self, param: Param) -> Operand:
        value = param.value
        grad = self.adj.get(value)
        if grad is None:
            return self.zero(value)
        if self.kind(value) == OTHER:
            return self.call("structure", grad, value, hint="b" + param.name)
        if is_array(self.kind(value)):  # float32 in, float32 out
            return self.call("like_dtype", grad, value, hint="b" + param.name)
        return grad

    def block(self, region: Region, frame: Frame) -> None:
        """The adjoints of a region's ops, in reverse order, into the current region."""
        for index in range(len(region.ops) - 1, -1, -1):
            op = region.ops[index]
            if op.opcode in ("yield", "return"):
                continue
            with self.builder.at(op.loc):
                self.op(op, region, frame)

    # -- one op -----------------------------------------------------------------------
    def op(self, op: Op, region: Region, frame: Frame) -> None:
        code = op.opcode
        if code == "if":
            return self.if_(op, frame)
        if code in ("for", "while"):
            return self.loop(op, frame)
        if code == "setitem":
            return self.setitem(op, region)
        if code == "append":
            return self.append(op)
        if code == "pop":
            return self.pop(op)
        if code == "unpack":
            return self.unpack(op)
        if not op.results:
            return
        g = self.adj.pop(op.results[0], None)
        if g is None or not any(self.active(o) for o in op.operands):
            return
        if code == "copy":
            self.contribute(op.operands[0], g)
        elif code in ("tuple", "list"):
            for i, operand in enumerate(op.operands):
                if self.active(operand):
                    self.contribute(operand, self.builder.value("getitem", [g, Const(i)]))
        elif code == "dict":
            for key, operand in zip(op.operands[0::2], op.operands[1::2]):
                if self.active(operand):
                    self.contribute(operand, self.builder.value("getitem", [g, key]))
        elif code == "getitem":
            self.contribute_at(op.operands[0], op.operands[1], g)
        else:
            self.primitive(op, g)

    def primitive(self, op: Op, g: Operand) -> None:
        rule = callee_rule(op)
        if rule is None or (rule.differentiable and not rule.has_reverse):
            raise no_rule_error(op)
        if not rule.differentiable:
            return
        if op.opcode == "call":
            positional, keywords = split_call(op, 1)
        elif op.opcode == "method":
            positional, keywords = split_call(op, 1)
            positional = [op.operands[0]] + positional
        else:
            positional, keywords = list(op.operands), {}
        kinds = [self.kind(o) for o in positional + list(keywords.values())]
        shape = operand_shape(rule, positional, kinds, self.activity.is_varied)
        template = lowered_template(rule, shape)
        mapping = bind_rule(template, op, positional, keywords, self.builder)
        mapping[template.params[0].value] = g
        mapping[template.params[1].value] = op.results[0]
        returned = inline(template, mapping, self.builder)
        operands = [mapping[p.value] for p in template.params[2:]]
        for operand, adjoint in zip(operands, self.adjoints_returned(returned)):
            self.contribute(operand, adjoint)

    def adjoints_returned(self, returned: Operand) -> List[Operand]:
        """A template returns one adjoint, or a tuple of the first parameters' adjoints."""
        producer = self.producer(returned)
        if producer is not None and producer.opcode == "tuple":
            return list(producer.operands)
        if isinstance(returned, Const) and isinstance(returned.value, tuple):
            return [Const(v) for v in returned.value]
        return [returned]

    def producer(self, value: Operand) -> Optional[Op]:
        for op in reversed(self.builder.current.ops):
            if value in op.results:
                return op
        return None

    def unpack(self, op: Op) -> None:
        grads = [self.adj.pop(r, None) for r in op.results]
        if all(g is None for g in grads) or not self.active(op.operands[0]):
            return
        parts = [g if g is not None else self.zero(r) for g, r in zip(grads, op.results)]
        star = op.attrs.get("star")
        if star is None:
            whole = self.builder.value("list", parts)
        else:  # ``a, *rest, b = t``: the adjoint of t is [ba] + brest + [bb]
            whole = self.call("concat", self.builder.value("list", parts[:star]), parts[star])
            whole = self.call("concat", whole, self.builder.value("list", parts[star + 1:]))
        self.contribute(op.operands[0], whole)

    def setitem(self, op: Op, region: Region) -> None:
        container, index, value = op.operands
        updated = op.results[0]
        saved = Value("old")
        region.ops.insert(region.ops.index(op),
                          Op("call", [helper("save"), container, index], [saved],
                             {"kwnames": ()}, (), op.loc))
        self.defs[saved] = region.ops[region.ops.index(op) - 1]
        g = self.adj.pop(updated, None)
        if g is not None and self.active(value):
            # A copy: the buffer's slice is cleared in place just below.
            part = self.call("save", g, index) if self.kind(value) != SCALAR \
                else self.builder.value("getitem", [g, index])
            self.contribute(value, self.call("unbroadcast", part, value))
        if g is not None and self.active(container):
            self.adj[updated] = g
            buffer = self.owned_buffer(updated)
            cleared = self.builder.value("setitem", [buffer, index, Const(0.0)],
                                         hint=self.hint(container))
            self.owned.add(cleared)
            self.adj[container] = cleared
            self.adj.pop(updated, None)
        self.builder.op("setitem", [updated, index, saved], 1)  # put the old value back

    def append(self, op: Op) -> None:
        items, value = op.operands
        g = self.adj.pop(op.results[0], None)
        if g is None:
            return  # (with an adjoint, always pop: the entries must stay aligned)
        buffer = g if g in self.owned else self.owned_copy(g)
        last = self.builder.value("method", [buffer], attrs={"name": "pop", "kwnames": ()})
        self.contribute(value, last)
        if self.active(items):
            self.owned.add(buffer)
            self.adj[items] = buffer

    def pop(self, op: Op) -> None:
        """``rest, last = pop(items)``: the adjoint of ``items`` is rest's with last's
        appended back."""
        items = op.operands[0]
        rest, last = op.results
        g_rest, g_last = self.adj.pop(rest, None), self.adj.pop(last, None)
        if (g_rest is None and g_last is None) or not self.active(items):
            return
        if g_rest is None:
            buffer = self.zero(rest)
        else:
            buffer = g_rest if g_rest in self.owned else self.owned_copy(g_rest)
        restored = self.builder.value("append", [buffer, g_last if g_last is not None
                                                 else self.zero(last)])
        self.owned.add(restored)
        self.set_adjoint(items, restored)

    # -- control flow -----------------------------------------------------------------
    def outer_uses(self, op: Op) -> List[Value]:
        """Active values defined outside ``op`` that ops inside it read (in order)."""
        inside: Set[Value] = set()
        for region in op.regions:
            inside.update(region.args)
            for inner in region.walk():
                inside.update(inner.results)
                for r in inner.regions:
                    inside.update(r.args)
        found: Dict[Value, None] = {}
        for region in op.regions:
            for inner in region.walk():
                for operand in inner.operands:
                    if isinstance(operand, Value) and operand not in inside \
                            and self.active(operand):
                        found[operand] = None
        return list(found)

    def stores(self, op: Op) -> bool:
        """Whether an ``if`` or loop stores into an array (``y[i] = v``) inside: the
        adjoint sweep must undo that store, since what it reads may be that array."""
        return any(inner.opcode == "setitem" and is_array(self.kind(inner.operands[0]))
                   for region in op.regions for inner in region.walk())

    def if_(self, op: Op, frame: Frame) -> None:
        grads = [self.adj.pop(r, None) for r in op.results]
        outer = self.outer_uses(op)
        if all(g is None for g in grads) and not outer and not self.stores(op):
            return  # (a store inside is undone even so: the adjoint may read its array)
        before = dict(self.adj)
        cond = op.operands[0]
        regions: List[Region] = []
        finals: List[Dict[Value, Operand]] = []
        for index, primal in enumerate(op.regions):
            region = Region()
            branch = Frame(primal, "branch", frame, op, index)
            self.frames[id(region)] = branch
            self.adj = dict(before)
            with self.builder.region(region):
                for g, yielded in zip(grads, primal.ops[-1].operands):
                    if g is not None:
                        self.contribute(yielded, g)
                self.block(primal, branch)
            finals.append(self.adj)
            regions.append(region)
        self.adj = dict(before)
        changed = [v for v in outer if any(f.get(v) is not before.get(v) for f in finals)]
        owned = set(changed)
        for region, final in zip(regions, finals):
            with self.builder.region(region):
                outs = [final.get(v) if final.get(v) is not None else self.zero(v)
                        for v in changed]
                owned -= {v for v, out in zip(changed, outs) if out not in self.owned}
                self.builder.terminate("yield", outs)
        new = self.builder.op("if", [cond], len(changed), regions=regions,
                              hints=[self.hint(v) for v in changed])
        for v, result in zip(changed, new.results):
            self.set_adjoint(v, result)
            if v in owned:
                self.owned.add(result)

    def loop(self, op: Op, frame: Frame) -> None:
        code = op.opcode
        n = len(op.results)
        body = op.regions[-1]
        offset = op.attrs["ntargets"] if code == "for" else 0
        args = body.args[offset:offset + n]
        inits = op.operands[1:] if code == "for" else op.operands
        carried = [k for k in range(n) if self.active(op.results[k]) or self.active(args[k])]
        grads = {k: self.adj.pop(op.results[k], None) for k in carried}
        outer = [v for v in self.outer_uses(op) if v not in args]
        if all(g is None for g in grads.values()) and not any(v in self.adj for v in outer) \
                and not outer and not self.stores(op):
            return
        count = self.count_iterations(op)
        starts = [grads[k] if grads[k] is not None else self.zero(op.results[k]) for k in carried]
        starts += [self.adj[v] if v in self.adj else self.zero(v) for v in outer]
        # Adjoints the body updates in place (it indexes their values) start as buffers
        # this code owns; the others are passed along as they are.
        indexed = indexed_in(body)
        buffers = [args[k] in indexed or body.ops[-1].operands[k] in indexed for k in carried]
        buffers += [v in indexed for v in outer]
        starts = [self.owned_copy(s) if need and isinstance(s, Value) and s not in self.owned
                  and self.kind(s) != SCALAR else s for s, need in zip(starts, buffers)]
        region = Region([Value("_")] + [Value(self.hint(args[k])) for k in carried]
                        + [Value(self.hint(v)) for v in outer])
        inner = Frame(body, "loop", frame, op)
        inner.adjoint = region
        self.frames[id(region)] = inner
        before = dict(self.adj)
        with self.builder.region(region):
            carried_adj = region.args[1:1 + len(carried)]
            self.adj = {}
            for v, arg in zip(outer, region.args[1 + len(carried):]):
                self.set_adjoint(v, arg)
            for k, arg in zip(carried, carried_adj):
                self.adjoint_kinds[arg] = self.kind(args[k])
            self.owned.update(arg for arg, start, need in zip(region.args[1:], starts, buffers)
                              if need and start in self.owned)
            for k, g in zip(carried, carried_adj):
                self.contribute(body.ops[-1].operands[k], g)
            self.block(body, inner)
            nexts = [self.adj.get(args[k]) if self.adj.get(args[k]) is not None
                     else self.zero(args[k]) for k in carried]
            nexts += [self.adj.get(v) for v in outer]
            nexts = [self.owned_copy(n) if arg in self.owned and n not in self.owned
                     else n for arg, n in zip(region.args[1:], nexts)]
            self.builder.terminate("yield", nexts)
        self.adj = before
        iterations = self.builder.value("call", [Global(("range",), range, "builtin"), count],
                                        attrs={"kwnames": ()})
        new = self.builder.op("for", [iterations] + starts, len(carried) + len(outer),
                              attrs={"target": 0, "ntargets": 1, "exit_flag": False},
                              regions=[region],
                              hints=[self.hint(args[k]) for k in carried]
                              + [self.hint(v) for v in outer])
        results = new.results
        self.owned.update(result for arg, result in zip(region.args[1:], results)
                          if arg in self.owned)
        for v, result in zip(outer, results[len(carried):]):
            self.set_adjoint(v, result)
        for k, result in zip(carried, results[:len(carried)]):
            self.contribute(inits[k], result)

    def count_iterations(self, op: Op) -> Operand:
        """How many times the primal loop ran: ``len(range(...))`` for a range loop that
        cannot exit early, else a counter the loop carries."""
        producer = self.defs.get(op.operands[0]) if op.opcode == "for" else None
        if (producer is not None and producer.opcode == "call" and not op.attrs["exit_flag"]
                and isinstance(producer.operands[0], Global) and producer.operands[0].obj is range):
            count = self.builder.value("call", [Global(("len",), len, "builtin"),
                                                op.operands[0]], attrs={"kwnames": ()},
                                       hint="count")
            self.kinds.kinds[count] = SCALAR
            return count
        return self.counter(op)

    def counter(self, op: Op) -> Value:
        """Give the primal loop a carried counter; return its final value."""
        counter = Value("count")
        count = Value("count")
        body = op.regions[-1]
        n = len(op.results)
        step = Value("")
        yield_op = body.ops[-1]
        body.ops.insert(len(body.ops) - 1, Op("add", [counter, Const(1)], [step],
                                               {"quiet": True}, (), yield_op.loc))
        yield_op.operands.insert(n, step)
        op.results.append(count)
        if op.opcode == "for":
            op.operands.append(Const(0))
            body.args.append(counter)
        else:
            op.operands.append(Const(0))
            body.args.append(counter)
            op.regions[0].args.append(Value("count"))
        self.defs[count] = op
        self.kinds.kinds[count] = SCALAR
        self.kinds.kinds[counter] = SCALAR
        return count


def indexed_in(region: Region) -> Set[Value]:
    """Values that ops in ``region`` index, store into or append to (through the chain of
    updated versions): their adjoints are updated in place."""
    found: Set[Value] = set()
    ops = list(region.walk())
    changed = True
    while changed:
        changed = False
        for op in ops:
            if op.opcode in ("getitem", "setitem", "append") and isinstance(op.operands[0], Value):
                new = {op.operands[0]} | (set(op.results) if op.opcode != "getitem" else set())
                if not new <= found:
                    found |= new
                    changed = True
    return found


def define_everywhere(func: Function) -> None:
    """A variable unassigned on some path (a loop's first iteration, a branch that does not
    set it) holds None there instead: the adjoint sweep may carry it, never use it."""
    for op in func.walk():
        if op.opcode in ("yield", "for", "while"):
            op.operands = [Const(None) if o is UNDEF else o for o in op.operands]


def reverse_mode(func: Function, wrt: List[int], param_kinds: Dict[Value, str],
                 seed_name: str = "seed", as_tuple: bool = False,
                 shapes: Optional[Dict[Value, Shape]] = None) -> Function:
    """Turn ``func`` into its adjoint in place (see the module docstring); the gradient is
    a tuple when ``as_tuple`` or when there are several ``wrt``; ``shapes``: of the array
    parameters it is compiled for, if any (``passes/specialize.py``)."""
    return ReverseMode(func, wrt, param_kinds, seed_name, as_tuple, shapes).run()


__all__ = ["reverse_mode"]
