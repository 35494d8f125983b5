"""The closures a compiled lambda is made of: its operands, the nodes built from them, its parameter binding."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, TypeAlias

from bfxdb.errors import ExpressionError

from .builtins import Method
from .refusals import OPERATION_ERRORS, Refusal, located
from .values import BinaryOperation, Evaluator, Parameters, UnaryOperation, short, type_name


class Constant(NamedTuple):
    """A node whose value is known when the lambda is compiled."""

    value: object


class Lookup(NamedTuple):
    """A node reading a parameter: ``env.get(key, default)``."""

    key: str
    default: object


Operand: TypeAlias = Constant | Lookup | Evaluator
"""A compiled syntax node: a Constant, a Lookup, or an Evaluator (a function of the environment).

Parents inline constants and look-ups instead of calling a closure for them,
which is what makes ``kw.get("x", 0) * kw.get("y", 0)`` one closure.
"""


def as_function(operand: Operand) -> Evaluator:
    """Make any operand a function of the environment.

    :param operand: a compiled node.
    :returns: the function computing its value.
    """
    if isinstance(operand, Lookup):
        key, default = operand

        def get(env: Parameters) -> object:
            return env.get(key, default)

        return get
    if isinstance(operand, Constant):
        value = operand.value

        def constant(env: Parameters) -> object:
            return value

        return constant
    return operand


def binary(op: BinaryOperation, left: Operand, right: Operand, where: str) -> Evaluator:
    """Build the closure computing ``op(left, right)``, inlining constant and look-up operands.

    :param op: the operation; its failures are reported at `where`.
    :param left: the left operand.
    :param right: the right operand.
    :param where: the node's position, "(line L, column C)".
    :returns: the node's function.
    """
    if isinstance(left, Lookup) and isinstance(right, Lookup):
        key_a, default_a = left
        key_b, default_b = right

        def get_get(env: Parameters) -> object:
            try:
                return op(env.get(key_a, default_a), env.get(key_b, default_b))
            except OPERATION_ERRORS as exc:
                raise located(exc, where) from exc

        return get_get
    if isinstance(left, Lookup) and isinstance(right, Constant):
        key_a, default_a = left
        value_b = right.value

        def get_const(env: Parameters) -> object:
            try:
                return op(env.get(key_a, default_a), value_b)
            except OPERATION_ERRORS as exc:
                raise located(exc, where) from exc

        return get_const
    if isinstance(left, Constant) and isinstance(right, Lookup):
        value_a = left.value
        key_b, default_b = right

        def const_get(env: Parameters) -> object:
            try:
                return op(value_a, env.get(key_b, default_b))
            except OPERATION_ERRORS as exc:
                raise located(exc, where) from exc

        return const_get
    if isinstance(right, Constant):
        function_a = as_function(left)
        value_b = right.value

        def node_const(env: Parameters) -> object:
            try:
                return op(function_a(env), value_b)
            except OPERATION_ERRORS as exc:
                raise located(exc, where) from exc

        return node_const
    if isinstance(left, Constant):
        value_a = left.value
        function_b = as_function(right)

        def const_node(env: Parameters) -> object:
            try:
                return op(value_a, function_b(env))
            except OPERATION_ERRORS as exc:
                raise located(exc, where) from exc

        return const_node
    function_a, function_b = as_function(left), as_function(right)

    def node_node(env: Parameters) -> object:
        try:
            return op(function_a(env), function_b(env))
        except OPERATION_ERRORS as exc:
            raise located(exc, where) from exc

    return node_node


def unary(op: UnaryOperation, operand: Operand, where: str) -> Evaluator:
    """Build the closure computing ``op(operand)``.

    :param op: the operation; its failures are reported at `where`.
    :param operand: the operand.
    :param where: the node's position, "(line L, column C)".
    :returns: the node's function.
    """
    function = as_function(operand)

    def run(env: Parameters) -> object:
        try:
            return op(function(env))
        except OPERATION_ERRORS as exc:
            raise located(exc, where) from exc

    return run


def call(
    run_function: Callable[..., object], args: list[Operand], keywords: dict[str, Operand], where: str
) -> Evaluator:
    """Build the closure calling an allowed function with its evaluated arguments.

    :param run_function: the function; its failures are reported at `where`.
    :param args: the positional arguments.
    :param keywords: the keyword arguments by name.
    :param where: the call's position, "(line L, column C)".
    :returns: the node's function.
    """
    functions = [as_function(arg) for arg in args]
    if keywords:
        names = tuple(keywords)
        keyword_functions = [as_function(operand) for operand in keywords.values()]

        def call_keywords(env: Parameters) -> object:
            values = [function(env) for function in functions]
            named = {name: function(env) for name, function in zip(names, keyword_functions)}
            try:
                return run_function(*values, **named)
            except OPERATION_ERRORS as exc:
                raise located(exc, where) from exc

        return call_keywords
    if len(functions) == 1:
        (only,) = functions

        def call_one(env: Parameters) -> object:
            try:
                return run_function(only(env))
            except OPERATION_ERRORS as exc:
                raise located(exc, where) from exc

        return call_one
    if len(functions) == 2:
        first, second = functions

        def call_two(env: Parameters) -> object:
            try:
                return run_function(first(env), second(env))
            except OPERATION_ERRORS as exc:
                raise located(exc, where) from exc

        return call_two

    def call_many(env: Parameters) -> object:
        values = [function(env) for function in functions]
        try:
            return run_function(*values)
        except OPERATION_ERRORS as exc:
            raise located(exc, where) from exc

    return call_many


def method_call(name: str, method: Method, receiver: Operand, args: list[Operand], where: str) -> Evaluator:
    """Build the closure calling an allowed method, chosen by the receiver's type at run time.

    :param name: the method's name, for the message when the receiver has no such method.
    :param method: the method's implementations by receiver type.
    :param receiver: the value the method is called on.
    :param args: the arguments.
    :param where: the call's position, "(line L, column C)".
    :returns: the node's function.
    """
    receiver_function = as_function(receiver)
    functions = [as_function(arg) for arg in args]
    by_type = method.by_type

    def call_method(env: Parameters) -> object:
        value = receiver_function(env)
        values = [function(env) for function in functions]
        try:
            run_method = by_type.get(type(value))
            if run_method is None:
                raise Refusal(f"a value of type {type_name(value)} has no method {name!r}")
            return run_method(value, *values)
        except OPERATION_ERRORS as exc:
            raise located(exc, where) from exc

    return call_method


def whole_env(env: Parameters) -> Parameters:
    """Return the parameters dict itself: the node of ``kw`` when ``**kw`` is the lambda's only parameter."""
    return env


