"""Full-text query text in Lucene's classic syntax, as Neo4j takes it: parsed, bounded, and translated to FTS5.

The user's text never reaches FTS5's MATCH: it is parsed here into terms, phrases, prefixes and
boolean clauses, and written out again as an FTS5 expression in which every word is a quoted
string. What Lucene has and bfxdb does not (fuzzy ``~``, boosts ``^``, ranges ``[a TO b]``,
wildcards inside a word, regular expressions) is a clear error rather than a silent change of
meaning.

Clauses combine as Lucene's classic query parser combines them with OR as the default operator:
``a b`` needs either, ``+a`` or ``a AND b`` makes a clause required, ``-a``, ``!a`` or ``NOT a``
forbids it; when a group has a required clause its optional ones only score (FTS5's bm25 does not
count them), and a group of forbidden clauses alone matches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import FulltextQueryError

#: The longest query text, in characters.
MAX_QUERY_LENGTH = 4096
#: The most terms and phrases one query may hold.
MAX_TERMS = 64
#: The deepest nesting of parentheses.
MAX_DEPTH = 16

MUST, SHOULD, MUST_NOT = "MUST", "SHOULD", "MUST_NOT"

#: Characters that end a bare word (besides white space); ``\`` escapes any of them.
_SPECIAL = set('()"^~[]{}:\\/') | {"*", "?"}
_UNSUPPORTED = {
    "~": "fuzzy and proximity searches (~) are not supported",
    "^": "boosts (^) are not supported",
    "[": "range searches ([a TO b]) are not supported",
    "]": "range searches ([a TO b]) are not supported",
    "{": "range searches ({a TO b}) are not supported",
    "}": "range searches ({a TO b}) are not supported",
    "/": "regular expression searches (/.../) are not supported",
    "?": "wildcards (? and * inside a word) are not supported; a trailing * searches a prefix",
}


@dataclass(frozen=True, slots=True)
class Term:
    """Words to find next to each other, in one property or any: a bare word or a phrase.

    ``prefix``: the last word may go on (``data*`` finds database).
    """

    text: str
    field: str | None = None
    prefix: bool = False


@dataclass(frozen=True, slots=True)
class Clause:
    """One clause of a boolean group: how it counts (MUST, SHOULD, MUST_NOT) and what it matches."""

    occur: str
    query: Query


@dataclass(frozen=True, slots=True)
class Group:
    """A boolean group: what a whole query or a parenthesised part is."""

    clauses: tuple[Clause, ...]


Query = Term | Group


class _Reader:
    """A cursor over the query text that turns it into a Group, Lucene's way."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0
        self.terms = 0

    def fail(self, message: str, at: int | None = None) -> FulltextQueryError:
        where = self.at if at is None else at
        return FulltextQueryError(
            f"full-text query: {message} at character {where + 1}: {self.text[max(0, where - 20) : where + 20]!r}",
            "InvalidFulltextQuery",
        )

    def skip_space(self) -> None:
        while self.at < len(self.text) and self.text[self.at].isspace():
            self.at += 1

    def peek_word(self) -> str:
        """The operator word or symbol at the cursor: AND, OR, NOT, &&, ||, or ''."""
        for word in ("&&", "||"):
            if self.text.startswith(word, self.at):
                return word
        for word in ("AND", "OR", "NOT"):
            end = self.at + len(word)
            if self.text.startswith(word, self.at) and (end == len(self.text) or self._ends_word(end)):
                return word
        return ""

    def _ends_word(self, at: int) -> bool:
        return self.text[at].isspace() or self.text[at] in '()"'

    def group(self, depth: int, closing: bool) -> Group:
        clauses: list[Clause] = []
        while True:
            self.skip_space()
            if self.at == len(self.text):
                if closing:
                    raise self.fail("a ( is not closed")
                break
            if self.text[self.at] == ")":
                if not closing:
                    raise self.fail("a ) closes nothing")
                self.at += 1
                break
            conjunction = ""
            word = self.peek_word()
            if word in ("AND", "&&", "OR", "||"):
                if not clauses:
                    raise self.fail(f"{word} needs a clause before it")
                conjunction = "AND" if word in ("AND", "&&") else "OR"
                self.at += len(word)
                self.skip_space()
            modifier = self.modifier()
            self.skip_space()
            if self.at == len(self.text) or self.text[self.at] == ")":
                raise self.fail("a clause is missing after an operator")
            query = self.clause(depth)
            _add(clauses, conjunction, modifier, query)
        return Group(tuple(clauses))

    def modifier(self) -> str:
        char = self.text[self.at] if self.at < len(self.text) else ""
        if char == "+":
            self.at += 1
            return MUST
        if char in "-!" and char:
            self.at += 1
            return MUST_NOT
        if self.peek_word() == "NOT":
            self.at += 3
            return MUST_NOT
        if self.peek_word() in ("AND", "OR", "&&", "||"):
            raise self.fail(f"{self.peek_word()} cannot follow an operator")
        return ""

    def clause(self, depth: int, field: str | None = None) -> Query:
        char = self.text[self.at]
        if char == "(":
            if depth >= MAX_DEPTH:
                raise self.fail(f"parentheses nest deeper than {MAX_DEPTH}")
            self.at += 1
            inner = self.group(depth + 1, closing=True)
            return _with_field(inner, field) if field else inner
        if char == '"':
            return self.term(self.phrase(), field, prefix=self.star())
        start = self.at
        word = self.word()
        if self.at < len(self.text) and self.text[self.at] == ":":
            if field is not None:
                raise self.fail("a field cannot hold another field", start)
            self.at += 1
            if self.at == len(self.text) or self.text[self.at].isspace():
                raise self.fail(f"field {word}: needs a term, a phrase or a group after it")
            return self.clause(depth, word)
        return self.term(word, field, prefix=self.star())

    def term(self, text: str, field: str | None, prefix: bool) -> Term:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise self.fail(f"more than {MAX_TERMS} terms")
        return Term(text, field, prefix)

    def star(self) -> bool:
        if self.at < len(self.text) and self.text[self.at] == "*":
            self.at += 1
            return True
        return False

    def phrase(self) -> str:
        start = self.at
        self.at += 1
        chars = []
        while self.at < len(self.text) and self.text[self.at] != '"':
            if self.text[self.at] == "\\" and self.at + 1 < len(self.text):
                self.at += 1
            chars.append(self.text[self.at])
            self.at += 1
        if self.at == len(self.text):
            raise self.fail("a phrase's \" is not closed", start)
        self.at += 1
        if self.at < len(self.text) and self.text[self.at] in "~^":
            raise self.fail(_UNSUPPORTED[self.text[self.at]])
        return "".join(chars)

    def word(self) -> str:
        chars = []
        while self.at < len(self.text):
            char = self.text[self.at]
            if char.isspace() or char in '()":':
                break
            if char == "\\":
                if self.at + 1 == len(self.text):
                    raise self.fail("a \\ at the end escapes nothing")
                chars.append(self.text[self.at + 1])
                self.at += 2
                continue
            if char == "*":
                following = self.text[self.at + 1] if self.at + 1 < len(self.text) else " "
                if not chars or not (following.isspace() or following in ')"'):
                    raise self.fail(_UNSUPPORTED["?"])
                break
            if char in _UNSUPPORTED:
                raise self.fail(_UNSUPPORTED[char])
            chars.append(char)
            self.at += 1
        if not chars:
            raise self.fail("a term is missing")
        return "".join(chars)


