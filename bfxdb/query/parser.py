"""Turn openCypher text into the typed syntax tree of :mod:`bfxdb.query.ast`; the only module that imports lark."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import importlib
import importlib.util
import io
import pickle
import re
from collections.abc import Callable
from pathlib import Path

import lark
from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.parsers.lalr_analysis import Reduce, Shift

from ..collector import collector_paused
from ..errors import QuerySyntaxError
from . import ast, tablecache
from .show import resolve as resolve_show

__all__ = ["build_parser", "caret_context", "load_parser", "parse", "parse_bounded", "tables_key"]

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
#: How deeply syntax may nest (brackets, calls, or arithmetic like `a + b + ...`, which nests to
#: the left). Everything after the parser walks the tree recursively, so a bound here keeps them
#: all safe. A chain of OR, XOR or AND is not nesting: it is built as a balanced tree.
MAX_NESTING = 128
#: Lexer tokens and tree nodes between two calls of a bounded parse's deadline check.
_CHECK_EVERY = 1024
#: The parse-tree rules of the associative operators, and the AST operator each builds.
_ASSOCIATIVE = {"or_": "OR", "xor": "XOR", "and_": "AND"}


def _grammar_text() -> str:
    """Read ``cypher.lark`` from the installed package, or from the repository when running from a checkout.

    An installed package's folder is read directly: importlib.resources, needed only for an
    install that is not a folder (a zip), costs a fresh process more to import than the read.
    """
    spec = importlib.util.find_spec("bfxdb.grammar")
    if spec is None:
        return (Path(__file__).resolve().parents[2] / "grammar" / "cypher.lark").read_text(encoding="utf-8")
    for folder in spec.submodule_search_locations or ():
        path = Path(folder) / "cypher.lark"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    from importlib import resources

    return resources.files("bfxdb.grammar").joinpath("cypher.lark").read_text(encoding="utf-8")


#: How the parser is built; part of the key of its stored tables, so changing one rebuilds them.
_OPTIONS = {"parser": "lalr", "lexer": "contextual", "propagate_positions": True, "maybe_placeholders": True}


#: What a table file holds; part of the key, so a file in another format is never read as this one.
TABLE_FORMAT = "the loaded parser, pickled whole"


def tables_key(grammar: str) -> str:
    """Return the key of the tables built from ``grammar``: a SHA-256 of the grammar text, lark's
    version, the parser options and the file format, so stored tables are used only with what
    they were built from."""
    source = "\n".join([grammar, lark.__version__, repr(sorted(_OPTIONS.items())), TABLE_FORMAT])
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def build_parser(grammar: str, directory: Path | None) -> Lark:
    """Load the parser for ``grammar`` from its stored tables in ``directory``, or build and store them.

    The grammar stays the source of truth: tables are used only under the key of this very text
    (:func:`tables_key`), and anything wrong with a stored file (missing, stale, damaged) means
    building afresh. When the directory cannot be written the parser is built in memory.

    :param grammar: the text of ``cypher.lark``.
    :param directory: where table files live; None builds in memory without storing.
    :returns: the parser.
    """
    key = tables_key(grammar)
    stored = None if directory is None else tablecache.read(directory, "cypher", key)
    if stored is not None:
        try:
            with collector_paused():
                return _thaw(stored)
        except Exception:  # a damaged file of any kind means building afresh, never an error
            pass
    with collector_paused():
        built = Lark(grammar, **_OPTIONS)
        if directory is None:
            return built
        saved = io.BytesIO()
        built.save(saved)
        loaded = Lark.load(io.BytesIO(saved.getvalue()))
        try:
            frozen = _freeze(loaded)
        except (pickle.PicklingError, TypeError, AttributeError):  # a lark this code does not know
            return loaded
    tablecache.write(directory, "cypher", key, frozen)
    return loaded


# Lark's own save and load keep the tables as plain data and rebuild every rule, state and
# per-state lexer from it: 35 ms of a process's first query. A parser as lark.load leaves it
# is pickled whole instead (15 ms to load), apart from what pickle cannot hold: the `re`
# module, lark's two parse actions (compared by identity), and the tree-building callbacks
# (closures), which are made again for the loaded rules.
_MODULES = frozenset({"re"})
_ACTIONS = {"Shift": Shift, "Reduce": Reduce}


class _Freezer(pickle.Pickler):
    """Pickle a loaded parser, naming what pickle cannot hold so that _Thawer can supply it."""

    def __init__(self, file: io.BytesIO, parser: Lark) -> None:
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self._callbacks = parser._callbacks
        self._tree_builder = parser._parse_tree_builder

    def persistent_id(self, obj: object) -> tuple[str, str] | None:
        if obj is self._callbacks:
            return ("callbacks", "")
        if obj is self._tree_builder:
            return ("tree builder", "")
        if obj is Shift or obj is Reduce:
            return ("action", str(obj))
        if isinstance(obj, type(re)):
            if obj.__name__ not in _MODULES:
                raise pickle.PicklingError(f"the parser holds the module {obj.__name__}")
            return ("module", obj.__name__)
        return None


class _Thawer(pickle.Unpickler):
    """Unpickle a parser _Freezer wrote: lark's classes only, the named parts supplied."""

    def __init__(self, data: bytes) -> None:
        super().__init__(io.BytesIO(data))
        self.callbacks: dict = {}

    def persistent_load(self, pid: tuple[str, str]) -> object:
        kind, name = pid
        if kind == "callbacks":
            return self.callbacks
        if kind == "tree builder":
            return None
        if kind == "action":
            return _ACTIONS[name]
        if kind == "module" and name in _MODULES:
            return importlib.import_module(name)
        raise pickle.UnpicklingError(f"unknown part {pid!r}")

    def find_class(self, module: str, name: str) -> type:
        if module != "lark" and not module.startswith("lark."):
            raise pickle.UnpicklingError(f"{module}.{name} is not part of a parser")
        found: type = super().find_class(module, name)
        return found


def _freeze(parser: Lark) -> bytes:
    """Return ``parser`` (as Lark.load made it) pickled whole, for :func:`_thaw`."""
    file = io.BytesIO()
    _Freezer(file, parser).dump(parser)
    return file.getvalue()


