"""The command line: ``s2sad adjoint FILE.py:FUNC`` prints a function's adjoint program,
``s2sad tangent FILE.py:FUNC`` its tangent program, ``s2sad ir FILE.py:FUNC`` its SSA form.

Takes command-line arguments, gives the program text on stdout. A bad file, function or
unsupported construct prints one line to stderr naming FILE:LINE and exits 1; a usage
error exits 2.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import traceback
from typing import Any, Callable, List, Optional, Tuple

from . import api
from .errors import DifferentiationError


class UserError(Exception):
    """A problem with what the user asked for: printed as one line, exit status 1."""


def load_target(target: str) -> Callable[..., Any]:
    """The function named by ``FILE.py:FUNC`` (FUNC may be dotted: ``Model.loss``)."""
    path, _, qualname = target.rpartition(":")
    if not os.path.isfile(path):
        raise UserError(f"{path}: no such file")
    directory = os.path.dirname(os.path.abspath(path))
    module_name = "_s2sad_target_" + os.path.splitext(os.path.basename(path))[0]
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise UserError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, directory)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise UserError(f"{exc.filename}:{exc.lineno}: syntax error: {exc.msg}") from exc
    except Exception as exc:  # the user's module failed while importing
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        raise UserError(f"{frame.filename}:{frame.lineno}: importing {path} raised "
                        f"{type(exc).__name__}: {exc}") from exc
    finally:
        sys.path.remove(directory)
    obj: Any = module
    for part in qualname.split("."):
        if not hasattr(obj, part):
            raise UserError(f"{path}: no function named {qualname!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise UserError(f"{path}: {qualname!r} is not a function")
    return obj


def _target(text: str) -> str:
    path, sep, func = text.rpartition(":")
    if not sep or not path or not func:
        raise argparse.ArgumentTypeError(f"expected FILE.py:FUNC, got {text!r}")
    return text


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="s2sad", description="Source-to-source automatic "
                                "differentiation for Python and NumPy.")
    commands = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, what in (("adjoint", "reverse-mode (adjoint)"), ("tangent", "forward-mode "
                                                                "(tangent)")):
        command = commands.add_parser(name, help=f"print a function's {what} program")
        command.add_argument("target", type=_target, metavar="FILE.py:FUNC")
        command.add_argument("--wrt", type=_wrt, default=None, metavar="NAME[,NAME...]",
                             help="the parameters to differentiate (default: the first)")
        command.add_argument("--no-optimize", action="store_true",
                             help="skip the optional clean-up passes")
    ir = commands.add_parser("ir", help="print a function's three-address SSA form")
    ir.add_argument("target", type=_target, metavar="FILE.py:FUNC")
    return p


def _wrt(text: str) -> Tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    if not names:
        raise argparse.ArgumentTypeError("--wrt needs parameter names, e.g. --wrt x,y")
    return names


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(argv)
    try:
        fn = load_target(args.target)
        if args.command == "ir":
            text = api.ir(fn)
        else:
            wrt = args.wrt if args.wrt is None or len(args.wrt) > 1 else args.wrt[0]
            mode = "reverse" if args.command == "adjoint" else "forward"
            text = api.source(fn, mode, 0 if wrt is None else wrt,
                              optimize=not args.no_optimize)
    except (UserError, DifferentiationError) as exc:
        print(f"s2sad: {exc}", file=sys.stderr)
        return 1
    sys.stdout.write(text)
    return 0
