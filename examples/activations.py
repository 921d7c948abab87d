"""The lecture's activation functions, written as plain NumPy functions of an array.

s2sad differentiates them where they are used, like any other code: np.maximum and
np.where take the usual subgradient at 0 (derivative 0 there), the rest are smooth.
The examples import them from here: mlp.py trains with each, vanishing_gradients.py
compares sigmoid with ReLU.
"""
import math

import numpy as np


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def relu(z):
    return np.maximum(z, 0.0)


def leaky_relu(z, slope=0.01):
    return np.where(z > 0.0, z, slope * z)


def elu(z, alpha=1.0):
    """z for z > 0, alpha (exp(z) - 1) below (the minimum keeps exp from overflowing in
    the branch np.where does not pick)."""
    return np.where(z > 0.0, z, alpha * (np.exp(np.minimum(z, 0.0)) - 1.0))


def silu(z):
    """z sigma(z), also called Swish."""
    return z * sigmoid(z)


def gelu(z):
    """z Phi(z), with the Gaussian distribution function Phi in its tanh approximation."""
    return 0.5 * z * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (z + 0.044715 * z ** 3)))


ACTIVATIONS = {"tanh": np.tanh, "relu": relu, "leaky_relu": leaky_relu, "elu": elu,
               "silu": silu, "gelu": gelu}