def _thaw(data: bytes) -> Lark:
    """Load a parser :func:`_freeze` stored, with its tree-building callbacks made for its own rules."""
    thawer = _Thawer(data)
    parser = thawer.load()
    if not isinstance(parser, Lark):
        raise pickle.UnpicklingError("the file does not hold a parser")
    # The states and the parse frontend hold the thawer's (still empty) callbacks dict; filling
    # it gives them all the callbacks at once.
    parser._prepare_callbacks()
    thawer.callbacks.update(parser._callbacks)
    parser._callbacks = thawer.callbacks
    return parser


@functools.cache
def _lark() -> Lark:
    """Load the parser on first use, from stored tables when they match the grammar (see build_parser)."""
    return build_parser(_grammar_text(), tablecache.cache_dir())


# How a terminal reads in an error message, for the ones whose pattern is not plain text.
_TERMINAL_WORDS = {
    "NAME": "a name",
    "ESCAPED_NAME": "a `quoted name`",
    "NUMBER": "a number",
    "STRING": "a string",
    "PARAMETER": "a $parameter",
    "$END": "the end of the query",
}
# The contextual lexer names the end of input this way when it re-lexes a token no state accepts.
_LEXER_END = "<END-OF-FILE>"
# Families of terminals an error message names as one thing when most of the family is expected.
_EXPRESSION_START = frozenset(
    {"NAME", "ESCAPED_NAME", "NUMBER", "STRING", "PARAMETER"}
    | {"'('", "'['", "'{'", "'-'", "'+'"}
    | {"NOT", "CASE", "TRUE", "FALSE", "NULL", "EXISTS", "REDUCE", "ALL", "ANY", "NONE", "SINGLE"}
)
_OPERATORS = frozenset(
    {"'+'", "'-'", "'*'", "'/'", "'%'", "'^'", "'='", "'<>'", "'<'", "'>'", "'<='", "'>='", "'=~'"}
    | {"'.'", "'['", "':'", "'+='", "AND", "OR", "XOR", "IN", "IS", "STARTS", "ENDS", "CONTAINS"}
)
_ARROWS = frozenset({"'-->'", "'<--'", "'--'", "'<-->'", "'-['", "'<-['"})
_CLAUSES = frozenset(
    {"MATCH", "OPTIONAL", "UNWIND", "WITH", "RETURN", "CREATE", "MERGE", "SET", "REMOVE", "DELETE", "DETACH", "CALL"}
    | {"FOREACH"}
)
def load_parser() -> None:
    """Load or build the parser now if it is not ready yet (once per process), so no query's time limit pays for it."""
    _lark()


@functools.cache
def _rel_detail_closers() -> frozenset[str]:
    """Terminals that can only continue a relationship pattern: a parse error where one of them was
    expected happened inside `-[...]-`."""
    return frozenset(t.name for t in _lark().terminals if t.pattern.value in ("]-", "]->"))


@functools.lru_cache(maxsize=2048)
def parse(text: str) -> ast.Statement:
    """Parse one openCypher statement into its syntax tree.

    Results are cached by text and shared, which is safe because the tree is immutable.

    :param text: the query, e.g. ``"MATCH (n:Person) RETURN n.name"``.
    :returns: the :class:`~bfxdb.query.ast.Statement` at the root of the tree.
    :raises QuerySyntaxError: the text is not openCypher; the error names the line and column,
        what was found and what was expected, and carries the offending line with a caret under it.
    """
    try:
        return _Builder(text).build(_lark().parse(text))
    except UnexpectedInput as error:
        raise _from_lark_error(error, text) from None
    except QuerySyntaxError as error:
        raise _with_context(error, text) from None


def parse_bounded(text: str, check_deadline: Callable[[], None]) -> ast.Statement:
    """Parse like :func:`parse`, calling ``check_deadline`` every so many tokens and tree nodes.

    Not cached: the caller caches the plan. Parsing a text near the length limit takes seconds,
    so a query's time limit must reach into it.

    :raises QuerySyntaxError: as parse does.
    :raises QueryTimeout: when check_deadline does.
    """
    try:
        interactive = _lark().parse_interactive(text)
        last = None
        for count, token in enumerate(interactive.iter_parse()):
            last = token
            if not count % _CHECK_EVERY:
                check_deadline()
        tree = interactive.feed_eof(last)
        return _Builder(text, check_deadline).build(tree)
    except UnexpectedInput as error:
        raise _from_lark_error(error, text) from None
    except QuerySyntaxError as error:
        raise _with_context(error, text) from None


def caret_context(text: str, line: int, column: int) -> str:
    """Show where an error is: the line of ``text`` numbered ``line`` and a caret under ``column``.

    :param text: the whole query.
    :param line: 1-based line number.
    :param column: 1-based column number.
    :returns: two lines, e.g. ``"RETURN 1 +\n          ^"``.
    """
    # Lines as lark counts them: split at "\n" only.
    lines = text.split("\n")
    source = lines[min(max(line, 1), len(lines)) - 1].rstrip("\r")
    # Keep tabs so the caret lines up however the reader's terminal renders them.
    pad = "".join("\t" if ch == "\t" else " " for ch in source[: max(column - 1, 0)])
    return f"{source}\n{pad}^"


def _with_context(error: QuerySyntaxError, text: str) -> QuerySyntaxError:
    """Return ``error`` with its caret context filled in from the query text."""
    if error.context is not None or error.line is None:
        return error
    return QuerySyntaxError(
        error.message,
        error.detail_code,
        line=error.line,
        column=error.column,
        context=caret_context(text, error.line, error.column or 1),
    )


def _term(name: str) -> str:
    """Return how error messages know the terminal called ``name``: NAME, MATCH, ``'('``, ..."""
    if name in _TERMINAL_WORDS:
        return name
    if name == _LEXER_END:
        return "$END"
    value = _lark().get_terminal(name).pattern.value
    return value.upper() if value.isalpha() else f"'{value}'"


