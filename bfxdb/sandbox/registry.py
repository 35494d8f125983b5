"""The expression types by name, each with its compiler, and the cache of what they compiled."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import KeysView

from bfxdb.errors import BfxError, ExpressionRejected, InvalidInput

from . import limits
from .constants import compile_constant
from .expression import CompiledExpression
from .values import Compiler, Evaluator

BUILTIN_TYPES = ("constant", "lambda")
"""The expression types the sandbox defines itself; they cannot be replaced."""

CACHE_MAX_ENTRIES = 4096
"""Most compiled expressions kept in a cache."""

CACHE_MAX_CODE_CHARS = 1024 * 1024
"""Most expression_code characters kept in a cache, so large expressions cannot fill memory.

A compiled expression holds up to about 150 bytes of closures per character of code.
"""


class ExpressionTypes:
    """A table of expression types, each name with its compiler, and a cache of the expressions compiled.

    A table knows the sandbox's own types, ``constant`` and ``lambda``. Others, such as
    the query engine's ``cypher``, are registered by whoever assembles the application
    (``bfxdb.database`` does it for every Database it opens), never by importing a module.
    """

    __slots__ = ("_compilers", "_cache", "names", "generation")

    def __init__(self) -> None:
        self._compilers: dict[str, Compiler] = {"constant": compile_constant, "lambda": _compile_lambda}
        self._cache = _ExpressionCache()
        #: A live, read-only view of the type names compile() accepts.
        self.names: KeysView[str] = self._compilers.keys()
        #: Counts the changes of compilers: an expression compiled under another generation is
        #: out of date, for whoever keeps compiled expressions of their own (Database.invoke).
        self.generation = 0

    def supported(self) -> tuple[str, ...]:
        """List the expression types compile_expression accepts.

        :returns: the type names, sorted.
        """
        return tuple(sorted(self._compilers))

    def register(self, name: str, compiler: Compiler) -> None:
        """Add an expression type, e.g. "cypher", whose code `compiler` turns into a callable.

        `compiler(code)` validates the code, raising ExpressionRejected (or another
        BfxError, reported as ExpressionRejected) when it is unacceptable, and
        returns a function taking the parameters dict and returning a JSON value.
        Each invocation runs under the sandbox's time budget, which the function
        enforces by calling check_time_budget() from any loop it runs. Registering
        the same compiler again changes nothing; another compiler for a registered
        name replaces it and empties the cache.

        :param name: the expression_type value that selects this compiler.
        :param compiler: the function turning code into an invokable callable.
        :raises InvalidInput: the name is not an identifier, names a built-in type, or compiler is not callable.
        """
        if not isinstance(name, str) or not name.isidentifier():
            raise InvalidInput(f"expression type name must be an identifier, got {name!r}")
        if name in BUILTIN_TYPES:
            raise InvalidInput(f"expression type {name!r} is built in and cannot be replaced")
        if not callable(compiler):
            raise InvalidInput(f"the compiler for expression type {name!r} must be callable")
        if self._compilers.get(name) is compiler:
            return
        self._compilers[name] = compiler
        self._cache.clear()
        self.generation += 1

    def compile(self, expression_type: str, expression_code: str) -> CompiledExpression:
        """Check an expression and make it invokable; the same (type, code) gives the same object.

        >>> compile_expression("lambda", "lambda x, y=2: x * y").invoke({"x": 4})
        8

        :param expression_type: one of supported_types(), e.g. "lambda" or "constant".
        :param expression_code: the expression's text.
        :returns: the compiled expression, shared with every caller of the same text.
        :raises ExpressionRejected: the type is unknown or the code is not allowed; the
            message names the construct and its line and column.
        """
        if type(expression_type) is not str or type(expression_code) is not str:
            raise ExpressionRejected("expression_type and expression_code must both be strings")
        key = (expression_type, expression_code)
        compiled = self._cache.get(key)
        if compiled is None:
            compiled = self._cache.put(key, self._compile_uncached(expression_type, expression_code))
        return compiled

    def _compile_uncached(self, expression_type: str, expression_code: str) -> CompiledExpression:
        compiler = self._compilers.get(expression_type)
        if compiler is None:
            raise ExpressionRejected(
                f"unknown expression type {expression_type!r}; supported types: {', '.join(self.supported())}"
            )
        if len(expression_code) > limits.MAX_CODE_LENGTH:
            raise ExpressionRejected(
                f"expression is {len(expression_code):,} characters long; the limit is {limits.MAX_CODE_LENGTH:,}"
            )
        try:
            function = compiler(expression_code)
        except ExpressionRejected:
            raise
        except BfxError as exc:
            raise ExpressionRejected(exc.message, **exc.details) from exc
        if expression_type not in BUILTIN_TYPES:
            # A registered evaluator bounds its time by calling check_time_budget().
            function = limits.metered(function)
        return CompiledExpression(expression_type, expression_code, function)


def _compile_lambda(code: str) -> Evaluator:
    """Compile a ``lambda`` expression (see bfxdb.sandbox.lambdas).

    The lambda compiler and its allowed builtins load on the first lambda compiled: a process that
    only runs queries, such as `bfxdb query`, never needs them, and they took a tenth of its start.
    """
    from .lambdas import compile_lambda

    return compile_lambda(code)


class _ExpressionCache:
    """A thread-safe LRU of compiled expressions bounded by entries and by total code length."""

    def __init__(self) -> None:
        self._entries: OrderedDict[tuple[str, str], CompiledExpression] = OrderedDict()
        self._code_chars = 0
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> CompiledExpression | None:
        with self._lock:
            compiled = self._entries.get(key)
            if compiled is not None:
                self._entries.move_to_end(key)
            return compiled

    def put(self, key: tuple[str, str], compiled: CompiledExpression) -> CompiledExpression:
        with self._lock:
            # Another thread may have compiled the same text meanwhile: keep one object.
            existing = self._entries.get(key)
            if existing is not None:
                return existing
            self._entries[key] = compiled
            self._code_chars += len(key[1])
            while len(self._entries) > CACHE_MAX_ENTRIES or (
                self._code_chars > CACHE_MAX_CODE_CHARS and len(self._entries) > 1
            ):
                (_, old_code), _ = self._entries.popitem(last=False)
                self._code_chars -= len(old_code)
            return compiled

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._code_chars = 0


EXPRESSION_TYPES = ExpressionTypes()
"""The process's expression types: the sandbox's own, and those the application registers."""

# The process-wide table's methods under the names callers use; bound once, so a call costs nothing extra.
compile_expression = EXPRESSION_TYPES.compile
register_expression_type = EXPRESSION_TYPES.register
supported_types = EXPRESSION_TYPES.supported
SUPPORTED_TYPES = EXPRESSION_TYPES.names
"""A live, read-only view of the expression types compile_expression accepts."""
