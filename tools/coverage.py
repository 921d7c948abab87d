"""Derivative coverage: a table of every function, operator, method and attribute s2sad has a
rule for, with the modes it supports, written to docs/COVERAGE.md.

Run from the repository's root::

    python tools/coverage.py            # write docs/COVERAGE.md, print totals per section
    python tools/coverage.py --check    # exit 1 if docs/COVERAGE.md is not current

The table is read from the rule registry (``s2sad.rules.REGISTRY``), so it shows whatever
is registered when the tool runs. A rule gives reverse mode when it has a reverse template,
forward mode when it is linear in some operand, has a tangent template or is elementwise.
Rules declared non-differentiable (``np.argmax``, ``len``) are listed at the end.

Rules registered by users' own code (``s2sad.register_reverse`` in a script or a test) are
left out: only callables that belong to an installed library (the standard library,
site-packages, s2sad itself) are documented, so the result does not depend on which tests
ran first in the same process.

The columns *verified* say, per rule and mode, which orders of derivative the rule grid
(tests/rules/test_rule_grid.py) checked against finite differences, read from the results
its full run writes (tests/rules/grid_results.json: run the grid with
``S2SAD_RULE_GRID=full``, then this tool).

The file says which Python and NumPy minor versions generated it: the rule set depends on
them (``math.cbrt`` exists from Python 3.11 on). ``render()`` gives the Markdown;
``main(argv)`` returns the exit status.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import site
import sys
import sysconfig
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:  # run as ``python tools/coverage.py`` from a checkout
    sys.path.insert(0, ROOT)

import numpy as np  # noqa: E402

import s2sad  # noqa: E402
from s2sad import runtime as _runtime  # noqa: E402
from s2sad.ir import nodes as _nodes  # noqa: E402
from s2sad.rules import REGISTRY  # noqa: E402

OUTPUT = os.path.join(ROOT, "docs", "COVERAGE.md")
COMMAND = "python tools/coverage.py"
CHECK = "✓"
# What the rule grid (tests/rules/test_rule_grid.py) verified, written by its full run.
GRID_RESULTS = os.path.join(ROOT, "tests", "rules", "grid_results.json")
GRID_COMMAND = "S2SAD_RULE_GRID=full python -m pytest tests/rules/test_rule_grid.py"

# The fixed sections, in order: (title, what its rows are).
OPERATORS = "Python operators"
BUILTINS = "builtins"
MATH = "math"
NUMPY = "numpy"
LINALG = "numpy.linalg"
METHODS = "array methods and attributes"
HELPERS = "s2sad runtime helpers"
FIXED = [(OPERATORS, "operators"), (BUILTINS, "functions"), (MATH, "functions"),
         (NUMPY, "functions"), (LINALG, "functions"), (METHODS, "methods and attributes"),
         (HELPERS, "helpers")]
FIXED_TITLES = [title for title, _ in FIXED]


@dataclass
class Row:
    name: str
    reverse: bool
    forward: bool
    reverse_2d_only: bool = False  # only a 2-D-array (matrix) reverse template


@dataclass
class Section:
    title: str
    noun: str
    rows: List[Row] = field(default_factory=list)
    no_derivative: List[str] = field(default_factory=list)

    @property
    def reverse_count(self) -> int:
        return sum(row.reverse for row in self.rows)

    @property
    def forward_count(self) -> int:
        return sum(row.forward for row in self.rows)

    def totals(self) -> str:
        return "%s: %d %s, %d reverse, %d forward; %d with no derivative" % (
            self.title, len(self.rows), self.noun, self.reverse_count, self.forward_count,
            len(self.no_derivative))


# -- names, as users write them ----------------------------------------------------------
def _operator_name(opcode: str) -> str:
    if opcode in _nodes.BINARY:
        return "a %s b" % _nodes.BINARY[opcode]
    if opcode in _nodes.UNARY:
        return "%sa" % _nodes.UNARY[opcode]
    if opcode in _nodes.COMPARE:
        return "a %s b" % _nodes.COMPARE[opcode]
    if opcode in _nodes.LOGICAL:
        return "a %s b" % _nodes.LOGICAL[opcode]
    return {"getitem": "x[i]", "setitem": "x[i] = v"}.get(opcode, opcode)


def _member_name(kind: str, name: str) -> Optional[str]:
    if kind == "method":
        return "x.%s()" % name
    if kind == "getattr":
        return "x.%s" % name
    return None


def _is_public(module: str) -> bool:
    return not any(part.startswith("_") for part in module.split("."))


def _binds(module: str, name: str, obj: Any) -> bool:
    namespace = sys.modules.get(module)
    # vars(), not getattr: NumPy's module __getattr__ warns about or raises on old names.
    return namespace is not None and vars(namespace).get(name) is obj


# Public namespaces to find an object in by identity, when its own __module__ and
# __name__ do not name it (a ufunc alias, a function defined in a private module).
_NAMESPACES = ("builtins", "math", "numpy", "numpy.linalg", "s2sad", "s2sad.runtime")


def _location(obj: Any) -> Tuple[str, str]:
    """(module, name) where users find ``obj``: its top-level package if that binds it
    under its name (``s2sad.stop_gradient``, not ``s2sad.custom``), else its own module
    (``numpy.linalg``), else the shortest public package between them that does, else any
    public namespace that holds it."""
    name = getattr(obj, "__name__", None)
    module = getattr(obj, "__module__", None)
    if isinstance(name, str) and isinstance(module, str):
        top = module.split(".")[0]
        if _is_public(top) and _binds(top, name, obj):
            return top, name
        if _is_public(module) and _binds(module, name, obj):
            return module, name
        parts = module.split(".")
        for i in range(2, len(parts)):
            prefix = ".".join(parts[:i])
            if not _is_public(prefix):
                break
            if _binds(prefix, name, obj):
                return prefix, name
    for namespace in _NAMESPACES:
        found = sys.modules.get(namespace)
        if found is None:
            continue
        aliases = sorted(alias for alias, value in vars(found).items()
                         if value is obj and not alias.startswith("_"))
        if aliases:
            return namespace, name if name in aliases else aliases[0]
    return (module if isinstance(module, str) else type(obj).__module__,
            name if isinstance(name, str) else type(obj).__name__)


def _is_helper(obj: Any) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module == _runtime.__name__ or module.startswith("s2sad.rules")


def _library_dirs() -> List[str]:
    dirs = [os.path.dirname(os.path.abspath(s2sad.__file__))]
    paths = sysconfig.get_paths()
    dirs += [paths[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")
             if key in paths]
    try:
        dirs += list(site.getsitepackages())
    except AttributeError:  # some virtualenvs' site module lacks it
        pass
    user_site = getattr(site, "getusersitepackages", lambda: None)()
    if user_site:
        dirs.append(user_site)
    return [os.path.realpath(d) for d in dirs]


def _is_library(module: str, library_dirs: Sequence[str]) -> bool:
    """Whether ``module`` belongs to an installed library rather than to users' code (a
    script, a test, an example run with runpy)."""
    if not module or module == "__main__" or module.startswith("<"):
        return False
    top = module.split(".")[0]
    if top == "s2sad" or top in sys.builtin_module_names:
        return True
    loaded = sys.modules.get(module) or sys.modules.get(top)
    if loaded is None:
        return False
    path = getattr(loaded, "__file__", None)
    if not path:  # built in, frozen
        return True
    path = os.path.realpath(path)
    parts = path.split(os.sep)
    if "site-packages" in parts or "dist-packages" in parts:
        return True
    return any(path == d or path.startswith(d.rstrip(os.sep) + os.sep) for d in library_dirs)


def _callable_entry(obj: Any, library_dirs: Sequence[str]) -> Optional[Tuple[str, str]]:
    """(section title, name) of a callable with a rule; None for users' own functions."""
    module, name = _location(obj)
    declared = getattr(obj, "__module__", None)
    if not _is_library(declared if isinstance(declared, str) else module, library_dirs):
        return None
    if _is_helper(obj):
        return HELPERS, name  # generated code calls them by their bare name
    if module == "builtins":
        return BUILTINS, name
    if module == "math":
        return MATH, "math." + name
    if module == "numpy":
        return NUMPY, "np." + name
    if module.startswith("numpy."):
        return module, "np.%s.%s" % (module[len("numpy."):], name)
    return module, "%s.%s" % (module, name)


