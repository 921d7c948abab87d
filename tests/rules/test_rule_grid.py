"""The rule grid: every derivative rule in the registry, checked on a grid of inputs and
parameters in both modes, at first and second order (tests/rules/grid.py has the checks,
the references and the table of variants per rule).

The test walks the registry: a registered rule is tested by being registered. Each
differentiable rule of Python's operators, builtins, ``math``, NumPy and ``numpy.linalg``
(and array methods and attributes) needs variants in ``grid.SPECS`` or an entry in
``NOT_EXERCISED`` saying why not; the runtime helpers generated code calls are exercised
by the second-order checks of the rules whose templates call them (or listed too). Rules
declared without derivative have nothing to check.

By default (CI) a fixed sample runs: per rule, its first case and one more (about a
minute). ``S2SAD_RULE_GRID=full`` runs the whole grid and, when every case ran, writes
its results to tests/rules/grid_results.json, from which tools/coverage.py fills the
"orders verified" columns of docs/COVERAGE.md (run it after the grid).
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import pytest

from s2sad.rules import REGISTRY

from . import grid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESULTS_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "grid_results.json")
FULL = os.environ.get("S2SAD_RULE_GRID", "").lower() == "full"


def _load_tool() -> Any:
    name = "s2sad_tools_coverage"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, os.path.join(ROOT, "tools", "coverage.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


tool = _load_tool()
# np.row_stack, deprecated since NumPy 2.0, has a rule while NumPy has it
pytestmark = pytest.mark.filterwarnings("ignore:`row_stack` alias is deprecated")


# ---------------------------------------------------------------------------------------
# Rules the grid cannot exercise, by their name in docs/COVERAGE.md, with the reason.
NOT_EXERCISED: Dict[str, str] = {
}
if hasattr(np, "trapz"):  # NumPy before 2.4 still has the old name
    NOT_EXERCISED["np.trapz"] = "the rule of np.trapezoid, which the grid exercises"


# Cases that fail for reasons being fixed elsewhere: expected to fail (not strictly);
# remove an entry when its fix lands. (rule, pattern on the case id, checks or None
# for every check)
SECOND_ORDER = ("rev_over_rev", "fwd_over_rev", "rev_over_fwd")
BEING_FIXED: List[Tuple[str, str, Optional[Sequence[str]]]] = [
    # einsum forms: einsum_adjoint has no reverse rule yet (reverse over reverse), and an
    # operand broadcast from a length of 1 gets an adjoint of the broadcast shape
    ("np.einsum", r".", ("rev_over_rev",)),
    ("np.einsum", r"ij,i->j \(1,\)", None),
    # interp: the second derivative in x and fp together (the slope depends on fp)
    ("np.interp", r"xp\(4,\) \(4,\)", SECOND_ORDER),
]
if np.lib.NumpyVersion(np.__version__) >= "2.5.0":
    # NumPy 2.5's eig returns complex arrays even for real eigenvalues: the forward rule
    # and the second-order compositions of eig do not follow that yet
    BEING_FIXED += [("np.linalg.eig", r".", None), ("x.eigenvalues", r"np.linalg.eig", None)]


# Cases that fail for a known reason not fixed here: expected to fail (not strictly).
KNOWN_FAILURES: List[Tuple[str, str, Optional[Sequence[str]], str]] = [
]


def expected_failure(case: grid.Case, check: str) -> Optional[str]:
    for rule, pattern, checks in BEING_FIXED:
        if case.spec.name == rule and re.search(pattern, case.id) and \
                (checks is None or check in checks):
            return "being fixed"
    for rule, pattern, checks, reason in KNOWN_FAILURES:
        if case.spec.name == rule and re.search(pattern, case.id) and \
                (checks is None or check in checks):
            return reason
    return None


# ---------------------------------------------------------------------------------------
ALL_CASES = grid.cases()
CASES = ALL_CASES if FULL else grid.sample(ALL_CASES)
SHARD = os.environ.get("S2SAD_RULE_GRID_SHARD")   # "k/n": every n-th case from the k-th
if SHARD:
    _k, _n = map(int, SHARD.split("/"))
    CASES = CASES[_k::_n]


def _items() -> List[Any]:
    items = []
    for case in CASES:
        for check in grid.applicable(case.spec):
            reason = expected_failure(case, check)
            marks = [pytest.mark.xfail(strict=False, reason=reason)] if reason else []
            items.append(pytest.param(case, check, id="%s-%s" % (case.id, check), marks=marks))
    return items


ITEMS = _items()
# item id: (rule, check, outcome, the names the code a second-order check differentiated
# again calls)
RESULTS: Dict[str, Tuple[str, str, str, List[str]]] = {}


@pytest.mark.parametrize("case, check", ITEMS)
def test_rule(case: grid.Case, check: str) -> None:
    item = "%s-%s" % (case.id, check)
    reason = expected_failure(case, check)
    try:
        grid.RUN[check](case)
    except Exception as exc:
        RESULTS[item] = (case.spec.name, check, "xfailed" if reason else "failed",
                         grid.inner_calls(case, check))
        if reason:   # (at once: the traceback of an expected failure is not shown)
            pytest.xfail("%s: %s: %s" % (reason, type(exc).__name__, str(exc)[:300]))
        raise
    RESULTS[item] = (case.spec.name, check, "passed", grid.inner_calls(case, check))


# ---------------------------------------------------------------------------------------
# the registry walk
def _library_rules() -> Dict[Any, Tuple[str, str]]:
    """Registry key: (section, name) of every rule that belongs to a library (users' own
    rules, registered by other tests, are left out)."""
    out = {}
    for key in list(REGISTRY.rules):
        entry = tool.entry(key, REGISTRY)
        if entry is not None:
            out[key] = entry
    return out


def _helpers() -> Dict[Any, str]:
    """Key: name of every registered runtime helper."""
    return {key: name for key, (section, name) in _library_rules().items()
            if section == tool.HELPERS}


def test_every_registered_rule_is_exercised_or_listed() -> None:
    helpers = grid.exercised_helpers(_helpers())
    missing, stale = [], []
    listed = set(NOT_EXERCISED)
    for key, (section, name) in _library_rules().items():
        rule = REGISTRY.rules[key]
        if not rule.differentiable:
            continue
        exercised = key in grid.SPECS if section != tool.HELPERS else key in helpers
        if exercised and name in listed:
            stale.append(name)
        if not exercised and name not in listed:
            missing.append("%s (%s)" % (name, section))
    names = {name for _, name in _library_rules().values()}
    stale += sorted(listed - names)
    assert not missing, ("registered rules the grid neither exercises nor lists: give "
                         "them variants in tests/rules/grid.py (SPECS) or a reason in "
                         "NOT_EXERCISED: " + ", ".join(sorted(missing)))
    assert not stale, "NOT_EXERCISED lists rules the grid exercises or that do not " \
                      "exist: " + ", ".join(sorted(stale))


def test_specs_are_registered_and_named_as_the_table() -> None:
    rules = _library_rules()
    for key, spec in grid.SPECS.items():
        assert key in rules, "%s has variants but no rule" % spec.name
        assert rules[key][1] == spec.name, (rules[key][1], spec.name)


def test_case_ids_are_unique() -> None:
    ids = [case.id for case in ALL_CASES]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, duplicates


def test_expected_failures_name_rules_with_variants() -> None:
    names = {spec.name for spec in grid.SPECS.values()}
    for entry in BEING_FIXED + KNOWN_FAILURES:
        assert entry[0] in names, entry
        assert any(entry[0] == case.spec.name and re.search(entry[1], case.id)
                   for case in ALL_CASES), "no case matches %r" % (entry,)


# ---------------------------------------------------------------------------------------
# results of a full run
def summarize(results: Dict[str, Tuple[str, str, str, List[str]]]) -> Dict[str, Any]:
    per_rule: Dict[str, Dict[str, Dict[str, int]]] = {}
    failing: Dict[str, List[str]] = {}
    totals = {"passed": 0, "failed": 0, "xfailed": 0}
    for item, (rule, check, outcome, _) in sorted(results.items()):
        counts = per_rule.setdefault(rule, {}).setdefault(check, {})
        counts[outcome] = counts.get(outcome, 0) + 1
        totals[outcome] += 1
        if outcome != "passed":
            failing.setdefault(rule, []).append("%s: %s" % (outcome, item))
    verified = {name: grid.orders(counts) for name, counts in per_rule.items()}
    for name, entry in grid.helper_orders(list(results.values()),
                                          list(_helpers().values())).items():
        verified.setdefault(name, entry)
    return {
        "about": "Written by S2SAD_RULE_GRID=full python -m pytest "
                 "tests/rules/test_rule_grid.py; read by tools/coverage.py.",
        "environment": tool.environment(),
        "size": {"rules": len(grid.SPECS), "cases": len(ALL_CASES),
                 "checks": len(results)},
        "totals": totals,
        "verified": {name: verified[name] for name in sorted(verified)},
        "counts": {name: per_rule[name] for name in sorted(per_rule)},
        "not_passing": {name: failing[name] for name in sorted(failing)},
        "not_exercised": dict(sorted(NOT_EXERCISED.items())),
    }


@pytest.fixture(scope="module", autouse=True)
def _write_results():
    yield
    if FULL and not SHARD and len(RESULTS) == len(ITEMS):
        with open(RESULTS_FILE, "w", encoding="utf-8", newline="\n") as f:
            json.dump(summarize(RESULTS), f, indent=1, sort_keys=False)
            f.write("\n")
