"""Every error numbaflow raises on purpose, each saying what went wrong, where in the
user's code, and what to do about it."""
from __future__ import annotations

import os
import sys

__all__ = [
    "NumbaflowError", "ConcretizationError", "ShapeError", "InplaceUpdateError",
    "EscapedTracerError", "TransformError", "user_frame", "user_location",
]

# Frames inside these directories are the framework's (or NumPy's), not the user's.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_INTERNAL = tuple(os.path.join(_ROOT, p) + os.sep for p in ("tracer", "transforms", "kernels"))
_INTERNAL += (os.path.dirname(os.path.abspath(__import__("numpy").__file__)) + os.sep,
              os.path.dirname(os.path.abspath(__import__("functools").__file__)) + os.sep + "functools")


def user_frame():
    """The innermost stack frame that belongs to user code, or None."""
    frame = sys._getframe(1)
    while frame is not None:
        if not frame.f_code.co_filename.startswith(_INTERNAL):
            return frame
        frame = frame.f_back
    return None


class _LocOverride:
    """Set while a recorded graph is re-evaluated, so that rewritten ops keep the user's
    line of the op they came from."""
    loc = None


loc_override = _LocOverride


def user_location() -> tuple | None:
    """(filename, line number) of the user's code that is running now."""
    if _LocOverride.loc is not None:
        return _LocOverride.loc
    frame = user_frame()
    return (frame.f_code.co_filename, frame.f_lineno) if frame is not None else None


def format_location(loc) -> str:
    return f"{loc[0]}:{loc[1]}" if loc else "<unknown location>"


class NumbaflowError(Exception):
    """Base class of numbaflow's own errors."""


class ConcretizationError(NumbaflowError, TypeError):
    """A traced value was used where Python needs a concrete one."""

    def __init__(self, what: str, aval, loc=None):
        loc = loc or user_location()
        super().__init__(
            f"{what} needs a concrete value, but got an abstract traced array {aval} "
            f"at {format_location(loc)}.\n"
            "Under jit and vmap, arrays are traced abstractly: their values are not known. "
            "Instead of Python control flow on a traced value use np.where(cond, a, b), "
            "tracer.cond / tracer.while_loop, or mark the argument static with "
            "jit(..., static_argnums=...).")


class ShapeError(NumbaflowError, ValueError):
    """Operands whose shapes or dtypes an op cannot take."""

    def __init__(self, op: str, message: str, in_types=(), loc=None):
        loc = loc or user_location()
        types = ", ".join(str(t) for t in in_types)
        super().__init__(f"{op}({types}): {message} (at {format_location(loc)})")


class InplaceUpdateError(NumbaflowError, TypeError):
    """In-place mutation of a traced array."""

    def __init__(self, what: str):
        super().__init__(
            f"{what}: traced arrays are immutable (at {format_location(user_location())}). "
            "Write the update functionally: y = at(x)[idx].set(value) (also .add, .multiply, "
            ".min, .max), and use the returned array.")


class EscapedTracerError(NumbaflowError, RuntimeError):
    """A traced value was used after the trace it belongs to had finished."""


class TransformError(NumbaflowError, TypeError):
    """A transform was called with arguments it cannot take (argnums, axes, dtypes)."""
