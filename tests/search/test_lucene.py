"""Lucene's classic query syntax as bfxdb reads it: the FTS5 expression it becomes, its bounds and its errors."""

from __future__ import annotations

import pytest

from bfxdb import FulltextQueryError
from bfxdb.search import MAX_DEPTH, MAX_QUERY_LENGTH, MAX_TERMS, parse, to_fts5

COLUMNS = {"title": "c0", "body": "c1"}


def fts5(text: str) -> str | None:
    return to_fts5(parse(text), COLUMNS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello world", '("hello" OR "world")'),
        ("hello AND world", '("hello" AND "world")'),
        ("hello && world", '("hello" AND "world")'),
        ("hello || world", '("hello" OR "world")'),
        ('"a phrase" data*', '("a phrase" OR "data"*)'),
        ("+a -b c", '(("a") NOT ("b"))'),
        ("a !b", '(("a") NOT ("b"))'),
        ("a NOT b", '(("a") NOT ("b"))'),
        # Lucene's classic parser: AND makes both its neighbours required; the OR clause only scores
        ("a AND b OR c", '("a" AND "b")'),
        ("(a OR b) AND c", '(("a" OR "b") AND "c")'),
        ("title:(foo bar*) NOT baz", '(((c0 : "foo" OR c0 : "bar"*)) NOT ("baz"))'),
        ('body:"two words"', '(c1 : "two words")'),
        ("foo-bar", '("foo-bar")'),
        (r"a\:b", '("a:b")'),
    ],
)
def test_lucene_text_becomes_an_fts5_expression_of_quoted_words(text, expected):
    assert fts5(text) == expected


def test_a_double_quote_inside_a_phrase_is_doubled_for_fts5():
    assert fts5(r'"say \"hi\""') == '("say ""hi""")'


def test_only_forbidden_clauses_match_nothing_as_in_lucene():
    assert fts5("NOT a") is None
    assert fts5("-a -b") is None
    assert fts5("+(-a) b") is None


def test_a_term_without_letters_or_digits_is_left_out_as_lucene_drops_it():
    assert fts5("hello AND ,,,") == '("hello")'
    assert fts5(",,,") is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("a~", "fuzzy"),
        ("a~2", "fuzzy"),
        ('"a b"~3', "proximity"),
        ("a^2", "boosts"),
        ("a*b", "wildcards"),
        ("te?t", "wildcards"),
        ("*", "wildcards"),
        ("[a TO b]", "range"),
        ("{a TO b}", "range"),
        ("/ab+c/", "regular expression"),
        ("(a", "not closed"),
        ("a)", "closes nothing"),
        ("AND a", "needs a clause before it"),
        ("a AND", "missing after an operator"),
        ("a AND OR b", "cannot follow an operator"),
        ('"abc', "not closed"),
        ("title:", "needs a term"),
        ("title:body:x", "cannot hold another field"),
        ("x\\", "escapes nothing"),
        ("   ", "at least one term"),
        ("colour:red", "no property 'colour'"),
    ],
)
def test_what_bfxdb_cannot_search_is_a_clear_error(text, says):
    with pytest.raises(FulltextQueryError, match=says) as raised:
        fts5(text)
    assert raised.value.http_status == 400


def test_the_error_names_the_place_in_the_text():
    with pytest.raises(FulltextQueryError, match="at character 8"):
        parse("hello a~")


def test_query_text_terms_and_nesting_are_bounded():
    parse("x" * MAX_QUERY_LENGTH)
    with pytest.raises(FulltextQueryError, match="at most"):
        parse("x" * (MAX_QUERY_LENGTH + 1))
    parse(" ".join(["w"] * MAX_TERMS))
    with pytest.raises(FulltextQueryError, match=f"more than {MAX_TERMS} terms"):
        parse(" ".join(["w"] * (MAX_TERMS + 1)))
    parse("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH)
    with pytest.raises(FulltextQueryError, match="nest deeper"):
        parse("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1))


def test_query_text_must_be_a_string():
    with pytest.raises(FulltextQueryError, match="must be a string"):
        parse(3)  # type: ignore[arg-type]
