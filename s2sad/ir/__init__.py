"""The IR alone: its nodes, a builder, a printer and a verifier (see nodes.py)."""
from .builder import Builder
from .nodes import UNDEF, Const, Function, Global, Loc, Op, Operand, Param, Region, Value
from .printer import print_function
from .verifier import VerificationError, verify

__all__ = ["Builder", "Const", "Function", "Global", "Loc", "Op", "Operand", "Param",
           "Region", "UNDEF", "Value", "VerificationError", "print_function",
           "verify"]
