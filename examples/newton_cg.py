"""Newton-CG: second-order minimisation with Hessian-vector products, no Hessian formed.

Newton's method solves H p = -g for its step. Conjugate gradients solves that system
using only products H v, and s2sad.hvp computes one by forward mode over the gradient
program (the lecture's identity H v = d/dx [grad f(x) . v]) at a few times the cost of
the loss. Here it minimises the L2-regularised logistic loss

    f(w) = mean_i log(1 + exp(-y_i w^T x_i)) + lam/2 |w|^2

and is compared with plain gradient descent given many more gradient evaluations.

Run: python examples/newton_cg.py
"""
from __future__ import annotations

from typing import Callable, List, Tuple

import numpy as np

import s2sad


def regularised_loss(w, X, y, lam):
    margins = y * (X @ w)
    return np.mean(np.log(1.0 + np.exp(-margins))) + 0.5 * lam * np.sum(w * w)


def make_data(samples: int, features: int, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Correlated features and noisy labels from a hidden linear rule."""
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(features, features)) / np.sqrt(features)
    X = rng.normal(size=(samples, features)) @ (np.eye(features) + mixing)
    truth = rng.normal(size=features)
    y = np.where(X @ truth + rng.normal(size=samples) > 0.0, 1.0, -1.0)
    return X, y


def conjugate_gradient(apply_hessian: Callable[[np.ndarray], np.ndarray], b: np.ndarray,
                       tolerance: float, max_iterations: int) -> Tuple[np.ndarray, int]:
    """Solve H x = b for symmetric positive definite H given only x -> H x; returns the
    solution and the number of products used."""
    x = np.zeros_like(b)
    residual = b.copy()
    direction = residual.copy()
    norm2 = residual @ residual
    for iteration in range(1, max_iterations + 1):
        h_direction = apply_hessian(direction)
        step = norm2 / (direction @ h_direction)
        x = x + step * direction
        residual = residual - step * h_direction
        new_norm2 = residual @ residual
        if np.sqrt(new_norm2) <= tolerance:
            return x, iteration
        direction = residual + (new_norm2 / norm2) * direction
        norm2 = new_norm2
    return x, max_iterations


def newton_cg(w, X, y, lam, iterations: int) -> List[Tuple[float, float, int]]:
    """Newton steps with CG solves; returns (loss, gradient norm, products) per iteration."""
    value_and_grad = s2sad.value_and_grad(regularised_loss)
    hessian_times = s2sad.hvp(regularised_loss)
    history = []
    for _ in range(iterations):
        loss, g = value_and_grad(w, X, y, lam)
        gradient_norm = float(np.linalg.norm(g))
        if gradient_norm < 1e-12:
            break
        # Solve more accurately as the gradient shrinks (an inexact Newton method).
        step, products = conjugate_gradient(lambda v: hessian_times(w, X, y, lam, v), -g,
                                            tolerance=min(0.5, gradient_norm) * gradient_norm,
                                            max_iterations=len(w))
        history.append((float(loss), gradient_norm, products))
        w = w + step
    loss, g = value_and_grad(w, X, y, lam)
    history.append((float(loss), float(np.linalg.norm(g)), 0))
    return history


def gradient_descent(w, X, y, lam, steps: int) -> List[Tuple[float, float]]:
    """Steps of 1/L, L the largest curvature the loss can have: |X|^2 / (4 n) + lam."""
    value_and_grad = s2sad.value_and_grad(regularised_loss)
    learning_rate = 1.0 / (np.linalg.norm(X, 2) ** 2 / (4 * len(y)) + lam)
    history = []
    for _ in range(steps):
        loss, g = value_and_grad(w, X, y, lam)
        history.append((float(loss), float(np.linalg.norm(g))))
        w = w - learning_rate * g
    return history


def main(samples: int = 2000, features: int = 30, lam: float = 1e-3, newton_steps: int = 10,
         gd_steps: int = 300):
    X, y = make_data(samples, features)
    w0 = np.zeros(features)
    hessian = s2sad.hessian(regularised_loss)(w0, X, y, lam)
    v = np.random.default_rng(1).normal(size=features)
    print(f"{samples} samples, {features} features; at w = 0, |hvp(v) - H v| = "
          f"{np.linalg.norm(s2sad.hvp(regularised_loss)(w0, X, y, lam, v) - hessian @ v):.1e}"
          " (H formed once, only for this check)\n")

    newton = newton_cg(w0, X, y, lam, newton_steps)
    print("Newton-CG")
    for k, (loss, gradient_norm, products) in enumerate(newton):
        print(f"  iteration {k:2d}  loss {loss:.10f}  |gradient| {gradient_norm:.2e}  "
              f"Hessian-vector products {products}")
    total_products = sum(products for _, _, products in newton)

    descent = gradient_descent(w0, X, y, lam, gd_steps)
    print("\nGradient descent")
    for k in sorted({k for k in (0, 1, 10, 30, 100) if k < gd_steps} | {gd_steps - 1}):
        loss, gradient_norm = descent[k]
        print(f"  step {k:4d}  loss {loss:.10f}  |gradient| {gradient_norm:.2e}")
    print(f"\nNewton-CG used {len(newton)} gradients and {total_products} Hessian-vector "
          f"products to reach |gradient| {newton[-1][1]:.1e};\ngradient descent reached "
          f"{descent[-1][1]:.1e} after {gd_steps} gradients.")
    return {"newton": newton, "descent": descent}


if __name__ == "__main__":
    main()
