"""Bad input: each unsupported construct raises UnsupportedSyntaxError (a
DifferentiationError) naming the user's file and line, the construct and what to do."""
import inspect
import math
import os

import pytest

import s2sad
from s2sad.frontend import lower

from . import unsupported as u


def marked_line(fn):
    lines, start = inspect.getsourcelines(fn)
    for offset, line in enumerate(lines):
        if "# here" in line:
            return start + offset
    raise AssertionError("no '# here' marker")


CASES = [
    (u.uses_try, "try statement", "outside"),
    (u.uses_with, "with statement", "outside"),
    (u.uses_yield, "yield", "return a list"),
    (u.uses_async, "async function", "plain def"),
    (u.uses_global, "global variable 'COUNTER'", "return the new value"),
    (u.uses_nested_def, "function defined inside", "module level"),
    (u.uses_nested_class, "class defined inside", "module level"),
    (u.uses_del, "del", "assign"),
    (u.uses_lambda, "lambda", "named function"),
    (u.uses_import, "import inside", "module level"),
    (u.uses_star_call, "starred argument", "one by one"),
    (u.uses_kwargs_call, "** arguments", "by name"),
    (u.uses_bare_raise, "bare raise", "exception object"),
    (u.uses_walrus_in_while_else, "assignment expression in the condition of a while loop "
     "with an else block", "before the loop"),
    (u.uses_starred_literal, "starred expression", "explicitly"),
    (u.make_nonlocal_writer(), "nonlocal variable 'total'", "return the new value"),
]


@pytest.mark.parametrize("fn, construct, advice", CASES, ids=[c[0].__name__ for c in CASES])
def test_unsupported_construct_names_file_line_and_advice(fn, construct, advice):
    with pytest.raises(s2sad.UnsupportedSyntaxError) as info:
        lower(fn)
    error = info.value
    assert isinstance(error, s2sad.DifferentiationError)
    message = str(error)
    assert message.startswith(f"{u.__file__}:{marked_line(fn)}: "), message
    assert construct in message
    assert advice in message
    assert error.filename == u.__file__ and error.lineno == marked_line(fn)


def test_undefined_name_is_reported_at_its_line():
    with pytest.raises(s2sad.UndefinedNameError) as info:
        lower(u.uses_undefined_name)
    assert str(info.value).startswith(f"{u.__file__}:{marked_line(u.uses_undefined_name)}:")
    assert "'not_defined_anywhere' is not defined" in str(info.value)


def test_read_before_assignment_is_reported():
    with pytest.raises(s2sad.DifferentiationError) as info:
        lower(u.reads_before_assignment)
    assert f":{marked_line(u.reads_before_assignment)}:" in str(info.value)
    assert "'y' is read before it is assigned" in str(info.value)


@pytest.mark.parametrize("fn", [math.sin, len, print, os.path.join.__call__])
def test_functions_without_source_are_rejected(fn):
    with pytest.raises(s2sad.SourceUnavailableError) as info:
        lower(fn)
    assert "not a Python function" in str(info.value) or "source" in str(info.value)
    assert "register a derivative rule" in str(info.value)


def test_function_typed_into_a_bare_interpreter_is_rejected():
    namespace = {}
    exec(compile("def typed(x):\n    return x * 2\n", "<stdin>", "exec"), namespace)
    with pytest.raises(s2sad.SourceUnavailableError) as info:
        lower(namespace["typed"])
    assert str(info.value).startswith("<stdin>:1: cannot read the source of typed")


def test_function_from_a_notebook_cell_has_source(tmp_path):
    import linecache
    source = "def cell(x):\n    return 3 * x\n"
    filename = "<ipython-input-7-abc>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = {}
    exec(compile(source, filename, "exec"), namespace)
    assert "mul 3, %x" in s2sad.ir(namespace["cell"])


def test_lowering_leaves_the_function_untouched():
    fn = u.uses_undefined_name
    before = (fn.__code__, fn.__defaults__, dict(fn.__dict__))
    with pytest.raises(s2sad.DifferentiationError):
        lower(fn)
    assert (fn.__code__, fn.__defaults__, dict(fn.__dict__)) == before
