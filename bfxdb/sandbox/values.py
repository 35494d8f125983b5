"""The values an expression works on: their static types, their run-time kinds, and how messages name them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeAlias

Parameters: TypeAlias = dict[str, object]
"""The parameters of one invocation; a lambda's body reads its names from this dict."""

Evaluator: TypeAlias = Callable[[Parameters], object]
"""What an expression compiles to: a function of the parameters returning the result."""

Compiler: TypeAlias = Callable[[str], Evaluator]
"""An expression type's compiler: it checks the code and returns its evaluator."""

BinaryOperation: TypeAlias = Callable[[Any, Any], object]
"""Python's operator on two values of the expression's; the operator checks their types at run time."""

UnaryOperation: TypeAlias = Callable[[Any], object]
"""Python's operator on one value of the expression's; the operator checks its type at run time."""

# Kinds are exact types: a subclass of int or str could change what an operator costs or does.
JSON_SCALARS = frozenset({int, str, bool, type(None)})
NUMBERS = frozenset({int, float, bool})
INTEGERS = frozenset({int, bool})
SEQUENCES = frozenset({str, list})
CONTAINERS = frozenset({list, dict})


def type_name(value: object) -> str:
    """Name a value's type for a message.

    :param value: any value.
    :returns: "None" for None, else the type's name.
    """
    return "None" if value is None else type(value).__name__


def short(value: object) -> str:
    """Describe a value in a message without building a huge string.

    :param value: any value.
    :returns: its repr when that is short, else a description of it.
    """
    if type(value) is str:
        return repr(value) if len(value) <= 40 else repr(value[:40]) + "..."
    if type(value) is int and value.bit_length() > 128:
        return f"an integer of {value.bit_length():,} bits"
    if type(value) in JSON_SCALARS or type(value) is float:
        return repr(value)
    return f"a {type_name(value)} value"
