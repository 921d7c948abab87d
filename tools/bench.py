"""Benchmark: s2sad's generated gradients against the function, hand-written NumPy, autograd,
JAX and PyTorch.

Run from the repository's root::

    python tools/bench.py              # full run (minutes with JAX installed: see W1 below)
    python tools/bench.py --quick      # smoke run: fewer, shorter repeats
    python tools/bench.py --only W1,W3 --markdown
    python tools/bench.py --check      # correctness checks only, no timing

Run as a script, it pins BLAS to one thread unless OPENBLAS_NUM_THREADS, OMP_NUM_THREADS or
MKL_NUM_THREADS is set: multithreaded OpenBLAS sharing the cores with any other process
stalls in steps of about 8 ms, which turns the NumPy workloads' times into noise. The ratios
compare differentiation overhead, which one thread shows best. When it pins BLAS it also
pins the frameworks: ``torch.set_num_threads(1)``, and XLA's CPU backend through
``XLA_FLAGS`` (unless XLA_FLAGS is set). The machine lines say which.

Everything runs in one process, in float64. For each workload it times

  (a) the function alone,
  (b) s2sad.value_and_grad of it,
  (c) a hand-written NumPy gradient that also returns the value (so (b) and (c) do the
      same work: value and gradient),
  (d) the value and gradient in each comparison framework that imports ("n/a" in its column
      otherwise), each given its inputs once, outside the timed call:

      autograd: ``autograd.value_and_grad`` of the same source, with ``np`` and ``math``
        bound to ``autograd.numpy``;
      JAX: ``jax.jit(jax.value_and_grad(...))`` of the same source, with ``np`` and ``math``
        bound to ``jax.numpy`` (``jax_enable_x64``, CPU), on inputs converted to JAX arrays;
        the warm-up call compiles, and every timed call waits for its results
        (``block_until_ready``). Python loops unroll under jit: W4 is compiled as 50 steps
        of straight-line code, W1 as 1000, whose compile alone takes a minute or more (not
        timed, but it is most of a run's time);
      PyTorch: the workload written in torch line for line (the ``*_torch`` functions, bound
        to the torch module when it imports), on float64 tensors with ``requires_grad`` on
        the differentiated ones; the timed call evaluates the function and
        ``torch.autograd.grad`` of its value with respect to those tensors,

and prints ratios of those times, never bare times as the headline: each framework's column
is its time divided by s2sad's. Each callable is warmed up once (s2sad compiles on its first
call, JAX's jit on its), then timed like ``timeit``: the number of loops is raised until one
repeat takes at least 0.1 s, and the minimum over 5 repeats is kept.

W6 is second order: s2sad.hvp of the W3 MLP loss (wrt W1, b1, W2, b2; the vector v is random
arrays of the same shapes) timed against the function and against autograd's
``hessian_vector_product`` (on a function of the flattened parameters, since it takes one
argument), JAX's forward-over-reverse ``jax.jit`` of ``jax.jvp`` of ``jax.grad``, and
PyTorch's double backward (``torch.autograd.grad`` of the gradient, built with
``create_graph=True``, with ``grad_outputs=v``: v^T H, which is H v since H is symmetric).
There is no hand-written HVP: before timing, every HVP is checked against central differences
of the hand-written W3 gradient along v (rtol 1e-4).

Before timing, every hand-written gradient is checked against central finite differences
along a random direction, and every other value and gradient against the hand-written ones
(``np.allclose``, rtol 1e-6). When s2sad or a framework raises (not implemented yet, or
unsupported code), its cells show the shortened error and the run goes on.

The four differentiating systems share one mechanism: an ``Engine`` per system builds the
value-and-gradient and HVP callables of a workload and converts its inputs; the same code
warms up, checks and times what every engine builds.

``main(argv)`` returns 0, or 1 when a correctness check failed (a hand-written gradient off
its finite differences, or s2sad or a framework returning a wrong value, gradient or HVP).
"""
from __future__ import annotations

import argparse
import gc
import inspect
import math
import os
import platform
import sys
import timeit
import types
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

_BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_XLA_ONE_THREAD = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
_BLAS_PINNED = False
_XLA_PINNED = False
if __name__ == "__main__" and "numpy" not in sys.modules and not any(
        v in os.environ for v in _BLAS_VARS):
    # One BLAS thread unless the caller chose: with other processes on the cores,
    # multithreaded OpenBLAS stalls in ~8 ms steps and the NumPy rows become noise.
    for _var in _BLAS_VARS:
        os.environ[_var] = "1"
    _BLAS_PINNED = True
    if "XLA_FLAGS" not in os.environ:  # read when (and if) jax is imported
        os.environ["XLA_FLAGS"] = _XLA_ONE_THREAD
        _XLA_PINNED = True

import numpy as np  # noqa: E402

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# --------------------------------------------------------------------------------------------
# Workloads: plain, idiomatic Python/NumPy, as a user would write them.
# --------------------------------------------------------------------------------------------


def scalar_loop(x, y):
    """W1: a 1000-step recurrence over Python floats (contracting, so values stay bounded)."""
    s = 0.0
    for i in range(1000):
        t = math.tanh(x * s + y)
        s = 0.9 * s + 0.5 * math.sin(t) - 0.01 * s * s + 0.05 * math.exp(-t * t)
    return s


def logistic_loss(w, X, y):
    """W2: logistic regression loss; labels y are +1/-1."""
    return np.sum(np.log(1 + np.exp(-y * (X @ w))))


def mlp_loss(W1, b1, W2, b2, X, labels_onehot):
    """W3: a 784-128-10 tanh MLP with softmax cross-entropy, averaged over the batch."""
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.mean(np.sum(labels_onehot * log_probs, axis=1))


