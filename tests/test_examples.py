"""The scripts in examples/: each runs as a script, and what each computes is checked
(derivatives against central finite differences and closed forms, training lowers the
loss), called through its main() with small sizes."""
from __future__ import annotations

import importlib
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import s2sad

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SCRIPTS = ["lecture", "logistic_regression", "two_parameter", "mlp", "rnn", "newton_cg",
           "vanishing_gradients", "custom_rule"]
HELPERS = ["finite_differences", "activations"]  # modules the scripts import


@pytest.fixture
def example(monkeypatch):
    """Import an example by name, as its script does (examples/ first on the path)."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    return importlib.import_module


@pytest.fixture
def fd(example):
    return example("finite_differences")


def test_every_example_is_listed_here():
    assert {path.stem for path in EXAMPLES.glob("*.py")} == set(SCRIPTS) | set(HELPERS)


@pytest.mark.parametrize("name", SCRIPTS)
def test_example_runs_as_a_script(name, tmp_path):
    script = EXAMPLES / f"{name}.py"
    assert script.read_text().startswith('"""')
    assert "Run: python examples/" in script.read_text().split('"""')[1]
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.strip()


# -- lecture.py ---------------------------------------------------------------------------
def test_lecture_traces_give_the_lecture_numbers(example, fd):
    lecture = example("lecture")
    (g_forward, g_reverse), ((d1, d2), (b1, b2)) = lecture.main()
    g_expected = fd.central_difference(lecture.g, [2.0], 0)
    assert g_forward == pytest.approx(g_expected, rel=1e-7)
    assert g_reverse == pytest.approx(g_expected, rel=1e-7)
    assert round(g_reverse, 3) == -18.259
    for position, (forward, reverse) in enumerate([(d1, b1), (d2, b2)]):
        expected = fd.central_difference(lecture.f, [2.0, 5.0], position)
        assert forward == pytest.approx(expected, rel=1e-7)
        assert reverse == pytest.approx(expected, rel=1e-7)
    assert (round(b1, 3), round(b2, 3)) == (5.5, 1.716)


def test_lecture_trace_values_are_the_programs_intermediate_values(example):
    lecture = example("lecture")
    program = s2sad.source(lecture.g, mode="forward")
    result, values = lecture.trace_values(program, 2.0, dx=1.0)
    assert result == s2sad.jvp(lecture.g)(2.0, 1.0)
    lines = program.splitlines()
    assert set(values) == {number for number, line in enumerate(lines, start=1)
                           if not line.lstrip().startswith(("#", "def "))}
    assert values[max(values)] == result  # the return line's value is the result
    # The lecture's forward trace: v1 = x^2 = 4 (and dv1 = 4), v2 = 20 (and dv2 = 20).
    numbers = [v for v in values.values() if isinstance(v, float)]
    assert 4.0 in numbers and 20.0 in numbers and math.cos(20.0) in numbers


