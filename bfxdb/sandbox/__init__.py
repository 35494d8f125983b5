"""The expression sandbox: a substrate's expression compiled once, invoked many times, never run as Python."""

from . import limits
from .expression import CompiledExpression
from .limits import check_time_budget
from .registry import (
    BUILTIN_TYPES,
    EXPRESSION_TYPES,
    SUPPORTED_TYPES,
    ExpressionTypes,
    compile_expression,
    register_expression_type,
    supported_types,
)
from .values import Compiler, Evaluator, Parameters

__all__ = [
    "BUILTIN_TYPES",
    "EXPRESSION_TYPES",
    "SUPPORTED_TYPES",
    "CompiledExpression",
    "Compiler",
    "Evaluator",
    "ExpressionTypes",
    "Parameters",
    "check_time_budget",
    "compile_expression",
    "limits",
    "register_expression_type",
    "supported_types",
]
