"""The command line: `s2sad adjoint|ir FILE.py:FUNC`, its errors (exit 1) and usage errors
(exit 2)."""
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LECTURE = os.path.join(ROOT, "examples", "lecture.py")


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "s2sad", *args], capture_output=True,
                          text=True, cwd=cwd)


def test_ir_prints_the_lecture_function():
    result = run("ir", "examples/lecture.py:f")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# f from examples/lecture.py:14\nfunc f(%x1, %x2) {")
    assert "call @math.log(%x1)" in result.stdout and "call @math.sin(%x2)" in result.stdout
    assert result.stderr == ""


def test_adjoint_prints_the_lecture_gradient_program():
    result = run("adjoint", "examples/lecture.py:f", "--wrt", "x1,x2")
    assert result.returncode == 0, result.stderr
    program = result.stdout
    compile(program, "adjoint.py", "exec")
    body = [line.strip() for line in program.splitlines()[1:]
            if line.strip() and not line.strip().startswith("#")]
    assert body[0] == "value = math.log(x1) + x1 * x2 - math.sin(x2)"
    assert body[-1] == "return value, (bx1, bx2)"
    assert len(body) <= 7
    namespace = {"math": __import__("math")}
    exec(program, namespace)
    value, (b1, b2) = namespace["f_adjoint"](2.0, 5.0)
    assert round(b1, 3) == 5.5 and round(b2, 3) == 1.716


def test_adjoint_defaults_to_the_first_parameter_and_takes_options():
    result = run("adjoint", "examples/lecture.py:g", "--no-optimize")
    assert result.returncode == 0, result.stderr
    assert "def g_adjoint(x, *, seed=1.0):" in result.stdout
    assert "return value, bx" in result.stdout


def test_adjoint_of_a_missing_parameter_is_an_error():
    result = run("adjoint", "examples/lecture.py:f", "--wrt", "z")
    assert result.returncode == 1
    assert "has no parameter 'z'" in result.stderr
    assert result.stderr.count("\n") == 1


def test_ir_of_a_method_by_dotted_name(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent("""
        import numpy as np

        class Model:
            def loss(self, w):
                return np.sum(w * self.scale)
    """))
    result = run("ir", f"{path}:Model.loss")
    assert result.returncode == 0, result.stderr
    assert "getattr %self.scale" in result.stdout


@pytest.mark.parametrize("target, message", [
    ("examples/missing.py:f", "examples/missing.py: no such file"),
    ("examples/lecture.py:nope", "examples/lecture.py: no function named 'nope'"),
    ("examples/lecture.py:math", "examples/lecture.py: 'math' is not a function"),
])
def test_bad_target_is_one_line_on_stderr_and_exit_1(target, message):
    result = run("ir", target)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == f"s2sad: {message}\n"


def test_unsupported_construct_names_file_and_line(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("def f(x):\n    try:\n        return x\n    finally:\n        pass\n")
    result = run("ir", f"{path}:f")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert f"{path}:2: a try statement is not supported" in result.stderr


def test_syntax_error_in_the_users_file(tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("def f(x):\n    return x +\n")
    result = run("ir", f"{path}:f")
    assert result.returncode == 1
    assert f"{path}:2: syntax error" in result.stderr


def test_module_that_fails_to_import(tmp_path):
    path = tmp_path / "raises.py"
    path.write_text("import math\nraise RuntimeError('no data')\n")
    result = run("ir", f"{path}:f")
    assert result.returncode == 1
    assert f"{path}:2: importing" in result.stderr and "RuntimeError: no data" in result.stderr


@pytest.mark.parametrize("args", [[], ["ir"], ["ir", "lecture"], ["frobnicate", "x.py:f"],
                                  ["ir", "a.py:f", "extra"], ["adjoint", "a.py:f", "--wrt"],
                                  ["adjoint", "a.py:f", "--wrt", ","]])
def test_usage_errors_exit_2(args):
    result = run(*args)
    assert result.returncode == 2
    assert "usage: s2sad" in result.stderr


def test_console_script_is_installed():
    import shutil
    script = shutil.which("s2sad")
    if script is None:
        pytest.skip("the package is not installed as a console script here")
    result = subprocess.run([script, "ir", LECTURE + ":g"], capture_output=True, text=True)
    assert result.returncode == 0 and "call @math.cos" in result.stdout
