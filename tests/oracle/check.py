"""One program through s2sad, against the plain function and autograd.

``check(fn, args, kwargs)`` differentiates ``fn`` with respect to every positional
argument made of floats (a float, a float array, or a tuple/list/dict of those) and
compares, on fresh copies of the arguments each time:

* the value s2sad's reverse mode (``value_and_grad`` for a scalar output, ``vjp`` with a
  random seed otherwise) and forward mode (``jvp``) return, with the plain call's result,
  bit for bit (same types of arrays, same shapes and dtypes, same float bits, NaN equal
  to NaN, 0.0 different from -0.0);
* the gradient (``seed . J``) with autograd's, to ``GRAD_RTOL``; where autograd cannot
  run the program, with central finite differences, to ``FD_RTOL`` (coordinates where two
  step sizes disagree, kinks and the like, are not compared);
* the forward mode's ``seed . (J tangent)`` with the reverse mode's ``<seed . J,
  tangent>`` and with autograd's forward mode;
* the arguments given to s2sad's calls, which must come back unchanged.

The outcome is a :class:`Result`: ``status`` is "ok", "refused" (s2sad raised a
DifferentiationError: ``message``, ``kind``) or "failed" (``problems``: what was wrong,
each starting with one of ``value``, ``gradient``, ``jvp``, ``crash``, ``mutation``);
``oracle`` says which oracle the gradient was checked against ("autograd", "fd", or
"none" when the point was ill-posed for finite differences too).
"""
from __future__ import annotations

import copy
import math
import re
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

import s2sad

from . import autograd_oracle as ao

GRAD_RTOL = 1e-9      # s2sad against autograd, and forward against reverse: both exact
FD_RTOL = 2e-5        # against central differences
FD_STEPS = (1e-6, 1e-4)


@dataclass
class Result:
    status: str = "ok"
    oracle: str = "none"
    problems: List[str] = field(default_factory=list)
    message: str = ""
    kind: str = ""
    wrt: Tuple[int, ...] = ()
    autograd_reason: str = ""

    def fail(self, problem: str) -> None:
        self.status = "failed"
        self.problems.append(problem)

    def __str__(self) -> str:
        if self.status == "refused":
            return "refused (%s): %s" % (self.kind, self.message)
        if self.status == "failed":
            return "failed:\n  " + "\n  ".join(self.problems)
        return "ok (oracle: %s)" % self.oracle


# ---------------------------------------------------------------------------
# What is differentiated, and exact comparison
# ---------------------------------------------------------------------------

def _float_leaf(x: Any) -> bool:
    if isinstance(x, np.ndarray):
        return x.dtype == np.float64
    return type(x) is float or isinstance(x, np.float64)


def float_tree(x: Any) -> bool:
    """Whether every leaf of ``x`` is a float or a float64 array (and ``x`` has one)."""
    leaves = ao.tree_leaves(x)
    return bool(leaves) and all(_float_leaf(v) for v in leaves)


def float_positions(args: Sequence[Any]) -> Tuple[int, ...]:
    return tuple(i for i, a in enumerate(args) if float_tree(a))


