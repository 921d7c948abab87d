"""Central finite differences, the check the examples hold s2sad's derivatives to.

    df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2 h),  error O(h^2)

Each derivative costs two calls of f, so the examples check a few entries, not all.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence, Tuple

import numpy as np


def central_difference(f: Callable[..., Any], args: Sequence[Any], position: int,
                       index: Tuple[int, ...] = (), step: float = 1e-6) -> float:
    """d f(*args) / d args[position][index] (index () for a number argument)."""
    def f_moved(delta: float) -> float:
        moved = list(args)
        if np.ndim(args[position]) == 0:
            moved[position] = args[position] + delta
        else:
            moved[position] = np.array(args[position], dtype=float)
            moved[position][index] += delta
        return float(f(*moved))

    return (f_moved(step) - f_moved(-step)) / (2 * step)


def largest_error(f: Callable[..., Any], args: Sequence[Any], position: int, gradient: Any,
                  indices: Sequence[Tuple[int, ...]]) -> float:
    """The largest |gradient[index] - finite difference| over the given indices of
    args[position], relative to the size of the derivative (at least 1)."""
    errors = []
    for index in indices:
        expected = central_difference(f, args, position, index)
        actual = float(np.asarray(gradient)[index])
        errors.append(abs(actual - expected) / max(1.0, abs(expected)))
    return max(errors)