def _describe_expected(expected: set[str]) -> str:
    """Say in plain words what the parser would have accepted, folding big families into one phrase."""
    terms = {_term(name) for name in expected}
    words = []
    if {"NAME", "NUMBER", "STRING"} <= terms:
        terms -= _EXPRESSION_START
        words.append("an expression")
    if len(terms & _OPERATORS) >= 6:
        terms -= _OPERATORS
        words.append("an operator")
    if len(terms & _ARROWS) >= 3:
        terms -= _ARROWS
        words.append("a relationship such as -->")
    if len(terms & _CLAUSES) >= 5:
        terms -= _CLAUSES
        words.append("a clause such as MATCH or RETURN")
    words.extend(_TERMINAL_WORDS.get(t, t) for t in sorted(terms, key=lambda t: (not t[0].isalpha(), t)))
    if len(words) > 12:
        words = words[:12] + ["..."]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _end_position(text: str) -> tuple[int, int]:
    """Return the (line, column) just after the last character of ``text`` that is not blank."""
    lines = text.rstrip().split("\n")
    return len(lines), len(lines[-1]) + 1


def _from_lark_error(error: UnexpectedInput, text: str) -> QuerySyntaxError:
    """Translate one of lark's parse errors into bfxdb's own terms."""
    line, column = error.line, error.column
    detail = "UnexpectedSyntax"
    if isinstance(error, UnexpectedToken) and error.token.type != "$END":
        # `accepts` replays the parser, so unlike `expected` it holds no LALR look-ahead strays.
        expected = set(error.accepts or error.expected)
        if expected & _rel_detail_closers():
            detail = "InvalidRelationshipPattern"
        message = f"Invalid input '{error.token}': expected {_describe_expected(expected)}"
    elif isinstance(error, UnexpectedToken):
        line, column = _end_position(text)
        message = f"The query ends too early: expected {_describe_expected(set(error.accepts or error.expected))}"
    elif isinstance(error, UnexpectedEOF):
        line, column = _end_position(text)
        message = f"The query ends too early: expected {_describe_expected(set(error.expected))}"
    elif isinstance(error, UnexpectedCharacters) and error.char in "'\"`":
        what = "quoted name" if error.char == "`" else "string"
        message = f"This {what} is never closed: add the closing {error.char}"
    elif isinstance(error, UnexpectedCharacters):
        message = f"Invalid input '{error.char}': this character cannot appear here"
    else:
        message = str(error)
    message = f"{message} (line {line}, column {column})"
    return QuerySyntaxError(message, detail, line=line, column=column, context=caret_context(text, line, column))


def _column_projection(columns: tuple[str, ...], pos: ast.Pos) -> ast.Projection:
    """The projection of the named columns as they are, as a SHOW command's YIELD or RETURN."""
    return ast.Projection(tuple(ast.ProjectionItem(ast.Variable(name, pos), None, name, pos) for name in columns),
                          False, False, (), None, None, pos)


def _fail(message: str, detail: str, pos: ast.Pos) -> QuerySyntaxError:
    """Build a syntax error found while building the tree; parse() adds the caret context."""
    line, column = pos
    return QuerySyntaxError(f"{message} (line {line}, column {column})", detail, line=line, column=column)


def _constant(expression: ast.Expr, meta) -> object:
    """The Python value of a constant expression (literals, lists and maps of them), as OPTIONS takes it."""
    if isinstance(expression, ast.Literal):
        return expression.value
    if isinstance(expression, ast.ListLiteral):
        return [_constant(item, meta) for item in expression.items]
    if isinstance(expression, ast.MapLiteral):
        return {key: _constant(value, meta) for key, value in expression.items}
    raise _fail("OPTIONS must be a map of constants", "InvalidOptions", _pos(meta))


def _token_pos(token: Token) -> ast.Pos:
    # a token the lexer made always has a position; one made by hand has NO_POS
    return (token.line or 0, token.column or 0)


# ---------------------------------------------------------------- literals

_DECIMAL = re.compile(r"\d+")
_HEX = re.compile(r"0[xX][0-9a-fA-F]+")
_OCTAL = re.compile(r"0o[0-7]+")
_HEX_DIGITS = re.compile(r"[0-9a-fA-F]*")
_FLOAT = re.compile(r"(?:\d+\.\d+|\.\d+|\d+)(?:[eE][+-]?\d+)?")
_SIMPLE_ESCAPES = {
    "\\": "\\",
    "'": "'",
    '"': '"',
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}


def _number(token: Token, negative: bool, pos: ast.Pos) -> int | float:
    """Return the value of a numeral, negated if ``negative``, checking its form and range."""
    text = str(token)
    if _DECIMAL.fullmatch(text):
        value = int(text)
    elif _HEX.fullmatch(text):
        value = int(text[2:], 16)
    elif _OCTAL.fullmatch(text):
        value = int(text[2:], 8)
    elif _FLOAT.fullmatch(text):
        number = float(text)
        if number == float("inf"):
            raise _fail(f"The floating point number {text} is too large", "FloatingPointOverflow", pos)
        return -number if negative else number
    else:
        raise _fail(f"Invalid number literal '{text}'", "InvalidNumberLiteral", pos)
    value = -value if negative else value
    if not INT64_MIN <= value <= INT64_MAX:
        shown = f"-{text}" if negative else text
        raise _fail(f"The integer {shown} does not fit in 64 bits", "IntegerOverflow", pos)
    return value


def _string(token: Token) -> str:
    """Return the value of a quoted string literal, resolving its escapes."""
    try:
        return unescape_string(str(token)[1:-1])
    except StringEscapeError as error:
        pos = _token_pos(token) if error.offset is None else _offset_pos(token, error.offset + 1)
        raise _fail(error.message, error.detail_code or "InvalidEscapeSequence", pos) from None


class StringEscapeError(QuerySyntaxError):
    """A string literal holds a malformed escape; `offset` is its index in the literal's body."""

    def __init__(self, message: str, detail_code: str, offset: int | None) -> None:
        super().__init__(message, detail_code)
        self.offset = offset


