"""Source retrieval (nested, decorated, methods) and compile-time name resolution."""
import functools
import math

import numpy as np
import numpy as onp
from numpy import tanh

import s2sad
from s2sad.backend import compile_primal
from s2sad.frontend import lower
from s2sad.ir import Global

SCALE = 3.0


def traced(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        return fn(*args)
    return wrapper


@traced
def decorated(x):
    return x * SCALE


class Model:
    factor = 2.0

    def loss(self, w):
        return np.sum(w * self.factor)

    @staticmethod
    def static(x):
        return x + 1.0

    @classmethod
    def klass(cls, x):
        return x * cls.factor


def make_closure(k):
    offset = k * 2

    def inner(x):
        if x > 0:
            return x * k + offset
        return -x
    return inner


def uses_aliases(x):
    return onp.tanh(x) + tanh(x) + np.linalg.norm(x) + math.pi + abs(x).sum()


def globals_of(fn):
    return {operand.dotted: operand for op in lower(fn).walk() for operand in op.operands
            if isinstance(operand, Global)}


def test_decorated_function_is_read_without_its_decorator():
    assert "mul %x, @SCALE" in s2sad.ir(decorated)
    assert compile_primal(lower(decorated))(2.0) == 6.0


def test_methods_static_and_class_methods():
    model = Model()
    assert "getattr %self.factor" in s2sad.ir(model.loss)
    assert compile_primal(lower(model.loss))(model, np.ones(3)) == 6.0
    assert compile_primal(lower(Model.static))(1.0) == 2.0
    assert "getattr %cls.factor" in s2sad.ir(Model.klass)


def test_nested_function_and_closure_cells():
    inner = make_closure(3.0)
    refs = globals_of(inner)
    assert refs["k"].kind == "closure" and refs["k"].obj == 3.0
    assert refs["offset"].obj == 6.0
    primal = compile_primal(lower(inner))
    assert primal(1.0) == inner(1.0) and primal(-2.0) == inner(-2.0)


def test_module_attributes_resolve_to_the_users_objects_and_spelling():
    refs = globals_of(uses_aliases)
    assert refs["onp.tanh"].obj is np.tanh and refs["onp.tanh"].root_obj is np
    assert refs["tanh"].obj is np.tanh and refs["tanh"].kind == "global"
    assert refs["np.linalg.norm"].obj is np.linalg.norm
    assert refs["math.pi"].obj == math.pi
    assert refs["abs"].kind == "builtin"
    source = compile_primal(lower(uses_aliases)).source
    assert "onp.tanh(x) + tanh(x) + np.linalg.norm(x) + math.pi + abs(x).sum()" in source


def test_global_shadowing_a_builtin_wins():
    namespace = {"sum": lambda values: "mine"}
    import linecache
    src = "def f(xs):\n    return sum(xs)\n"
    linecache.cache["<shadow>"] = (len(src), None, src.splitlines(True), "<shadow>")
    exec(compile(src, "<shadow>", "exec"), namespace)
    ref = globals_of(namespace["f"])["sum"]
    assert ref.kind == "global" and ref.obj is namespace["sum"]
    assert compile_primal(lower(namespace["f"]))([1, 2]) == "mine"


def test_function_body_indented_less_than_its_def():
    import linecache
    src = ("if True:\n    def odd(x):\n        s = '''\nmulti-line string at column 0\n'''\n"
           "        return x * 2\n")
    linecache.cache["<odd>"] = (len(src), None, src.splitlines(True), "<odd>")
    namespace = {}
    exec(compile(src, "<odd>", "exec"), namespace)
    func = lower(namespace["odd"])
    assert func.loc.line == 2
    assert compile_primal(func)(4) == 8


def test_source_changed_on_disk_is_reported(tmp_path):
    import importlib.util
    import s2sad
    path = tmp_path / "edited.py"
    path.write_text("def first(x):\n    return x * 2\n\n\ndef second(y):\n    return y + 1\n")
    spec = importlib.util.spec_from_file_location("edited_module", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path.write_text("# a new first line\ndef second(y):\n    return y + 1\n")
    import linecache
    linecache.checkcache(str(path))
    try:
        lower(module.first)
    except s2sad.SourceUnavailableError as error:
        assert "has changed since it was loaded" in str(error)
    else:
        raise AssertionError("a stale source was read as the function's own")