# -- the table ---------------------------------------------------------------------------
def entry(key: Any, registry: Any = REGISTRY,
          library_dirs: Optional[Sequence[str]] = None) -> Optional[Tuple[str, str]]:
    """(section title, name) of the rule registered under ``key``; None for users' own
    rules and keys the table does not show."""
    if isinstance(key, str):
        return OPERATORS, _operator_name(key)
    if isinstance(key, tuple) and len(key) == 2 and key[0] == "callable":
        if key[1] not in registry.keep_alive:
            return None
        return _callable_entry(registry.keep_alive[key[1]],
                               _library_dirs() if library_dirs is None else library_dirs)
    if isinstance(key, tuple) and len(key) == 2 and isinstance(key[1], str) \
            and _member_name(key[0], key[1]) is not None:
        return METHODS, _member_name(key[0], key[1])
    return None


def collect(registry: Any = REGISTRY) -> List[Section]:
    """The sections: the fixed ones in order, then any other library (``numpy.fft``,
    ``s2sad``) by name. Rows and no-derivative names are sorted by name."""
    sections: Dict[str, Section] = {title: Section(title, noun) for title, noun in FIXED}
    library_dirs = _library_dirs()
    for key, rule in list(registry.rules.items()):
        found = entry(key, registry, library_dirs)
        if found is None:
            continue
        title, name = found
        if title not in sections:
            sections[title] = Section(title, "functions")
        section = sections[title]
        reverse = bool(rule.has_reverse)
        forward = bool(rule.linear or rule.tangents or rule.elementwise)
        matrix_only = not reverse and getattr(rule, "matrix_template", None) is not None
        if reverse or forward or matrix_only:
            section.rows.append(Row(name, reverse, forward, matrix_only))
        else:
            section.no_derivative.append(name)
    for section in sections.values():
        section.rows.sort(key=lambda row: (row.name.lower(), row.name))
        section.no_derivative = sorted(set(section.no_derivative),
                                       key=lambda name: (name.lower(), name))
    others = sorted(title for title in sections if title not in FIXED_TITLES)
    return [sections[title] for title in FIXED_TITLES + others]


