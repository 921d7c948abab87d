"""s2sad: source-to-source automatic differentiation for Python and NumPy.

Reads a function's source, lowers it to three-address SSA, and emits derivative programs as
plain, readable Python.
"""
from .api import (grad, hessian, hvp, ir, jacfwd, jacrev, jvp, source, value_and_grad,
                  vjp)
from .custom import (nondifferentiable, register_forward, register_linear, register_reverse,
                     stop_gradient)
from .errors import (ArgumentError, DifferentiationError, SourceUnavailableError,
                     UndefinedNameError, UnsupportedSyntaxError)

__version__ = "0.1.0"

__all__ = ["ArgumentError", "DifferentiationError", "SourceUnavailableError", "UndefinedNameError",
           "UnsupportedSyntaxError", "grad", "hessian", "hvp", "ir", "jacfwd", "jacrev", "jvp",
           "nondifferentiable", "register_forward", "register_linear", "register_reverse",
           "source", "stop_gradient", "value_and_grad", "vjp", "__version__"]