def test_lecture_keeps_the_readme_command(example):
    result = subprocess.run([sys.executable, "-m", "s2sad", "adjoint", "examples/lecture.py:f",
                             "--wrt", "x1,x2"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert "def f_adjoint(x1, x2, *, seed=1.0):" in result.stdout


# -- logistic_regression.py ---------------------------------------------------------------
def test_logistic_regression_gradient_and_training(example, fd):
    logistic = example("logistic_regression")
    result = logistic.main(samples=200, steps=60)
    assert np.allclose(result["by_s2sad"], result["by_hand"], rtol=1e-10, atol=1e-10)
    X, y = result["data"]
    w = result["w"]
    gradient = s2sad.grad(logistic.logistic_loss)(w, X, y)
    assert fd.largest_error(logistic.logistic_loss, [w, X, y], 0, gradient,
                            [(i,) for i in range(len(w))]) < 1e-6
    losses = result["losses"]
    assert all(later <= earlier for earlier, later in zip(losses, losses[1:]))
    assert losses[-1] < 0.5 * losses[0]
    assert result["accuracy"] > 0.9


# -- two_parameter.py ---------------------------------------------------------------------
def test_two_parameter_gradient_and_descent(example, fd):
    model = example("two_parameter")
    result = model.main(start=(0.1, 0.2), steps=40)
    for position in range(2):
        expected = fd.central_difference(model.loss, [0.1, 0.2], position)
        assert result["by_s2sad"][position] == pytest.approx(expected, rel=1e-7)
        assert result["by_hand"][position] == pytest.approx(expected, rel=1e-7)
    losses = [loss for _, _, loss in result["path"]]
    assert len(losses) == 41
    assert all(later <= earlier for earlier, later in zip(losses, losses[1:]))
    w1, w2, final = result["path"][-1]
    assert final < 1e-4 and w2 * math.tanh(3.5 * w1) == pytest.approx(1.0, abs=1e-2)


# -- mlp.py -------------------------------------------------------------------------------
@pytest.mark.parametrize("activation", ["tanh", "relu", "leaky_relu", "elu", "silu", "gelu"])
def test_mlp_trains_with_each_activation(activation, example, fd, tmp_path, capsys):
    mlp = example("mlp")
    plot = tmp_path / "loss.png"
    result = mlp.main(activation=activation, steps=200, samples=256, plot_path=str(plot))
    losses = result["losses"]
    assert np.mean(losses[-20:]) < 0.6 * np.mean(losses[:20])
    assert result["accuracy"] > 0.8
    output = capsys.readouterr().out
    assert plot.exists() or f"would be saved to {plot}" in output
    # The gradient of the trained network, entry by entry, against finite differences.
    args = [*result["params"], *result["data"]]
    gradient = s2sad.grad(result["loss"], wrt=("W1", "b1", "W2", "b2"))(*args)
    for position, g in enumerate(gradient):
        indices = [np.unravel_index(k, np.shape(g)) for k in range(0, int(np.size(g)), 5)]
        assert fd.largest_error(result["loss"], args, position, g, indices) < 1e-6


def test_activations_match_their_definitions(example):
    activations = example("activations")
    z = np.linspace(-3.0, 3.0, 13)
    gaussian_cdf = np.array([0.5 * (1.0 + math.erf(v / math.sqrt(2.0))) for v in z])
    assert np.allclose(activations.gelu(z), z * gaussian_cdf, atol=1e-3)
    assert np.allclose(activations.silu(z), z / (1.0 + np.exp(-z)))
    assert np.allclose(activations.elu(z), np.where(z > 0, z, np.expm1(z)))
    assert np.allclose(activations.leaky_relu(z), np.where(z > 0, z, 0.01 * z))


# -- rnn.py -------------------------------------------------------------------------------
def test_rnn_gradient_check_and_training(example, fd):
    rnn = example("rnn")
    result = rnn.main(time_steps=8, batch=16, hidden=4, train_steps=6)
    assert result["worst_error"] < 1e-6
    losses = result["losses"]
    assert losses[-1] < losses[0]
    xs, y = rnn.make_sequences(5, 3, seed=7)
    weights = rnn.init_weights(3, seed=7)
    args = [*weights.values(), xs, y]
    gradient = s2sad.grad(rnn.rnn_loss, wrt=rnn.WEIGHTS)(*args)
    for position, g in enumerate(gradient):
        indices = list(np.ndindex(g.shape))
        assert fd.largest_error(rnn.rnn_loss, args, position, g, indices) < 1e-6


# -- newton_cg.py -------------------------------------------------------------------------
def test_newton_cg_converges_faster_than_gradient_descent(example):
    newton_cg = example("newton_cg")
    result = newton_cg.main(samples=300, features=8, newton_steps=8, gd_steps=40)
    newton, descent = result["newton"], result["descent"]
    assert newton[-1][1] < 1e-8
    assert newton[-1][1] < 1e-4 * descent[-1][1]
    losses = [loss for loss, _, _ in newton]
    assert all(later <= earlier + 1e-12 for earlier, later in zip(losses, losses[1:]))


def test_newton_cg_hessian_vector_products(example):
    newton_cg = example("newton_cg")
    X, y = newton_cg.make_data(50, 4, seed=3)
    rng = np.random.default_rng(4)
    w, v = rng.normal(size=4), rng.normal(size=4)
    gradient = s2sad.grad(newton_cg.regularised_loss)
    step = 1e-5
    expected = (gradient(w + step * v, X, y, 0.1) - gradient(w - step * v, X, y, 0.1)) / (2 * step)
    assert np.allclose(s2sad.hvp(newton_cg.regularised_loss)(w, X, y, 0.1, v), expected,
                       rtol=1e-6, atol=1e-8)
    solution, products = newton_cg.conjugate_gradient(
        lambda u: s2sad.hvp(newton_cg.regularised_loss)(w, X, y, 0.1, u), v, 1e-12, 4)
    hessian = s2sad.hessian(newton_cg.regularised_loss)(w, X, y, 0.1)
    assert products <= 4 and np.allclose(hessian @ solution, v, atol=1e-9)


# -- vanishing_gradients.py ---------------------------------------------------------------
def test_sigmoid_gradients_vanish_and_relu_gradients_do_not(example):
    vanishing = example("vanishing_gradients")
    result = vanishing.main(layers=12)
    sigmoid, relu = result["sigmoid"], result["relu"]
    assert len(sigmoid) == len(relu) == 12
    assert sigmoid[0] < 1e-4 * sigmoid[-1]
    assert all(earlier < later for earlier, later in zip(sigmoid, sigmoid[1:]))
    assert 0.1 < relu[0] / relu[-1] < 10.0


def test_deep_network_gradient_against_finite_differences(example, fd):
    vanishing, activations = example("vanishing_gradients"), example("activations")
    rng = np.random.default_rng(5)
    weights = [rng.normal(size=(4, 4)) for _ in range(3)]
    args = [weights, rng.normal(size=4), rng.normal(size=(6, 4)), rng.normal(size=6)]
    for activation in (activations.sigmoid, activations.relu):
        loss = vanishing.make_loss(activation)
        gradients = s2sad.grad(loss)(*args)
        for layer, g in enumerate(gradients):
            def loss_of_layer(W, layer=layer, loss=loss):
                moved = list(weights)
                moved[layer] = W
                return loss(moved, *args[1:])
            assert fd.largest_error(loss_of_layer, [weights[layer]], 0, g,
                                    list(np.ndindex(g.shape))) < 1e-6


# -- custom_rule.py -----------------------------------------------------------------------
def test_custom_rule_gradient_and_stop_gradient(example, fd):
    custom = example("custom_rule")
    gradient, expected = custom.main()
    assert np.allclose(gradient, expected, rtol=1e-12)
    volumes = np.array([8.0, 27.0, 64.0])
    # Finite differences see the baseline too: it adds 0.5 d(total)/dv = 0.5 / (3 v^(2/3)).
    for i in range(3):
        full = fd.central_difference(custom.volume_loss, [volumes, 8.0], 0, (i,))
        assert full == pytest.approx(gradient[i] + 0.5 / (3 * volumes[i] ** (2 / 3)), rel=1e-6)
