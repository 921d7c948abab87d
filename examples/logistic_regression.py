"""Logistic regression trained by gradient descent, the lecture's first example of a model.

    f(w) = sum_i log(1 + exp(-y_i w^T x_i)),   y_i in {-1, +1}

s2sad.grad(f) writes the gradient program from these two lines of NumPy; the lecture's
closed form, -sum_i y_i x_i sigma(-y_i w^T x_i), checks it once before training.

Run: python examples/logistic_regression.py
"""
from __future__ import annotations

from typing import List, Tuple

import numpy as np

import s2sad
from activations import sigmoid


def logistic_loss(w, X, y):
    """The lecture's loss, summed over the samples (the rows of X)."""
    margins = y * (X @ w)
    return np.sum(np.log(1.0 + np.exp(-margins)))


def closed_form_gradient(w, X, y):
    """The gradient the lecture derives by hand."""
    return -(y * sigmoid(-y * (X @ w))) @ X


def make_data(samples: int, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Two Gaussian clouds in the plane, labelled -1 and +1, with a constant feature (the
    bias) as the last column."""
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(samples) < 0.5, -1.0, 1.0)
    points = rng.normal(size=(samples, 2)) + 1.5 * y[:, None] * np.array([1.0, 0.5])
    return np.column_stack([points, np.ones(samples)]), y


def accuracy(w, X, y) -> float:
    return float(np.mean(np.sign(X @ w) == y))


def train(X, y, steps: int, learning_rate: float,
          report_every: int) -> Tuple[np.ndarray, List[float]]:
    """Gradient descent from w = 0; returns the weights and the loss at each step."""
    gradient = s2sad.value_and_grad(logistic_loss)
    w = np.zeros(X.shape[1])
    losses = []
    for step in range(steps):
        loss, g = gradient(w, X, y)
        losses.append(float(loss))
        if step % report_every == 0:
            print(f"step {step:4d}  loss {loss:9.4f}  accuracy {accuracy(w, X, y):.3f}")
        w = w - learning_rate * g
    return w, losses


def main(samples: int = 400, steps: int = 200, seed: int = 0):
    X, y = make_data(samples, seed)
    w_check = np.random.default_rng(seed + 1).normal(size=X.shape[1])
    by_s2sad = s2sad.grad(logistic_loss)(w_check, X, y)
    by_hand = closed_form_gradient(w_check, X, y)
    print("gradient at a random w, by s2sad:      ", np.round(by_s2sad, 6))
    print("the lecture's closed form at the same w:", np.round(by_hand, 6))
    print("the program s2sad wrote for it:\n")
    print(s2sad.source(logistic_loss, example=(w_check, X, y)))

    w, losses = train(X, y, steps, learning_rate=1.0 / samples, report_every=max(1, steps // 10))
    print(f"final loss {losses[-1]:.4f}, accuracy {accuracy(w, X, y):.3f}, w = {np.round(w, 3)}")
    return {"by_s2sad": by_s2sad, "by_hand": by_hand, "losses": losses, "w": w,
            "accuracy": accuracy(w, X, y), "data": (X, y)}


if __name__ == "__main__":
    main()
