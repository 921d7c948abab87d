"""Central finite differences for the tests: takes a function, its arguments and which
arguments to vary, gives the numerical gradient or directional derivative to compare
s2sad's against. Arguments are floats or float arrays; nothing passed in is changed."""
from __future__ import annotations

from typing import Any, Callable, Sequence, Tuple

import numpy as np


def _replaced(args: Sequence[Any], position: int, value: Any) -> Tuple[Any, ...]:
    return tuple(value if i == position else a for i, a in enumerate(args))


def numeric_gradient(f: Callable[..., Any], args: Sequence[Any], position: int,
                     eps: float = 1e-6) -> Any:
    """d f / d args[position] by central differences: a float, or an array shaped like
    the argument."""
    x = args[position]
    if not isinstance(x, np.ndarray):
        up = f(*_replaced(args, position, x + eps))
        down = f(*_replaced(args, position, x - eps))
        return float(up - down) / (2 * eps)
    gradient = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[index] = eps
        up = f(*_replaced(args, position, x + step))
        down = f(*_replaced(args, position, x - step))
        gradient[index] = float(up - down) / (2 * eps)
    return gradient


def numeric_directional(f: Callable[..., Any], args: Sequence[Any],
                        positions: Sequence[int], directions: Sequence[Any],
                        eps: float = 1e-6) -> Any:
    """The derivative of ``f`` at ``args`` along ``directions`` (one per position)."""
    def moved(sign: float) -> Tuple[Any, ...]:
        out = list(args)
        for position, direction in zip(positions, directions):
            out[position] = out[position] + sign * eps * direction
        return tuple(out)

    return (np.asarray(f(*moved(1.0))) - np.asarray(f(*moved(-1.0)))) / (2 * eps)
