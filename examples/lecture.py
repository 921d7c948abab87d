"""The lecture's two traces, g(x) = cos(5 x^2) (g'(2) = -18.259) and f(x1, x2) = ln x1 +
x1 x2 - sin x2 (gradient at (2, 5): (5.5, 1.716)): each derivative program s2sad writes,
run line by line next to the value every line computes, the lecture's trace tables.

Run: python examples/lecture.py. Also s2sad adjoint examples/lecture.py:f --wrt x1,x2,
s2sad tangent examples/lecture.py:g, s2sad ir examples/lecture.py:f. The float
annotations specialize the printed programs for numbers, as calling them with floats does."""
import math
import sys

import s2sad


def f(x1: float, x2: float):
    """The lecture's two-variable function."""
    return math.log(x1) + x1 * x2 - math.sin(x2)


def g(x: float):
    """The lecture's one-variable function."""
    return math.cos(5 * x ** 2)


def trace_values(program: str, *args, **kwargs):
    """Run a generated program (ordinary Python) and record what each line computes.

    Returns (result, values): the program's result, and for each line number that
    assigns a name or returns, the value it produced. The lecture's programs have no
    loops, so every line runs once.
    """
    namespace = {"math": math}
    exec(program, namespace)
    name = program[len("def "):program.index("(")]
    code = namespace[name].__code__
    lines = program.splitlines()
    values, pending = {}, []  # pending: the line that runs next and the name it assigns

    def record(frame, event, arg):
        if frame.f_code is not code:
            return None
        if pending:
            line, target = pending.pop()
            values[line] = arg if event == "return" else frame.f_locals[target]
        if event == "line":
            text = lines[frame.f_lineno - 1].strip()
            target = text.partition(" = ")[0]
            if target.isidentifier() or text.startswith("return "):
                pending.append((frame.f_lineno, target))
        return record

    previous = sys.gettrace()
    sys.settrace(record)
    try:
        result = namespace[name](*args, **kwargs)
    finally:
        sys.settrace(previous)
    return result, values


def formatted(value) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(formatted(v) for v in value) + ")"
    return f"{value:.3f}"


def show(title: str, program: str, *args, **kwargs):
    """Print the program with the value of each line beside it; return its result."""
    result, values = trace_values(program, *args, **kwargs)
    print(f"--- {title}")
    for number, line in enumerate(program.splitlines(), start=1):
        if number in values:
            line = f"{line:<56} # {formatted(values[number])}"
        print(line)
    print()
    return result


def lecture_g():
    """Both programs of g at 2; returns g'(2) by forward and by reverse mode."""
    print("g(x) = cos(5 x^2) at x = 2\n")
    _, tangent = show("forward mode: the tangent program, seeded with dx = 1",
                      s2sad.source(g, mode="forward"), 2.0, dx=1.0)
    _, adjoint = show("reverse mode: the adjoint program, seeded with seed = 1",
                      s2sad.source(g), 2.0)
    print(f"g'(2) = {tangent:.3f} by forward mode, {adjoint:.3f} by reverse mode.")
    v0 = 2.0
    v2 = 5 * v0 ** 2
    dv1, bar_v2 = 2 * v0, -math.sin(v2)
    print("The lecture's traces, by hand:")
    print(f"  tangents: dv1 = 2 v0 = {dv1:.3f}, dv2 = 5 dv1 = {5 * dv1:.3f}, "
          f"dv3 = -sin(v2) dv2 = {bar_v2 * 5 * dv1:.3f}")
    print(f"  adjoints: bar v2 = -sin(v2) = {bar_v2:.3f}, bar v1 = 5 bar v2 = {5 * bar_v2:.3f}, "
          f"bar v0 = 2 v0 bar v1 = {2 * v0 * 5 * bar_v2:.3f}")
    print("The adjoint line multiplies these factors in the same order, left to right.\n")
    return tangent, adjoint


def lecture_f():
    """Both programs of f at (2, 5); returns the gradient by forward and by reverse mode."""
    print("f(x1, x2) = ln x1 + x1 x2 - sin x2 at (2, 5)\n")
    tangent = s2sad.source(f, mode="forward", wrt=("x1", "x2"))
    _, d1 = show("forward mode, seeded with (dx1, dx2) = (1, 0): df/dx1", tangent,
                 2.0, 5.0, dx1=1.0, dx2=0.0)
    _, d2 = show("forward mode, seeded with (dx1, dx2) = (0, 1): df/dx2", tangent,
                 2.0, 5.0, dx1=0.0, dx2=1.0)
    _, (b1, b2) = show("reverse mode: one sweep gives both partial derivatives",
                       s2sad.source(f, wrt=("x1", "x2")), 2.0, 5.0)
    print(f"gradient = ({d1:.3f}, {d2:.3f}) by two forward sweeps, ({b1:.3f}, {b2:.3f}) by one "
          "reverse sweep.")
    print(f"x2 reaches the output on two paths (x1 x2 and sin x2), so its adjoint is the sum "
          f"of both:\n-cos(x2) + x1 = {-math.cos(5.0):.3f} + 2 = {b2:.3f}, as in the "
          "lecture's reverse trace.")
    return (d1, d2), (b1, b2)


def main():
    return lecture_g(), lecture_f()


if __name__ == "__main__":
    main()
