"""The lambda expression type: the text parsed with ast, each node checked against the allow-list, closures built."""

from __future__ import annotations

import ast
import operator
import re
import threading
import warnings
from typing import Any, TypeAlias

from bfxdb.errors import ExpressionError, ExpressionRejected

from . import limits
from .builtins import (
    BINARY_OPS,
    COMPARE_OPS,
    FUNCTIONS,
    MATH_CONSTANTS,
    MATH_FUNCTIONS,
    METHODS,
    UNARY_OPS,
    Function,
    Method,
)
from .closures import (
    Constant,
    Lookup,
    Operand,
    as_function,
    binary,
    bind_named,
    bind_with_kw,
    call,
    method_call,
    unary,
    whole_env,
)
from .limits import account, metered
from .refusals import OPERATION_ERRORS, located
from .values import NUMBERS, SEQUENCES, BinaryOperation, Evaluator, Parameters, short

Positioned: TypeAlias = ast.expr | ast.arg | ast.keyword
"""The syntax nodes that carry a line and column."""

_CONSTRUCTS: dict[type, str] = {
    ast.Lambda: "a nested lambda",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.Yield: "yield",
    ast.YieldFrom: "yield from",
    ast.Await: "await",
    ast.NamedExpr: "an assignment expression ':='",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.Set: "a set literal",
    ast.Starred: "a starred expression '*'",
    ast.Call: "a call",
    ast.Attribute: "attribute access",
    ast.Subscript: "a subscript",
    ast.Name: "a name",
    ast.Constant: "a constant",
    ast.BinOp: "an arithmetic expression",
    ast.UnaryOp: "a unary operation",
    ast.BoolOp: "a boolean expression",
    ast.Compare: "a comparison",
    ast.IfExp: "a conditional expression",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Dict: "a dict",
}

_REFUSED_OPERATORS: dict[type, str] = {
    ast.MatMult: "@",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.Invert: "~",
}

_REFUSED_LITERALS: dict[type, str] = {
    bytes: "a bytes literal",
    complex: "a complex number literal",
    type(...): "'...' (Ellipsis)",
}

# Syntax nodes that carry no position and never nest further.
_LEAF_SYNTAX = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)


def compile_lambda(code: str) -> Evaluator:
    """Compile the text of a lambda into a function of the parameters dict.

    :param code: the text, e.g. ``lambda x, y=2: x * y``.
    :returns: the evaluator; one with many size-dependent operations runs metered.
    :raises ExpressionRejected: the text does not parse or uses what is not allowed; the
        message names the construct and its line and column.
    """
    try:
        tree = _parse(code)
    except SyntaxError as exc:
        line, column = exc.lineno or 1, exc.offset or 1
        raise ExpressionRejected(
            f"syntax error: {exc.msg} (line {line}, column {column})", line=line, column=column
        ) from None
    except (RecursionError, MemoryError):
        # CPython's parser gives up on absurd nesting with these rather than a SyntaxError.
        raise ExpressionRejected("the expression nests too deeply to parse") from None
    except ValueError as exc:
        raise ExpressionRejected(f"the expression cannot be parsed: {exc}") from None
    compiler = _LambdaCompiler(code)
    lam = tree.body
    if not isinstance(lam, ast.Lambda):
        raise compiler.reject(lam, f"the expression must be a lambda such as 'lambda x: x * 2', not {_construct(lam)}")
    compiler.scan(lam)
    try:
        return compiler.compile(lam)
    except RecursionError:
        # Only when the caller's own stack is already deep: the nesting limit keeps ours short.
        raise ExpressionRejected("the expression nests too deeply to compile here") from None


_parse_lock = threading.Lock()


def _parse(code: str) -> ast.Expression:
    # The parser warns about dubious user text (`x is 1`, "\d"); that is noise in a
    # server's log. The filters are process-wide, hence the lock around changing them.
    with _parse_lock, warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        return ast.parse(code, mode="eval")


def _construct(node: ast.AST) -> str:
    return _CONSTRUCTS.get(type(node), f"a {type(node).__name__} node")


def _token_order(node: Positioned) -> tuple[int, int]:
    """Where the name a node refers to appears: an attribute's name ends its node."""
    if isinstance(node, ast.Attribute) and node.end_lineno is not None and node.end_col_offset is not None:
        return (node.end_lineno, node.end_col_offset - len(node.attr))
    return (node.lineno, node.col_offset)


