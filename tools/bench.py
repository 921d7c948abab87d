"""Benchmark: s2sad's generated gradients against the function, hand-written NumPy and autograd.

Run from the repository's root::

    python tools/bench.py              # full run (about a minute on 2 cores)
    python tools/bench.py --quick      # smoke run: fewer, shorter repeats
    python tools/bench.py --only W1,W3 --markdown
    python tools/bench.py --check      # correctness checks only, no timing

Run as a script, it pins BLAS to one thread unless OPENBLAS_NUM_THREADS, OMP_NUM_THREADS or
MKL_NUM_THREADS is set: multithreaded OpenBLAS sharing the cores with any other process
stalls in steps of about 8 ms, which turns the NumPy workloads' times into noise. The ratios
compare differentiation overhead, which one thread shows best. The machine line says which.

Everything runs in one process. For each workload it times

  (a) the function alone,
  (b) s2sad.value_and_grad of it,
  (c) a hand-written NumPy gradient that also returns the value (so (b) and (c) do the
      same work: value and gradient),
  (d) autograd.value_and_grad of the same source, with ``np`` and ``math`` bound to
      ``autograd.numpy`` (only when ``import autograd`` works; "n/a" otherwise),

and prints ratios of those times, never bare times as the headline. Each callable is warmed
up once (s2sad compiles on its first call), then timed like ``timeit``: the number of loops
is raised until one repeat takes at least 0.1 s, and the minimum over 5 repeats is kept.

W6 is second order: s2sad.hvp of the W3 MLP loss (wrt W1, b1, W2, b2; the vector v is random
arrays of the same shapes) timed against the function and against autograd's
``hessian_vector_product`` (on a function of the flattened parameters, since it takes one
argument). There is no hand-written HVP: before timing, s2sad's (and autograd's) HVP is checked
against central differences of the hand-written W3 gradient along v (rtol 1e-4).

Before timing, every hand-written gradient is checked against central finite differences
along a random direction, and s2sad's (and autograd's) value and gradient against the
hand-written ones (``np.allclose``, rtol 1e-6). When s2sad raises (not implemented yet, or
unsupported code), its cells show the shortened error and the run goes on.

``main(argv)`` returns 0, or 1 when a correctness check failed (a hand-written gradient off
its finite differences, or s2sad or autograd returning a wrong value or gradient).
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
from typing import Any, Callable, List, Optional, Sequence, Tuple

_BLAS_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_BLAS_PINNED = False
if __name__ == "__main__" and "numpy" not in sys.modules and not any(
        v in os.environ for v in _BLAS_VARS):
    # One BLAS thread unless the caller chose: with other processes on the cores,
    # multithreaded OpenBLAS stalls in ~8 ms steps and the NumPy rows become noise.
    for _var in _BLAS_VARS:
        os.environ[_var] = "1"
    _BLAS_PINNED = True

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
    def __init__(self, key: str, title: str, fn: Callable[..., Any], hand: Callable[..., Any],
                 wrt: Any, make_args: Callable[[], tuple]):
        self.key = key
        self.title = title
        self.fn = fn
        self.hand = hand
        self.wrt = wrt
        self.make_args = make_args

    def positions(self) -> Tuple[int, ...]:
        """wrt as parameter positions (for autograd and finite differences)."""
        params = list(inspect.signature(self.fn).parameters)
        items = self.wrt if isinstance(self.wrt, tuple) else (self.wrt,)
        return tuple(params.index(w) if isinstance(w, str) else w for w in items)


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


WORKLOADS: List[Workload] = [
    Workload("W1", "scalar loop, 1000 steps", scalar_loop, scalar_loop_vg, ("x", "y"), _w1_args),
    Workload("W2", "logistic loss 10000x100", logistic_loss, logistic_loss_vg, 0, _w2_args),
    Workload("W3", "MLP 784-128-10, batch 256", mlp_loss, mlp_loss_vg, ("W1", "b1", "W2", "b2"),
             _w3_args),
    Workload("W4", "tanh RNN, 50 steps", rnn_loss, rnn_loss_vg, ("Wx", "Wh", "b"), _w4_args),
    Workload("W5", "lecture f(x1, x2)", lecture_f, lecture_f_vg, (0, 1), _w5_args),
    HvpWorkload("W6", "HVP of the W3 MLP loss", mlp_loss, mlp_loss_vg, ("W1", "b1", "W2", "b2"),
                _w3_args, _w6_v),
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
        new = list(args)
        for p, d in zip(pos, dirs):
            new[p] = args[p] + sign * eps * d
            if isinstance(args[p], float):
                new[p] = float(new[p])
        return float(w.fn(*new))

    fd = (shifted(1.0) - shifted(-1.0)) / (2 * eps)
    exact = float(sum(np.sum(g * d) for g, d in zip(grads, dirs)))
    rel = abs(fd - exact) / max(abs(exact), 1e-12)
    return rel <= rtol, rel


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


def _autograd_source_copy(fn: Callable[..., Any], anp: Any) -> Callable[..., Any]:
    """The same code object with np and math bound to autograd.numpy (autograd cannot trace math.*)."""
    glb = dict(fn.__globals__)
    glb["np"] = anp
    glb["math"] = anp
    return types.FunctionType(fn.__code__, glb, fn.__name__, fn.__defaults__, fn.__closure__)


class Row:
    def __init__(self, w: Workload):
        self.w = w
        self.t_fn: Optional[float] = None
        self.t_s2sad: Optional[float] = None
        self.t_hand: Optional[float] = None
        self.t_ag: Optional[float] = None
        self.s2sad_error: Optional[str] = None
        self.s2sad_error_long: Optional[str] = None
        self.ag_error: Optional[str] = None

    def ratio(self, a: Optional[float], b: Optional[float]) -> Optional[float]:
        return None if a is None or b is None else a / b


def run_workload(w: Workload, s2sad: Any, s2sad_import_error: Optional[str], autograd: Any,
                 repeat: int, min_time: float, problems: List[str], timing: bool) -> Row:
    if isinstance(w, HvpWorkload):
        return run_hvp_workload(w, s2sad, s2sad_import_error, autograd, repeat, min_time,
                                problems, timing)
    row = Row(w)
    args = w.make_args()
    want_value, want_grad = w.hand(*args)
    ok, why = _close(want_value, w.fn(*args), rtol=1e-12)
    if not ok:
        problems.append("%s: hand-written value differs from the function: %s" % (w.key, why))

    # s2sad: build, warm up (compiles), check.
    s2sad_vg = None
    if s2sad is None:
        row.s2sad_error = s2sad_import_error
    else:
        try:
            s2sad_vg = s2sad.value_and_grad(w.fn, wrt=w.wrt)
            value, grad = s2sad_vg(*args)
        except Exception as e:  # not implemented yet, or unsupported: report and go on
            s2sad_vg = None
            row.s2sad_error = _shorten(e, 44)
            row.s2sad_error_long = _shorten(e, 300)
        else:
            ok_v, why_v = _close(value, want_value)
            ok_g, why_g = _close(grad, want_grad)
            if not (ok_v and ok_g):
                s2sad_vg = None
                row.s2sad_error = "wrong %s" % ("value" if not ok_v else "gradient")
                problems.append("%s: s2sad %s: %s" % (w.key, row.s2sad_error, why_v or why_g))

    # autograd: same source, np/math bound to autograd.numpy.
    ag_vg = None
    if autograd is not None:
        try:
            import autograd.numpy as anp
            pos = w.positions()
            ag_vg_raw = autograd.value_and_grad(_autograd_source_copy(w.fn, anp),
                                                argnum=pos if isinstance(w.wrt, tuple) else pos[0])
            value, grad = ag_vg_raw(*args)
            ag_vg = ag_vg_raw
        except Exception as e:
            row.ag_error = _shorten(e, 40)
        else:
            ok_v, why_v = _close(value, want_value)
            ok_g, why_g = _close(grad, want_grad)
            if not (ok_v and ok_g):
                ag_vg = None
                row.ag_error = "wrong result"
                problems.append("%s: autograd disagrees with the hand-written gradient: %s"
                                % (w.key, why_v or why_g))

    if not timing:
        return row
    gc.collect()
    row.t_fn = time_call(w.fn, args, repeat, min_time)
    row.t_hand = time_call(w.hand, args, repeat, min_time)
    if s2sad_vg is not None:
        row.t_s2sad = time_call(s2sad_vg, args, repeat, min_time)
    if ag_vg is not None:
        row.t_ag = time_call(ag_vg, args, repeat, min_time)
    return row


def fd_hvp(w: HvpWorkload, args: tuple, v: tuple, eps: float = 1e-6) -> Tuple[np.ndarray, ...]:
    """Central differences of the hand-written gradient along v: approximately H v."""
    pos = w.positions()

    def grad_at(sign: float) -> Tuple[np.ndarray, ...]:
        new = list(args)
        for p, d in zip(pos, v):
            new[p] = args[p] + sign * eps * d
        return tuple(w.hand(*new)[1])

    plus, minus = grad_at(1.0), grad_at(-1.0)
    return tuple((a - b) / (2 * eps) for a, b in zip(plus, minus))


def _autograd_hvp(w: HvpWorkload, args: tuple, v: tuple, anp: Any) -> Tuple[Callable[..., Any],
                                                                              tuple, Callable]:
    """autograd's hessian_vector_product on the loss as a function of one flat parameter vector;
    returns (hvp, its arguments (theta, flat v), unflatten)."""
    from autograd import hessian_vector_product
    pos = w.positions()
    shapes = [np.shape(args[p]) for p in pos]
    sizes = [int(np.prod(s)) for s in shapes]
    fn = _autograd_source_copy(w.fn, anp)

    def unflatten(theta: Any) -> List[Any]:
        out, k = [], 0
        for shape, n in zip(shapes, sizes):
            out.append(anp.reshape(theta[k:k + n], shape))
            k += n
        return out

    def loss_of_theta(theta: Any) -> Any:
        new = list(args)
        for p, part in zip(pos, unflatten(theta)):
            new[p] = part
        return fn(*new)

    theta = np.concatenate([np.ravel(args[p]) for p in pos])
    v_flat = np.concatenate([np.ravel(d) for d in v])
    return hessian_vector_product(loss_of_theta), (theta, v_flat), unflatten


def run_hvp_workload(w: HvpWorkload, s2sad: Any, s2sad_import_error: Optional[str],
                     autograd: Any, repeat: int, min_time: float, problems: List[str],
                     timing: bool) -> Row:
    row = Row(w)
    args = w.make_args()
    v = w.make_v()
    want = fd_hvp(w, args, v)

    s2sad_hvp = None
    if s2sad is None:
        row.s2sad_error = s2sad_import_error
    else:
        try:
            s2sad_hvp = s2sad.hvp(w.fn, wrt=w.wrt)
            got = s2sad_hvp(*args, v)
        except Exception as e:  # not implemented yet, or unsupported: report and go on
            s2sad_hvp = None
            row.s2sad_error = _shorten(e, 44)
            row.s2sad_error_long = _shorten(e, 300)
        else:
            ok, why = _close(got, want, rtol=1e-4)
            if not ok:
                s2sad_hvp = None
                row.s2sad_error = "wrong HVP"
                problems.append("%s: s2sad HVP off central differences of the hand-written "
                                "gradient: %s" % (w.key, why))

    ag_hvp = None
    ag_args: tuple = ()
    if autograd is not None:
        try:
            import autograd.numpy as anp
            ag_raw, ag_args, unflatten = _autograd_hvp(w, args, v, anp)
            got = tuple(np.asarray(a) for a in unflatten(ag_raw(*ag_args)))
            ag_hvp = ag_raw
        except Exception as e:
            row.ag_error = _shorten(e, 40)
        else:
            ok, why = _close(got, want, rtol=1e-4)
            if not ok:
                ag_hvp = None
                row.ag_error = "wrong result"
                problems.append("%s: autograd HVP off central differences of the hand-written "
                                "gradient: %s" % (w.key, why))

    if not timing:
        return row
    gc.collect()
    row.t_fn = time_call(w.fn, args, repeat, min_time)
    if s2sad_hvp is not None:
        row.t_s2sad = time_call(s2sad_hvp, args + (v,), repeat, min_time)
    if ag_hvp is not None:
        row.t_ag = time_call(ag_hvp, ag_args, repeat, min_time)
    return row


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------

HEADERS = ["workload", "s2sad grad / function", "hand-written / function",
           "s2sad / hand-written", "autograd / s2sad"]


def _fmt(r: Optional[float]) -> str:
    if r is None:
        return "n/a"
    if r < 10:
        return "%.2f" % r
    if r < 100:
        return "%.1f" % r
    return "%.0f" % r


def _cells(row: Row, have_autograd: bool) -> List[str]:
    name = "%s %s" % (row.w.key, row.w.title)
    hand = _fmt(row.ratio(row.t_hand, row.t_fn))
    if row.s2sad_error is not None:
        if not have_autograd:
            ag = "n/a"
        elif row.ag_error:
            ag = "autograd " + row.ag_error
        else:
            ag = "n/a (no s2sad)"
        return [name, "error: " + row.s2sad_error, hand, "-", ag]
    s_fn = _fmt(row.ratio(row.t_s2sad, row.t_fn))
    s_hand = _fmt(row.ratio(row.t_s2sad, row.t_hand))
    if not have_autograd:
        ag = "n/a"
    elif row.ag_error:
        ag = "autograd " + row.ag_error
    else:
        ag = _fmt(row.ratio(row.t_ag, row.t_s2sad))
    return [name, s_fn, hand, s_hand, ag]


def render_table(rows: List[Row], have_autograd: bool, markdown: bool) -> str:
    body = [_cells(r, have_autograd) for r in rows]
    if markdown:
        lines = ["| " + " | ".join(HEADERS) + " |",
                 "|" + "|".join([":---"] + ["---:"] * (len(HEADERS) - 1)) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |" for cells in body]
        return "\n".join(lines)
    widths = [max(len(h), *(len(c[i]) for c in body)) for i, h in enumerate(HEADERS)]
    fmt_row = lambda cells: "  ".join(  # noqa: E731
        c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(cells))
    lines = [fmt_row(HEADERS), "  ".join("-" * wd for wd in widths)]
    lines += [fmt_row(c) for c in body]
    return "\n".join(lines)


def _us(t: Optional[float]) -> str:
    if t is None:
        return "-"
    us = t * 1e6
    return "%.3f" % us if us < 10 else "%.1f" % us if us < 1000 else "%.0f" % us


def render_times(rows: List[Row]) -> str:
    head = ["workload", "function", "s2sad", "hand-written", "autograd"]
    body = [[r.w.key, _us(r.t_fn), _us(r.t_s2sad), _us(r.t_hand), _us(r.t_ag)] for r in rows]
    widths = [max(len(h), *(len(c[i]) for c in body)) for i, h in enumerate(head)]
    lines = ["  ".join(h.rjust(widths[i]) for i, h in enumerate(head))]
    lines += ["  ".join(c.rjust(widths[i]) for i, c in enumerate(cells)) for cells in body]
    return "\n".join(lines)


def _reason(r: Row) -> str:
    if r.s2sad_error is None:
        return "not timed"
    return r.s2sad_error if r.s2sad_error.startswith("wrong") else "error"


def render_targets(rows: List[Row], have_autograd: bool) -> List[str]:
    out = []
    by_key = {r.w.key: r for r in rows}

    def mark(ok: bool) -> str:
        return "PASS" if ok else "FAIL"

    if "W1" in by_key:
        r = by_key["W1"]
        v = r.ratio(r.t_s2sad, r.t_fn)
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
        v = r.ratio(r.t_s2sad, r.t_hand)
        if v is None:
            out.append("%s s2sad / hand-written <= 1.2: FAIL (not measured: s2sad %s)"
                       % (key, _reason(r)))
        else:
            out.append("%s s2sad / hand-written <= 1.2: %s %s" % (key, mark(v <= 1.2), _fmt(v)))
    if "W6" in by_key:
        r = by_key["W6"]
        v = r.ratio(r.t_s2sad, r.t_fn)
        if v is None:
            out.append("W6 s2sad HVP / function <= 5: FAIL (not measured: s2sad %s)"
                       % _reason(r))
        else:
            out.append("W6 s2sad HVP / function <= 5: %s %s" % (mark(v <= 5), _fmt(v)))
    if not have_autograd:
        out.append("s2sad faster than autograd on every workload: n/a (autograd not installed)")
    else:
        ratios = [(r.w.key, r.ratio(r.t_ag, r.t_s2sad)) for r in rows]
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


def machine_info(autograd: Any) -> str:
    ag = getattr(autograd, "__version__", "installed") if autograd is not None else "not installed"
    try:
        import importlib.metadata as md
        if autograd is not None:
            ag = md.version("autograd")
    except Exception:
        pass
    if _BLAS_PINNED:
        threads = "1 (pinned by bench.py)"
    else:
        threads = ", ".join("%s=%s" % (k, os.environ[k]) for k in _BLAS_VARS
                            if k in os.environ) or "library default"
    line = "machine: Python %s (%s), NumPy %s, autograd %s, %s, %s cpus, BLAS threads: %s" % (
        platform.python_version(), platform.python_implementation(), np.__version__, ag,
        platform.machine(), os.cpu_count(), threads)
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return line
    line += ", load %.1f" % load
    if load > 0.5 * (os.cpu_count() or 1):
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

    if _ROOT not in sys.path:  # benchmark this checkout's s2sad
        sys.path.insert(0, _ROOT)
    s2sad: Any = None
    s2sad_import_error: Optional[str] = None
    try:
        import s2sad as s2sad_mod
        s2sad = s2sad_mod
    except Exception as e:
        s2sad_import_error = "import s2sad: " + _shorten(e, 45)
    autograd: Any = None
    try:
        import autograd as autograd_mod
        autograd = autograd_mod
    except Exception:
        pass

    problems: List[str] = []
    print(machine_info(autograd))

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

    rows = []
    for w in workloads:
        rows.append(run_workload(w, s2sad, s2sad_import_error, autograd, repeat, min_time,
                                 problems, timing=not opts.check))
    print("check s2sad vs hand-written (value and gradient, rtol 1e-6): "
          + ", ".join("%s %s" % (r.w.key, "ok" if r.s2sad_error is None else
                                 ("FAIL" if r.s2sad_error.startswith("wrong") else "not run"))
                      for r in rows))

    if not opts.check:
        print("timing: min of %d repeats, each at least %.2g s; every gradient column times value "
              "and gradient: s2sad.value_and_grad, the hand-written gradients (which return the "
              "value too)%s" % (repeat, min_time, ", autograd.value_and_grad on the same source "
                                "with np and math bound to autograd.numpy" if autograd else ""))
        print()
        print(render_table(rows, autograd is not None, opts.markdown))
        print()
        print("per call, microseconds:")
        print(render_times(rows))
        print()
        print("targets:")
        for line in render_targets(rows, autograd is not None):
            print("  " + line)
    errors = [r for r in rows if r.s2sad_error is not None and not r.s2sad_error.startswith("wrong")]
    if errors:
        print()
        print("s2sad errors:")
        for r in errors:
            print("  %s: %s" % (r.w.key, r.s2sad_error_long or r.s2sad_error))
    if problems:
        print()
        print("CORRECTNESS PROBLEMS:")
        for p in problems:
            print("  " + p)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