def same(a: Any, b: Any) -> bool:
    """Bit-for-bit equality of two results (see the module docstring)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.dtype.kind in "fc":
            return a.tobytes() == b.tobytes() or bool(
                np.array_equal(a, b, equal_nan=True)
                and np.array_equal(np.signbit(a), np.signbit(b)))
        return bool(np.array_equal(a, b))
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return (type(a) is type(b) and len(a) == len(b)
                and all(same(x, y) for x, y in zip(a, b)))
    if isinstance(a, dict) or isinstance(b, dict):
        return (type(a) is type(b) and list(a) == list(b)
                and all(same(a[k], b[k]) for k in a))
    if isinstance(a, (float, np.floating)) and isinstance(b, (float, np.floating)):
        if math.isnan(a) or math.isnan(b):
            return bool(math.isnan(a) and math.isnan(b))
        return bool(a == b) and math.copysign(1.0, a) == math.copysign(1.0, b)
    if type(a) is not type(b) and not (isinstance(a, (int, np.integer))
                                       and isinstance(b, (int, np.integer))
                                       and not isinstance(a, bool)
                                       and not isinstance(b, bool)):
        return False
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001
        return False


def _copies(args: Sequence[Any], kwargs: Dict[str, Any]) -> Tuple[Tuple, Dict[str, Any]]:
    return copy.deepcopy(tuple(args)), copy.deepcopy(kwargs)


def _random_tree(x: Any, rng: np.random.Generator) -> Any:
    def leaf(v: Any) -> Any:
        if isinstance(v, np.ndarray) and v.dtype.kind == "f":
            return rng.uniform(-1.0, 1.0, size=v.shape)
        if isinstance(v, (float, np.floating)) and not isinstance(v, bool):
            return float(rng.uniform(-1.0, 1.0))
        if isinstance(v, (bool, np.bool_)) or v is None or isinstance(v, str):
            return None
        if isinstance(v, (int, np.integer)):
            return 0.0
        return None
    return ao.tree_map(leaf, x)


def _seed_for(value: Any, rng: np.random.Generator) -> Any:
    """A random output seed shaped like ``value`` (floats get random numbers, other
    leaves none), or 1.0 for a scalar output."""
    if _scalar(value):
        return 1.0
    return _random_tree(value, rng)


def _scalar(value: Any) -> bool:
    return (type(value) is float or isinstance(value, np.floating)
            or (isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.ndim == 0))


def _kind(exc: BaseException) -> str:
    """A short name for what a refusal says: its class and the gist of its message, with
    the names, lines and code it quotes taken out."""
    message = getattr(exc, "message", str(exc))
    gist = re.sub(r"`[^`]*`", "`...`", message)
    gist = re.sub(r"[\w./<>-]+\.py:\d+", "FILE:LINE", gist)
    gist = re.sub(r"line \d+", "line N", gist)
    gist = re.sub(r"\b(changes|hold|with|but|holds|of) (?!(?:a|an|the|value)\b)[A-Za-z_]\w*",
                  r"\1 NAME", gist)
    gist = re.sub(r"(?<![.\w])[A-Za-z_]+\d+\b", "NAME", gist)
    gist = re.sub(r"^FILE:LINE: ", "", gist)
    gist = re.sub(r"\bf\(\)", "NAME()", gist)
    gist = gist.split(";")[0].split(": s2sad")[0][:110]
    return "%s: %s" % (type(exc).__name__, gist)


def _unchanged(before: Any, after: Any) -> bool:
    return same(before, after) or _same_loose(before, after)


def _same_loose(a: Any, b: Any) -> bool:
    try:
        return bool(np.all([np.array_equal(x, y, equal_nan=True) for x, y in
                            zip(ao.tree_leaves(a), ao.tree_leaves(b))])) and \
            len(ao.tree_leaves(a)) == len(ao.tree_leaves(b)) and type(a) is type(b)
    except Exception:  # noqa: BLE001
        return False


def _close(actual: Any, expected: Any, rtol: float, scale: float) -> Optional[str]:
    """None when every leaf of ``actual`` is within ``rtol`` of ``expected`` (relative to
    the leaf, or to ``scale`` for small entries); else where it is not."""
    la, le = ao.tree_leaves(actual), ao.tree_leaves(expected)
    if len(la) != len(le):
        return "structure differs: %r against %r" % (actual, expected)
    for k, (a, e) in enumerate(zip(la, le)):
        try:
            a = np.asarray(a, dtype=np.float64)
            e = np.asarray(e, dtype=np.float64)
        except (TypeError, ValueError):
            return "leaf %d is %r, expected %r" % (k, a, e)
        if a.shape != e.shape:
            return "leaf %d has shape %s, expected %s" % (k, a.shape, e.shape)
        with np.errstate(all="ignore"):
            bad = ~(np.abs(a - e) <= rtol * (np.abs(e) + scale))
        bad &= ~(np.isnan(a) & np.isnan(e)) & ~(a == e)
        if np.any(bad):
            return "leaf %d: %r, expected %r" % (k, a if a.ndim else float(a),
                                                 e if e.ndim else float(e))
    return None


def _bad_masks(actual: Any, expected: Any, rtol: float, scale: float) -> Optional[List[np.ndarray]]:
    la, le = ao.tree_leaves(actual), ao.tree_leaves(expected)
    if len(la) != len(le):
        return None
    masks = []
    for a, e in zip(la, le):
        try:
            a = np.asarray(a, dtype=np.float64)
            e = np.asarray(e, dtype=np.float64)
        except (TypeError, ValueError):
            return None
        if a.shape != e.shape:
            return None
        with np.errstate(all="ignore"):
            bad = ~(np.abs(a - e) <= rtol * (np.abs(e) + scale))
        masks.append(bad & ~(np.isnan(a) & np.isnan(e)) & ~(a == e))
    return masks


def _scale(tree: Any) -> float:
    values = [float(np.max(np.abs(np.asarray(v, dtype=np.float64)), initial=0.0))
              for v in ao.tree_leaves(tree)]
    finite = [v for v in values if math.isfinite(v)]
    # small entries are compared to the largest, and to 1e-5: a derivative of 1e-7 that is
    # 1 - tanh(x) ** 2 near saturation carries a rounding error of 1e-16, not 1e-16 * 1e-7
    return max(finite, default=0.0) * 1e-3 + 1e-5


def _tangent_dot(grads: Sequence[Any], tangents: Sequence[Any]) -> Tuple[float, float]:
    total = scale = 0.0
    for g, t in zip(grads, tangents):
        a, b = ao.inner(g, t)
        total += a
        scale += b
    return total, scale


# ---------------------------------------------------------------------------
# The check
# ---------------------------------------------------------------------------

def _flatten(args: Sequence[Any],
             wrt: Sequence[int]) -> Tuple[np.ndarray, Callable[[np.ndarray], Tuple]]:
    """The floats of the arguments ``wrt`` as one vector, and the inverse: a vector to
    a copy of ``args`` holding it (and a vector to gradients shaped like ``args[wrt]``)."""
    leaves = [leaf for p in wrt for leaf in ao.tree_leaves(args[p])]
    sizes = [np.size(leaf) for leaf in leaves]
    flat = np.concatenate([np.ravel(np.asarray(leaf, dtype=np.float64)) for leaf in leaves]) \
        if leaves else np.zeros(0)

    def rebuild(vector: np.ndarray) -> Tuple:
        it = iter(np.split(vector, np.cumsum(sizes)[:-1]) if sizes else [])
        parts = []
        for p in wrt:
            parts.append(ao.tree_map(
                lambda leaf: next(it).reshape(np.shape(leaf)).copy()
                if isinstance(leaf, np.ndarray) else float(next(it)[0]), args[p]))
        return tuple(parts)

    return flat, rebuild


def _scalar_seed(seed: Any) -> bool:
    return isinstance(seed, float) and seed == 1.0


def _fd_gradient(fn: Callable[..., Any], args: Sequence[Any], kwargs: Dict[str, Any],
                 wrt: Sequence[int], seed: Any) -> Tuple[Tuple, Tuple]:
    """Central differences, and per entry whether to trust them: the point is smooth
    there when the one-sided differences agree and a larger step agrees too (a kink,
    a branch boundary or a tie between the steps shows as a disagreement)."""
    flat, rebuild = _flatten(args, wrt)

    def at(vector: np.ndarray) -> float:
        moved = list(copy.deepcopy(tuple(args)))
        for position, part in zip(wrt, rebuild(vector)):
            moved[position] = part
        out = fn(*moved, **copy.deepcopy(kwargs))
        if _scalar_seed(seed):
            return float(np.sum(out))
        return ao.inner(seed, out)[0]

    grad = np.zeros_like(flat)
    trust = np.zeros(flat.shape, dtype=bool)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        f0 = at(flat)
        for k in range(flat.size):
            def step(h: float) -> float:
                moved = flat.copy()
                moved[k] += h
                return at(moved)
            h1, h2 = FD_STEPS
            up1, down1, up2, down2 = step(h1), step(-h1), step(h2), step(-h2)
            central = (up1 - down1) / (2 * h1)
            right, left = (up1 - f0) / h1, (f0 - down1) / h1
            coarse = (up2 - down2) / (2 * h2)
            grad[k] = central
            size = abs(central) + 1.0
            trust[k] = bool(np.isfinite(central) and abs(right - left) <= 1e-2 * size
                            and abs(coarse - central) <= 1e-3 * size)
    return rebuild(grad), rebuild(trust.astype(np.float64))


def _trusted(trust: Any) -> List[np.ndarray]:
    """Per leaf, where finite differences can be trusted (see ``_fd_gradient``)."""
    return [np.asarray(m, dtype=np.float64) > 0.5 for m in ao.tree_leaves(trust)]


def _masked_close(actual: Any, fine: Any, masks: Sequence[np.ndarray]) -> Optional[str]:
    la, lf = ao.tree_leaves(actual), ao.tree_leaves(fine)
    if len(la) != len(lf):
        return "structure differs: %r against %r" % (actual, fine)
    for k, (a, f, m) in enumerate(zip(la, lf, masks)):
        a = np.asarray(a, dtype=np.float64)
        f = np.asarray(f, dtype=np.float64)
        if a.shape != f.shape:
            return "leaf %d has shape %s, expected %s" % (k, a.shape, f.shape)
        with np.errstate(all="ignore"):
            bad = m & ~(np.abs(a - f) <= FD_RTOL * (np.abs(f) + 1.0))
        if np.any(bad):
            return "leaf %d: %r, finite differences %r" % (k, a if a.ndim else float(a),
                                                           f if f.ndim else float(f))
    return None


def check(fn: Callable[..., Any], args: Sequence[Any], kwargs: Optional[Dict[str, Any]] = None,
          wrt: Optional[Sequence[int]] = None, seed: int = 0, forward: bool = True,
          use_autograd: bool = True) -> Result:
    """Run the checks of the module docstring on ``fn(*args, **kwargs)``."""
    kwargs = dict(kwargs or {})
    args = tuple(args)
    wrt = tuple(float_positions(args) if wrt is None else wrt)
    result = Result(wrt=wrt)
    if not wrt:
        result.status = "skipped"
        return result
    rng = np.random.default_rng(seed)
    pristine = _copies(args, kwargs)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        expected = fn(*_copies(args, kwargs)[0], **_copies(args, kwargs)[1])
    out_seed = _seed_for(expected, rng)
    tangents = tuple(_random_tree(args[p], rng) for p in wrt)
    scalar = _scalar(expected)

    def call(what: str, run: Callable[[Tuple, Dict[str, Any]], Any]) -> Any:
        a, k = _copies(args, kwargs)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = run(a, k)
        except s2sad.DifferentiationError as exc:
            result.status = "refused"
            result.message = str(exc)
            result.kind = _kind(exc)
            raise _Stop() from exc
        except Exception as exc:  # noqa: BLE001 - any other exception is a failure
            result.fail("crash: %s raised %s: %s" % (what, type(exc).__name__, exc))
            raise _Stop() from exc
        if not (_unchanged(pristine[0], a) and _unchanged(pristine[1], k)):
            result.fail("mutation: %s changed the arguments: %r became %r"
                        % (what, pristine[0], a))
        return out

    try:
        if scalar:
            value, grads = call("value_and_grad",
                                lambda a, k: s2sad.value_and_grad(fn, wrt=wrt)(*a, **k))
        else:
            value, grads = call("vjp", lambda a, k: s2sad.vjp(fn, wrt=wrt)(*a, out_seed, **k))
    except _Stop:
        return result
    if not same(value, expected):
        result.fail("value: reverse mode returned %r, the function %r" % (value, expected))
    grads = tuple(grads)

    # gradient against autograd, else finite differences
    has_float_output = any(_float_leaf(v) or isinstance(v, (float, np.floating))
                           for v in ao.tree_leaves(expected))
    oracle_grads = None
    if use_autograd:
        try:
            _, oracle_grads = ao.vjp(fn, args, kwargs, wrt, out_seed, expected)
            result.oracle = "autograd"
        except ao.Unavailable as exc:
            result.autograd_reason = str(exc)
    if oracle_grads is not None and not all(
            np.all(np.isfinite(np.asarray(v, dtype=np.float64)))
            for v in ao.tree_leaves(oracle_grads)) and \
            _close(grads, oracle_grads, GRAD_RTOL, _scale(oracle_grads)) is not None:
        # autograd has no number here (0 * inf at a kink...) and s2sad another one
        result.autograd_reason = "autograd's gradient is not finite: %r" % (oracle_grads,)
        result.oracle = "none"
        oracle_grads = None
    kink = False
    if oracle_grads is not None:
        problem = _close(grads, oracle_grads, GRAD_RTOL, _scale(oracle_grads))
        if problem:
            # a mismatch counts where the function is smooth; at a kink s2sad and autograd
            # may take different one-sided derivatives. autograd itself is wrong where a
            # plain array it recorded is written afterwards (b = a * c; a -= 1.0): there
            # finite differences side with s2sad against autograd.
            bad = _bad_masks(grads, oracle_grads, GRAD_RTOL, _scale(oracle_grads))
            fine, trust = _fd_gradient(fn, args, kwargs, wrt, out_seed)
            masks = _trusted(trust)
            if bad is not None and not any(np.any(b & t) for b, t in zip(bad, masks)):
                kink = True
                result.oracle = "autograd (a kink)"
            elif bad is not None and _masked_close(grads, fine, masks) is None and \
                    _masked_close(oracle_grads, fine, masks) is not None:
                kink = True  # autograd's forward mode is no oracle here either
                result.oracle = "fd (autograd saw a later write)"
            else:
                result.fail("gradient: s2sad %r, autograd %r, finite differences %r (%s)"
                            % (grads, oracle_grads, fine, problem))
    elif has_float_output:
        fine, trust = _fd_gradient(fn, args, kwargs, wrt, out_seed)
        masks = _trusted(trust)
        if any(np.any(m) for m in masks):
            result.oracle = "fd"
            problem = _masked_close(grads, fine, masks)
            if problem:
                result.fail("gradient: s2sad %r, finite differences %r (%s)"
                            % (grads, fine, problem))
    else:
        result.oracle = "fd"
        zero = ao.tree_map(lambda v: 0.0 * np.asarray(v, dtype=np.float64)
                           if isinstance(v, np.ndarray) else 0.0, tuple(args[p] for p in wrt))
        problem = _close(grads, zero, GRAD_RTOL, 1e-12)
        if problem:
            result.fail("gradient: s2sad %r for an output with no floats (%s)" % (grads, problem))

    if not forward:
        return result
    try:
        fvalue, tout = call("jvp", lambda a, k: s2sad.jvp(fn, wrt=wrt)(*a, tangents, **k))
    except _Stop:
        return result
    if not same(fvalue, expected):
        result.fail("value: forward mode returned %r, the function %r" % (fvalue, expected))
    seed_tree = out_seed if not scalar else 1.0
    try:
        forward_dot, fscale = ao.inner(seed_tree, tout) if not scalar else \
            (float(np.sum(tout)), abs(float(np.sum(tout))))
    except Exception as exc:  # noqa: BLE001
        result.fail("jvp: tangent %r does not have the output's structure %r (%s)"
                    % (tout, expected, exc))
        return result
    reverse_dot, rscale = _tangent_dot(grads, tangents)
    scale = max(fscale, rscale, 1e-300)
    if not _agree(forward_dot, reverse_dot, scale):
        result.fail("jvp: forward <seed, J t> = %r, reverse <seed J, t> = %r (tangent %r)"
                    % (forward_dot, reverse_dot, tout))
    if oracle_grads is not None and not kink:
        try:
            _, adot = ao.jvp(fn, args, kwargs, wrt, tangents, seed_tree, expected)
        except ao.Unavailable:
            adot = None
        if adot is not None:
            if not _agree(forward_dot, adot, scale):
                result.fail("jvp: forward <seed, J t> = %r, autograd's forward mode %r"
                            % (forward_dot, adot))
    return result


def _agree(a: float, b: float, scale: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= GRAD_RTOL * 10 * (scale if math.isfinite(scale) else 0.0) + 1e-12


class _Stop(Exception):
    pass