def rnn_loss(Wx, Wh, b, xs, target):
    """W4: a 50-step tanh RNN (batch 32, hidden 64, input 16), squared error on the last state."""
    h = np.zeros((32, 64))
    for t in range(50):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum((h - target) ** 2)


def lecture_f(x1, x2):
    """W5: the lecture notes' function; gradient at (2, 5) is (5.5, 1.716)."""
    return math.log(x1) + x1 * x2 - math.sin(x2)


# --------------------------------------------------------------------------------------------
# The same workloads in PyTorch, line for line. ``torch`` is a placeholder here: the PyTorch
# engine runs copies of these functions with it bound to the torch module.
# --------------------------------------------------------------------------------------------

torch: Any = None


def scalar_loop_torch(x, y):
    s = 0.0
    for i in range(1000):
        t = torch.tanh(x * s + y)
        s = 0.9 * s + 0.5 * torch.sin(t) - 0.01 * s * s + 0.05 * torch.exp(-t * t)
    return s


def logistic_loss_torch(w, X, y):
    return torch.sum(torch.log(1 + torch.exp(-y * (X @ w))))


def mlp_loss_torch(W1, b1, W2, b2, X, labels_onehot):
    h = torch.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    shifted = logits - torch.amax(logits, dim=1, keepdim=True)
    log_probs = shifted - torch.log(torch.sum(torch.exp(shifted), dim=1, keepdim=True))
    return -torch.mean(torch.sum(labels_onehot * log_probs, dim=1))


def rnn_loss_torch(Wx, Wh, b, xs, target):
    h = torch.zeros((32, 64), dtype=torch.float64)
    for t in range(50):
        h = torch.tanh(xs[t] @ Wx + h @ Wh + b)
    return torch.sum((h - target) ** 2)


def lecture_f_torch(x1, x2):
    return torch.log(x1) + x1 * x2 - torch.sin(x2)


# --------------------------------------------------------------------------------------------
# Hand-written gradients: each returns (value, gradient), gradient shaped like s2sad's.
# --------------------------------------------------------------------------------------------


def scalar_loop_vg(x, y):
    """Adjoint of scalar_loop: a forward sweep that records s, t and exp(-t*t), then a reverse sweep."""
    ss = []
    ts = []
    es = []
    s = 0.0
    for i in range(1000):
        t = math.tanh(x * s + y)
        e = math.exp(-t * t)
        ss.append(s)
        ts.append(t)
        es.append(e)
        s = 0.9 * s + 0.5 * math.sin(t) - 0.01 * s * s + 0.05 * e
    gs = 1.0
    gx = 0.0
    gy = 0.0
    for i in range(999, -1, -1):
        s_i = ss[i]
        t = ts[i]
        gt = gs * (0.5 * math.cos(t) - 0.1 * t * es[i])
        gu = gt * (1.0 - t * t)
        gx += gu * s_i
        gy += gu
        gs = gs * (0.9 - 0.02 * s_i) + gu * x
    return s, (gx, gy)


def logistic_loss_vg(w, X, y):
    """Closed form, with the same floating-point formula as the loss: d/dm log(1 + e^-m)."""
    m = y * (X @ w)
    e = np.exp(-m)
    value = np.sum(np.log(1 + e))
    return value, X.T @ (-y * (e / (1 + e)))


