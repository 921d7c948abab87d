"""A two-layer perceptron trained with mini-batch SGD, with the activation of your choice.

    h = act(X W1 + b1),  logit = h W2 + b2,  loss = mean log(1 + exp(-y logit))

on two concentric rings of points (labels -1 inside, +1 outside): no straight line
separates them, one hidden layer does. The activations are the lecture's (tanh, ReLU,
leaky ReLU, ELU, SiLU, GELU), plain NumPy functions in activations.py; s2sad
differentiates whichever the loss uses, and prints the gradient program it wrote.

Run: python examples/mlp.py [--activation gelu] [--steps 600]
The loss curve goes to mlp_loss.png when matplotlib is installed.
"""
from __future__ import annotations

import argparse
import os
from typing import Callable, List, Optional, Tuple

import numpy as np

import s2sad
from activations import ACTIVATIONS

Params = Tuple[np.ndarray, np.ndarray, np.ndarray, float]


def make_loss(activation: Callable) -> Callable:
    """The network's loss with this activation; s2sad resolves the closure's
    ``activation`` when it compiles ``loss``, as it does a global."""
    def loss(W1, b1, W2, b2, X, y):
        hidden = activation(X @ W1 + b1)
        logits = hidden @ W2 + b2
        return np.mean(np.log(1.0 + np.exp(-y * logits)))
    return loss


def make_rings(samples: int, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Points on a ring of radius 1 (label -1) or 2 (label +1), with noise."""
    rng = np.random.default_rng(seed)
    y = np.where(rng.random(samples) < 0.5, -1.0, 1.0)
    radius = 1.5 + 0.5 * y + 0.15 * rng.normal(size=samples)
    angle = rng.uniform(0.0, 2.0 * np.pi, size=samples)
    return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)]), y


def init_params(inputs: int, hidden: int, seed: int = 0) -> Params:
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(inputs, hidden)) / np.sqrt(inputs), np.zeros(hidden),
            rng.normal(size=hidden) / np.sqrt(hidden), 0.0)


def accuracy(params: Params, activation: Callable, X, y) -> float:
    W1, b1, W2, b2 = params
    return float(np.mean(np.sign(activation(X @ W1 + b1) @ W2 + b2) == y))


def sgd(loss: Callable, params: Params, X, y, steps: int, batch_size: int,
        learning_rate: float, report_every: int, seed: int = 0) -> Tuple[Params, List[float]]:
    """Mini-batch SGD: each epoch shuffles the data and walks through it batch by batch.
    Returns the trained parameters and the loss of every batch."""
    value_and_grad = s2sad.value_and_grad(loss, wrt=("W1", "b1", "W2", "b2"))
    rng = np.random.default_rng(seed)
    losses: List[float] = []
    order = np.array([], dtype=int)
    for step in range(steps):
        if len(order) < batch_size:
            order = rng.permutation(len(y))
        batch, order = order[:batch_size], order[batch_size:]
        value, grads = value_and_grad(*params, X[batch], y[batch])
        params = tuple(p - learning_rate * g for p, g in zip(params, grads))
        losses.append(float(value))
        if step % report_every == 0 or step == steps - 1:
            recent = losses[-report_every:]
            print(f"step {step:5d}  loss {np.mean(recent):.4f} (mean of the last {len(recent)} "
                  "batches)")
    return params, losses


def save_loss_curve(losses: List[float], path: str, title: str) -> Optional[str]:
    """Plot the losses to path if matplotlib is installed; returns the path written."""
    path = os.path.abspath(path)
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed: the loss curve would be saved to {path}")
        return None
    figure, axes = plt.subplots()
    axes.plot(losses)
    axes.set(xlabel="SGD step", ylabel="batch loss", title=title, yscale="log")
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
    print(f"loss curve saved to {path}")
    return path


def main(activation: str = "tanh", steps: int = 600, hidden: int = 16, samples: int = 512,
         batch_size: int = 32, learning_rate: float = 0.5, plot_path: str = "mlp_loss.png"):
    act = ACTIVATIONS[activation]
    loss = make_loss(act)
    X, y = make_rings(samples)
    params = init_params(X.shape[1], hidden)
    print(f"2-{hidden}-1 network, {activation} activation, {samples} points, batches of "
          f"{batch_size}")
    print(f"accuracy before training {accuracy(params, act, X, y):.3f}")
    params, losses = sgd(loss, params, X, y, steps, batch_size, learning_rate,
                         report_every=max(1, steps // 10))
    final_accuracy = accuracy(params, act, X, y)
    print(f"accuracy after training {final_accuracy:.3f}")
    print("\nThe gradient program s2sad wrote for this loss:\n")
    print(s2sad.source(loss, wrt=("W1", "b1", "W2", "b2"), example=(*params, X, y)))
    save_loss_curve(losses, plot_path, f"2-layer MLP, {activation}")
    return {"losses": losses, "params": params, "accuracy": final_accuracy, "loss": loss,
            "data": (X, y)}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activation", choices=sorted(ACTIVATIONS), default="tanh")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--plot", default="mlp_loss.png", help="where to save the loss curve")
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    main(activation=arguments.activation, steps=arguments.steps, plot_path=arguments.plot)
