"""The primal emitter: semantics on naming edge cases, hygiene, and readable output."""
import numpy as np
import pytest

from s2sad.backend import compile_primal, emit_function
from s2sad.frontend import lower

from . import cases


def same(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, (tuple, list)):
        return type(a) is type(b) and len(a) == len(b) and all(map(same, a, b))
    if isinstance(a, float) and a != a:
        return b != b
    return type(a) is type(b) and a == b and str(a) == str(b)


@pytest.mark.parametrize("fn, inputs", cases.CASES, ids=[c[0].__name__ for c in cases.CASES])
def test_emitted_primal_behaves_like_the_original(fn, inputs):
    primal = compile_primal(lower(fn))
    for args in inputs:
        assert same(primal(*args), fn(*args)), primal.source


def test_signature_is_kept_exactly():
    primal = compile_primal(lower(cases.positional_only))
    assert "def positional_only(a, b=1.0, /, c=2.0, *args, d, e=3.0, **kw):" in primal.source
    assert primal(1.0, d=4.0) == cases.positional_only(1.0, d=4.0)
    assert primal(1.0, 2.0, 3.0, 4.0, d=5.0, z=1) == cases.positional_only(1.0, 2.0, 3.0, 4.0,
                                                                        d=5.0, z=1)
    with pytest.raises(TypeError):
        primal(a=1.0, d=2.0)


def test_non_literal_defaults_are_bound_not_printed():
    emitted = emit_function(lower(cases.array_default))
    assert "w=w_default" in emitted.source and emitted.namespace["w_default"] is cases.DEFAULT_ARRAY
    assert "scale=-0.5" in emitted.source and "inf=1e309" in emitted.source


def test_names_never_collide_with_the_users():
    source = compile_primal(lower(cases.user_names_like_generated)).source
    assert "def user_names_like_generated(x, t_1=2.0):" in source
    assert "acc = [result, t]" in source  # the global t, not a temporary


def test_loops_update_in_place_without_copies():
    source = compile_primal(lower(cases.old_value_after_update)).source
    assert "s = s * 1.5 + i" in source
    assert "total += old * s" in source
    assert "s_1" not in source


def test_swap_is_one_parallel_assignment():
    source = compile_primal(lower(cases.swaps_in_loop)).source
    assert "a, b = b, a + b" in source


def test_expressions_are_folded_in_evaluation_order():
    def f(x, y):
        return np.sin(x) * np.cos(y) + x[1:, ::2].sum(axis=0)
    source = compile_primal(lower(f)).source
    assert "return np.sin(x) * np.cos(y) + x[1:, ::2].sum(axis=0)" in source


def test_calls_are_not_reordered_past_statements():
    calls = []

    def log(v):
        calls.append(v)
        return v

    def f(x):
        a = log(1) + log(2)
        b = log(3)
        return a + b + log(4)
    compiled = compile_primal(lower(f))
    compiled(0)
    assert calls == [1, 2, 3, 4]


def test_branch_without_else_prints_no_else():
    def f(x):
        if x > 0:
            x = x * 2
        return x
    source = compile_primal(lower(f)).source
    assert "else" not in source and "if x > 0:\n        x = x * 2\n    return x" in source


def test_comments_quote_the_users_lines():
    def f(x):
        y = x * 2
        return y + 1
    source = emit_function(lower(f), comments=True).source
    assert "# y = x * 2" in source and "# return y + 1" in source


def test_generated_source_is_shown_in_tracebacks():
    import traceback

    def f(x):
        return 1.0 / x
    primal = compile_primal(lower(f))
    with pytest.raises(ZeroDivisionError) as info:
        primal(0.0)
    text = "".join(traceback.format_exception(info.type, info.value, info.tb))
    assert "return 1.0 / x" in text
