"""Your own derivative rule, and stop_gradient.

``cube_root`` finds y with y**3 = x by Newton's method. Differentiating through its loop
works, but the derivative of the answer is known in closed form, dy/dx = 1 / (3 y^2):
registering it makes the gradient exact, cheaper, and independent of the iteration.
``stop_gradient`` keeps a value out of the derivative (here: a baseline).

Run: python examples/custom_rule.py
"""
import numpy as np

import s2sad


def cube_root(x):
    """Newton's method for the real cube root of x > 0."""
    y = x if x > 1.0 else 1.0
    for _ in range(60):
        y = y - (y * y * y - x) / (3.0 * y * y)
    return y


@s2sad.register_reverse(cube_root)
def cube_root_adjoint(g, y, x):
    return g / (3.0 * y * y)


@s2sad.register_forward(cube_root)
def cube_root_tangent(dx, y, x):
    return dx / (3.0 * y * y)


def volume_loss(sides, target):
    """How far the cubes' total side length is from target, with sides from volumes."""
    total = 0.0
    for volume in sides:
        total = total + cube_root(volume)
    baseline = s2sad.stop_gradient(total * 0.5)
    return (total - target) ** 2 + baseline


def main():
    volumes = np.array([8.0, 27.0, 64.0])
    loss, grad = s2sad.value_and_grad(volume_loss)(volumes, 8.0)
    print("loss:", loss)
    print("gradient:", grad)
    expected = 2 * (2 + 3 + 4 - 8.0) / (3 * np.array([2.0, 3.0, 4.0]) ** 2)
    print("closed form:", expected)
    print(s2sad.source(volume_loss))
    return grad, expected


if __name__ == "__main__":
    main()