def _with_field(query: Query, field: str) -> Query:
    if isinstance(query, Term):
        return query if query.field else Term(query.text, field, query.prefix)
    return Group(tuple(Clause(clause.occur, _with_field(clause.query, field)) for clause in query.clauses))


def _add(clauses: list[Clause], conjunction: str, modifier: str, query: Query) -> None:
    """Add a clause as Lucene's classic parser does (QueryParserBase.addClause, OR the default)."""
    if clauses and conjunction == "AND" and clauses[-1].occur != MUST_NOT:
        clauses[-1] = Clause(MUST, clauses[-1].query)
    if modifier == MUST_NOT:
        occur = MUST_NOT
    elif modifier == MUST or conjunction == "AND":
        occur = MUST
    else:
        occur = SHOULD
    clauses.append(Clause(occur, query))


def parse(text: str) -> Group:
    """Parse full-text query text in Lucene's classic syntax.

    :raises FulltextQueryError: for text too long, empty, malformed, or using what bfxdb does not
        support, naming where.
    """
    if not isinstance(text, str):
        raise FulltextQueryError("a full-text query must be a string", "InvalidFulltextQuery")
    if len(text) > MAX_QUERY_LENGTH:
        raise FulltextQueryError(
            f"a full-text query may be at most {MAX_QUERY_LENGTH} characters long, not {len(text)}",
            "InvalidFulltextQuery",
        )
    if not text.strip():
        raise FulltextQueryError("a full-text query needs at least one term", "InvalidFulltextQuery")
    return _Reader(text).group(0, closing=False)


def has_words(text: str) -> bool:
    """Whether a term holds a word the analyzers keep (a letter or digit): one without is left out, as in Lucene."""
    return any(char.isalnum() for char in text)


def to_fts5(query: Group, columns: dict[str, str]) -> str | None:
    """Write a parsed query as an FTS5 MATCH expression over the named columns.

    :param columns: the FTS5 column of each property a field may name.
    :returns: the expression, or None when the query can match nothing (only forbidden clauses).
    :raises FulltextQueryError: for a field the index does not hold.
    """
    return _expression(query, columns)


def _expression(query: Query, columns: dict[str, str]) -> str | None:
    if isinstance(query, Term):
        if not has_words(query.text):
            return None
        text = '"' + query.text.replace('"', '""') + '"' + ("*" if query.prefix else "")
        if query.field is None:
            return text
        if query.field not in columns:
            raise FulltextQueryError(
                f"full-text query: the index has no property {query.field!r}; it has "
                + ", ".join(repr(name) for name in columns),
                "InvalidFulltextQuery",
            )
        return f"{columns[query.field]} : {text}"
    required: list[str] = []
    optional: list[str] = []
    forbidden: list[str] = []
    for clause in query.clauses:
        written = _expression(clause.query, columns)
        if written is None:
            if clause.occur == MUST and not _dropped(clause.query):
                return None
            continue
        {MUST: required, SHOULD: optional, MUST_NOT: forbidden}[clause.occur].append(written)
    if required:
        core = " AND ".join(required)
    elif optional:
        core = " OR ".join(optional)
    else:
        return None
    if forbidden:
        return f"(({core}) NOT ({' OR '.join(forbidden)}))"
    return f"({core})"


def _dropped(query: Query) -> bool:
    """Whether a query is left out whole, as Lucene leaves out a term with no words: then it asks nothing."""
    if isinstance(query, Term):
        return not has_words(query.text)
    return all(_dropped(clause.query) for clause in query.clauses)
