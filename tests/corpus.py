"""Round-trip corpus for the s2sad frontend and primal emitter.

Every tested function below is an ordinary module-level ``def`` (so
``inspect.getsource`` works on it), written the way numerical Python code is
usually written: scalar math loops, NumPy array code and small ML snippets.
Two further entries of ``CASES`` are closures produced by the factories
``make_affine`` and ``make_polynomial`` (the factories themselves are not
tested; only the functions they return are).

Input convention
----------------
``CASES`` is a list of ``(fn, input_sets)``.  Every input set is a pair
``(args, kwargs)``: ``args`` is a tuple of positional arguments and ``kwargs``
a dict of keyword arguments (usually empty).  They are built with ``call``::

    call(2.0, tol=1e-3)   ==   ((2.0,), {"tol": 1e-3})

so an input set is applied as ``fn(*args, **kwargs)``.  The test deep-copies
each input set before every call, and compares the copies afterwards too, so
functions that mutate their arguments are checked for the same mutation.

``RAISING_CASES`` is a list of ``(fn, input_sets, exception_type)``: bad
inputs on which the original raises ``exception_type``; the emitted function
must raise the same exception type.

The corpus deliberately avoids try/except, with, yield, async, lambda, nested
def/class inside tested functions, del, global/nonlocal, function-level
imports, match, and star-args / ``**kwargs`` in calls.
"""
import math
from math import sqrt

import numpy as np
import numpy as onp
from numpy import tanh

EPS = 1e-8
LEAK = 0.01
MAX_ITERS = 50
ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid")


def call(*args, **kwargs):
    """Build one input set ``(args, kwargs)`` (see the module docstring)."""
    return args, kwargs


# ---------------------------------------------------------------------------
# Scalar math
# ---------------------------------------------------------------------------

def horner(coeffs, x):
    """Evaluate sum(c_k * x**k) with Horner's rule (coeffs lowest degree first)."""
    acc = 0.0
    for c in reversed(coeffs):
        acc *= x
        acc += c
    return acc


def fib_pair(n):
    """Return (F(n), F(n + 1))."""
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a, b


def gcd(a, b):
    """Greatest common divisor by Euclid's algorithm."""
    a, b = abs(a), abs(b)
    if b == 0:
        return a
    while (r := a % b) != 0:
        a, b = b, r
    return b


def modpow(base, exp, mod=1_000_000_007):
    """Right-to-left binary exponentiation: base**exp % mod."""
    assert mod > 1
    result = 1
    base %= mod
    while exp > 0:
        if exp % 2 == 1:
            result = result * base % mod
        base *= base
        base %= mod
        exp //= 2
    return result


def digit_sum(n):
    n = abs(n)
    s = 0
    while n > 0:
        s += n % 10
        n //= 10
    return s


def collatz_steps(n, limit=1000):
    """Number of Collatz steps to reach 1, or -1 if it takes more than limit."""
    steps = 0
    while n != 1:
        if steps >= limit:
            break
        if n % 2 == 0:
            n //= 2
        else:
            n = 3 * n + 1
        steps += 1
    else:
        return steps
    return -1


def newton_sqrt(x, *, tol=1e-12, max_iter=MAX_ITERS):
    """Square root by Newton's method; -1.0 signals non-convergence."""
    if x < 0:
        raise ValueError(f"newton_sqrt: negative input {x}")
    if x == 0.0:
        return 0.0
    guess = x if x > 1.0 else 1.0
    it = 0
    while it < max_iter:
        nxt = 0.5 * (guess + x / guess)
        if abs(nxt - guess) <= tol * guess:
            guess = nxt
            break
        guess = nxt
        it += 1
    else:
        return -1.0
    return guess


def quadratic_roots(a, b, c):
    """Real roots of a*x**2 + b*x + c, larger first; None when they are complex."""
    if a == 0:
        raise ValueError("not a quadratic: a == 0")
    if (disc := b * b - 4.0 * a * c) < 0:
        return None
    elif disc == 0:
        r = -b / (2.0 * a)
        return r, r
    s = math.sqrt(disc)
    q = -0.5 * (b + math.copysign(s, b))
    r1, r2 = q / a, c / q
    return (r1, r2) if r1 >= r2 else (r2, r1)


def smallest_root(a, b, c, default=None):
    roots = quadratic_roots(a, b, c)
    if roots is None:
        return default
    hi, lo = roots
    return lo


def clip_scalar(x, lo=0.0, hi=1.0):
    if lo <= x <= hi:
        return x
    elif x < lo:
        return lo
    else:
        return hi


