"""The regression programs of ``known_failures.py`` through the oracle: ``KNOWN_FAILURES``
xfailed (not strict: an XPASS means fixed), ``FIXED`` as ordinary tests."""
from __future__ import annotations

import inspect

import pytest

from . import check as oracle
from .known_failures import FIXED, KNOWN_FAILURES, Regression


def _run(case: Regression) -> None:
    result = oracle.check(case.fn, case.args, wrt=case.wrt)
    assert result.status == "ok", "%s\n%s\n--- program ---\n%s" % (
        case.reason, result, inspect.getsource(case.fn))


@pytest.mark.parametrize("case", [pytest.param(c, id=c.fn.__name__, marks=pytest.mark.xfail(
    strict=False, reason=c.reason)) for c in KNOWN_FAILURES])
def test_known_failure(case: Regression) -> None:
    _run(case)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.fn.__name__) for c in FIXED])
def test_fixed(case: Regression) -> None:
    _run(case)
