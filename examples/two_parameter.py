"""The lecture's two-parameter model: one sample (x, y) = (3.5, 1), one tanh unit,

    f(w1, w2) = (y - w2 tanh(x w1))^2 = (1 - w2 tanh(3.5 w1))^2

s2sad writes its adjoint program, the lecture's forward-backward computation: the forward
part computes v1 = tanh(3.5 w1) and the residual, the backward part df/dv then df/dw1 and
df/dw2. Gradient descent from a start point follows it to the valley w2 tanh(3.5 w1) = 1.

Run: python examples/two_parameter.py
"""
from __future__ import annotations

import math
from typing import List, Tuple

import s2sad

X, Y = 3.5, 1.0  # the lecture's sample


def loss(w1: float, w2: float):
    """Squared error of the model w2 tanh(X w1) on the sample (X, Y)."""
    return (Y - w2 * math.tanh(X * w1)) ** 2


def gradient_by_hand(w1: float, w2: float) -> Tuple[float, float]:
    """The lecture's chain rule, written out: df/dw_l = df/dv_l dv_l/dw_l."""
    v1 = math.tanh(X * w1)
    df_dv2 = -2.0 * (Y - w2 * v1)          # v2 = w2 v1 is the model's output
    return df_dv2 * w2 * (1.0 - v1 * v1) * X, df_dv2 * v1


def descend(start: Tuple[float, float], learning_rate: float, steps: int,
            report_every: int) -> List[Tuple[float, float, float]]:
    """Gradient descent; returns the path as (w1, w2, loss) at every step."""
    value_and_grad = s2sad.value_and_grad(loss, wrt=("w1", "w2"))
    w1, w2 = start
    path = []
    for step in range(steps + 1):
        value, (g1, g2) = value_and_grad(w1, w2)
        path.append((w1, w2, value))
        if step % report_every == 0:
            print(f"step {step:3d}  w1 {w1:8.4f}  w2 {w2:8.4f}  loss {value:.2e}  "
                  f"gradient ({g1:8.4f}, {g2:8.4f})")
        w1, w2 = w1 - learning_rate * g1, w2 - learning_rate * g2
    return path


def main(start: Tuple[float, float] = (0.1, 0.2), steps: int = 60, learning_rate: float = 0.1):
    print("The adjoint program of f, with respect to w1 and w2:\n")
    print(s2sad.source(loss, wrt=("w1", "w2")))
    by_s2sad = s2sad.grad(loss, wrt=("w1", "w2"))(*start)
    by_hand = gradient_by_hand(*start)
    print(f"gradient at {start}: s2sad ({by_s2sad[0]:.6f}, {by_s2sad[1]:.6f}), "
          f"by hand ({by_hand[0]:.6f}, {by_hand[1]:.6f})\n")
    path = descend(start, learning_rate, steps, report_every=max(1, steps // 12))
    w1, w2, value = path[-1]
    print(f"\nended at w1 = {w1:.4f}, w2 = {w2:.4f}: the model predicts "
          f"{w2 * math.tanh(X * w1):.4f} for y = {Y}, loss {value:.2e}")
    return {"by_s2sad": by_s2sad, "by_hand": by_hand, "path": path}


if __name__ == "__main__":
    main()
