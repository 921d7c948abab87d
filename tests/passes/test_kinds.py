"""passes/kinds.py: what a loop over an array binds is known as a row (one dimension
fewer), so code in the loop is specialized like code outside it."""
from __future__ import annotations

import numpy as np

import s2sad

from ..numeric import numeric_gradient


def over_rows(W, xs):
    total = 0.0
    for x in xs:
        total = total + np.sum(np.tanh(x @ W))
    return total


def over_entries(w, v):
    total = 0.0
    for e in v:
        total = total + e * np.sum(w)
    return total


def test_rows_of_a_3d_array_are_matrices():
    W, xs = np.full((3, 2), 0.2), np.linspace(-1.0, 1.0, 24).reshape(4, 2, 3)
    gradient = s2sad.grad(over_rows)
    np.testing.assert_allclose(gradient(W, xs), numeric_gradient(over_rows, (W, xs), 0),
                               rtol=1e-6, atol=1e-8)
    assert "x.T @" in gradient.source and "matmul_right" not in gradient.source


def test_entries_of_a_vector_are_numbers():
    w, v = np.array([0.5, -1.0]), np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(s2sad.grad(over_entries)(w, v),
                               numeric_gradient(over_entries, (w, v), 0), rtol=1e-6, atol=1e-8)
