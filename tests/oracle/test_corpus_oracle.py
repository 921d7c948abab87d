"""Every program of the project's corpora through s2sad, against the plain function and
autograd (``check.py``): the round-trip corpus (``tests/corpus.py``, every input set), the
gradient cases (``tests/ad/gradcases.py``, every argument set) and a fixed sample of the
random programs of ``tests/programs.py`` and ``tests/array_programs.py`` (derandomized, so
the same programs every run).

For each: s2sad's value in both modes equals the function's bit for bit; the gradient
(``seed . J`` for an output that is not a scalar) equals autograd's to ``GRAD_RTOL``, or
central finite differences where autograd cannot run the program; ``jvp`` equals the
reverse mode's and autograd's forward mode; the arguments come back unchanged. A
refusal (``DifferentiationError``) is a failure unless ``EXPECTED_REFUSALS`` names it.
Failures that are known and being fixed are xfailed from ``known_failures.py``.
"""
from __future__ import annotations

import collections
import inspect
import os
import re
import sys
from typing import Any, Callable, Dict, List, Tuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from . import check as oracle
from .known_failures import CORPUS_XFAIL, GENERATED_XFAIL

try:
    from .. import corpus
    from ..ad import gradcases
    from ..array_programs import array_programs_with_inputs
    from ..programs import programs
except ImportError:  # run outside the tests package
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import corpus  # type: ignore
    from ad import gradcases  # type: ignore
    from array_programs import array_programs_with_inputs  # type: ignore
    from programs import programs  # type: ignore

# Corpus functions s2sad refuses, and rightly: the gist each refusal must carry.
EXPECTED_REFUSALS: Dict[str, str] = {
    # state["m"][i] = ... writes into a list the dict state holds, read on the next line
    "adam_step": "AliasedWriteError",
    # the floats differentiated are in *args: a documented limitation
    "total_of": "with respect to *args",
    "weighted_mean": "with respect to *values",
    # np.diagflat has no derivative rule (docs/COVERAGE.md)
    "jacobi": "np.diagflat",
}

PROGRAM_SAMPLES = int(os.environ.get("S2SAD_ORACLE_SAMPLES", "40"))


def _positions(fn: Callable[..., Any], wrt: Any) -> Tuple[int, ...]:
    params = list(inspect.signature(fn).parameters)
    items = wrt if isinstance(wrt, tuple) else (wrt,)
    return tuple(params.index(w) if isinstance(w, str) else w for w in items)


def _corpus_cases() -> List[Any]:
    cases = []
    for fn, sets in corpus.CASES:
        for i, (args, kwargs) in enumerate(sets):
            case_id = "corpus-%s-%d" % (fn.__name__, i)
            marks = []
            if (fn.__name__, i) in CORPUS_XFAIL:
                marks = [pytest.mark.xfail(strict=False, reason=CORPUS_XFAIL[fn.__name__, i])]
            cases.append(pytest.param(fn, args, kwargs, None, i, id=case_id, marks=marks))
    for fn, wrt, sets in gradcases.CASES:
        for i, args in enumerate(sets):
            case_id = "grad-%s-%s-%d" % (fn.__name__, "-".join(map(str, _positions(fn, wrt))), i)
            marks = []
            if (fn.__name__, i) in CORPUS_XFAIL and fn.__module__.endswith("gradcases"):
                marks = [pytest.mark.xfail(strict=False, reason=CORPUS_XFAIL[fn.__name__, i])]
            cases.append(pytest.param(fn, args, {}, _positions(fn, wrt), i, id=case_id,
                                      marks=marks))
    return cases


def _source(fn: Callable[..., Any]) -> str:
    try:
        return inspect.getsource(fn)
    except (OSError, TypeError):
        return "<no source>"