# ---------------------------------------------------------------------------
# Binding the parameters of an invocation to the lambda's names
# ---------------------------------------------------------------------------


def bind_named(body: Evaluator, names: list[str], defaults: dict[str, Evaluator]) -> Evaluator:
    """Bind the parameters to a lambda without ``**kw``: refuse unknown names, apply defaults.

    :param body: the lambda's body.
    :param names: its parameter names, in order.
    :param defaults: the default of each parameter that has one.
    :returns: the lambda's evaluator.
    """
    accepted = frozenset(names)
    count = len(names)

    def run(parameters: Parameters) -> object:
        # Exactly the declared names: the caller's dict is the environment, no copy.
        if len(parameters) == count and parameters.keys() <= accepted:
            return body(parameters)
        return body(_filled(parameters, names, accepted, defaults))

    return run


def bind_with_kw(body: Evaluator, names: list[str], defaults: dict[str, Evaluator], kw_name: str) -> Evaluator:
    """Bind the parameters to a lambda with named parameters and ``**kw``, which gets the rest.

    :param body: the lambda's body.
    :param names: its named parameters, in order.
    :param defaults: the default of each parameter that has one.
    :param kw_name: the name of its ``**`` parameter.
    :returns: the lambda's evaluator.
    """

    def run(parameters: Parameters) -> object:
        return body(_split(parameters, names, defaults, kw_name))

    return run


def _parameter_names(names: list[str]) -> str:
    return ", ".join(repr(name) for name in names) if names else "no parameters"


def _filled(
    parameters: Parameters, names: list[str], accepted: frozenset[str], defaults: dict[str, Evaluator]
) -> Parameters:
    for key in parameters:
        if key not in accepted:
            raise ExpressionError(f"unexpected parameter {short(key)}; the expression takes {_parameter_names(names)}")
    env = dict(parameters)
    for name in names:
        if name not in env:
            default = defaults.get(name)
            if default is None:
                raise ExpressionError(f"missing parameter {name!r}")
            env[name] = default(env)
    return env


def _split(parameters: Parameters, names: list[str], defaults: dict[str, Evaluator], kw_name: str) -> Parameters:
    rest = dict(parameters)
    env: Parameters = {}
    for name in names:
        if name in rest:
            env[name] = rest.pop(name)
        else:
            default = defaults.get(name)
            if default is None:
                raise ExpressionError(f"missing parameter {name!r}")
            env[name] = default(env)
    env[kw_name] = rest
    return env
