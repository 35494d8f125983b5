"""Benchmark full-text search: queryNodes over 100k documents against a naive LIKE scan and hand-written FTS5.

Run: python -m benchmarks.fulltext [--documents N] [--rounds R] [--calls C]

The same documents (a title of 6 words and a body of 60, drawn from 5,000 made-up words with
Zipf-like frequencies) are loaded three ways: into bfxdb with the index made before the load
(its triggers index each row) and after it (one fill from the view), and into a plain sqlite3
file with a table of the texts. Queries run through ``db.query`` (Cypher, the procedure, the
node's title) beside two references on the plain file: a naive scan with ``LIKE`` over every
row, and the careful engineer's FTS5 query on a table holding its own copy of the text, both
returning the same ten best titles or (LIKE, which cannot rank) every matching title. The
bytes of each kind of FTS5 table are counted with dbstat.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable

import bfxdb
from bfxdb.search import parse, to_fts5
from bfxdb.storage import BULK_DEFER_ROWS

from .common import interleaved_medians, per_call_us, print_table

SYLLABLES = ("ba", "ce", "di", "fo", "gu", "ha", "ki", "lo", "mu", "ne", "pi", "ra", "so", "tu", "ve", "zo")


def vocabulary(size: int = 5000) -> list[str]:
    """Made-up words of two to four syllables, the first ones the most frequent."""
    rng = random.Random(7)
    words: dict[str, None] = {}
    while len(words) < size:
        words["".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))] = None
    return list(words)


def documents(count: int, words: list[str]) -> list[tuple[str, str]]:
    rng = random.Random(1)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    drawn = rng.choices(words, weights, k=count * 66)
    return [(" ".join(drawn[i * 66 : i * 66 + 6]), " ".join(drawn[i * 66 + 6 : i * 66 + 66])) for i in range(count)]


def _timed(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def _rows(docs: list[tuple[str, str]]):
    return ({"labels": ["Doc"], "metadata": {"title": title, "body": body}} for title, body in docs)


CREATE = "CREATE FULLTEXT INDEX docs FOR (n:Doc) ON EACH [n.title, n.body]"


def load_bfxdb(path: str, docs: list[tuple[str, str]], index_first: bool) -> float:
    """Seconds to bulk_load the documents with the index made before (triggers) or after (one fill)."""
    with bfxdb.connect(path) as db:
        if index_first:
            db.query(CREATE)
            return _timed(lambda: db.bulk_load(_rows(docs)))
        started = time.perf_counter()
        db.bulk_load(_rows(docs))
        db.query(CREATE)
        return time.perf_counter() - started


def load_plain(path: str, docs: list[tuple[str, str]]) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute("CREATE TABLE docs (id INTEGER PRIMARY KEY, title TEXT, body TEXT)")
    connection.execute("BEGIN")
    connection.executemany("INSERT INTO docs (title, body) VALUES (?, ?)", docs)
    connection.execute("CREATE VIRTUAL TABLE copy USING fts5(title, body)")
    connection.execute("INSERT INTO copy (rowid, title, body) SELECT id, title, body FROM docs")
    connection.execute("CREATE VIRTUAL TABLE contentless USING fts5(title, body, content='')")
    connection.execute("INSERT INTO contentless (rowid, title, body) SELECT id, title, body FROM docs")
    connection.execute("COMMIT")
    return connection


def table_bytes(connection: sqlite3.Connection, prefix: str) -> int:
    """Bytes of the pages of an FTS5 table and its shadow tables."""
    return connection.execute(
        "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ? OR name LIKE ? || '\\_%' ESCAPE '\\'",
        (prefix, prefix),
    ).fetchone()[0]


def queries(words: list[str]) -> list[tuple[str, str, str, tuple]]:
    """(what, Lucene text, LIKE condition over title t and body b, its parameters)."""
    common, second, rare, other = words[0], words[1], words[2000], words[3]
    either = "(t LIKE ?1 OR b LIKE ?1)"
    return [
        ("common word", common, either, (f"%{common}%",)),
        ("rare word", rare, either, (f"%{rare}%",)),
        (
            "two words, AND",
            f"{common} AND {second}",
            f"{either} AND (t LIKE ?2 OR b LIKE ?2)",
            (f"%{common}%", f"%{second}%"),
        ),
        (
            "two words, OR",
            f"{rare} {words[2001]}",
            f"{either} OR (t LIKE ?2 OR b LIKE ?2)",
            (f"%{rare}%", f"%{words[2001]}%"),
        ),
        ("phrase", f'"{common} {second}"', either, (f"%{common} {second}%",)),
        ("prefix", f"{other[:4]}*", either, (f"%{other[:4]}%",)),
        (
            "field, NOT",
            f"title:{common} -{second}",
            "t LIKE ?1 AND NOT (t LIKE ?2 OR b LIKE ?2)",
            (f"%{common}%", f"%{second}%"),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=20)
    args = parser.parse_args()
    words = vocabulary()
    docs = documents(args.documents, words)
    folder = tempfile.mkdtemp(prefix="bfx-fulltext-")
    first, after, plain = (os.path.join(folder, name) for name in ("first.db", "after.db", "plain.db"))
    loads = {"one load, index made first": load_bfxdb(first, docs, True)}
    loads["one load, then CREATE FULLTEXT INDEX"] = load_bfxdb(after, docs, False)
    bare = os.path.join(folder, "bare.db")
    with bfxdb.connect(bare) as db:
        loads["one load, no index"] = _timed(lambda: db.bulk_load(_rows(docs)))
    # loads smaller than BULK_DEFER_ROWS keep the triggers: the cost of indexing row by row
    small = BULK_DEFER_ROWS // 2
    for name, index_first in (("5k-row loads, index made first", True), ("5k-row loads, no index", False)):
        with bfxdb.connect(os.path.join(folder, f"small-{index_first}.db")) as db:
            if index_first:
                db.query(CREATE)
            loads[name] = _timed(
                lambda: [db.bulk_load(_rows(docs[at : at + small])) for at in range(0, len(docs), small)]
            )
    raw = load_plain(plain, docs)
    print(f"{args.documents:,} documents; load average {os.getloadavg()[0]:.1f}")
    print_table(
        "Loading (bulk_load, one round)",
        [
            (name, f"{seconds:.2f} s", f"{bare:.2f} s (no index)", f"{seconds / bare:.2f}x")
            for name, seconds in loads.items()
            for bare in [loads[name.split(",")[0] + ", no index"]]
        ],
    )
    with bfxdb.connect(first) as db:
        fts = sqlite3.connect(first)
        ours = table_bytes(fts, "fulltext_1")
        fts.close()
        text = raw.execute("SELECT sum(length(title) + length(body)) FROM docs").fetchone()[0]
        copy, contentless = table_bytes(raw, "copy"), table_bytes(raw, "contentless")
        per = args.documents
        print_table(
            f"Bytes per document (dbstat; the texts themselves average {text / per:.0f} bytes)",
            [
                (
                    "external content (bfxdb)",
                    f"{ours / per:.0f} B",
                    f"{copy / per:.0f} B",
                    f"{ours / copy:.2f}x of a copy",
                ),
                (
                    "contentless (reference)",
                    f"{contentless / per:.0f} B",
                    f"{copy / per:.0f} B",
                    f"{contentless / copy:.2f}x",
                ),
            ],
        )
        rows = []
        for what, text_query, condition, parameters in queries(words):
            cypher = (
                "CALL db.index.fulltext.queryNodes('docs', $q, {limit: 10}) YIELD node, score RETURN node.title, score"
            )
            like = f"SELECT t FROM (SELECT title AS t, body AS b FROM docs) WHERE {condition}"
            fts5 = (
                "SELECT d.title, -bm25(copy) FROM copy JOIN docs AS d ON d.id = copy.rowid "
                "WHERE copy MATCH ? ORDER BY rank LIMIT 10"
            )
            match = _match(text_query)
            # the same ten scores (titles may differ where scores tie at the tenth)
            got = [round(row[1], 9) for row in db.query(cypher, {"q": text_query}).rows]
            want = [round(row[1], 9) for row in raw.execute(fts5, (match,)).fetchall()]
            assert got == want, (what, got, want)
            medians = interleaved_medians(
                _contenders(db, raw, cypher, text_query, fts5, match, like, parameters, args.calls), args.rounds
            )
            ours, reference, scan = medians["bfxdb"] / 1000, medians["fts5"] / 1000, medians["like"] / 1000
            rows.append(
                (
                    what,
                    f"{ours:.2f} ms",
                    f"FTS5 {reference:.2f} ms, LIKE {scan:.1f} ms",
                    f"{ours / reference:.2f}x FTS5; LIKE {scan / ours:.1f}x bfxdb",
                )
            )
        print_table(f"Ten best hits through db.query (median of {args.rounds} interleaved rounds)", rows)
    raw.close()


def _contenders(
    db: bfxdb.Database,
    raw: sqlite3.Connection,
    cypher: str,
    text: str,
    fts5: str,
    match: str,
    like: str,
    parameters: tuple,
    calls: int,
) -> dict[str, Callable[[], float]]:
    """The three ways of asking one question, each timed as microseconds per call."""
    return {
        "bfxdb": lambda: per_call_us(lambda: db.query(cypher, {"q": text}), calls),
        "fts5": lambda: per_call_us(lambda: raw.execute(fts5, (match,)).fetchall(), calls),
        # one call: a scan of every row is slow enough to time alone
        "like": lambda: per_call_us(lambda: raw.execute(like, parameters).fetchall(), 1),
    }


def _match(text: str) -> str:
    """The FTS5 MATCH expression of each Lucene text above: the reference runs what bfxdb runs."""
    written = to_fts5(parse(text), {"title": "title", "body": "body"})
    assert written is not None
    return written


if __name__ == "__main__":
    main()