def mlp_loss_vg(W1, b1, W2, b2, X, labels_onehot):
    """Backprop through the MLP; the max-shift contributes nothing and is skipped."""
    n = X.shape[0]
    h = np.tanh(X @ W1 + b1)
    logits = h @ W2 + b2
    shifted = logits - np.max(logits, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    value = -np.mean(np.sum(labels_onehot * log_probs, axis=1))
    g_logp = labels_onehot * (-1.0 / n)
    g_logits = g_logp - np.exp(log_probs) * np.sum(g_logp, axis=1, keepdims=True)
    g_W2 = h.T @ g_logits
    g_b2 = np.sum(g_logits, axis=0)
    g_a = (g_logits @ W2.T) * (1 - h * h)
    g_W1 = X.T @ g_a
    g_b1 = np.sum(g_a, axis=0)
    return value, (g_W1, g_b1, g_W2, g_b2)


def rnn_loss_vg(Wx, Wh, b, xs, target):
    """Backpropagation through time: keep every hidden state, accumulate per step."""
    h = np.zeros((32, 64))
    hs = [h]
    for t in range(50):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
        hs.append(h)
    diff = h - target
    value = np.sum(diff ** 2)
    g_h = 2 * diff
    g_Wx = np.zeros_like(Wx)
    g_Wh = np.zeros_like(Wh)
    g_b = np.zeros_like(b)
    for t in range(49, -1, -1):
        h_next = hs[t + 1]
        g_a = g_h * (1 - h_next * h_next)
        g_Wx += xs[t].T @ g_a
        g_Wh += hs[t].T @ g_a
        g_b += np.sum(g_a, axis=0)
        g_h = g_a @ Wh.T
    return value, (g_Wx, g_Wh, g_b)


def lecture_f_vg(x1, x2):
    """The lecture's gradient by hand: (1/x1 + x2, x1 - cos x2)."""
    return (math.log(x1) + x1 * x2 - math.sin(x2)), (1.0 / x1 + x2, x1 - math.cos(x2))


# --------------------------------------------------------------------------------------------
# Workload table
# --------------------------------------------------------------------------------------------


class Workload:
    """One benchmark row: the function, its hand-written (value, gradient), what to
    differentiate, the inputs, and the function in torch (None if it has no torch version)."""

    def __init__(self, key: str, title: str, fn: Callable[..., Any], hand: Callable[..., Any],
                 wrt: Any, make_args: Callable[[], tuple],
                 torch_fn: Optional[Callable[..., Any]] = None):
        self.key = key
        self.title = title
        self.fn = fn
        self.hand = hand
        self.wrt = wrt
        self.make_args = make_args
        self.torch_fn = torch_fn

    def positions(self) -> Tuple[int, ...]:
        """wrt as parameter positions (for the frameworks and finite differences)."""
        params = list(inspect.signature(self.fn).parameters)
        items = self.wrt if isinstance(self.wrt, tuple) else (self.wrt,)
        return tuple(params.index(w) if isinstance(w, str) else w for w in items)

    def argnums(self) -> Any:
        """wrt as autograd's argnum or JAX's argnums: a tuple of positions, or one position."""
        pos = self.positions()
        return pos if isinstance(self.wrt, tuple) else pos[0]


def _w1_args():
    return (0.7, 0.3)


def _w2_args():
    rng = np.random.default_rng(2)
    X = rng.standard_normal((10000, 100))
    w = rng.standard_normal(100) * 0.1
    y = np.where(rng.standard_normal(10000) > 0, 1.0, -1.0)
    return (w, X, y)


def _w3_args():
    rng = np.random.default_rng(3)
    W1 = rng.standard_normal((784, 128)) * (1 / np.sqrt(784))
    b1 = rng.standard_normal(128) * 0.1
    W2 = rng.standard_normal((128, 10)) * (1 / np.sqrt(128))
    b2 = rng.standard_normal(10) * 0.1
    X = rng.random((256, 784))
    labels = rng.integers(0, 10, size=256)
    onehot = np.zeros((256, 10))
    onehot[np.arange(256), labels] = 1.0
    return (W1, b1, W2, b2, X, onehot)


def _w4_args():
    rng = np.random.default_rng(4)
    Wx = rng.standard_normal((16, 64)) * 0.25
    Wh = rng.standard_normal((64, 64)) * (0.9 / np.sqrt(64))
    b = rng.standard_normal(64) * 0.1
    xs = rng.standard_normal((50, 32, 16))
    target = rng.standard_normal((32, 64)) * 0.5
    return (Wx, Wh, b, xs, target)


def _w5_args():
    return (2.0, 5.0)


class HvpWorkload(Workload):
    """A Hessian-vector product workload: ``hand`` is the hand-written (value, gradient) the
    HVP is checked against, ``make_v`` the vector (shaped like the wrt arguments)."""

    def __init__(self, key: str, title: str, fn: Callable[..., Any], hand: Callable[..., Any],
                 wrt: Any, make_args: Callable[[], tuple], make_v: Callable[[], tuple]):
        super().__init__(key, title, fn, hand, wrt, make_args)
        self.make_v = make_v


def _w6_v():
    rng = np.random.default_rng(6)
    return tuple(rng.standard_normal(np.shape(a)) for a in _w3_args()[:4])


class HvpWorkload(Workload):
    """A Hessian-vector product workload: ``hand`` is the hand-written (value, gradient) the
    HVP is checked against, ``make_v`` the vector (shaped like the wrt arguments)."""

    def __init__(self, key: str, title: str, fn: Callable[..., Any], hand: Callable[..., Any],
                 wrt: Any, make_args: Callable[[], tuple], make_v: Callable[[], tuple],
                 torch_fn: Optional[Callable[..., Any]] = None):
        super().__init__(key, title, fn, hand, wrt, make_args, torch_fn)
        self.make_v = make_v


def _w6_v():
    rng = np.random.default_rng(6)
    return tuple(rng.standard_normal(np.shape(a)) for a in _w3_args()[:4])


WORKLOADS: List[Workload] = [
    Workload("W1", "scalar loop, 1000 steps", scalar_loop, scalar_loop_vg, ("x", "y"), _w1_args,
             scalar_loop_torch),
    Workload("W2", "logistic loss 10000x100", logistic_loss, logistic_loss_vg, 0, _w2_args,
             logistic_loss_torch),
    Workload("W3", "MLP 784-128-10, batch 256", mlp_loss, mlp_loss_vg, ("W1", "b1", "W2", "b2"),
             _w3_args, mlp_loss_torch),
    Workload("W4", "tanh RNN, 50 steps", rnn_loss, rnn_loss_vg, ("Wx", "Wh", "b"), _w4_args,
             rnn_loss_torch),
    Workload("W5", "lecture f(x1, x2)", lecture_f, lecture_f_vg, (0, 1), _w5_args,
             lecture_f_torch),
    HvpWorkload("W6", "HVP of the W3 MLP loss", mlp_loss, mlp_loss_vg, ("W1", "b1", "W2", "b2"),
                _w3_args, _w6_v, mlp_loss_torch),
]

# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


def _leaves(g: Any) -> List[np.ndarray]:
    if isinstance(g, (tuple, list)):
        out: List[np.ndarray] = []
        for item in g:
            out.extend(_leaves(item))
        return out
    return [np.asarray(g, dtype=float)]


def _close(a: Any, b: Any, rtol: float = 1e-6) -> Tuple[bool, str]:
    """Whether gradient (or value) a matches b: same structure, shapes and np.allclose."""
    la, lb = _leaves(a), _leaves(b)
    if len(la) != len(lb):
        return False, "structure differs (%d vs %d parts)" % (len(la), len(lb))
    for k, (x, y) in enumerate(zip(la, lb)):
        if x.shape != y.shape:
            return False, "part %d: shape %s vs %s" % (k, x.shape, y.shape)
        if not np.allclose(x, y, rtol=rtol):
            err = float(np.max(np.abs(x - y)))
            return False, "part %d: max abs difference %.3g" % (k, err)
    return True, ""


def _replace_at(args: Sequence[Any], positions: Sequence[int], parts: Sequence[Any]) -> list:
    """args with args[positions[k]] replaced by parts[k]."""
    new = list(args)
    for p, part in zip(positions, parts):
        new[p] = part
    return new


def fd_check(w: Workload, rtol: float = 1e-5) -> Tuple[bool, float]:
    """The hand-written gradient against central differences along a random direction."""
    args = w.make_args()
    pos = w.positions()
    _, grad = w.hand(*args)
    grads = _leaves(grad if isinstance(w.wrt, tuple) else (grad,))
    rng = np.random.default_rng(12345)
    dirs = [rng.standard_normal(np.shape(args[p])) for p in pos]
    eps = 1e-6

    def shifted(sign: float) -> float:
        parts = [args[p] + sign * eps * d for p, d in zip(pos, dirs)]
        parts = [float(x) if isinstance(args[p], float) else x for p, x in zip(pos, parts)]
        return float(w.fn(*_replace_at(args, pos, parts)))

    fd = (shifted(1.0) - shifted(-1.0)) / (2 * eps)
    exact = float(sum(np.sum(g * d) for g, d in zip(grads, dirs)))
    rel = abs(fd - exact) / max(abs(exact), 1e-12)
    return rel <= rtol, rel


def fd_hvp(w: HvpWorkload, args: tuple, v: tuple, eps: float = 1e-6) -> Tuple[np.ndarray, ...]:
    """Central differences of the hand-written gradient along v: approximately H v."""
    pos = w.positions()

    def grad_at(sign: float) -> Tuple[np.ndarray, ...]:
        parts = [args[p] + sign * eps * d for p, d in zip(pos, v)]
        return tuple(w.hand(*_replace_at(args, pos, parts))[1])

    plus, minus = grad_at(1.0), grad_at(-1.0)
    return tuple((a - b) / (2 * eps) for a, b in zip(plus, minus))


# A check takes a result converted to NumPy and gives None, or (what is wrong, details).
Check = Callable[[Any], Optional[Tuple[str, str]]]


def gradient_check(want_value: Any, want_grad: Any) -> Check:
    """Checks a (value, gradient) against the hand-written ones (rtol 1e-6)."""
    def check(got: Any) -> Optional[Tuple[str, str]]:
        value, grad = got
        ok, why = _close(value, want_value)
        if not ok:
            return "wrong value", why
        ok, why = _close(grad, want_grad)
        return None if ok else ("wrong gradient", why)
    return check


def hvp_check(want: Tuple[np.ndarray, ...]) -> Check:
    """Checks an HVP against central differences of the hand-written gradient (rtol 1e-4)."""
    def check(got: Any) -> Optional[Tuple[str, str]]:
        ok, why = _close(got, want, rtol=1e-4)
        return None if ok else ("wrong HVP", why)
    return check


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------


def time_call(fn: Callable[..., Any], args: tuple, repeat: int, min_time: float) -> float:
    """Seconds per call: loops raised (1, 2, 5, 10, ...) until one repeat takes min_time; min of repeat."""
    timer = timeit.Timer("fn(*args)", globals={"fn": fn, "args": args})
    number = 1
    while True:
        for mult in (1, 2, 5):
            n = number * mult
            t = timer.timeit(n)
            if t >= min_time:
                number = n
                break
        else:
            number *= 10
            continue
        break
    best = min(timer.repeat(repeat=repeat - 1, number=number) + [t]) if repeat > 1 else t
    return best / number


def _shorten(e: BaseException, width: int = 60) -> str:
    text = str(e).strip().splitlines()
    msg = "%s: %s" % (type(e).__name__, text[0]) if text else type(e).__name__
    return msg if len(msg) <= width else msg[: width - 3] + "..."


# --------------------------------------------------------------------------------------------
# Engines: how each differentiating system builds a workload's callables
# --------------------------------------------------------------------------------------------


class Candidate(NamedTuple):
    """What gets warmed up, checked and timed: ``call(*args)``; ``to_numpy`` turns its result
    into NumPy values shaped like the hand-written ones (done only for the checks)."""
    call: Callable[..., Any]
    args: tuple
    to_numpy: Callable[[Any], Any]


class NotExpressible(Exception):
    """A workload the engine cannot run; its cell shows "n/a (reason)"."""


def _rebind(fn: Callable[..., Any], **names: Any) -> Callable[..., Any]:
    """The same code object with some of its globals rebound (np and math to a framework's
    NumPy, the torch placeholder to torch)."""
    glb = dict(fn.__globals__)
    glb.update(names)
    return types.FunctionType(fn.__code__, glb, fn.__name__, fn.__defaults__, fn.__closure__)


def _on_numpy(fn: Callable[..., Any], numpy_module: Any) -> Callable[..., Any]:
    """The same source run on a framework's NumPy: np and math both bound to it (autograd and
    JAX trace their own math functions, not the math module's)."""
    return _rebind(fn, np=numpy_module, math=numpy_module)


def _tree_map(f: Callable[[Any], Any], tree: Any) -> Any:
    if isinstance(tree, (tuple, list)):
        return tuple(_tree_map(f, t) for t in tree)
    return f(tree)


def _as_is(result: Any) -> Any:
    return result


class Engine:
    """One system measured against the function: s2sad, or a comparison framework.

    ``load`` imports it (raising when it is not there); ``value_and_grad(w, args)`` and
    ``hvp(w, args, v)`` give the Candidate to time for a workload, the inputs already
    converted to what the system takes."""

    key = ""     # name in the table's columns, the machine line and the messages
    distribution = ""  # the installed package, for its version
    required = False  # s2sad's cells show an import failure; a framework's show n/a
    how = ""     # what its timings measure, for the timing line

    def __init__(self) -> None:
        self.mod: Any = None      # the imported package, once loaded
        self.numpy: Any = None    # autograd's and JAX's NumPy
        self.missing: Optional[str] = None  # why load failed

    def load(self) -> None:
        raise NotImplementedError

    def try_load(self) -> bool:
        try:
            self.load()
        except ImportError as e:
            absent = e.name == self.distribution
            self.missing = "not installed" if absent else "import failed: " + _shorten(e, 45)
            return False
        except Exception as e:
            self.missing = "import failed: " + _shorten(e, 45)
            return False
        return True

    def version(self) -> str:
        from importlib import metadata
        return metadata.version(self.distribution)

    def describe(self) -> str:
        if self.mod is None:
            return "%s %s" % (self.distribution, self.missing)
        try:
            return "%s %s" % (self.distribution, self.version())
        except Exception:
            return "%s (version unknown)" % self.distribution

    def value_and_grad(self, w: Workload, args: tuple) -> Candidate:
        raise NotImplementedError

    def hvp(self, w: HvpWorkload, args: tuple, v: tuple) -> Candidate:
        raise NotImplementedError


class S2sadEngine(Engine):
    key = "s2sad"
    required = True
    distribution = "s2sad"
    how = "s2sad.value_and_grad (s2sad.hvp on W6)"

    def load(self) -> None:
        if _ROOT not in sys.path:  # benchmark this checkout's s2sad
            sys.path.insert(0, _ROOT)
        import s2sad
        self.mod = s2sad

    def value_and_grad(self, w: Workload, args: tuple) -> Candidate:
        return Candidate(self.mod.value_and_grad(w.fn, wrt=w.wrt), args, _as_is)

    def hvp(self, w: HvpWorkload, args: tuple, v: tuple) -> Candidate:
        return Candidate(self.mod.hvp(w.fn, wrt=w.wrt), args + (v,), tuple)


class AutogradEngine(Engine):
    key = "autograd"
    distribution = "autograd"
    how = ("autograd.value_and_grad on the same source with np and math bound to autograd.numpy "
           "(hessian_vector_product of the flattened parameters on W6)")

    def load(self) -> None:
        import autograd
        import autograd.numpy as anp
        self.mod, self.numpy = autograd, anp

    def value_and_grad(self, w: Workload, args: tuple) -> Candidate:
        fn = _on_numpy(w.fn, self.numpy)
        return Candidate(self.mod.value_and_grad(fn, argnum=w.argnums()), args, _as_is)

    def hvp(self, w: HvpWorkload, args: tuple, v: tuple) -> Candidate:
        """hessian_vector_product takes one argument: the loss as a function of the wrt
        arguments flattened into one vector."""
        anp = self.numpy
        pos = w.positions()
        shapes = [np.shape(args[p]) for p in pos]
        sizes = [int(np.prod(s)) for s in shapes]
        fn = _on_numpy(w.fn, anp)

        def unflatten(theta: Any) -> List[Any]:
            out, k = [], 0
            for shape, n in zip(shapes, sizes):
                out.append(anp.reshape(theta[k:k + n], shape))
                k += n
            return out

        def loss_of_theta(theta: Any) -> Any:
            return fn(*_replace_at(args, pos, unflatten(theta)))

        theta = np.concatenate([np.ravel(args[p]) for p in pos])
        v_flat = np.concatenate([np.ravel(d) for d in v])
        return Candidate(self.mod.hessian_vector_product(loss_of_theta), (theta, v_flat),
                         lambda result: tuple(np.asarray(a) for a in unflatten(result)))


class JaxEngine(Engine):
    key = "JAX (jit)"
    distribution = "jax"
    how = ("jax.jit(jax.value_and_grad) on the same source with np and math bound to jax.numpy "
           "(jit of jvp of grad on W6), waiting for the results")

    def load(self) -> None:
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        jax.config.update("jax_platforms", "cpu")
        self.mod, self.numpy = jax, jnp

    def version(self) -> str:
        from importlib import metadata
        return "%s (jaxlib %s)" % (metadata.version("jax"), metadata.version("jaxlib"))

    def describe(self) -> str:
        text = super().describe()
        if self.mod is None:
            return text
        if _XLA_PINNED:
            return text + " (XLA CPU: 1 thread, pinned by bench.py)"
        flags = os.environ.get("XLA_FLAGS")
        return text + (" (XLA_FLAGS=%s)" % flags if flags else " (XLA's default threads)")

    def _inputs(self, values: Sequence[Any]) -> tuple:
        return tuple(self.numpy.asarray(a, dtype=self.numpy.float64) for a in values)

    def _candidate(self, fn: Callable[..., Any], inputs: tuple) -> Candidate:
        jitted = self.mod.jit(fn)
        block = self.mod.block_until_ready

        def call(*a: Any) -> Any:
            return block(jitted(*a))
        return Candidate(call, inputs, lambda result: _tree_map(np.asarray, result))

    def value_and_grad(self, w: Workload, args: tuple) -> Candidate:
        fn = _on_numpy(w.fn, self.numpy)
        return self._candidate(self.mod.value_and_grad(fn, argnums=w.argnums()),
                               self._inputs(args))

    def hvp(self, w: HvpWorkload, args: tuple, v: tuple) -> Candidate:
        """Forward over reverse: the jvp of the gradient along v."""
        jax = self.mod
        pos = w.positions()
        grad = jax.grad(_on_numpy(w.fn, self.numpy), argnums=pos)

        def hvp(*args_and_v: Any) -> Any:
            inputs, vec = args_and_v[:-1], args_and_v[-1]

            def grad_of(*params: Any) -> Any:
                return grad(*_replace_at(inputs, pos, params))
            return jax.jvp(grad_of, tuple(inputs[p] for p in pos), tuple(vec))[1]
        return self._candidate(hvp, self._inputs(args) + (self._inputs(v),))


class TorchEngine(Engine):
    key = "PyTorch"
    distribution = "torch"
    how = ("the torch version of the function and torch.autograd.grad of its value (double "
           "backward on W6)")

    def load(self) -> None:
        import torch as torch_mod
        if _BLAS_PINNED:
            torch_mod.set_num_threads(1)
        self.mod = torch_mod

    def describe(self) -> str:
        text = super().describe()
        if self.mod is None:
            return text
        return "%s (%d thread%s)" % (text, self.mod.get_num_threads(),
                                     "" if self.mod.get_num_threads() == 1 else "s")

    def _function(self, w: Workload) -> Callable[..., Any]:
        if w.torch_fn is None:
            raise NotExpressible("no torch version")
        return _rebind(w.torch_fn, torch=self.mod)

    def _inputs(self, w: Workload, values: Sequence[Any]) -> tuple:
        pos = w.positions()
        return tuple(self.mod.tensor(np.asarray(a, dtype=np.float64), requires_grad=k in pos)
                     for k, a in enumerate(values))

    @staticmethod
    def _numpy(t: Any) -> np.ndarray:
        return t.detach().numpy()

    def value_and_grad(self, w: Workload, args: tuple) -> Candidate:
        fn = self._function(w)
        pos = w.positions()
        grad = self.mod.autograd.grad
        one = not isinstance(w.wrt, tuple)

        def value_and_grad(*inputs: Any) -> Any:
            value = fn(*inputs)
            return value, grad(value, [inputs[p] for p in pos])

        def to_numpy(result: Any) -> Any:
            value, grads = _tree_map(self._numpy, result)
            return value, grads[0] if one else grads
        return Candidate(value_and_grad, self._inputs(w, args), to_numpy)

    def hvp(self, w: HvpWorkload, args: tuple, v: tuple) -> Candidate:
        """Double backward: the gradient with create_graph=True, then its vjp with v."""
        fn = self._function(w)
        pos = w.positions()
        grad = self.mod.autograd.grad

        def hvp(*args_and_v: Any) -> Any:
            inputs, vec = args_and_v[:-1], args_and_v[-1]
            params = [inputs[p] for p in pos]
            g = grad(fn(*inputs), params, create_graph=True)
            return grad(g, params, grad_outputs=vec)
        vec = tuple(self.mod.tensor(d) for d in v)
        return Candidate(hvp, self._inputs(w, args) + (vec,),
                         lambda result: _tree_map(self._numpy, result))


def make_engines() -> List[Engine]:
    """s2sad first, then the comparison frameworks, in the table's column order."""
    return [S2sadEngine(), AutogradEngine(), JaxEngine(), TorchEngine()]


# --------------------------------------------------------------------------------------------
# Running a workload: every engine's candidate is built, warmed up and checked, then timed
# --------------------------------------------------------------------------------------------


class Row:
    """One workload's results: seconds per call (None, or absent, when not timed) and, for
    each engine that has no time, the text of its cells."""

    def __init__(self, w: Workload):
        self.w = w
        self.t_fn: Optional[float] = None
        self.t_hand: Optional[float] = None
        self.times: Dict[str, float] = {}        # engine key -> seconds per call
        self.errors: Dict[str, str] = {}         # engine key -> why it was not timed
        self.errors_long: Dict[str, str] = {}    # engine key -> the exception, longer

    @staticmethod
    def ratio(a: Optional[float], b: Optional[float]) -> Optional[float]:
        return None if a is None or b is None else a / b


def _prepare(engine: Engine, build: Callable[[Engine], Candidate], check: Check, row: Row,
             problems: List[str]) -> Optional[Candidate]:
    """The engine's candidate, built, warmed up (s2sad and jit compile here) and checked; or
    None, with the reason in row.errors."""
    if engine.mod is None:
        row.errors[engine.key] = ("error: %s %s" % (engine.distribution, engine.missing)
                                  if engine.required else "n/a")
        return None
    try:
        candidate = build(engine)
        got = candidate.to_numpy(candidate.call(*candidate.args))
    except NotExpressible as e:
        row.errors[engine.key] = "n/a (%s)" % e
        return None
    except Exception as e:  # not implemented yet, or unsupported: report and go on
        row.errors[engine.key] = "error: " + _shorten(e, 44)
        row.errors_long[engine.key] = _shorten(e, 300)
        return None
    wrong = check(got)
    if wrong is not None:
        row.errors[engine.key] = wrong[0]
        problems.append("%s: %s %s: %s" % (row.w.key, engine.key, wrong[0], wrong[1]))
        return None
    return candidate


def run_workload(w: Workload, engines: Sequence[Engine], repeat: int, min_time: float,
                 problems: List[str], timing: bool) -> Row:
    row = Row(w)
    args = w.make_args()
    if isinstance(w, HvpWorkload):
        v = w.make_v()
        check = hvp_check(fd_hvp(w, args, v))

        def build(engine: Engine) -> Candidate:
            return engine.hvp(w, args, v)
    else:
        want_value, want_grad = w.hand(*args)
        ok, why = _close(want_value, w.fn(*args), rtol=1e-12)
        if not ok:
            problems.append("%s: hand-written value differs from the function: %s" % (w.key, why))
        check = gradient_check(want_value, want_grad)

        def build(engine: Engine) -> Candidate:
            return engine.value_and_grad(w, args)

    ready: Dict[str, Candidate] = {}
    for engine in engines:
        candidate = _prepare(engine, build, check, row, problems)
        if candidate is not None:
            ready[engine.key] = candidate

    if not timing:
        return row
    gc.collect()
    row.t_fn = time_call(w.fn, args, repeat, min_time)
    if not isinstance(w, HvpWorkload):  # there is no hand-written HVP
        row.t_hand = time_call(w.hand, args, repeat, min_time)
    for key, candidate in ready.items():
        row.times[key] = time_call(candidate.call, candidate.args, repeat, min_time)
    return row


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------

S2SAD = S2sadEngine.key
HEADERS = ["workload", "s2sad grad / function", "hand-written / function",
           "s2sad / hand-written"]


def headers(frameworks: Sequence[Engine]) -> List[str]:
    return HEADERS + ["%s / s2sad" % f.key for f in frameworks]


def _fmt(r: Optional[float]) -> str:
    if r is None:
        return "n/a"
    if r < 10:
        return "%.2f" % r
    if r < 100:
        return "%.1f" % r
    return "%.0f" % r


def _cells(row: Row, frameworks: Sequence[Engine]) -> List[str]:
    name = "%s %s" % (row.w.key, row.w.title)
    hand = _fmt(row.ratio(row.t_hand, row.t_fn))
    s2sad_error = row.errors.get(S2SAD)
    t_s2sad = row.times.get(S2SAD)
    if s2sad_error is None:
        cells = [name, _fmt(row.ratio(t_s2sad, row.t_fn)), hand,
                 _fmt(row.ratio(t_s2sad, row.t_hand))]
    else:
        cells = [name, s2sad_error, hand, "-"]
    for f in frameworks:
        error = row.errors.get(f.key)
        if error is not None:
            cells.append(error)
        elif s2sad_error is not None:
            cells.append("n/a (no s2sad)")
        else:
            cells.append(_fmt(row.ratio(row.times.get(f.key), t_s2sad)))
    return cells


def _aligned(head: List[str], body: List[List[str]]) -> str:
    """A plain-text table: the first column left-aligned, the others right-aligned."""
    widths = [max(len(h), *(len(c[i]) for c in body)) for i, h in enumerate(head)]

    def fmt_row(cells: List[str]) -> str:
        return "  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i])
                         for i, c in enumerate(cells))
    lines = [fmt_row(head), "  ".join("-" * wd for wd in widths)]
    return "\n".join(lines + [fmt_row(c) for c in body])