def unescape_string(body: str) -> str:
    """Resolve the escapes of a Cypher string literal, as openCypher defines them.

    :param body: the text between the literal's quotes.
    :returns: the string's value (``\\uD83D\\uDE00``-style surrogate pairs joined into one character).
    :raises StringEscapeError: for an unknown escape, a malformed ``\\u``/``\\U`` escape (its
        ``offset`` in `body` given) or half of a surrogate pair (no offset).
    """
    if "\\" not in body:
        return body
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch != "\\":
            out.append(ch)
            i += 1
            continue
        code = body[i + 1 : i + 2]
        if code and code in "uU":
            width = 4 if code == "u" else 8
            digits = body[i + 2 : i + 2 + width]
            if not _HEX_DIGITS.fullmatch(digits) or len(digits) != width or int(digits, 16) > 0x10FFFF:
                raise StringEscapeError(
                    f"Invalid unicode escape '\\{code}{digits}': expected \\{code} and {width} hex digits",
                    "InvalidUnicodeLiteral",
                    i,
                )
            out.append(chr(int(digits, 16)))
            i += 2 + width
        elif code in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[code])
            i += 2
        else:
            raise StringEscapeError(
                f"Invalid escape sequence '\\{code}' in a string; write '\\\\' for a backslash",
                "InvalidEscapeSequence",
                i,
            )
    value = "".join(out)
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        # `\uD83D\uDE00` spells one character as a UTF-16 surrogate pair; half a pair is no character.
        try:
            value = value.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            raise StringEscapeError(
                "Unpaired UTF-16 surrogate in a \\u escape", "InvalidUnicodeLiteral", None
            ) from None
    return value


def _offset_pos(token: Token, offset: int) -> ast.Pos:
    """Return the (line, column) of the character ``offset`` characters into ``token``."""
    line, column = _token_pos(token)
    before = str(token)[:offset]
    newlines = before.count("\n")
    if newlines:
        return (line + newlines, offset - before.rfind("\n"))
    return (line, column + offset)


def _unquote_name(text: str) -> str:
    """Return the name written in backticks, with doubled backticks read as one."""
    return text[1:-1].replace("``", "`")


# ---------------------------------------------------------------- the tree builder


#: The words of IS NODE KEY, IS REL UNIQUE, ... and the entity type each names.
_ENTITY_WORDS = {"NODE": "NODE", "REL": "RELATIONSHIP", "RELATIONSHIP": "RELATIONSHIP"}

#: Property types as IS :: may write them, and as SHOW CONSTRAINTS spells them (Neo4j 5's names).
_TYPE_SYNONYMS = {
    **{word: "BOOLEAN" for word in ("BOOL", "BOOLEAN")},
    **{word: "STRING" for word in ("STRING", "VARCHAR")},
    **{word: "INTEGER" for word in ("INT", "INTEGER", "SIGNED INTEGER", "INT64", "INTEGER64")},
    **{word: "FLOAT" for word in ("FLOAT", "FLOAT64")},
    "DATE": "DATE",
    **{word: "LOCAL TIME" for word in ("LOCAL TIME", "TIME WITHOUT TIME ZONE")},
    **{word: "ZONED TIME" for word in ("ZONED TIME", "TIME WITH TIME ZONE")},
    **{word: "LOCAL DATETIME" for word in ("LOCAL DATETIME", "TIMESTAMP WITHOUT TIME ZONE")},
    **{word: "ZONED DATETIME" for word in ("ZONED DATETIME", "TIMESTAMP WITH TIME ZONE")},
    "DURATION": "DURATION",
}

def _pos(meta) -> ast.Pos:
    return (meta.line, meta.column) if not meta.empty else ast.NO_POS


def _flat(op: str, left: ast.LabelExpr, right: ast.LabelExpr) -> ast.LabelExpr:
    """Join two label expressions with ``&`` or ``|``, folding ``A|B|C`` into one level."""
    terms = [*(left[1:] if left[0] == op else (left,)), *(right[1:] if right[0] == op else (right,))]
    return (op, *terms)


def _plain_labels(target: ast.HasLabels, clause: str) -> None:
    """Fail for SET or REMOVE of a label expression: they take labels, ``n:A:B``."""
    if target.label_expr is not None:
        raise _fail(
            f"{clause} takes labels such as n:A:B, not the label expression {ast.label_text(target.label_expr)}",
            "InvalidLabelExpression",
            target.pos,
        )


def _items(children) -> tuple:
    """Drop the None that an absent optional list leaves behind."""
    return tuple(c for c in children if c is not None)