def symmetric_clip(x, c=1.0):
    """Clip x to [-c, +c]."""
    return -c if x < -c else (+c if x > c else x)


def piecewise_activation(x, kind="relu"):
    if kind not in ACTIVATIONS:
        raise ValueError("unknown activation: " + kind)
    if kind == "relu":
        return x if x > 0.0 else 0.0
    elif kind == "leaky_relu":
        return x if x > 0.0 else LEAK * x
    elif kind == "tanh":
        return math.tanh(x)
    else:
        return 1.0 / (1.0 + math.exp(-x))


def softplus(x, beta=1.0, threshold=20.0):
    """Numerically safe log(1 + exp(beta * x)) / beta."""
    z = beta * x
    if z > threshold:
        return x
    return math.log1p(math.exp(z)) / beta


def lp_norm(xs, p=2.0):
    total = 0.0
    for x in xs:
        total += abs(x) ** p
    total **= 1.0 / p
    return total


def compound_growth(principal, rate, years, *, periods=12):
    factor = 1.0 + rate / periods
    factor **= periods
    balance = principal
    for _ in range(years):
        balance *= factor
    return round(balance, 2)


def wrap_angle(theta):
    """Wrap an angle into (-pi, pi]."""
    theta %= 2.0 * math.pi
    if theta > math.pi:
        theta -= 2.0 * math.pi
    return theta


def unary_mix(x, n, flag):
    neg = -x
    pos = +x
    inv = ~n
    off = not flag
    return neg, pos, inv, off, -(-n), not (x > 0)


def cubic(x):
    return x ** 3 - 2.0 * x - 5.0


def bisect_root(lo, hi, tol=1e-10):
    """Root of cubic() in [lo, hi] by bisection; None if there is no sign change."""
    flo = cubic(lo)
    if flo * cubic(hi) > 0:
        return None
    while hi - lo > tol:
        mid = 0.5 * (lo + hi)
        fmid = cubic(mid)
        if fmid == 0.0:
            return mid
        if (flo < 0) == (fmid < 0):
            lo, flo = mid, fmid
        else:
            hi = mid
    return 0.5 * (lo + hi)


# ---------------------------------------------------------------------------
# Lists, statistics, strings
# ---------------------------------------------------------------------------

def mean_var(xs):
    """Two-pass mean and population variance of a list."""
    n = len(xs)
    if n == 0:
        return 0.0, 0.0
    mean = sum(xs) / n
    var = sum((x - mean) ** 2 for x in xs) / n
    return mean, var


def standardize(xs):
    m, v = mean_var(xs)
    scale = sqrt(v + EPS)
    return [(x - m) / scale for x in xs]


def minmax(xs):
    lo = hi = xs[0]
    for x in xs[1:]:
        if x < lo:
            lo = x
        elif x > hi:
            hi = x
    return lo, hi


def min_max_scale(xs, *, feature_range=(0.0, 1.0)):
    (lo, hi), (a, b) = minmax(xs), feature_range
    span = hi - lo or 1.0
    return [a + (x - lo) * (b - a) / span for x in xs]


def pick_scale(scale, fallback, flags):
    s = scale or fallback
    t = flags and flags[0]
    u = (scale and fallback) or -1.0
    v = None if not flags else flags[-1]
    return s, t, u, v


def starred_stats(xs):
    first, *rest = xs
    *init, last = xs
    head, second, *_ = xs + [0.0, 0.0]
    return first, len(rest), sum(init), last, head + second


def split_header(row):
    label, *values = row
    total = sum(values)
    return label, total, len(values)


def lerp_segments(segments, t):
    out = []
    for seg in segments:
        (x0, y0), (x1, y1) = seg
        out.append((x0 + t * (x1 - x0), y0 + t * (y1 - y0)))
    return out


def describe(name, xs):
    if (n := len(xs)) == 0:
        return f"{name}: empty"
    m, v = mean_var(xs)
    return f"{name}: n={n} mean={m:.4f} std={math.sqrt(v):.3e} {'wide' if v > 1.0 else 'narrow'}"


def progress_line(step, total, loss, width=20):
    filled = (step * width) // total if total else 0
    bar = "#" * filled + "." * (width - filled)
    return f"[{bar}] {step:>4d}/{total} loss={loss!r}"


def count_in_range(xs, lo, hi):
    return sum(1 for x in xs if lo < x < hi)


def sum_of_squares(n, *, odd_only=False):
    if odd_only:
        return sum(k * k for k in range(1, n, 2))
    return sum(k ** 2 for k in range(n))