def render_table(rows: List[Row], frameworks: Sequence[Engine], markdown: bool) -> str:
    head = headers(frameworks)
    body = [_cells(r, frameworks) for r in rows]
    if markdown:
        lines = ["| " + " | ".join(head) + " |",
                 "|" + "|".join([":---"] + ["---:"] * (len(head) - 1)) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |" for cells in body]
        return "\n".join(lines)
    return _aligned(head, body)


def _us(t: Optional[float]) -> str:
    if t is None:
        return "-"
    us = t * 1e6
    return "%.3f" % us if us < 10 else "%.1f" % us if us < 1000 else "%.0f" % us


def render_times(rows: List[Row], engines: Sequence[Engine]) -> str:
    head = ["workload", "function", S2SAD, "hand-written"] + [e.key for e in engines[1:]]
    body = [[r.w.key, _us(r.t_fn), _us(r.times.get(S2SAD)), _us(r.t_hand)]
            + [_us(r.times.get(e.key)) for e in engines[1:]] for r in rows]
    return _aligned(head, body)


def _status(error: Optional[str]) -> str:
    if error is None:
        return "ok"
    if error.startswith("wrong"):
        return "FAIL"
    return "n/a" if error.startswith("n/a") else "not run"


def render_checks(rows: List[Row], engines: Sequence[Engine]) -> List[str]:
    """One line per engine: each workload's check ok, FAIL, n/a or not run (it raised)."""
    width = max(len(e.key) for e in engines)
    out = []
    for e in engines:
        if e.mod is None and not e.required:
            status = e.missing or ""
        else:
            status = ", ".join("%s %s" % (r.w.key, _status(r.errors.get(e.key))) for r in rows)
        out.append("%s  %s" % (e.key.ljust(width), status))
    return out


def _reason(r: Row) -> str:
    error = r.errors.get(S2SAD)
    if error is None:
        return "not timed"
    return error if error.startswith("wrong") else "error"


def render_targets(rows: List[Row], have_autograd: bool) -> List[str]:
    out = []
    by_key = {r.w.key: r for r in rows}

    def mark(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    if "W1" in by_key:
        r = by_key["W1"]
        v = r.ratio(r.times.get(S2SAD), r.t_fn)
        if v is None:
            out.append("W1 s2sad gradient / function <= 3: FAIL (not measured: s2sad %s; "
                       "hand-written: %s)" % (_reason(r), _fmt(r.ratio(r.t_hand, r.t_fn))))
        else:
            out.append("W1 s2sad gradient / function <= 3: %s %s (hand-written: %s)"
                       % (mark(v <= 3), _fmt(v), _fmt(r.ratio(r.t_hand, r.t_fn))))
    for key in ("W2", "W3", "W4"):
        if key not in by_key:
            continue
        r = by_key[key]
        v = r.ratio(r.times.get(S2SAD), r.t_hand)
        if v is None:
            out.append("%s s2sad / hand-written <= 1.2: FAIL (not measured: s2sad %s)"
                       % (key, _reason(r)))
        else:
            out.append("%s s2sad / hand-written <= 1.2: %s %s" % (key, mark(v <= 1.2), _fmt(v)))
    if "W6" in by_key:
        r = by_key["W6"]
        v = r.ratio(r.times.get(S2SAD), r.t_fn)
        if v is None:
            out.append("W6 s2sad HVP / function <= 5: FAIL (not measured: s2sad %s)"
                       % _reason(r))
        else:
            out.append("W6 s2sad HVP / function <= 5: %s %s" % (mark(v <= 5), _fmt(v)))
    if not have_autograd:
        out.append("s2sad faster than autograd on every workload: n/a (autograd not installed)")
    else:
        ratios = [(r.w.key, r.ratio(r.times.get(AutogradEngine.key), r.times.get(S2SAD)))
                  for r in rows]
        missing = [k for k, v in ratios if v is None]
        slower = [k for k, v in ratios if v is not None and v <= 1]
        if missing:
            out.append("s2sad faster than autograd on every workload: FAIL (not measured on %s%s)"
                       % (",".join(missing), "; slower on " + ",".join(slower) if slower else ""))
        else:
            worst = min(ratios, key=lambda kv: kv[1])
            out.append("s2sad faster than autograd on every workload: %s (smallest autograd / "
                       "s2sad: %s on %s)" % (mark(not slower), _fmt(worst[1]), worst[0]))
    return out


def machine_info(engines: Sequence[Engine]) -> str:
    if _BLAS_PINNED:
        threads = "1 (pinned by bench.py)"
    else:
        threads = ", ".join("%s=%s" % (k, os.environ[k]) for k in _BLAS_VARS
                            if k in os.environ) or "library default"
    line = "machine: Python %s (%s), NumPy %s, %s, %s cpus, BLAS threads: %s" % (
        platform.python_version(), platform.python_implementation(), np.__version__,
        platform.machine(), os.cpu_count(), threads)
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        load = None
    if load is not None:
        line += ", load %.1f" % load
    line += "\nsystems: " + ", ".join(e.describe() for e in engines)
    if load is not None and load > 0.5 * (os.cpu_count() or 1):
        line += "\nwarning: the machine is busy (load %.1f on %s cpus): timings are noisy" % (
            load, os.cpu_count())
    return line


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def _parse(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench.py", description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 3 repeats of at least 0.02 s each")
    p.add_argument("--repeat", type=int, default=None, help="repeats per callable (default 5)")
    p.add_argument("--only", default=None, help="comma-separated workloads, e.g. W1,W3")
    p.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    p.add_argument("--check", action="store_true", help="run the correctness checks only")
    return p.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    opts = _parse(argv)
    repeat = opts.repeat if opts.repeat is not None else (3 if opts.quick else 5)
    if repeat < 1:
        print("--repeat must be at least 1", file=sys.stderr)
        return 2
    min_time = 0.02 if opts.quick else 0.1
    workloads = WORKLOADS
    if opts.only:
        wanted = [k.strip().upper() for k in opts.only.split(",") if k.strip()]
        known = {w.key for w in WORKLOADS}
        unknown = [k for k in wanted if k not in known]
        if unknown:
            print("unknown workload(s): %s (have %s)" % (", ".join(unknown), ", ".join(sorted(known))),
                  file=sys.stderr)
            return 2
        workloads = [w for w in WORKLOADS if w.key in wanted]

    engines = make_engines()
    for engine in engines:
        engine.try_load()
    frameworks = engines[1:]

    problems: List[str] = []
    print(machine_info(engines))

    # Hand-written gradients against central finite differences (cheap: two calls each).
    fd_notes = []
    for w in workloads:
        ok, rel = fd_check(w)
        fd_notes.append("%s %s (rel err %.1e)" % (w.key, "ok" if ok else "FAIL", rel))
        if not ok:
            problems.append("%s: hand-written gradient off finite differences (rel err %.2e)"
                            % (w.key, rel))
    print("check hand-written vs central differences: " + ", ".join(fd_notes))
    if any(w.key == "W5" for w in workloads):
        _, g5 = lecture_f_vg(2.0, 5.0)
        if not (round(g5[0], 3) == 5.5 and round(g5[1], 3) == 1.716):
            problems.append("W5: hand-written gradient %r is not (5.5, 1.716)" % (g5,))

    rows = [run_workload(w, engines, repeat, min_time, problems, timing=not opts.check)
            for w in workloads]
    print("check vs hand-written (value and gradient, rtol 1e-6; HVP vs central differences "
          "of the hand-written gradient, rtol 1e-4):")
    for line in render_checks(rows, engines):
        print("  " + line)

    if not opts.check:
        print("timing: min of %d repeats, each at least %.2g s; every column times value and "
              "gradient (an HVP on W6), the hand-written gradients returning the value too:"
              % (repeat, min_time))
        for e in engines:
            if e.mod is not None:
                print("  %s: %s" % (e.key, e.how))
        print()
        print(render_table(rows, frameworks, opts.markdown))
        print()
        print("per call, microseconds:")
        print(render_times(rows, engines))
        print()
        print("targets:")
        have_autograd = any(e.key == AutogradEngine.key and e.mod is not None for e in engines)
        for line in render_targets(rows, have_autograd):
            print("  " + line)
    errors = [(r.w.key, key, text) for r in rows for key, text in r.errors_long.items()]
    if errors:
        print()
        print("errors:")
        for workload, key, text in errors:
            print("  %s %s: %s" % (workload, key, text))
    if problems:
        print()
        print("CORRECTNESS PROBLEMS:")
        for p in problems:
            print("  " + p)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
