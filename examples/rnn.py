"""Backpropagation through time: a tanh RNN written as a plain Python loop.

    h_t = tanh(x_t Wx + h_(t-1) Wh + b),   prediction = h_T Wy,   loss = mean (prediction - y)^2

The task: read a sequence of numbers and output their mean, which the RNN must carry in
its state to the last step. s2sad differentiates the loop as written: the adjoint program
keeps what each time step needs on a tape and walks the steps backwards. Its gradient is
checked against finite differences on a few weights, then a few steps of gradient descent
train the network.

Run: python examples/rnn.py
"""
from __future__ import annotations

from typing import Dict, List, Tuple

import numpy as np

import s2sad
from finite_differences import largest_error

WEIGHTS = ("Wx", "Wh", "b", "Wy")


def rnn_loss(Wx, Wh, b, Wy, xs, y):
    """xs: (time steps, batch, inputs); y: (batch,). Mean squared error of the last step."""
    h = np.zeros((xs.shape[1], Wh.shape[0]))
    for x in xs:
        h = np.tanh(x @ Wx + h @ Wh + b)
    prediction = h @ Wy
    return np.mean((prediction - y) ** 2)


def make_sequences(steps: int, batch: int, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Random sequences of one number per time step, and the mean of each."""
    xs = np.random.default_rng(seed).uniform(-1.0, 1.0, size=(steps, batch, 1))
    return xs, xs[:, :, 0].mean(axis=0)


def init_weights(hidden: int, seed: int = 0) -> Dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"Wx": rng.normal(size=(1, hidden)), "Wh": rng.normal(size=(hidden, hidden)) * 0.3,
            "b": np.zeros(hidden), "Wy": rng.normal(size=hidden) / np.sqrt(hidden)}


def check_gradient(weights: Dict[str, np.ndarray], xs, y, entries: int = 3) -> float:
    """Compare s2sad's gradient with central finite differences on a few entries of each
    weight; returns the largest relative error."""
    gradient = s2sad.grad(rnn_loss, wrt=WEIGHTS)(*weights.values(), xs, y)
    args = [*weights.values(), xs, y]
    rng = np.random.default_rng(1)
    worst = 0.0
    for position, (name, g) in enumerate(zip(WEIGHTS, gradient)):
        indices = [tuple(int(rng.integers(n)) for n in g.shape) for _ in range(entries)]
        error = largest_error(rnn_loss, args, position, g, indices)
        print(f"d loss / d {name:2s} at {indices}: largest relative error {error:.1e}")
        worst = max(worst, error)
    return worst


def train(weights: Dict[str, np.ndarray], xs, y, steps: int,
          learning_rate: float) -> Tuple[Dict[str, np.ndarray], List[float]]:
    value_and_grad = s2sad.value_and_grad(rnn_loss, wrt=WEIGHTS)
    losses = []
    for step in range(steps):
        loss, gradient = value_and_grad(*weights.values(), xs, y)
        losses.append(float(loss))
        print(f"step {step:3d}  loss {loss:.5f}")
        weights = {name: w - learning_rate * g
                   for (name, w), g in zip(weights.items(), gradient)}
    return weights, losses


def main(time_steps: int = 20, batch: int = 64, hidden: int = 8, train_steps: int = 15,
         learning_rate: float = 0.2):
    xs, y = make_sequences(time_steps, batch)
    weights = init_weights(hidden)
    print(f"tanh RNN, {hidden} hidden units, {time_steps} time steps, batch of {batch}\n")
    worst = check_gradient(weights, xs, y)
    print("\nThe adjoint program: the forward loop appends to the tape, the backward loop "
          "pops it.\n")
    print(s2sad.source(rnn_loss, wrt=WEIGHTS, example=(*weights.values(), xs, y)))
    weights, losses = train(weights, xs, y, train_steps, learning_rate)
    print(f"(always answering 0 would score {np.mean(y ** 2):.5f})")
    return {"worst_error": worst, "losses": losses, "weights": weights}


if __name__ == "__main__":
    main()
