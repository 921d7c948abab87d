"""Shows the grammar fuzzer's seed and counts at the end of a test run."""
from __future__ import annotations

from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from . import test_grammar_fuzz

    report = test_grammar_fuzz.LAST_REPORT.get("report")
    if report is not None:
        terminalreporter.write_sep("-", "grammar fuzz")
        terminalreporter.write_line(report.summary())
