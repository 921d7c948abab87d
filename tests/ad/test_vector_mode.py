"""jacfwd's vector mode: one forward sweep carries every direction when the arguments
differentiated are numbers and the program is scalar; other programs fall back to one
sweep per direction. Both give the same Jacobian."""
import math

import numpy as np

import s2sad


def lecture_pair(x1, x2):
    """The lecture's f: R^2 -> R^2."""
    return (x1 * x2 + math.cos(x1), x2 ** 3 + math.log(x1) - x2)


def lecture_array(x1, x2):
    return np.array([x1 * x2 + math.cos(x1), x2 ** 3 + math.log(x1) - x2])


def scalar_loop(x, y, z):
    s = 0.0
    for i in range(5):
        if s > 1.0:
            s = s * 0.5 + math.sin(x * s) * y
        else:
            s = s + x * y - z * 0.1
    return s, s * z


def mixes_arrays(x, y):
    return np.sin(x * np.arange(3.0)) * y


def test_scalar_program_runs_in_one_sweep(monkeypatch):
    derivative = s2sad.jvp(scalar_loop, (0, 1, 2))
    compiled = derivative.specialize((0.4, 0.8, -0.3), {})
    assert compiled.scalar_only
    calls = []
    original = type(derivative).__call__

    def counting(self, *args, **kwargs):
        calls.append(args)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(derivative), "__call__", counting)
    jac = s2sad.jacfwd(scalar_loop, wrt=(0, 1, 2))(0.4, 0.8, -0.3)
    assert len(calls) == 1
    reverse = s2sad.jacrev(scalar_loop, wrt=(0, 1, 2))(0.4, 0.8, -0.3)
    for forward_block, reverse_block in zip(jac, reverse):
        assert forward_block.shape == (2,)
        assert np.allclose(forward_block, reverse_block, rtol=1e-12, atol=1e-12)


def test_lecture_jacobian_first_column():
    jac = s2sad.jacfwd(lecture_pair, wrt=(0, 1))(2.0, 3.0)
    assert np.allclose(jac[0], [3 - math.sin(2.0), 0.5])
    assert np.allclose(jac[1], [2.0, 26.0])
    single = s2sad.jacfwd(lecture_pair, wrt=0)(2.0, 3.0)
    assert single.shape == (2,) and np.allclose(single, jac[0])


def test_array_programs_fall_back_to_one_sweep_per_direction():
    assert not s2sad.jvp(lecture_array, (0, 1)).specialize((2.0, 3.0), {}).scalar_only
    assert not s2sad.jvp(mixes_arrays, (0, 1)).specialize((0.5, 2.0), {}).scalar_only
    jac = s2sad.jacfwd(mixes_arrays, wrt=(0, 1))(0.5, 2.0)
    eps = 1e-6
    numeric = (mixes_arrays(0.5 + eps, 2.0) - mixes_arrays(0.5 - eps, 2.0)) / (2 * eps)
    assert np.allclose(jac[0], numeric, rtol=1e-6)
    assert np.allclose(s2sad.jacfwd(lecture_array, wrt=(0, 1))(2.0, 3.0)[0],
                       [3 - math.sin(2.0), 0.5])