def _verdict(fn: Callable[..., Any], args: Tuple, kwargs: Dict[str, Any],
             result: oracle.Result) -> None:
    name = getattr(fn, "__name__", "?")
    if result.status == "refused":
        expected = EXPECTED_REFUSALS.get(name)
        assert expected is not None and expected in result.kind + result.message, (
            "s2sad refused %s(*%r, **%r), which it should differentiate:\n%s\n--- function "
            "---\n%s" % (name, args, kwargs, result.message, _source(fn)))
        return
    assert name not in EXPECTED_REFUSALS or result.status == "skipped", (
        "%s was expected to be refused (%s)" % (name, EXPECTED_REFUSALS[name]))
    assert result.status in ("ok", "skipped"), (
        "%s(*%r, **%r) %s\n--- function ---\n%s" % (name, args, kwargs, result, _source(fn)))


@pytest.mark.parametrize("fn, args, kwargs, wrt, index", _corpus_cases())
def test_corpus_program(fn: Callable[..., Any], args: Tuple, kwargs: Dict[str, Any],
                        wrt: Any, index: int) -> None:
    result = oracle.check(fn, args, kwargs, wrt=wrt, seed=index)
    _verdict(fn, args, kwargs, result)


def test_the_oracle_is_mostly_autograd() -> None:
    """Guards the oracle itself: autograd checks most corpus programs (finite differences
    are the exception, for in-place writes and the like), and nothing the corpora hold is
    silently skipped in bulk."""
    counts: collections.Counter = collections.Counter()
    for param in _corpus_cases():
        fn, args, kwargs, wrt, index = param.values
        result = oracle.check(fn, args, kwargs, wrt=wrt, seed=index, forward=False)
        counts[result.status, result.oracle.split(" ")[0]] += 1
    checked = counts["ok", "autograd"] + counts["ok", "fd"]
    print("corpus oracle:", dict(counts))
    differentiable = sum(counts.values()) - counts["skipped", "none"]
    assert checked >= 0.9 * differentiable, counts
    assert counts["ok", "autograd"] >= 0.8 * checked, counts


# ---------------------------------------------------------------------------
# Samples of the random program generators
# ---------------------------------------------------------------------------

_sample_settings = settings(max_examples=PROGRAM_SAMPLES, deadline=None, derandomize=True,
                            database=None, suppress_health_check=list(HealthCheck))


# an array or list given a second name (arr1 = arr0) in a program of programs.py
_ARRAY_ALIAS = re.compile(r"^\s*((?:arr|lst)\d+) = ((?:arr|lst)\d+)$", re.M)


def _check_generated(fn: Callable[..., Any], source: str, args: Tuple,
                     aliased: bool = False) -> None:
    """``aliased``: the program gives an array a second name, so an AliasedWriteError is
    a refusal it may rightly get."""
    note(source)
    result = oracle.check(fn, args, seed=0)
    if result.status == "refused" and aliased and result.kind.startswith("AliasedWriteError"):
        return
    for pattern, kind, regression in GENERATED_XFAIL:  # a known failure, not a new one
        said = result.kind if result.status == "refused" else " ".join(result.problems)
        if result.status in ("refused", "failed") and re.search(pattern, source) \
                and kind in said:
            note("known failure: %s" % regression)
            return
    assert result.status in ("ok", "skipped"), "%s\nat args=%r\n--- program ---\n%s" % (
        result, args, source)


@_sample_settings
@given(programs(allow_arrays=False, allow_lists=False), st.integers(0, 2 ** 32 - 1))
def test_scalar_programs(prog: Any, seed: int) -> None:
    rng = np.random.default_rng(seed)
    args = tuple(float(v) for v in rng.uniform(-3.0, 3.0, size=prog.n_params))
    _check_generated(prog.make(), prog.source, args)


@_sample_settings
@given(programs(allow_arrays=True, allow_lists=True), st.integers(0, 2 ** 32 - 1))
def test_list_and_array_programs(prog: Any, seed: int) -> None:
    rng = np.random.default_rng(seed)
    args = tuple(float(v) for v in rng.uniform(-3.0, 3.0, size=prog.n_params))
    aliased = any(a != b for a, b in _ARRAY_ALIAS.findall(prog.source))
    _check_generated(prog.make(), prog.source, args, aliased)


@_sample_settings
@given(array_programs_with_inputs())
def test_array_programs(case: Any) -> None:
    prog, args = case
    _check_generated(prog.make(), prog.source, tuple(args), prog.aliased)