def environment() -> str:
    """The versions the rule set depends on, as the file states them."""
    numpy_version = ".".join(np.__version__.split(".")[:2])
    return "Python %d.%d and NumPy %s" % (sys.version_info[0], sys.version_info[1],
                                           numpy_version)


def generated_with(text: str) -> Optional[str]:
    """The environment a generated file states, or None."""
    found = re.search(r"\(with (Python [0-9.]+ and NumPy [0-9.]+)\)", text)
    return found.group(1) if found else None


def _cell(text: str) -> str:
    return "`%s`" % text.replace("|", "\\|")


def grid_results(path: Optional[str] = None) -> Optional[Dict[str, Any]]:
    """The results the rule grid's full run wrote, or None."""
    text = _read(GRID_RESULTS if path is None else path)
    if text is None:
        return None
    try:
        found = json.loads(text)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _orders(entry: Optional[Dict[str, Any]], mode: str) -> str:
    """The orders the grid verified in one mode: "1, 2"; an order with a star where some
    of its cases failed or are expected to fail."""
    found = (entry or {}).get(mode) or {}
    return ", ".join(order + ("" if found[order] == "all" else "*")
                     for order in sorted(found))


def _grid_summary(results: Dict[str, Any]) -> List[str]:
    size, totals = results.get("size", {}), results.get("totals", {})
    return [
        "The columns *verified* give the orders of derivative, per mode, that the rule "
        "grid (`tests/rules/test_rule_grid.py`, run in full with `%s`, with %s) checked "
        "against finite differences: in reverse mode, first order by `vjp`, second by "
        "reverse over reverse and forward over reverse; in forward mode, first order by "
        "`jvp`, second by reverse over forward. For a runtime helper, first order means its "
        "own rules, run when the grid differentiates a derivative that calls it. A star "
        "marks an order verified on some of the rule's cases while others failed or are "
        "expected to fail (tests/rules/grid_results.json lists them)."
        % (GRID_COMMAND, results.get("environment", "an unknown environment")),
        "",
        "The grid: %d rules, %d cases, %d checks: %d passed, %d failed, %d expected to "
        "fail." % (size.get("rules", 0), size.get("cases", 0), size.get("checks", 0),
                   totals.get("passed", 0), totals.get("failed", 0),
                   totals.get("xfailed", 0)),
    ]