class _Builder:
    """Build AST nodes from lark's parse tree: one small method per grammar rule, called children first."""

    def __init__(self, text: str, check_deadline: Callable[[], None] | None = None) -> None:
        self._text = text
        self._check_deadline = check_deadline
        self._built = 0

    def build(self, node, depth: int = 0):
        """Return the AST value of one parse-tree node."""
        # A plain walk: lark's Transformer costs a third of the parse time on short queries.
        if isinstance(node, Tree):
            if depth > MAX_NESTING:
                raise _fail(
                    f"The query nests more than {MAX_NESTING} levels deep here; flatten it (e.g. use IN [...])",
                    "UnexpectedSyntax",
                    _pos(node.meta),
                )
            if self._check_deadline is not None:
                self._built += 1
                if not self._built % _CHECK_EVERY:
                    self._check_deadline()
            if node.data in _ASSOCIATIVE:
                return self._chain(node, depth)
            return getattr(self, node.data)(node.meta, *[self.build(child, depth + 1) for child in node.children])
        if isinstance(node, Token):
            if node.type == "NAME":
                return str(node)
            if node.type == "ESCAPED_NAME":
                return _unquote_name(node)
        return node

    def _chain(self, node: Tree, depth: int) -> ast.Expr:
        """Build ``a OR b OR c ...`` (or XOR, AND) as a balanced tree, so a long chain stays shallow.

        The operators are associative, and a balanced tree evaluates its terms in the same
        order and stops at the same term as the left-nested one the grammar gives.
        """
        rule = node.data
        terms = []
        spine = node
        while isinstance(spine, Tree) and spine.data == rule:
            terms.append(spine.children[1])
            spine = spine.children[0]
        terms.append(spine)
        terms.reverse()
        # one level for the chain, and a term sits as deep as the balanced tree puts it
        below = depth + 1 + max(len(terms) - 1, 1).bit_length()
        built = [self.build(term, below) for term in terms]
        return ast.balanced(_ASSOCIATIVE[rule], built, _pos(node.meta))

    # ------------------------------------------------------------ statements and clauses

    def statement(self, meta, prefix, body):
        kind = prefix.type if prefix is not None else None
        return ast.Statement(body, kind == "EXPLAIN", kind == "PROFILE", _pos(meta))

    def query(self, meta, first, *rest):
        parts = (first, *rest[1::2])
        union_all = tuple(rest[0::2])
        return ast.Query(parts, union_all, _pos(meta))

    def union(self, meta, all_):
        return all_ is not None

    def single_query(self, meta, *clauses):
        return ast.SingleQuery(clauses, _pos(meta))

    def match(self, meta, optional, pattern, where):
        return ast.Match(pattern, where, optional is not None, _pos(meta))

    def unwind(self, meta, expression, variable):
        return ast.Unwind(expression, variable, _pos(meta))

    def with_(self, meta, projection, where):
        return ast.With(projection, where, _pos(meta))

    def return_(self, meta, projection):
        return ast.Return(projection, _pos(meta))

    def create(self, meta, pattern):
        return ast.Create(pattern, _pos(meta))

    def merge(self, meta, part, *actions):
        on_create = tuple(item for kind, items in actions if kind == "create" for item in items)
        on_match = tuple(item for kind, items in actions if kind == "match" for item in items)
        return ast.Merge(part, on_create, on_match, _pos(meta))

    def on_match(self, meta, *items):
        return ("match", items)

    def on_create(self, meta, *items):
        return ("create", items)

    def set_(self, meta, *items):
        return ast.Set(items, _pos(meta))

    def set_assign(self, meta, target, value):
        if isinstance(target, ast.PropertyAccess):
            return ast.SetProperty(target.subject, target.key, value, _pos(meta))
        if isinstance(target, ast.Variable):
            return ast.SetProperties(target.name, value, True, _pos(meta))
        message = "SET can assign to a property (n.key = ...) or a variable (n = {...})"
        raise _fail(message, "UnexpectedSyntax", _pos(meta))

    def set_merge(self, meta, target, value):
        if isinstance(target, ast.Variable):
            return ast.SetProperties(target.name, value, False, _pos(meta))
        raise _fail("'+=' needs a variable on its left, e.g. SET n += {key: 1}", "UnexpectedSyntax", _pos(meta))

    def set_labels(self, meta, target):
        if isinstance(target, ast.HasLabels) and isinstance(target.subject, ast.Variable):
            _plain_labels(target, "SET")
            return ast.SetLabels(target.subject.name, target.labels, _pos(meta))
        raise _fail("Expected '=', '+=' or labels after the SET target", "UnexpectedSyntax", _pos(meta))

    def remove(self, meta, *items):
        return ast.Remove(items, _pos(meta))

    def remove_item(self, meta, target):
        if isinstance(target, ast.PropertyAccess):
            return ast.RemoveProperty(target.subject, target.key, _pos(meta))
        if isinstance(target, ast.HasLabels) and isinstance(target.subject, ast.Variable):
            _plain_labels(target, "REMOVE")
            return ast.RemoveLabels(target.subject.name, target.labels, _pos(meta))
        raise _fail("REMOVE takes a property (n.key) or labels (n:Label)", "UnexpectedSyntax", _pos(meta))

    def delete(self, meta, detach, *expressions):
        return ast.Delete(expressions, detach is not None, _pos(meta))

    def call(self, meta, procedure, args, yield_):
        star, yields, where = yield_ if yield_ is not None else (False, (), None)
        return ast.Call(procedure, args, yields, star, where, _pos(meta))

    def procedure_name(self, meta, *names):
        return ".".join(names)

    def call_args(self, meta, args):
        return args if args is not None else ()

    def yield_(self, meta, *children):
        *items, where = children
        if isinstance(items[0], Token):
            return (True, (), where)
        return (False, tuple(items), where)

    def yield_item(self, meta, field, alias):
        return (field, alias)

    def call_subquery(self, meta, scope, query, in_transactions):
        imports, import_all = scope if scope is not None else (None, False)
        batch, status, on_error = in_transactions if in_transactions is not None else (None, None, "FAIL")
        return ast.SubqueryCall(
            query, imports, import_all, in_transactions is not None, batch, on_error, status, _pos(meta)
        )

    def scope_none(self, meta):
        return ((), False)

    def scope_all(self, meta, star):
        return ((), True)

    def scope_names(self, meta, *names):
        return (names, False)

    def in_transactions(self, meta, batch, status, on_error):
        return (batch, status, on_error or "FAIL")

    def report_status(self, meta, name):
        return name

    def on_error(self, meta, choice):
        return choice.type

    def batch_size(self, meta, expression, unit):
        return expression

    def foreach(self, meta, variable, source, *clauses):
        return ast.Foreach(variable, source, clauses, _pos(meta))

    # ------------------------------------------------------------ LOAD CSV and SHOW

    def load_csv(self, meta, headers, source, variable, terminator):
        return ast.LoadCsv(source, variable, headers is not None, terminator or ",", _pos(meta))

    def csv_headers(self, meta):
        return True

    def csv_terminator(self, meta, token):
        terminator = _string(token)
        if len(terminator) != 1 or terminator in "\r\n\"":
            message = f"FIELDTERMINATOR takes one character other than a quote or a line break, not {terminator!r}"
            raise _fail(message, "InvalidArgumentValue", _pos(meta))
        return terminator

    def show(self, meta, *children):
        *words, shown, returned = children
        pos = _pos(meta)
        try:
            target, argument = resolve_show(words)
        except QuerySyntaxError as error:
            raise _fail(error.message, "UnexpectedSyntax", pos) from None
        kind, projection, where = shown if shown is not None else ("where", None, None)
        if projection is None:
            # WHERE alone filters on every column; the default ones are shown
            projection = _column_projection(target.columns, pos)
            if returned is None:
                returned = _column_projection(target.defaults, pos)
        else:
            for item in projection.items:
                if not isinstance(item.expression, ast.Variable) or item.expression.name not in target.columns:
                    message = f"YIELD takes columns of SHOW {target.name}: {', '.join(target.columns)}"
                    raise _fail(message, "UndefinedVariable", item.pos)
            if projection.star:
                named = _column_projection(target.columns, pos)
                projection = dataclasses.replace(projection, items=named.items + projection.items, star=False)
        if returned is None:
            returned = _column_projection(tuple(item.alias or item.text for item in projection.items), pos)
        clauses = (ast.Show(target.name, argument, target.columns, pos), ast.With(projection, where, pos),
                   ast.Return(returned, pos))
        return ast.Query((ast.SingleQuery(clauses, pos),), (), pos)

    def show_yield(self, meta, projection, where):
        return ("yield", projection, where)

    def show_where(self, meta, where):
        return ("where", None, where)

    def show_return(self, meta, projection):
        return projection

    # ------------------------------------------------------------ projections

    def projection(self, meta, distinct, items, order_by, skip, limit):
        star, projected = items
        return ast.Projection(projected, star, distinct is not None, order_by or (), skip, limit, _pos(meta))

    def projection_items(self, meta, *children):
        if isinstance(children[0], Token):
            return (True, children[1:])
        return (False, children)

    def projection_item(self, meta, item, alias):
        expression, text = item
        return ast.ProjectionItem(expression, alias, text, _pos(meta))

    def item_expr(self, meta, expression):
        return (expression, self._text[meta.start_pos : meta.end_pos])

    def order_by(self, meta, *items):
        return items

    def sort_item(self, meta, expression, direction):
        descending = direction is not None and direction.type in ("DESC", "DESCENDING")
        return ast.SortItem(expression, descending, _pos(meta))

    def skip(self, meta, expression):
        return expression

    def limit(self, meta, expression):
        return expression

    # ------------------------------------------------------------ schema commands

    def create_index_for(self, meta, name, variable, label, *properties):
        for owner, _key in properties:
            if owner != variable:
                message = f"The index properties must belong to {variable}, not {owner}"
                raise _fail(message, "UndefinedVariable", _pos(meta))
        return ast.CreateIndex(label, tuple(key for _owner, key in properties), name, _pos(meta))

    def create_index_on(self, meta, label, *properties):
        return ast.CreateIndex(label, properties, None, _pos(meta))

    def index_property(self, meta, variable, key):
        return (variable, key)

    def create_vector_index(self, meta, name, if_not_exists, target, key, options):
        entity_type, variable, label = target
        owner, prop = key
        if owner != variable:
            raise _fail(f"The index property must belong to {variable}, not {owner}", "UndefinedVariable", _pos(meta))
        exists = if_not_exists is not None
        return ast.CreateVectorIndex(entity_type, label, prop, options or {}, name, exists, _pos(meta))

    def index_options(self, meta, options):
        return _constant(options, meta)

    def drop_index_on(self, meta, label, *properties):
        return ast.DropIndex(None, label, properties, _pos(meta))

    def drop_index_named(self, meta, name, if_exists):
        return ast.DropIndex(name, None, (), _pos(meta), if_exists is not None)

    def create_fulltext_index(self, meta, name, if_not_exists, target, *rest):
        entity_type, variable, labels = target
        *properties, options = rest
        for owner, _key in properties:
            if owner != variable:
                message = f"The index properties must belong to {variable}, not {owner}"
                raise _fail(message, "UndefinedVariable", _pos(meta))
        keys = tuple(key for _owner, key in properties)
        exists = if_not_exists is not None
        return ast.CreateFulltextIndex(name, exists, entity_type, labels, keys, options or {}, _pos(meta))

    def fulltext_nodes(self, meta, variable, *labels):
        return ("NODE", variable, labels)

    def fulltext_rels(self, meta, variable, *types):
        return ("RELATIONSHIP", variable, types)

    # ------------------------------------------------------------ constraints and SHOW

    def create_constraint(self, meta, name, if_not_exists, target, *rest):
        *properties, (kind, entity_word, property_type) = rest
        entity_type, variable, label = target
        if entity_word is not None and _ENTITY_WORDS.get(entity_word.upper()) != entity_type:
            message = f"IS {entity_word} does not fit a constraint on a {entity_type.lower()}"
            raise _fail(message, "InvalidConstraint", _pos(meta))
        for owner, _key in properties:
            if owner != variable:
                message = f"The constraint's properties must belong to {variable}, not {owner}"
                raise _fail(message, "UndefinedVariable", _pos(meta))
        keys = tuple(key for _owner, key in properties)
        if kind in ("PROPERTY_EXISTENCE", "PROPERTY_TYPE") and len(keys) != 1:
            raise _fail("IS NOT NULL and IS :: take one property", "InvalidConstraint", _pos(meta))
        exists = if_not_exists is not None
        return ast.CreateConstraint(kind, entity_type, label, keys, property_type, name, exists, _pos(meta))

    def if_not_exists(self, meta):
        return True

    def if_exists(self, meta):
        return True

    def constraint_node(self, meta, variable, label):
        return ("NODE", variable, label)

    def constraint_rel(self, meta, variable, rel_type):
        return ("RELATIONSHIP", variable, rel_type)

    def require_unique(self, meta, word):
        return ("UNIQUENESS", word, None)

    def require_key(self, meta, word):
        return ("KEY", word, None)

    def require_not_null(self, meta):
        return ("PROPERTY_EXISTENCE", None, None)

    def require_type(self, meta, property_type):
        return ("PROPERTY_TYPE", None, property_type)

    def property_type(self, meta, *alternatives):
        return " | ".join(dict.fromkeys(alternatives))

    def type_words(self, meta, *words):
        written = " ".join(word.upper() for word in words)
        canonical = _TYPE_SYNONYMS.get(written)
        if canonical is None:
            message = f"{written} is not a property type a constraint can require"
            raise _fail(message, "InvalidPropertyType", _pos(meta))
        return canonical

    def type_list(self, meta, word, _open, element, _close):
        if word.upper() not in ("LIST", "ARRAY") or " | " in element:
            raise _fail("a list type is written LIST<INTEGER NOT NULL>", "InvalidPropertyType", _pos(meta))
        return f"LIST<{element} NOT NULL>"

    def drop_constraint(self, meta, name, if_exists):
        return ast.DropConstraint(name, if_exists is not None, _pos(meta))

    def show_keyword(self, meta, token):
        return str(token)

    def pattern(self, meta, *parts):
        return ast.Pattern(parts, _pos(meta))

    def pattern_part(self, meta, variable, part):
        return ast.PatternPart(part.elements, variable, part.shortest, _pos(meta))

    def shortest_path(self, meta, kind, part):
        shortest = "shortestPath" if kind.type == "SHORTESTPATH" else "allShortestPaths"
        return ast.PatternPart(part.elements, None, shortest, _pos(meta))

    def chain(self, meta, *elements):
        return ast.PatternPart(elements, None, None, _pos(meta))

    def node_pattern(self, meta, variable, labels, properties):
        names, expr = labels or ((), None)
        return ast.NodePattern(variable, names, properties, _pos(meta), expr)

    def labels(self, meta, *parts):
        """Read ``:A:B`` as the labels (A, B); ``:A|B``, ``:!A``, ``:%``... as (), the label expression.

        A conjunction of names alone (``:A&B``) is the same as ``:A:B``.
        """
        if len(parts) > 1:
            if any(part[0] != "label" for part in parts):
                raise _fail(
                    "Mixing label expression symbols (|, &, !, %) with colons between labels is not allowed; "
                    "write :A&B for both labels",
                    "InvalidLabelExpression",
                    _pos(meta),
                )
            return tuple(part[1] for part in parts), None
        (expr,) = parts
        if expr[0] == "label":
            return (expr[1],), None
        if expr[0] == "and" and all(term[0] == "label" for term in expr[1:]):
            return tuple(dict.fromkeys(term[1] for term in expr[1:])), None
        return (), expr

    def label_name(self, meta, name):
        return ("label", name)

    def label_any(self, meta, percent):
        return ("any",)

    def label_not(self, meta, operand):
        return ("not", operand)

    def label_and(self, meta, left, right):
        return _flat("and", left, right)

    def label_or(self, meta, left, *rest):
        return _flat("or", left, rest[-1])  # rest ends with the right side (after the placeholder of `|:`)

    type_or = label_or
    type_and = label_and
    type_not = label_not

    def _relationship(self, meta, direction, detail):
        variable, types, length, properties, expr = detail if detail is not None else (None, (), None, None, None)
        return ast.RelPattern(variable, types, direction, length, properties, _pos(meta), expr)

    def rel_out(self, meta, detail=None):
        return self._relationship(meta, "out", detail)

    def rel_in(self, meta, detail=None):
        return self._relationship(meta, "in", detail)

    def rel_both(self, meta, detail=None):
        return self._relationship(meta, "both", detail)

    def rel_detail(self, meta, variable, types, length, properties):
        names, expr = types or ((), None)
        return (variable, names, length, properties, expr)

    def rel_types(self, meta, expr):
        """Read ``:A|B`` as the types (A, B); another type expression (``:!A``, ``:%``) as itself."""
        if expr[0] == "label":
            return (expr[1],), None
        if expr[0] == "or" and all(term[0] == "label" for term in expr[1:]):
            return tuple(dict.fromkeys(term[1] for term in expr[1:])), None
        return (), expr

    def range_fixed(self, meta, star, count):
        if count is None:
            return (None, None)
        hops = self._hops(count)
        return (hops, hops)

    def range_bounded(self, meta, star, low, high):
        return (self._hops(low), self._hops(high))

    def _hops(self, token: Token | None) -> int | None:
        if token is None:
            return None
        if not _DECIMAL.fullmatch(str(token)):
            raise _fail(
                f"A relationship length must be a whole number of hops, not '{token}'",
                "InvalidRelationshipPattern",
                _token_pos(token),
            )
        return int(_number(token, False, _token_pos(token)))  # a decimal numeral: an integer

    def pattern_expr(self, meta, first, *rest):
        return ast.PatternPredicate(ast.PatternPart((first, *rest), None, None, _pos(meta)), _pos(meta))

    def cover_node(self, meta, expression, properties):
        """Read the expression written before an arrow, e.g. ``a:L {k: 1}``, as a node pattern."""
        labels: tuple[str, ...] = ()
        label_expr = None
        subject = expression
        if isinstance(subject, ast.HasLabels):
            labels, label_expr, subject = subject.labels, subject.label_expr, subject.subject
        if (
            isinstance(subject, ast.MapProjection)
            and properties is None
            and not labels
            and label_expr is None
            and all(kind == "literal" for kind, _key, _value in subject.items)
        ):
            items = tuple((key, value) for _kind, key, value in subject.items if key is not None and value is not None)
            properties = ast.MapLiteral(items, subject.pos)
            subject = subject.subject
        if isinstance(subject, ast.MapLiteral) and properties is None and not labels and label_expr is None:
            return ast.NodePattern(None, (), subject, _pos(meta))
        if isinstance(subject, ast.Variable):
            return ast.NodePattern(subject.name, labels, properties, _pos(meta), label_expr)
        raise _fail(
            "A pattern must start with a node such as (n), (n:Label) or (n {key: value})",
            "UnexpectedSyntax",
            _pos(meta),
        )

    def cover_empty(self, meta):
        return ast.NodePattern(None, (), None, _pos(meta))

    def cover_labels(self, meta, labels, properties):
        names, expr = labels
        return ast.NodePattern(None, names, properties, _pos(meta), expr)

    # ------------------------------------------------------------ operators

    def or_(self, meta, left, right):
        return ast.Binary("OR", left, right, _pos(meta))

    def xor(self, meta, left, right):
        return ast.Binary("XOR", left, right, _pos(meta))

    def and_(self, meta, left, right):
        return ast.Binary("AND", left, right, _pos(meta))

    def not_(self, meta, operand):
        return ast.Unary("NOT", operand, _pos(meta))

    def comparison(self, meta, *children):
        operands = children[0::2]
        operators = children[1::2]
        pairs = zip(operands, operators, operands[1:])
        tests = [ast.Binary(str(op), left, right, left.pos) for left, op, right in pairs]
        return ast.balanced("AND", tests, _pos(meta))

    def starts_with(self, meta, left, right):
        return ast.Binary("STARTS WITH", left, right, _pos(meta))

    def ends_with(self, meta, left, right):
        return ast.Binary("ENDS WITH", left, right, _pos(meta))

    def contains(self, meta, left, right):
        return ast.Binary("CONTAINS", left, right, _pos(meta))

    def in_(self, meta, left, right):
        return ast.Binary("IN", left, right, _pos(meta))

    def regex(self, meta, left, right):
        return ast.Binary("=~", left, right, _pos(meta))

    def is_null(self, meta, operand):
        return ast.IsNull(operand, False, _pos(meta))

    def is_not_null(self, meta, operand):
        return ast.IsNull(operand, True, _pos(meta))

    def binary(self, meta, left, op, right):
        return ast.Binary(str(op), left, right, _pos(meta))

    def negate(self, meta, minus, operand):
        return ast.Unary("-", operand, _pos(meta))

    def plus(self, meta, plus, operand):
        return ast.Unary("+", operand, _pos(meta))

    def negative_number(self, meta, minus, token):
        return ast.Literal(_number(token, True, _pos(meta)), _pos(meta))

    # ------------------------------------------------------------ postfix forms

    def property(self, meta, subject, key):
        return ast.PropertyAccess(subject, key, _pos(meta))

    def subscript(self, meta, subject, index):
        return ast.Subscript(subject, index, _pos(meta))

    def slice(self, meta, subject, start, end):
        return ast.Slice(subject, start, end, _pos(meta))

    def has_labels(self, meta, subject, labels):
        names, expr = labels
        return ast.HasLabels(subject, names, _pos(meta), expr)

    def namespaced_call(self, meta, subject, name, distinct, args):
        parts = [name]
        while isinstance(subject, ast.PropertyAccess):
            parts.append(subject.key)
            subject = subject.subject
        if not isinstance(subject, ast.Variable):
            raise _fail(f"'{name}(...)' cannot be called on an expression", "UnexpectedSyntax", _pos(meta))
        parts.append(subject.name)
        return ast.FunctionCall(".".join(reversed(parts)), args or (), distinct is not None, _pos(meta))

    # ------------------------------------------------------------ atoms

    def variable(self, meta, name):
        return ast.Variable(name, _pos(meta))

    def function_call(self, meta, name, distinct, args):
        return ast.FunctionCall(name, args or (), distinct is not None, _pos(meta))

    def args(self, meta, *expressions):
        return expressions

    def count_star(self, meta, name, star):
        if name.lower() != "count":
            raise _fail(f"Only count(*) takes '*', not {name}(*)", "UnexpectedSyntax", _pos(meta))
        return ast.CountStar(_pos(meta))

    def case_(self, meta, subject, *rest):
        *whens, default = rest
        return ast.Case(subject, tuple(whens), default, _pos(meta))

    def case_when(self, meta, when, then):
        return (when, then)

    def list_comprehension(self, meta, variable, source, predicate, projection):
        return ast.ListComprehension(variable, source, predicate, projection, _pos(meta))

    def pattern_comprehension(self, meta, source, predicate, projection):
        variable = None
        if isinstance(source, ast.Binary) and source.op == "=" and isinstance(source.left, ast.Variable):
            variable, source = source.left.name, source.right
        if not isinstance(source, ast.PatternPredicate):
            raise _fail(
                "A pattern comprehension needs a pattern before '|', e.g. [(a)-->(b) | b.name]",
                "UnexpectedSyntax",
                source.pos,
            )
        part = ast.PatternPart(source.pattern.elements, variable, None, source.pattern.pos)
        return ast.PatternComprehension(part, predicate, projection, _pos(meta))

    def quantifier(self, meta, kind, variable, source, predicate):
        return ast.Quantifier(kind.type, variable, source, predicate, _pos(meta))

    def reduce(self, meta, accumulator, init, variable, source, step):
        return ast.Reduce(accumulator, init, variable, source, step, _pos(meta))

    def exists_call(self, meta, keyword, argument):
        return ast.FunctionCall(str(keyword), (argument,), False, _pos(meta))

    def exists_query(self, meta, keyword, query):
        return ast.ExistsSubquery(None, None, query, _pos(meta))

    def exists_pattern(self, meta, keyword, pattern, where):
        return ast.ExistsSubquery(pattern, where, None, _pos(meta))

    def named_subquery(self, meta, keyword, query):
        kind = self._subquery_keyword(keyword, meta)
        if kind == "count":
            return ast.CountSubquery(None, None, query, _pos(meta))
        return ast.CollectSubquery(query, _pos(meta))

    def named_pattern_subquery(self, meta, keyword, pattern, where):
        if self._subquery_keyword(keyword, meta) != "count":
            raise _fail("COLLECT { ... } needs a query ending in RETURN", "UnexpectedSyntax", _pos(meta))
        return ast.CountSubquery(pattern, where, None, _pos(meta))

    @staticmethod
    def _subquery_keyword(keyword: str, meta) -> str:
        """Return which subquery expression ``keyword { ... }`` is (lower case), or fail for another word."""
        kind = keyword.lower()
        if kind not in ("count", "collect"):
            message = f"'{keyword} {{ ... }}' is no subquery; write COUNT {{ ... }}, COLLECT {{ ... }} or EXISTS {{ }}"
            raise _fail(message, "UnexpectedSyntax", _pos(meta))
        return kind

    def map_projection(self, meta, subject, *items):
        return ast.MapProjection(ast.Variable(subject, _pos(meta)), _items(items), _pos(meta))

    def mp_property(self, meta, key):
        return ("property", key, None)

    def mp_literal(self, meta, key, value):
        return ("literal", key, value)

    def mp_variable(self, meta, name):
        return ("variable", name, None)

    def mp_all(self, meta, star):
        return ("all", None, None)

    # ------------------------------------------------------------ literals and names

    def number(self, meta, token):
        return ast.Literal(_number(token, False, _pos(meta)), _pos(meta))

    def string(self, meta, token):
        return ast.Literal(_string(token), _pos(meta))

    def true(self, meta):
        return ast.Literal(True, _pos(meta))

    def false(self, meta):
        return ast.Literal(False, _pos(meta))

    def null(self, meta):
        return ast.Literal(None, _pos(meta))

    def list_literal(self, meta, *items):
        return ast.ListLiteral(_items(items), _pos(meta))

    def map_literal(self, meta, *entries):
        return ast.MapLiteral(_items(entries), _pos(meta))

    def map_entry(self, meta, key, value):
        return (key, value)

    def parameter(self, meta, token):
        name = str(token)[1:]
        return ast.Parameter(_unquote_name(name) if name.startswith("`") else name, _pos(meta))