def pair_products(xs, ys, thresh=0.0):
    return [x * y for x in xs for y in ys if x * y > thresh]


def grid_points(nx, ny, h=0.5):
    return [(i * h, j * h) for i in range(nx) for j in range(ny) if (i + j) % 2 == 0]


def histogram(values, n_bins, lo, hi):
    counts = {b: 0 for b in range(n_bins)}
    width = (hi - lo) / n_bins
    for v in values:
        if not (lo <= v < hi):
            continue
        b = int((v - lo) // width)
        counts[b] += 1
    return counts


def normalize_counts(counts):
    total = sum(counts.values())
    if total == 0:
        return {k: 0.0 for k in counts}
    return {k: c / total for k, c in counts.items() if c > 0}


def find_first(xs, target):
    for i, x in enumerate(xs):
        if x == target:
            break
    else:
        i = -1
    return i


def is_prime(n):
    if n < 2:
        return False
    for d in range(2, math.isqrt(n) + 1):
        if n % d == 0:
            return False
    else:
        return True


def primes_upto(n):
    """Sieve of Eratosthenes."""
    if n < 2:
        return []
    sieve = [True] * (n + 1)
    sieve[0] = sieve[1] = False
    for i in range(2, n + 1):
        if not sieve[i]:
            continue
        if i * i > n:
            break
        for j in range(i * i, n + 1, i):
            sieve[j] = False
    return [k for k, flag in enumerate(sieve) if flag]


def find_pair_sum(xs, total):
    n = len(xs)
    for i in range(n):
        for j in range(i + 1, n):
            if xs[i] + xs[j] == total:
                return i, j
    return None


def skip_sum(xs, cap=100.0):
    """Sum the non-negative prefix values, stopping at the first value above cap."""
    i = 0
    total = 0.0
    while i < len(xs):
        x = xs[i]
        i += 1
        if x < 0:
            continue
        elif x > cap:
            break
        total += x
    return total


def bounded_random_walk(steps, lo=-3, hi=3):
    pos = 0
    k = 0
    visited = [pos]
    while k < len(steps):
        s = steps[k]
        k += 1
        if not lo <= pos + s <= hi:
            continue
        pos += s
        visited.append(pos)
    return pos, visited


def bubble_sort(xs):
    """Sort a list in place; returns the number of swaps."""
    n = len(xs)
    swaps = 0
    for end in range(n - 1, 0, -1):
        swapped = False
        for j in range(end):
            if xs[j] > xs[j + 1]:
                xs[j], xs[j + 1] = xs[j + 1], xs[j]
                swaps += 1
                swapped = True
        if not swapped:
            break
    return swaps


def append_running_mean(history, x, *, window=3):
    history.append(x)
    recent = history[-window:]
    return sum(recent) / len(recent)


def moving_average(xs, k):
    out = []
    for i in range(len(xs) - k + 1):
        out.append(sum(xs[i:i + k]) / k)
    return out


def suffix_max(xs):
    out = [0.0] * len(xs)
    best = -math.inf
    for i in reversed(range(len(xs))):
        best = max(best, xs[i])
        out[i] = best
    return out


def softmax_list(zs):
    m = max(zs)
    exps = [math.exp(z - m) for z in zs]
    total = sum(exps)
    for i in range(len(exps)):
        exps[i] /= total
    return exps


def total_of(*args):
    total = 0.0
    for a in args:
        total += a
    return total, len(args)


def weighted_mean(*values, weights=None):
    if not values:
        return 0.0
    if weights is None:
        weights = [1.0] * len(values)
    assert len(weights) == len(values), "one weight per value"
    num = sum(w * v for w, v in zip(weights, values))
    return num / sum(weights)


def rms_error(preds, targets):
    sq = [(p - t) ** 2 for p, t in zip(preds, targets)]
    if not sq:
        return 0.0
    mse = sum(sq)
    mse /= len(sq)
    return newton_sqrt(mse, tol=1e-14)


def count_sign_changes(xs):
    changes = 0
    prev = None
    for x in xs:
        if x == 0:
            pass
        elif prev is not None and (prev < 0) != (x < 0):
            changes += 1
        if x != 0:
            prev = x
    return changes


def safe_log_sum(xs):
    total = 0.0
    for x in xs:
        if x > 0:
            total += math.log(x)
        else:
            pass
    return total


def stats_summary(xs):
    summary = {"n": len(xs), "min": None, "max": None}
    if xs:
        summary["min"], summary["max"] = minmax(xs)
    tags = {"small" if len(xs) < 5 else "large", "empty" if not xs else "data"}
    return summary, tags


def binary_accuracy(preds, labels, threshold=0.5):
    correct = 0
    for p, y in zip(preds, labels):
        if y not in {0, 1}:
            raise ValueError("labels must be 0 or 1")
        hit = (p >= threshold) == (y == 1)
        correct += int(hit)
    return correct / len(labels) if labels else 0.0


def adam_step(params, grads, state=None, *, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    """One Adam update on a list of scalar parameters; mutates state in place."""
    if state is None:
        state = {"t": 0, "m": [0.0] * len(params), "v": [0.0] * len(params)}
    b1, b2 = betas
    state["t"] += 1
    t = state["t"]
    new_params = []
    for i, (p, g) in enumerate(zip(params, grads)):
        state["m"][i] = b1 * state["m"][i] + (1 - b1) * g
        state["v"][i] = b2 * state["v"][i] + (1 - b2) * g * g
        m_hat = state["m"][i] / (1 - b1 ** t)
        v_hat = state["v"][i] / (1 - b2 ** t)
        new_params.append(p - lr * m_hat / (math.sqrt(v_hat) + eps))
    return new_params, state


# ---------------------------------------------------------------------------
# NumPy array code
# ---------------------------------------------------------------------------

def logsumexp(v):
    m = np.max(v)
    return m + np.log(np.sum(np.exp(v - m)))


def softmax(X, axis=-1):
    Z = X - X.max(axis=axis, keepdims=True)
    E = np.exp(Z)
    return E / E.sum(axis=axis, keepdims=True)


def leaky_relu(x):
    return np.where(x > 0, x, LEAK * x)


def mlp_forward(x, W1, b1, W2, b2):
    """Two-layer perceptron with a tanh hidden layer."""
    h = tanh(x @ W1 + b1)
    return h @ W2 + b2


def gelu_approx(x):
    return 0.5 * x * (1.0 + tanh(sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def onp_features(x):
    x = onp.asarray(x, dtype=onp.float64)
    feats = [onp.ones_like(x), x, x ** 2, onp.sin(x)]
    return onp.stack(feats, axis=-1)


def cosine_similarity(a, b):
    return onp.dot(a, b) / (onp.linalg.norm(a) * onp.linalg.norm(b) + EPS)


def matvec_loop(A, x):
    n, m = A.shape
    y = np.zeros(n)
    for i in range(n):
        for j in range(m):
            y[i] += A[i, j] * x[j]
    return y


def add_diag(S, d):
    S = S.copy()
    for i in range(len(d)):
        S[i, i] += d[i]
    return S


def ridge_solve(X, y, lam=0.1):
    G = X.T @ X
    for i in range(G.shape[0]):
        G[i, i] += lam
    return np.linalg.solve(G, X.T @ y)


def mat_power(A, k):
    """A**k for a square matrix by repeated squaring."""
    R = np.eye(A.shape[0], dtype=A.dtype)
    P = A.copy()
    while k > 0:
        if k % 2 == 1:
            R @= P
        P @= P
        k //= 2
    return R


def rotate_path(points, angles):
    R = np.eye(2)
    for theta in angles:
        c, s = math.cos(theta), math.sin(theta)
        R @= np.array([[c, -s], [s, c]])
    return points @ R.T


def cumsum_inplace(a):
    for i in range(1, len(a)):
        a[i] += a[i - 1]


def normalize_inplace(v):
    n = np.sqrt(np.sum(v * v))
    if n > 0:
        v /= n
    return n


def slicing_tour(X):
    rev = X[::-1]
    sub = X[1:, ::2]
    col = X[:, 0]
    expanded = col[..., None]
    return rev.sum() + sub.sum(), expanded.shape, X.ndim, (expanded * X).sum(axis=0)


def mask_band(y, width=2):
    out = y.copy()
    out[1:3] = 0.0
    out[-width:] = out[-width:][::-1]
    out[0] -= 1.0
    return out


def damp_edges_inplace(Y, factor=0.5):
    Y[1:3] = 0.0
    Y[:, 0] *= factor
    Y[:, -1] *= factor
    return Y.shape


def downsample(img):
    small = img[1:, ::2]
    return small, small.shape, small.ndim


def pairwise_sq_dists(X):
    sq = np.sum(X ** 2, axis=1)
    D = sq[..., None] + sq[None, ...] - 2.0 * X @ X.T
    return np.maximum(D, 0.0)


def interleave_halves(x):
    H = x.reshape(2, -1)
    return H.T.reshape(-1)


def reshape_pool(x):
    """Split a flat vector into two rows and pool it both ways."""
    M = x.reshape(2, -1)
    col = M.sum(axis=0)
    row = M.sum(axis=1)
    return col, row, M.T.shape, M.ndim


def sliding_windows(x, k):
    n = x.shape[0] - k + 1
    if n <= 0:
        return np.zeros((0, k))
    return np.stack([x[i:i + k] for i in range(n)])


def conv1d(x, w, stride=1):
    """Valid 1-D cross-correlation."""
    k = len(w)
    n_out = (len(x) - k) // stride + 1
    out = np.zeros(max(n_out, 0))
    for o, start in enumerate(range(0, len(x) - k + 1, stride)):
        acc = 0.0
        for j in range(k):
            acc += x[start + j] * w[j]
        out[o] = acc
    return out


def batch_norm(X, gamma, beta, eps=1e-5):
    mu = X.mean(axis=0)
    var = X.var(axis=0)
    Xhat = (X - mu) / np.sqrt(var + eps)
    return gamma * Xhat + beta


def cross_entropy(logits, labels):
    n = logits.shape[0]
    P = softmax(logits)
    picked = P[np.arange(n), labels]
    return -np.mean(np.log(picked + EPS))


def linreg_gd(X, y, lr=0.1, n_steps=50):
    """Least squares by full-batch gradient descent."""
    n, d = X.shape
    w = np.zeros(d)
    b = 0.0
    for step in range(n_steps):
        r = X @ w + b - y
        w -= lr * (X.T @ r) / n
        b -= lr * r.mean()
    return w, b


def kmeans_assign(X, centers):
    labels = []
    for x in X:
        d = np.sum((centers - x) ** 2, axis=1)
        labels.append(int(np.argmin(d)))
    counts = {k: labels.count(k) for k in range(len(centers))}
    return np.array(labels, dtype=np.int64), counts


def first_negative_row(A):
    for i, row in enumerate(A):
        for j, v in enumerate(row):
            if v < 0:
                return i, j
    return None


def masked_mean(x, mask):
    kept = x[~mask]
    if kept.size == 0:
        return float("nan")
    return kept.mean()


def back_substitute(U, b):
    """Solve U x = b for upper-triangular U."""
    n = b.shape[0]
    x = np.zeros(n)
    for i in range(n - 1, -1, -1):
        s = b[i]
        for j in range(i + 1, n):
            s -= U[i, j] * x[j]
        x[i] = s / U[i, i]
    return x


def jacobi(A, b, *, tol=1e-10, max_iter=MAX_ITERS):
    x = np.zeros_like(b)
    D = np.diag(A)
    R = A - np.diagflat(D)
    it = 0
    while it < max_iter:
        x_new = (b - R @ x) / D
        it += 1
        if np.max(np.abs(x_new - x)) < tol:
            return x_new, it
        x = x_new
    return x, it


def validate_probs(p):
    """Entropy of a probability vector, after checking it is one."""
    assert p.ndim == 1, "expected a vector"
    assert np.all(p >= 0)
    s = p.sum()
    assert abs(s - 1.0) < 1e-9, f"probabilities sum to {s}"
    return -np.sum(p * np.log(p + EPS))


# ---------------------------------------------------------------------------
# Closures (the factories are not tested themselves)
# ---------------------------------------------------------------------------

def make_affine(scale, shift):
    def affine(x):
        return scale * x + shift
    return affine


def make_polynomial(coeffs, *, clip=None):
    def poly(x):
        y = horner(coeffs, x)
        if clip is not None and abs(y) > clip:
            return clip if y > 0 else -clip
        return y
    return poly


affine_2x_plus_1 = make_affine(2.0, 1.0)
clipped_poly = make_polynomial([1.0, -3.0, 0.0, 2.0], clip=10.0)


# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------

_rng = np.random.default_rng(20240601)


def _randn(*shape):
    return _rng.standard_normal(shape)


_A3 = np.array([[4.0, 1.0, 0.5], [1.0, 3.0, -0.25], [0.5, -0.25, 2.0]])
_U3 = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, 1.0], [0.0, 0.0, -4.0]])
_FIB = np.array([[1, 1], [1, 0]], dtype=np.int64)
_X8x3 = _randn(8, 3)
_Y8 = _X8x3 @ np.array([1.5, -2.0, 0.5]) + 0.3
_W1, _B1 = _randn(3, 4), _randn(4)
_W2, _B2 = _randn(4, 2), _randn(2)

CASES = [
    # scalar math
    (horner, [call([1.0, 2.0, 3.0], 0.5), call([], 2.0), call([4.0], -1.5),
              call([0.5, -1.0, 0.25, 2.0], 3.0)]),
    (fib_pair, [call(0), call(1), call(10), call(50)]),
    (gcd, [call(48, 18), call(17, 5), call(7, 0), call(0, 5)]),
    (modpow, [call(2, 10), call(3, 0), call(7, 128, 13), call(123456789, 987654321)]),
    (digit_sum, [call(0), call(9875), call(-406)]),
    (collatz_steps, [call(1), call(27), call(27, 10), call(6)]),
    (newton_sqrt, [call(2.0), call(0.0), call(10.0, max_iter=2), call(0.25, tol=1e-3)]),
    (quadratic_roots, [call(1.0, -3.0, 2.0), call(1.0, 2.0, 5.0), call(2.0, 4.0, 2.0),
                       call(-1.0, 0.0, 4.0)]),
    (smallest_root, [call(1.0, -3.0, 2.0), call(1.0, 0.0, 1.0),
                     call(1.0, 0.0, 1.0, default=float("nan"))]),
    (clip_scalar, [call(0.5), call(-2.0), call(3.0, hi=2.5), call(1.0, 1.0, 1.0)]),
    (symmetric_clip, [call(0.3), call(-4.0), call(4.0, 2.0)]),
    (piecewise_activation, [call(1.5), call(-2.0, "leaky_relu"), call(0.7, kind="tanh"),
                            call(-0.3, "sigmoid")]),
    (softplus, [call(0.5), call(30.0), call(-3.0, beta=2.0), call(5.0, 10.0, threshold=40.0)]),
    (lp_norm, [call([3.0, -4.0]), call([1.0, 2.0, 3.0], 1.0), call([-2.0, 0.5], p=3.0)]),
    (compound_growth, [call(1000.0, 0.05, 10), call(500.0, 0.12, 0),
                       call(100.0, 0.03, 3, periods=4)]),
    (wrap_angle, [call(0.5), call(4.0), call(-7.5), call(20.0)]),
    (unary_mix, [call(1.5, 5, True), call(-2.0, -1, False), call(0.0, 0, [])]),
    (cubic, [call(0.0), call(2.0), call(-1.25)]),
    (bisect_root, [call(2.0, 3.0), call(-1.0, 0.0), call(0.0, 4.0, 1e-3)]),
    # lists, statistics, strings
    (mean_var, [call([1.0, 2.0, 4.0]), call([]), call([2.5])]),
    (standardize, [call([1.0, 2.0, 3.0, 10.0]), call([]), call([5.0, 5.0])]),
    (minmax, [call([3.0, -1.0, 7.0, 2.0]), call([4]), call([2, 2, 1, 3])]),
    (min_max_scale, [call([3.0, -1.0, 7.0]), call([2.0, 2.0]),
                     call([0.0, 5.0, 10.0], feature_range=(-1.0, 1.0))]),
    (pick_scale, [call(0.0, 2.0, []), call(3.0, 2.0, [5, 7]), call(None, 1.5, [0])]),
    (starred_stats, [call([1.0, 2.0, 3.0]), call([5.0]), call([1.0, -1.0, 2.0, -2.0])]),
    (split_header, [call(["loss", 1.0, 2.0, 3.5]), call(["empty"]), call([7, 1, 2])]),
    (lerp_segments, [call([((0.0, 0.0), (1.0, 2.0)), ((1.0, 1.0), (-1.0, 3.0))], 0.25),
                     call([], 0.5)]),
    (describe, [call("loss", [1.0, 2.0, 4.0]), call("acc", []), call("x", [0.1, 0.2])]),
    (progress_line, [call(3, 10, 0.125), call(0, 0, float("nan")), call(7, 7, 1e-3, width=10)]),
    (count_in_range, [call([0.1, 0.5, 1.5, -2.0], 0.0, 1.0), call([], 0.0, 1.0),
                      call([1.0, 2.0, 3.0], 1.0, 3.0)]),
    (sum_of_squares, [call(0), call(10), call(10, odd_only=True)]),
    (pair_products, [call([1.0, -2.0, 3.0], [0.5, -1.0]), call([], [1.0]),
                     call([1, 2], [3, 4], thresh=4)]),
    (grid_points, [call(3, 3), call(0, 4), call(2, 5, h=0.1)]),
    (histogram, [call([0.1, 0.2, 0.75, 0.9, 1.5, -0.5], 4, 0.0, 1.0), call([], 2, 0.0, 1.0),
                 call([2.0, 3.0, 3.5], 3, 2.0, 5.0)]),
    (normalize_counts, [call({0: 2, 1: 0, 2: 6}), call({"a": 0, "b": 0}), call({})]),
    (find_first, [call([3, 1, 4, 1, 5], 1), call([3, 1, 4], 9), call([], 0)]),
    (is_prime, [call(1), call(2), call(97), call(91)]),
    (primes_upto, [call(1), call(2), call(30), call(50)]),
    (find_pair_sum, [call([1, 4, 6, 3], 9), call([1, 2], 10), call([], 0),
                     call([2.5, 0.5, 1.0], 1.5)]),
    (skip_sum, [call([1.0, -2.0, 3.0, 500.0, 4.0]), call([]), call([5.0, 6.0], cap=5.5)]),
    (bounded_random_walk, [call([1, 1, 1, 1, -2, 3]), call([]), call([-5, 2, -1], lo=-1, hi=1)]),
    (bubble_sort, [call([5, 1, 4, 2, 8]), call([]), call([1.0, 2.0, 3.0]), call([3, 2, 1])]),
    (append_running_mean, [call([1.0, 2.0], 3.0), call([], 5.0), call([1.0, 2.0, 3.0, 4.0], 0.0, window=2)]),
    (moving_average, [call([1.0, 2.0, 3.0, 4.0, 5.0], 2), call([1.0], 3), call([2.0, 4.0], 2)]),
    (suffix_max, [call([1.0, 3.0, 2.0, 0.5]), call([]), call([-1.0])]),
    (softmax_list, [call([1.0, 2.0, 3.0]), call([0.0]), call([-1000.0, 0.0, 1000.0])]),
    (total_of, [call(), call(1.0), call(1.0, 2.5, -3.0)]),
    (weighted_mean, [call(), call(1.0, 2.0, 6.0), call(1.0, 3.0, weights=[3.0, 1.0])]),
    (rms_error, [call([1.0, 2.0], [1.5, 1.0]), call([], []), call([0.0, 0.0, 3.0], [0.0, 0.0, 0.0])]),
    (count_sign_changes, [call([1.0, -1.0, 0.0, -2.0, 3.0]), call([]), call([0, 0, 1, 0, -1])]),
    (safe_log_sum, [call([1.0, math.e, -1.0, 0.0]), call([]), call([0.5, 2.0])]),
    (stats_summary, [call([3.0, 1.0, 2.0]), call([]), call([1, 2, 3, 4, 5, 6])]),
    (binary_accuracy, [call([0.9, 0.2, 0.6], [1, 0, 0]), call([], []),
                       call([0.4, 0.7], [1, 1], threshold=0.3)]),
    (adam_step, [call([1.0, -2.0], [0.5, 0.1]),
                 call([0.3], [-1.0], {"t": 4, "m": [0.2], "v": [0.01]}, lr=0.1),
                 call([], [], betas=(0.8, 0.99))]),
    # NumPy
    (logsumexp, [call(np.array([1.0, 2.0, 3.0])), call(np.array([-1e3, 1e3])), call(_randn(5))]),
    (softmax, [call(_randn(3, 4)), call(_randn(3, 4), axis=0), call(np.array([0.0, 1.0, -1.0]))]),
    (leaky_relu, [call(np.array([-2.0, 0.0, 3.0])), call(_randn(2, 3)), call(np.zeros(0))]),
    (mlp_forward, [call(_randn(5, 3), _W1, _B1, _W2, _B2), call(_randn(3), _W1, _B1, _W2, _B2)]),
    (gelu_approx, [call(np.linspace(-3.0, 3.0, 7)), call(0.5), call(_randn(2, 2))]),
    (onp_features, [call([0.0, 1.0, 2.0]), call(np.array(0.5)), call(_randn(2, 2))]),
    (cosine_similarity, [call(np.array([1.0, 0.0]), np.array([1.0, 1.0])), call(_randn(4), _randn(4)),
                         call(np.zeros(3), np.ones(3))]),
    (matvec_loop, [call(_A3, np.array([1.0, -1.0, 2.0])), call(np.zeros((0, 3)), np.ones(3)),
                   call(_randn(2, 4), _randn(4))]),
    (add_diag, [call(_A3, np.array([1.0, 2.0, 3.0])), call(_A3, np.array([]))]),
    (ridge_solve, [call(_X8x3, _Y8), call(_X8x3, _Y8, lam=10.0)]),
    (mat_power, [call(_FIB, 10), call(_FIB, 0), call(np.array([[0.5, 0.1], [0.2, 0.9]]), 5)]),
    (rotate_path, [call(_randn(4, 2), np.array([0.1, 0.7, -0.3])), call(_randn(3, 2), np.array([]))]),
    (cumsum_inplace, [call(np.array([1.0, 2.0, 3.0, 4.0])), call(np.array([5])),
                      call(np.arange(6, dtype=np.int64))]),
    (normalize_inplace, [call(np.array([3.0, 4.0])), call(np.zeros(3)), call(_randn(5))]),
    (slicing_tour, [call(np.arange(12.0).reshape(3, 4)), call(_randn(4, 5)), call(np.ones((1, 1)))]),
    (mask_band, [call(np.arange(6.0)), call(np.arange(5.0), width=3), call(_randn(4))]),
    (damp_edges_inplace, [call(np.ones((4, 3))), call(np.arange(12.0).reshape(6, 2), factor=0.25)]),
    (downsample, [call(np.arange(20.0).reshape(4, 5)), call(_randn(2, 3, 2)), call(np.ones((1, 4)))]),
    (pairwise_sq_dists, [call(_randn(4, 3)), call(np.array([[0.0, 0.0], [3.0, 4.0]]))]),
    (interleave_halves, [call(np.arange(8.0)), call(np.arange(6, dtype=np.int64))]),
    (reshape_pool, [call(np.arange(8.0)), call(_randn(6))]),
    (sliding_windows, [call(np.arange(5.0), 3), call(np.arange(2.0), 3), call(_randn(4), 4)]),
    (conv1d, [call(np.arange(6.0), np.array([1.0, -1.0])), call(np.arange(7.0), np.array([0.5, 0.25, 0.25]), 2),
              call(np.arange(2.0), np.ones(3))]),
    (batch_norm, [call(_randn(6, 3), np.ones(3), np.zeros(3)), call(_randn(4, 2), np.array([2.0, 0.5]), 1.0, eps=1e-3)]),
    (cross_entropy, [call(_randn(4, 3), np.array([0, 2, 1, 1])), call(np.array([[10.0, -10.0]]), np.array([1]))]),
    (linreg_gd, [call(_X8x3, _Y8), call(_X8x3, _Y8, n_steps=0), call(_X8x3, _Y8, lr=0.05, n_steps=5)]),
    (kmeans_assign, [call(_randn(6, 2), np.array([[0.0, 0.0], [1.0, 1.0], [-1.0, 1.0]])),
                     call(np.zeros((0, 2)), np.array([[0.0, 0.0]]))]),
    (first_negative_row, [call(np.array([[1.0, 2.0], [3.0, -4.0]])), call(np.ones((2, 2))),
                          call(np.array([[-1.0]]))]),
    (masked_mean, [call(np.array([1.0, 2.0, 3.0]), np.array([False, True, False])),
                   call(np.array([1.0]), np.array([True]))]),
    (back_substitute, [call(_U3, np.array([1.0, 2.0, 3.0])), call(np.zeros((0, 0)), np.zeros(0))]),
    (jacobi, [call(_A3, np.array([1.0, 2.0, 3.0])), call(_A3, np.array([1.0, 0.0, 0.0]), max_iter=3),
              call(_A3, np.zeros(3), tol=1e-3)]),
    (validate_probs, [call(np.array([0.25, 0.25, 0.5])), call(np.array([1.0, 0.0]))]),
    # closures
    (affine_2x_plus_1, [call(3.0), call(np.array([1.0, -1.0])), call(-0.5)]),
    (clipped_poly, [call(0.5), call(3.0), call(-5.0)]),
]

RAISING_CASES = [
    (newton_sqrt, [call(-1.0), call(-4.0, tol=1e-3)], ValueError),
    (quadratic_roots, [call(0.0, 1.0, 2.0)], ValueError),
    (piecewise_activation, [call(1.0, "softmax")], ValueError),
    (binary_accuracy, [call([0.9, 0.2], [1, 2])], ValueError),
    (weighted_mean, [call(1.0, 2.0, weights=[1.0])], AssertionError),
    (validate_probs, [call(np.array([0.5, 0.6])), call(np.array([[1.0]])),
                      call(np.array([-0.5, 1.5]))], AssertionError),
    (modpow, [call(2, 3, 1)], AssertionError),
]
