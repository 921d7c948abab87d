"""docs/COVERAGE.md, the table of derivative rules that tools/coverage.py generates: the
committed file is current, and it lists what it should."""
import difflib
import importlib.util
import os
import sys

import numpy as np
import pytest

from s2sad.rules.registry import Registry

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGENERATE = "run python tools/coverage.py"


def _load_tool():
    # By path, under its own name: tools/ is no package, and "coverage" is taken.
    spec = importlib.util.spec_from_file_location(
        "s2sad_tools_coverage", os.path.join(ROOT, "tools", "coverage.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


def _section(sections, title):
    return next(section for section in sections if section.title == title)


def test_committed_table_is_current():
    generated = tool.render()
    try:
        with open(tool.OUTPUT, encoding="utf-8", newline="") as f:
            committed = f.read()
    except OSError:
        pytest.fail("docs/COVERAGE.md is missing: " + REGENERATE)
    if committed == generated:
        return
    stated = tool.generated_with(committed)
    if stated is not None and stated != tool.environment():
        pytest.skip("docs/COVERAGE.md was generated with %s, this is %s: the rules "
                    "registered differ by version" % (stated, tool.environment()))
    diff = list(difflib.unified_diff(committed.splitlines(), generated.splitlines(),
                                     "docs/COVERAGE.md", "generated", lineterm="", n=0))
    pytest.fail("docs/COVERAGE.md is out of date with the registered rules: %s\n%s"
                % (REGENERATE, "\n".join(diff[:40])))


@pytest.mark.parametrize("title, name", [
    ("numpy", "np.sin"), ("math", "math.exp"), ("builtins", "abs"),
    ("array methods and attributes", "x.sum()"), ("array methods and attributes", "x.T"),
    ("Python operators", "a @ b"),
])
def test_table_lists_both_modes(title, name):
    rows = {row.name: row for row in _section(tool.collect(), title).rows}
    assert name in rows and rows[name].reverse and rows[name].forward
    assert "| `%s` | ✓ | ✓ |" % name in tool.render()


def test_argmax_is_listed_without_derivative():
    sections = tool.collect()
    numpy = _section(sections, "numpy")
    assert "np.argmax" in numpy.no_derivative
    assert "np.argmax" not in {row.name for row in numpy.rows}
    text = tool.render()
    listing = text[text.index("## No derivative"):]
    assert "- **numpy**: " in listing and "`np.argmax`" in listing


def _user_function(x):
    return x


def test_users_rules_are_left_out_and_libraries_named_as_written():
    registry = Registry()
    for key in (_user_function, np.sin, np.linalg.norm, abs, "matmul"):
        registry.rule(key).template = lambda g, y, x: g
    registry.rule(np.argmax)
    sections = tool.collect(registry)
    names = {row.name for section in sections for row in section.rows}
    assert names == {"np.sin", "np.linalg.norm", "abs", "a @ b"}
    assert _section(sections, "numpy.linalg").rows[0].name == "np.linalg.norm"
    assert _section(sections, "numpy").no_derivative == ["np.argmax"]


def test_check_exits_1_when_stale_and_0_when_current(tmp_path, monkeypatch, capsys):
    path = tmp_path / "COVERAGE.md"
    monkeypatch.setattr(tool, "OUTPUT", str(path))
    assert tool.main(["--check"]) == 1  # missing
    assert tool.main([]) == 0
    assert path.read_text(encoding="utf-8") == tool.render()
    assert tool.main(["--check"]) == 0
    path.write_text("# stale\n", encoding="utf-8")
    capsys.readouterr()
    assert tool.main(["--check"]) == 1
    message = capsys.readouterr().out
    assert message.count("\n") == 1 and REGENERATE in message


def test_verified_columns_come_from_the_grid_results():
    results = {"environment": tool.environment(), "size": {"rules": 1, "cases": 2, "checks": 12},
               "totals": {"passed": 11, "failed": 0, "xfailed": 1},
               "verified": {"np.sin": {"reverse": {"1": "all", "2": "all"},
                                       "forward": {"1": "all", "2": "some"}}}}
    text = tool.render(results=results)
    assert "| `np.sin` | ✓ | ✓ | 1, 2 | 1, 2* |" in text
    assert "| `np.cos` | ✓ | ✓ |  |  |" in text  # not in the results: nothing verified
    assert "12 checks: 11 passed, 0 failed, 1 expected to fail" in text
