"""The IR printer: one op per line, regions indented, the user's line on every op."""
import inspect
import re

import s2sad
from s2sad.frontend import lower
from s2sad.ir import print_function

from .. import corpus


def running_max(xs, limit=10.0):
    best = xs[0]
    for i, x in enumerate(xs):
        if x > limit:
            break
        if x > best:
            best = x
    return best


def test_golden_running_max():
    start = inspect.getsourcelines(running_max)[1]
    text = s2sad.ir(running_max)
    body = [re.sub(r"\s+# (\d+)$", lambda m: f"  # +{int(m.group(1)) - start}", line)
            for line in text.splitlines()[1:]]
    assert body == [
        "func running_max(%xs, %limit=10.0) {  # +0",
        "  %best = getitem %xs[0]  # +1",
        "  %0 = call @enumerate(%xs)  # +2",
        "  %best.2 = for (%i, %x) in %0 carry(%best.1 = %best) exit-flag {  # +2",
        "    %1 = gt %x, %limit  # +3",
        "    %best.3 = if %1 {  # +3",
        "      yield %best.1  # +3",
        "    } else {  # +3",
        "      %2 = gt %x, %best.1  # +5",
        "      %best.4 = if %2 {  # +5",
        "        %best.5 = copy %x  # +6",
        "        yield %best.5  # +5",
        "      } else {  # +5",
        "        yield %best.1  # +5",
        "      }",
        "      yield %best.4  # +3",
        "    }",
        "    %3 = not %1  # +2",
        "    yield %best.3, %3  # +2",
        "  }",
        "  return %best.2  # +7",
        "}",
    ]


def test_header_names_function_and_file():
    text = s2sad.ir(running_max)
    assert re.match(r"# running_max from .*tests/ir/test_printer.py:\d+\n", text)


def test_every_op_line_of_the_corpus_carries_a_line_number():
    for fn, _ in corpus.CASES:
        lines, start = inspect.getsourcelines(fn)
        for line in print_function(lower(fn)).splitlines()[1:]:
            if line.strip() in ("}",):
                continue
            number = int(line.rsplit("# ", 1)[1])
            assert start <= number < start + len(lines), (fn.__name__, line)


def test_nested_regions_are_indented_by_depth():
    text = s2sad.ir(running_max)
    depth = 0
    for line in text.splitlines()[1:]:
        code = line.split("  #")[0].rstrip()
        if code.lstrip().startswith("}"):
            depth -= 1
        assert code.startswith("  " * depth) and not code.startswith("  " * (depth + 1) + " ")
        if code.endswith("{"):
            depth += 1
