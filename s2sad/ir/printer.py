"""IR -> text a person can follow: one op per line, regions indented, the user's line on each.

Values print as ``%name`` after the user's variable (``%x``, a second version ``%x.1``) or
``%0``, ``%1`` for temporaries; globals as ``@np.sin``; literals as Python literals.
"""
from __future__ import annotations

import os
from typing import Dict, List, Tuple

from .nodes import (BINARY, COMPARE, LOGICAL, UNARY, UNDEF, Const, Function, Global, Op,
                    Operand, Region, Value, KEYWORD_ONLY, VAR_KEYWORD, VAR_POSITIONAL)


class _Names:
    """Gives each value a stable printed name in order of appearance."""

    def __init__(self) -> None:
        self.names: Dict[Value, str] = {}
        self.taken: Dict[str, int] = {}
        self.temps = 0

    def __call__(self, value: Value) -> str:
        name = self.names.get(value)
        if name is None:
            if value.hint:
                count = self.taken.get(value.hint, 0)
                self.taken[value.hint] = count + 1
                name = value.hint if count == 0 else f"{value.hint}.{count}"
            else:
                name = str(self.temps)
                self.temps += 1
            name = "%" + name
            self.names[value] = name
        return name


def format_operand(operand: Operand, names: _Names) -> str:
    if isinstance(operand, Value):
        return names(operand)
    if isinstance(operand, Const):
        return repr(operand.value)
    if isinstance(operand, Global):
        return "@" + operand.dotted
    if operand is UNDEF:
        return "undef"
    raise TypeError(f"not an operand: {operand!r}")


def _call_args(op: Op, args: List[Operand], names: _Names) -> str:
    kwnames = op.attrs.get("kwnames", ())
    positional = args[:len(args) - len(kwnames)]
    keywords = args[len(args) - len(kwnames):]
    parts = [format_operand(a, names) for a in positional]
    parts += [f"{k}={format_operand(v, names)}" for k, v in zip(kwnames, keywords)]
    return ", ".join(parts)


def _pattern(pattern, targets: List[str]) -> str:
    if isinstance(pattern, int):
        return targets[pattern]
    return "(" + ", ".join(_pattern(p, targets) for p in pattern) + ")"


def _op_text(op: Op, names: _Names) -> str:
    """The op's own line, without its regions."""
    o = [format_operand(x, names) for x in op.operands]
    code = op.opcode
    if code in BINARY:
        code = code + (".inplace" if op.attrs.get("inplace") else "")
        body = f"{code} {o[0]}, {o[1]}"
    elif code in UNARY or code in ("copy", "return"):
        body = f"{code} {o[0]}"
    elif code in COMPARE or code in LOGICAL:
        body = f"{code} {o[0]}, {o[1]}"
    elif code == "const":
        body = f"const {op.attrs['value']!r}"
    elif code == "call":
        body = f"call {o[0]}({_call_args(op, op.operands[1:], names)})"
    elif code == "method":
        body = f"method {o[0]}.{op.attrs['name']}({_call_args(op, op.operands[1:], names)})"
    elif code == "getattr":
        body = f"getattr {o[0]}.{op.attrs['name']}"
    elif code == "setattr":
        body = f"setattr {o[0]}.{op.attrs['name']}, {o[1]}"
    elif code == "getitem":
        body = f"getitem {o[0]}[{o[1]}]"
    elif code == "setitem":
        body = f"setitem {o[0]}[{o[1]}], {o[2]}"
    elif code == "append":
        body = f"append {o[0]}, {o[1]}"
    elif code == "pop":
        body = f"pop {o[0]}"
    elif code == "unpack":
        star = op.attrs.get("star")
        body = f"unpack {o[0]}" + (f" star={star}" if star is not None else "")
    elif code == "fstring":
        body = f"fstring {op.attrs['parts']!r}({', '.join(o)})"
    elif code == "yield":
        body = "yield " + ", ".join(o) if o else "yield"
    elif code == "if":
        body = f"if {o[0]} {{"
    elif code == "for":
        ntargets = op.attrs["ntargets"]
        args = op.regions[0].args
        targets = [names(v) for v in args[:ntargets]]
        carried = ", ".join(f"{names(a)} = {i}" for a, i in zip(args[ntargets:], o[1:]))
        exit_note = " exit-flag" if op.attrs.get("exit_flag") else ""
        body = f"for {_pattern(op.attrs['target'], targets)} in {o[0]} carry({carried}){exit_note} {{"
    elif code == "while":
        args = op.regions[0].args
        carried = ", ".join(f"{names(a)} = {i}" for a, i in zip(args, o))
        exit_note = " exit-flag" if op.attrs.get("exit_flag") else ""
        body = f"while carry({carried}){exit_note} {{"
    else:
        body = f"{code} {', '.join(o)}"
    if op.results:
        return ", ".join(names(r) for r in op.results) + " = " + body
    return body


def _region_lines(op: Op, index: int, names: _Names) -> str:
    """The text that opens region ``index`` > 0 of a control-flow op."""
    if op.opcode == "if":
        return "} else {"
    if op.opcode == "while":
        args = ", ".join(names(a) for a in op.regions[1].args)
        return f"}} do({args}) {{"
    return "} {"


def _lines(region: Region, depth: int, names: _Names, out: List[Tuple[str, int]]) -> None:
    indent = "  " * depth
    for op in region.ops:
        line = op.loc.line if op.loc else 0
        out.append((indent + _op_text(op, names), line))
        for index, inner in enumerate(op.regions):
            if index > 0:
                out.append((indent + _region_lines(op, index, names), line))
            _lines(inner, depth + 1, names, out)
        if op.regions:
            out.append((indent + "}", -1))


def _param_text(param, names: _Names) -> str:
    prefix = {VAR_POSITIONAL: "*", VAR_KEYWORD: "**"}.get(param.kind, "")
    text = prefix + names(param.value)
    if param.has_default:
        text += f"={param.default!r}"
    return text


def shown_path(filename: str) -> str:
    """A path relative to the working directory when the file is below it."""
    try:
        relative = os.path.relpath(filename)
    except ValueError:  # another drive on Windows
        return filename
    return filename if relative.startswith("..") else relative


def print_function(func: Function) -> str:
    """The function's IR as text."""
    names = _Names()
    params = []
    star_seen = False
    for param in func.params:
        if param.kind == VAR_POSITIONAL:
            star_seen = True
        if param.kind == KEYWORD_ONLY and not star_seen:
            params.append("*")
            star_seen = True
        params.append(_param_text(param, names))
    out: List[Tuple[str, int]] = [(f"func {func.name}({', '.join(params)}) {{", func.loc.line)]
    _lines(func.body, 1, names, out)
    out.append(("}", -1))
    width = max(len(text) for text, _ in out) + 2
    rendered = []
    for text, line in out:
        rendered.append(f"{text:<{width}}# {line}" if line >= 0 else text)
    header = f"# {func.qualname} from {shown_path(func.loc.filename)}:{func.loc.line}"
    return header + "\n" + "\n".join(line.rstrip() for line in rendered) + "\n"
