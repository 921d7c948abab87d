"""Errors the compiler raises on functions it cannot differentiate.

Every error carries the user's file and line, so its message reads
``path/to/file.py:LINE: what is wrong; what to do instead``.
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