def _dunder(node: Positioned) -> str | None:
    """Describe node if it names something starting with a double underscore."""
    if isinstance(node, ast.Name):
        kind, name = "name", node.id
    elif isinstance(node, ast.Attribute):
        kind, name = "attribute access", node.attr
    elif isinstance(node, ast.arg):
        kind, name = "parameter name", node.arg
    elif isinstance(node, ast.keyword) and node.arg is not None:
        kind, name = "keyword argument", node.arg
    else:
        return None
    return f"{kind} {name!r} is not allowed" if name.startswith("__") else None


def _is_literal(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return isinstance(node.operand, ast.Constant)
    if isinstance(node, (ast.List, ast.Tuple)):
        return all(_is_literal(element) for element in node.elts)
    if isinstance(node, ast.Dict):
        return all(key is not None and _is_literal(key) for key in node.keys) and all(
            _is_literal(value) for value in node.values
        )
    return False


def _arity(spec: Function | Method) -> str:
    low, high = spec.min_args, spec.max_args
    if high is None:
        return f"at least {low} argument{'s' if low != 1 else ''}"
    if low == high:
        return f"{low} argument{'s' if low != 1 else ''}"
    return f"{low} to {high} arguments"


def _is_math(node: ast.AST) -> bool:
    # Parameters cannot be named "math", so the name always means the module here.
    return isinstance(node, ast.Name) and node.id == "math"


def _is_none(operand: Operand) -> bool:
    return isinstance(operand, Constant) and operand.value is None


class _LambdaCompiler:
    """Check one lambda's syntax tree against the allow-list and build its closure tree."""

    def __init__(self, code: str) -> None:
        # ast columns count UTF-8 bytes; only non-ASCII code needs its lines to convert them.
        self._lines = None if code.isascii() else re.split(r"\r\n|\r|\n", code)
        self._names: frozenset[str] = frozenset()
        self._kw_name: str | None = None
        self._kw_only = False
        self.costly_nodes = 0

    def _position(self, node: Positioned) -> tuple[int, int]:
        column = node.col_offset
        if self._lines is not None and 0 < node.lineno <= len(self._lines):
            column = len(self._lines[node.lineno - 1].encode("utf-8")[:column].decode("utf-8", "replace"))
        return node.lineno, column + 1

    def where(self, node: Positioned) -> str:
        line, column = self._position(node)
        return f"(line {line}, column {column})"

    def reject(self, node: Positioned, text: str) -> ExpressionRejected:
        line, column = self._position(node)
        return ExpressionRejected(f"{text} (line {line}, column {column})", line=line, column=column)

    def scan(self, root: ast.Lambda) -> None:
        """Refuse nesting past MAX_NESTING_DEPTH and any dunder name, without recursing."""
        first: tuple[Positioned, str] | None = None
        pending: list[tuple[ast.AST, int, Positioned]] = [(root, 1, root)]
        while pending:
            node, depth, positioned = pending.pop()
            if depth > limits.MAX_NESTING_DEPTH:
                raise self.reject(positioned, f"the expression nests more than {limits.MAX_NESTING_DEPTH} levels deep")
            if isinstance(node, Positioned):
                refusal = _dunder(node)
                if refusal is not None and (first is None or _token_order(node) < _token_order(first[0])):
                    first = (node, refusal)
            for child in ast.iter_child_nodes(node):
                if not isinstance(child, _LEAF_SYNTAX):
                    pending.append((child, depth + 1, child if isinstance(child, Positioned) else positioned))
        if first is not None:
            raise self.reject(*first)

    def compile(self, lam: ast.Lambda) -> Evaluator:
        names, defaults = self._parameters(lam.args)
        body = as_function(self.operand(lam.body))
        if self._kw_only:
            # The parameters dict itself is the environment: nothing to bind per call.
            function = body
        elif self._kw_name is None:
            function = bind_named(body, names, defaults)
        else:
            function = bind_with_kw(body, names, defaults, self._kw_name)
        if self.costly_nodes > limits.UNMETERED_COSTLY_NODES:
            function = metered(function)
        return function

    def _parameters(self, arguments: ast.arguments) -> tuple[list[str], dict[str, Evaluator]]:
        if arguments.posonlyargs:
            raise self.reject(arguments.posonlyargs[0], "positional-only parameters ('/') are not allowed")
        if arguments.vararg is not None:
            raise self.reject(arguments.vararg, f"the '*{arguments.vararg.arg}' parameter is not allowed")
        params = arguments.args + arguments.kwonlyargs
        default_nodes: list[ast.expr | None] = [
            *[None] * (len(arguments.args) - len(arguments.defaults)),
            *arguments.defaults,
            *arguments.kw_defaults,
        ]
        names: list[str] = []
        defaults: dict[str, Evaluator] = {}
        for param, default in zip(params, default_nodes):
            self._check_parameter_name(param, names)
            names.append(param.arg)
            if default is not None:
                if not _is_literal(default):
                    raise self.reject(
                        default, f"the default of parameter {param.arg!r} must be a literal, not {_construct(default)}"
                    )
                defaults[param.arg] = as_function(self.operand(default))
        if arguments.kwarg is not None:
            self._check_parameter_name(arguments.kwarg, names)
            self._kw_name = arguments.kwarg.arg
        self._names = frozenset(names)
        self._kw_only = not names and self._kw_name is not None
        return names, defaults

    def _check_parameter_name(self, param: ast.arg, names: list[str]) -> None:
        if param.arg in names:
            raise self.reject(param, f"duplicate parameter {param.arg!r}")
        if param.arg in FUNCTIONS or param.arg == "math":
            raise self.reject(param, f"parameter name {param.arg!r} would hide the function of that name")

    def operand(self, node: ast.expr) -> Operand:
        """Check one syntax node and compile it into an operand."""
        match node:
            case ast.Constant():
                return self._constant(node)
            case ast.Name():
                return self._name(node)
            case ast.Attribute():
                return self._attribute(node)
            case ast.Call():
                return self._call(node)
            case ast.BinOp():
                return self._binop(node)
            case ast.UnaryOp():
                return self._unaryop(node)
            case ast.BoolOp():
                return self._boolop(node)
            case ast.IfExp():
                return self._ifexp(node)
            case ast.Compare():
                return self._compare(node)
            case ast.Subscript():
                return self._subscript(node)
            case ast.List() | ast.Tuple():
                return self._list(node)
            case ast.Dict():
                return self._dict(node)
        raise self.reject(node, f"{_construct(node)} is not allowed")

    def _constant(self, node: ast.Constant) -> Operand:
        value = node.value
        if type(value) is int and value.bit_length() > limits.MAX_INT_BITS:
            raise self.reject(
                node, f"an integer literal of {value.bit_length():,} bits is over the limit of {limits.MAX_INT_BITS:,}"
            )
        if type(value) in _REFUSED_LITERALS:
            raise self.reject(node, f"{_REFUSED_LITERALS[type(value)]} is not allowed")
        return Constant(value)

    def _name(self, node: ast.Name) -> Operand:
        name = node.id
        if name == self._kw_name:
            return whole_env if self._kw_only else operator.itemgetter(name)
        if name in self._names:
            # Every named parameter is bound before the body runs, so the default is never used.
            return Lookup(name, None)
        if name in FUNCTIONS:
            raise self.reject(node, f"function {name!r} can only be called")
        if name == "math":
            raise self.reject(node, "'math' can only be used as math.<function>(...) or a math constant")
        raise self.reject(node, f"name {name!r} is not allowed")

    def _attribute(self, node: ast.Attribute) -> Operand:
        attr = node.attr
        if _is_math(node.value):
            if attr in MATH_CONSTANTS:
                return Constant(MATH_CONSTANTS[attr])
            if attr in MATH_FUNCTIONS:
                raise self.reject(node, f"function 'math.{attr}' can only be called")
            raise self.reject(node, f"'math.{attr}' is not allowed")
        if attr in METHODS:
            raise self.reject(node, f"method {attr!r} can only be called")
        raise self.reject(node, f"attribute access {attr!r} is not allowed")

    def _call(self, node: ast.Call) -> Operand:
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.reject(arg, "a starred argument '*' is not allowed")
        named: dict[str, ast.keyword] = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                raise self.reject(keyword, "argument unpacking '**' is not allowed")
            if keyword.arg in named:
                raise self.reject(keyword, f"keyword argument {keyword.arg!r} is repeated")
            named[keyword.arg] = keyword
        func = node.func
        if isinstance(func, ast.Name):
            spec = FUNCTIONS.get(func.id)
            if spec is None:
                if func.id in self._names or func.id == self._kw_name:
                    raise self.reject(func, f"calling parameter {func.id!r} is not allowed")
                raise self.reject(func, f"function {func.id!r} is not allowed")
            return self._function_call(node, func.id, spec, named)
        if isinstance(func, ast.Attribute):
            if _is_math(func.value):
                spec = MATH_FUNCTIONS.get(func.attr)
                if spec is None:
                    raise self.reject(func, f"function 'math.{func.attr}' is not allowed")
                return self._function_call(node, f"math.{func.attr}", spec, named)
            return self._method_call(node, func)
        raise self.reject(func, f"calling {_construct(func)} is not allowed")

    def _function_call(self, node: ast.Call, name: str, spec: Function, named: dict[str, ast.keyword]) -> Operand:
        positional = len(node.args)
        if positional < spec.min_args or (spec.max_args is not None and positional > spec.max_args):
            raise self.reject(node, f"{name}() takes {_arity(spec)}, got {positional}")
        for keyword_name, keyword in named.items():
            if keyword_name not in spec.keywords:
                raise self.reject(keyword, f"{name}() takes no keyword argument {keyword_name!r}")
            slot = spec.keywords[keyword_name]
            if slot is not None and slot < positional:
                raise self.reject(keyword, f"{name}() got {keyword_name!r} both by position and by keyword")
        args = [self.operand(arg) for arg in node.args]
        keywords = {keyword_name: self.operand(keyword.value) for keyword_name, keyword in named.items()}
        if spec.costly and not all(isinstance(arg, Constant) for arg in args):
            self.costly_nodes += 1
        return call(spec.run, args, keywords, self.where(node))

    def _method_call(self, node: ast.Call, func: ast.Attribute) -> Operand:
        name = func.attr
        method = METHODS.get(name)
        if method is None:
            raise self.reject(func, f"method {name!r} is not allowed")
        if node.keywords:
            raise self.reject(node.keywords[0], f"method {name!r} takes no keyword arguments")
        if not method.min_args <= len(node.args) <= method.max_args:
            raise self.reject(node, f".{name}() takes {_arity(method)}, got {len(node.args)}")
        args = [self.operand(arg) for arg in node.args]
        receiver = func.value
        if name == "get" and self._kw_only and isinstance(receiver, ast.Name) and receiver.id == self._kw_name:
            lookup = _constant_lookup(args)
            if lookup is not None:
                return lookup
        if name != "get":
            self.costly_nodes += 1
        return method_call(name, method, self.operand(receiver), args, self.where(node))

    def _binop(self, node: ast.BinOp) -> Operand:
        spec = BINARY_OPS.get(type(node.op))
        if spec is None:
            raise self.reject(node, f"operator {_REFUSED_OPERATORS[type(node.op)]!r} is not allowed")
        left, right = self.operand(node.left), self.operand(node.right)
        op = spec.guarded
        if spec.plain is not None and any(
            isinstance(side, Constant) and type(side.value) in spec.plain_with for side in (left, right)
        ):
            op = spec.plain
        elif spec.costly:
            self.costly_nodes += 1
        return binary(op, left, right, self.where(node))

    def _unaryop(self, node: ast.UnaryOp) -> Operand:
        op = UNARY_OPS.get(type(node.op))
        if op is None:
            raise self.reject(node, f"operator {_REFUSED_OPERATORS[type(node.op)]!r} is not allowed")
        operand = self.operand(node.operand)
        if isinstance(operand, Constant) and (type(operand.value) in NUMBERS or op is operator.not_):
            return Constant(op(operand.value))
        return unary(op, operand, self.where(node))

    def _boolop(self, node: ast.BoolOp) -> Operand:
        functions = [as_function(self.operand(value)) for value in node.values]
        head, last = functions[:-1], functions[-1]
        if isinstance(node.op, ast.And):

            def all_of(env: Parameters) -> object:
                for function in head:
                    value = function(env)
                    if not value:
                        return value
                return last(env)

            return all_of

        def any_of(env: Parameters) -> object:
            for function in head:
                value = function(env)
                if value:
                    return value
            return last(env)

        return any_of

    def _ifexp(self, node: ast.IfExp) -> Operand:
        test = as_function(self.operand(node.test))
        body = as_function(self.operand(node.body))
        orelse = as_function(self.operand(node.orelse))

        def choose(env: Parameters) -> object:
            return body(env) if test(env) else orelse(env)

        return choose

    def _compare(self, node: ast.Compare) -> Operand:
        operands = [self.operand(item) for item in (node.left, *node.comparators)]
        ops: list[BinaryOperation] = []
        for index, op_node in enumerate(node.ops):
            left, right = operands[index], operands[index + 1]
            if isinstance(op_node, (ast.Is, ast.IsNot)):
                if not (_is_none(left) or _is_none(right)):
                    word = "is" if isinstance(op_node, ast.Is) else "is not"
                    raise self.reject(node, f"operator '{word}' is only allowed with None")
                ops.append(operator.is_ if isinstance(op_node, ast.Is) else operator.is_not)
                continue
            with_constant, otherwise = COMPARE_OPS[type(op_node)]
            if isinstance(left, Constant) or isinstance(right, Constant):
                ops.append(with_constant)
            else:
                ops.append(otherwise)
                self.costly_nodes += 1
        where = self.where(node)
        if len(ops) == 1:
            return binary(ops[0], operands[0], operands[1], where)
        first, *rest = [as_function(operand) for operand in operands]
        steps = list(zip(ops, rest))

        def chain(env: Parameters) -> bool:
            left = first(env)
            for op, function in steps:
                right = function(env)
                try:
                    if not op(left, right):
                        return False
                except OPERATION_ERRORS as exc:
                    raise located(exc, where) from exc
                left = right
            return True

        return chain

    def _subscript(self, node: ast.Subscript) -> Operand:
        value = self.operand(node.value)
        where = self.where(node)
        if isinstance(node.slice, ast.Slice):
            self.costly_nodes += 1
            sequence_function = as_function(value)
            lower, upper, step = (
                as_function(self.operand(part) if part is not None else Constant(None))
                for part in (node.slice.lower, node.slice.upper, node.slice.step)
            )

            def sliced(env: Parameters) -> object:
                # Any: Python's subscript checks the value's type, raising TypeError for what cannot be sliced.
                sequence: Any = sequence_function(env)
                bounds = slice(lower(env), upper(env), step(env))
                try:
                    if type(sequence) in SEQUENCES:
                        account(len(sequence), "the sliced value")
                    return sequence[bounds]
                except OPERATION_ERRORS as exc:
                    raise located(exc, where) from exc

            return sliced
        index = self.operand(node.slice)
        if self._kw_only and value is whole_env and isinstance(index, Constant):
            # Any: the key is whichever constant the text holds, and a Python caller's dict may hold such keys.
            key: Any = index.value

            def parameter(env: Parameters) -> object:
                try:
                    return env[key]
                except KeyError:
                    raise ExpressionError(f"parameter {short(key)} was not given {where}") from None

            return parameter
        return binary(operator.getitem, value, index, where)

    def _list(self, node: ast.List | ast.Tuple) -> Operand:
        for element in node.elts:
            if isinstance(element, ast.Starred):
                raise self.reject(element, "a starred expression '*' is not allowed")
        operands = [self.operand(element) for element in node.elts]
        constants = [operand.value for operand in operands if isinstance(operand, Constant)]
        if len(constants) == len(operands):
            values = tuple(constants)

            def constant_list(env: Parameters) -> list[object]:
                return list(values)

            return constant_list
        functions = [as_function(operand) for operand in operands]

        def build_list(env: Parameters) -> list[object]:
            return [function(env) for function in functions]

        return build_list

    def _dict(self, node: ast.Dict) -> Operand:
        keys: list[ast.expr] = []
        for key, value in zip(node.keys, node.values):
            if key is None:
                raise self.reject(value, "dict unpacking '**' is not allowed")
            keys.append(key)
        pairs = [
            (as_function(self.operand(key)), as_function(self.operand(value))) for key, value in zip(keys, node.values)
        ]
        where = self.where(node)

        def build_dict(env: Parameters) -> dict[object, object]:
            built: dict[object, object] = {}
            for key_function, value_function in pairs:
                key = key_function(env)
                value = value_function(env)
                try:
                    built[key] = value
                except TypeError as exc:
                    raise located(exc, where) from exc
            return built

        return build_dict


def _constant_lookup(args: list[Operand]) -> Lookup | None:
    """Turn ``kw.get(<str>, <constant>)`` into a look-up the parent node inlines."""
    key = args[0]
    default = args[1] if len(args) == 2 else Constant(None)
    if isinstance(key, Constant) and type(key.value) is str and isinstance(default, Constant):
        return Lookup(key.value, default.value)
    return None
