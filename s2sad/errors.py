"""Errors the compiler raises on functions it cannot differentiate.

Every error carries the user's file and line, so its message reads
``path/to/file.py:LINE: what is wrong; what to do instead``. An exception NumPy or the
user's own code raises while generated code runs keeps its type and gains the user's line
(:func:`point_at_user_line`).
"""
from __future__ import annotations

from typing import Optional


class DifferentiationError(Exception):
    """Base class of every error s2sad raises about a user's function."""

    def __init__(self, message: str, filename: Optional[str] = None,
                 lineno: Optional[int] = None, advice: Optional[str] = None):
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.advice = advice
        super().__init__(self._render())

    @property
    def location(self) -> str:
        if self.filename is None:
            return ""
        if self.lineno is None:
            return self.filename
        return f"{self.filename}:{self.lineno}"

    def _render(self) -> str:
        text = self.message
        if self.advice:
            text = f"{text}; {self.advice}"
        return f"{self.location}: {text}" if self.location else text


class UnsupportedSyntaxError(DifferentiationError):
    """The function uses a Python construct the compiler does not handle."""

    def __init__(self, construct: str, filename: Optional[str] = None,
                 lineno: Optional[int] = None, advice: Optional[str] = None):
        self.construct = construct
        super().__init__(f"{construct} is not supported", filename, lineno, advice)


class SourceUnavailableError(DifferentiationError):
    """The function has no Python source to read (builtins, C functions, REPL input)."""


class UndefinedNameError(DifferentiationError):
    """The function reads a name that is neither local, global, closed over nor builtin."""


class ArgumentError(DifferentiationError, TypeError):
    """A derivative was called with arguments it cannot take or cannot differentiate
    (missing or extra arguments, complex numbers, object arrays); also a TypeError, like
    the error Python raises for a call with the wrong arguments."""


def point_at_user_line(exc: BaseException, location: str, what: str) -> None:
    """Make ``exc``, raised by generated code, name the user's line it came from.

    The exception keeps its type and traceback (code catching ``ValueError`` or
    ``LinAlgError`` still works); its message gains ``location`` in front and ``what``
    (which derivative was running) after. Where the message is not a plain string (a
    ``KeyError``'s key, an ``OSError``'s fields), a note says where instead, on Pythons
    that have exception notes (3.11+).
    """
    if getattr(exc, "_s2sad_user_line", None) is not None:
        return  # a nested derivative already located it
    try:
        exc._s2sad_user_line = location
    except AttributeError:
        return
    args = exc.args
    plain = type(exc).__str__ is BaseException.__str__  # the message is args[0] itself
    if plain and not args:
        exc.args = (f"{location}: {type(exc).__name__} ({what})",)
    elif plain and len(args) == 1 and isinstance(args[0], str):
        exc.args = (f"{location}: {args[0]} ({what})",)
    elif hasattr(exc, "add_note"):
        exc.add_note(f"{location}: raised here ({what})")
