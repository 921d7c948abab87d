"""Vanishing gradients: the gradient of each layer of a deep sigmoid network and of the
same network with ReLU.

Backpropagation multiplies the adjoint by the activation's derivative at every layer it
passes (the lecture: vjp(phi, v) = phi'(x) * v). The sigmoid's derivative is at most 1/4,
so the gradient shrinks by a roughly constant factor per layer and the first layers of a
deep sigmoid network barely learn. ReLU's derivative is 0 or 1, and with weights scaled
for it (He initialisation) the gradient keeps its size through all the layers.

Run: python examples/vanishing_gradients.py [--layers 20]
"""
from __future__ import annotations

import argparse
import math
from typing import Callable, List

import numpy as np

import s2sad
from activations import relu, sigmoid


def make_loss(activation: Callable) -> Callable:
    """Squared error of a deep network: hidden layers h = activation(h W), then a linear
    readout v."""
    def loss(weights, readout, X, y):
        h = X
        for W in weights:
            h = activation(h @ W)
        return np.mean((h @ readout - y) ** 2)
    return loss


def layer_gradient_norms(activation: Callable, layers: int, width: int = 32,
                         samples: int = 16, seed: int = 0) -> List[float]:
    """|d loss / d W_l| for every layer l, both networks starting from the same weights."""
    rng = np.random.default_rng(seed)
    weights = [rng.normal(size=(width, width)) * math.sqrt(2.0 / width) for _ in range(layers)]
    readout = rng.normal(size=width) / math.sqrt(width)
    X, y = rng.normal(size=(samples, width)), rng.normal(size=samples)
    gradients = s2sad.grad(make_loss(activation))(weights, readout, X, y)
    return [float(np.linalg.norm(g)) for g in gradients]


def bar(norm: float, smallest: float = 1e-12) -> str:
    """A bar as long as the number of decades above smallest."""
    return "#" * max(0, int(round(math.log10(max(norm, smallest) / smallest))))


def per_layer_factor(norms: List[float]) -> float:
    """The geometric mean of |grad W_(l-1)| / |grad W_l|: the shrinking per layer back."""
    return (norms[0] / norms[-1]) ** (1.0 / (len(norms) - 1))


def main(layers: int = 20):
    sigmoid_norms = layer_gradient_norms(sigmoid, layers)
    relu_norms = layer_gradient_norms(relu, layers)
    print(f"|d loss / d W_l| for each layer of a {layers}-layer network "
          "(bars: decades above 1e-12)\n")
    print(f"{'layer':>5}  {'sigmoid':>9}  {'':14}  {'ReLU':>9}")
    for layer, (s, r) in enumerate(zip(sigmoid_norms, relu_norms), start=1):
        print(f"{layer:5d}  {s:9.2e}  {bar(s):14}  {r:9.2e}  {bar(r)}")
    sigmoid_factor = per_layer_factor(sigmoid_norms)
    print(f"""
Each step back through a layer multiplies the adjoint by W^T and by the activation's
derivative. sigma'(z) <= 1/4, so the sigmoid network's gradient is multiplied by
about {sigmoid_factor:.2f} per layer: the first layer's gradient is \
{sigmoid_norms[0] / sigmoid_norms[-1]:.0e} times the last one's,
and gradient descent leaves the first layers where they started. ReLU's derivative is 1
wherever a unit is active; with weights scaled by sqrt(2 / width) the factor per layer is
about {per_layer_factor(relu_norms):.2f}, and every layer gets a gradient it can learn from.""")
    return {"sigmoid": sigmoid_norms, "relu": relu_norms}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=20)
    main(parser.parse_args().layers)