def render(sections: Optional[List[Section]] = None,
           results: Optional[Dict[str, Any]] = None) -> str:
    """The Markdown of docs/COVERAGE.md (``results``: the rule grid's, by default read from
    tests/rules/grid_results.json)."""
    if sections is None:
        sections = collect()
    if results is None:
        results = grid_results() or {}
    verified = results.get("verified", {})
    lines = [
        "# Derivative coverage",
        "",
        "This file is generated by `%s` from the rules registered in s2sad (with %s); "
        "do not edit it by hand." % (COMMAND, environment()),
    ]
    if results:
        lines += [""] + _grid_summary(results)
    for section in sections:
        if not section.rows and section.title not in FIXED_TITLES:
            continue  # a library with only non-differentiable functions
        lines += ["", "## %s" % section.title, ""]
        if not section.rows:
            lines.append("No rules registered.")
            continue
        lines += ["%d %s: %d with reverse mode, %d with forward mode." % (
                      len(section.rows), section.noun, section.reverse_count,
                      section.forward_count),
                  "",
                  "| name | reverse | forward | verified (reverse) | verified (forward) |",
                  "|---|:---:|:---:|:---:|:---:|"]
        for row in section.rows:
            reverse = CHECK if row.reverse else ("2-D arrays only" if row.reverse_2d_only
                                                 else "")
            entry = verified.get(row.name)
            lines.append("| %s | %s | %s | %s | %s |" % (
                _cell(row.name), reverse, CHECK if row.forward else "",
                _orders(entry, "reverse"), _orders(entry, "forward")))
    lines += ["", "## No derivative", "",
              "Declared non-differentiable: their results carry no derivative.", ""]
    for section in sections:
        if section.no_derivative:
            lines.append("- **%s**: %s" % (section.title, ", ".join(
                "`%s`" % name for name in section.no_derivative)))
    return "\n".join(lines) + "\n"


def _read(path: str) -> Optional[str]:
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return f.read()
    except OSError:
        return None


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Write docs/COVERAGE.md, the table of "
                                                 "s2sad's derivative rules.")
    parser.add_argument("--check", action="store_true",
                        help="exit 1 if docs/COVERAGE.md is not current, write nothing")
    args = parser.parse_args(argv)
    sections = collect()
    text = render(sections)
    relative = os.path.relpath(OUTPUT, ROOT)
    if args.check:
        current = _read(OUTPUT)
        if current == text:
            print("%s is up to date." % relative)
            return 0
        stated = generated_with(current or "")
        note = ""
        if stated is not None and stated != environment():
            note = " (it was generated with %s; this is %s)" % (stated, environment())
        print("%s is out of date%s: run %s" % (relative, note, COMMAND))
        return 1
    os.makedirs(os.path.dirname(OUTPUT), exist_ok=True)
    with open(OUTPUT, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)
    for section in sections:
        if section.rows or section.no_derivative or section.title in FIXED_TITLES:
            print(section.totals())
    print("wrote %s (with %s)" % (relative, environment()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
