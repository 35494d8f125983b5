"""The parser's stored tables: keyed by the grammar, rebuilt when stale or damaged, safe to share."""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import lark
import pytest

from bfxdb.query import parser, tablecache
from tests.query.test_parser import TCK_FEATURES, tck_queries

GRAMMAR = parser._grammar_text()
KEY = parser.tables_key(GRAMMAR)
SAMPLE = ["MATCH (a:Person {name: $name})-[:KNOWS*1..3]->(b) WHERE b.age > 30 RETURN b.name ORDER BY b.name LIMIT 5"]
#: Texts that fail to parse: a parser from stored tables must fail on them as the grammar's own does.
BROKEN = ["MATCH (n RETURN n", "RETURN 1 +", "MATCH (a)-[:R]->(b) RETURN a b", "CREATE (n:)", "RETURN ;x"]


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> Path:
    """A cache directory holding the tables of the shipped grammar, built once for this module."""
    directory = tmp_path_factory.mktemp("tables")
    parser.build_parser(GRAMMAR, directory)
    return directory


@pytest.fixture
def cache(stored, tmp_path) -> Path:
    """A fresh copy of ``stored`` that a test may spoil."""
    return Path(shutil.copytree(stored, tmp_path / "cache"))


def _header(directory: Path) -> bytes:
    return tablecache.table_path(directory, "cypher", KEY).read_bytes().split(b"\n", 1)[0]


def _outcome(built: lark.Lark, text: str) -> object:
    try:
        return built.parse(text)
    except lark.exceptions.UnexpectedInput as error:
        return type(error).__name__, error.line, error.column, sorted(getattr(error, "expected", None) or ())


def test_the_tables_key_hashes_the_grammar_text_lark_version_and_options():
    assert KEY == hashlib.sha256(
        "\n".join([GRAMMAR, lark.__version__, repr(sorted(parser._OPTIONS.items())), parser.TABLE_FORMAT]).encode()
    ).hexdigest()
    assert parser.tables_key(GRAMMAR + " ") != KEY


def test_the_tables_key_changes_with_the_lark_version(monkeypatch):
    monkeypatch.setattr(lark, "__version__", lark.__version__ + ".post1")
    assert parser.tables_key(GRAMMAR) != KEY


def test_the_stored_file_is_headed_by_the_key_of_the_shipped_grammar(stored):
    assert _header(stored) == KEY.encode()


def test_a_parser_from_stored_tables_parses_as_the_grammar_does(stored, monkeypatch):
    from_grammar = parser.build_parser(GRAMMAR, None)
    # Building is forbidden from here: the second parser must come from the file.
    monkeypatch.setattr(lark.Lark, "__init__", _no_building)
    from_tables = parser.build_parser(GRAMMAR, stored)
    texts = SAMPLE + BROKEN
    if TCK_FEATURES.is_dir():
        # One query in ten of the TCK's: every clause and expression form, in a second of parsing.
        texts += sorted({query.text for query in tck_queries()})[::10]
    for text in texts:
        assert _outcome(from_tables, text) == _outcome(from_grammar, text), text


def _no_building(*args: object, **kwargs: object) -> None:
    raise AssertionError("the parser was built, not loaded from its stored tables")


def test_a_stale_table_file_is_not_used_and_is_rebuilt(cache, monkeypatch):
    path = tablecache.table_path(cache, "cypher", KEY)
    # The tables of another grammar under this grammar's file name: only the header tells.
    stale_key = parser.tables_key(GRAMMAR.replace("MATCH", "MATCHES"))
    path.write_bytes(stale_key.encode() + b"\n" + path.read_bytes().split(b"\n", 1)[1])
    assert tablecache.read(cache, "cypher", KEY) is None
    built = parser.build_parser(GRAMMAR, cache)
    assert _header(cache) == KEY.encode()
    assert built.parse(SAMPLE[0]) == parser.build_parser(GRAMMAR, None).parse(SAMPLE[0])


def test_a_damaged_table_file_is_rebuilt(cache, monkeypatch):
    path = tablecache.table_path(cache, "cypher", KEY)
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    assert parser.build_parser(GRAMMAR, cache).parse(SAMPLE[0])
    monkeypatch.setattr(lark.Lark, "__init__", _no_building)
    assert parser.build_parser(GRAMMAR, cache).parse(SAMPLE[0])


class _Payload:
    """An object whose unpickling would run code: a table file must never get that far."""

    def __reduce__(self) -> tuple:
        return (os.system, ("echo unpickled",))


def test_a_table_file_naming_anything_but_lark_classes_is_refused_and_rebuilt(cache, monkeypatch):
    path = tablecache.table_path(cache, "cypher", KEY)
    path.write_bytes(KEY.encode() + b"\n" + pickle.dumps(_Payload()))
    with pytest.raises(pickle.UnpicklingError, match="not part of a parser"):
        parser._thaw(tablecache.read(cache, "cypher", KEY) or b"")
    assert parser.build_parser(GRAMMAR, cache).parse(SAMPLE[0])
    assert _header(cache) == KEY.encode()
    monkeypatch.setattr(lark.Lark, "__init__", _no_building)
    assert parser.build_parser(GRAMMAR, cache).parse(SAMPLE[0])


def test_a_table_file_holding_something_else_than_a_parser_is_rebuilt(cache):
    path = tablecache.table_path(cache, "cypher", KEY)
    path.write_bytes(KEY.encode() + b"\n" + pickle.dumps({"data": {}, "memo": {}}))
    with pytest.raises(pickle.UnpicklingError, match="does not hold a parser"):
        parser._thaw(tablecache.read(cache, "cypher", KEY) or b"")
    assert parser.build_parser(GRAMMAR, cache).parse(SAMPLE[0])


PARSE_IN_A_CHILD = """
import pickle, sys
import lark
from bfxdb.query import parser
from pathlib import Path
built = parser.build_parser(parser._grammar_text(), Path(sys.argv[1]))
outcomes = []
for text in sys.argv[2:]:
    try:
        outcomes.append(repr(built.parse(text)))
    except lark.exceptions.UnexpectedInput as error:
        outcomes.append(repr((type(error).__name__, error.line, error.column, sorted(error.expected))))
sys.stdout.buffer.write(pickle.dumps(outcomes))
"""


def test_tables_stored_under_one_hash_seed_parse_alike_under_another(tmp_path):
    """Rules keep the hash they had when the file was written; a process with another seed must not care."""
    texts = SAMPLE + BROKEN + ["MERGE (a:A {k: 1}) ON CREATE SET a.x = [1, 2] RETURN a", "UNWIND $xs AS x RETURN x"]

    def child(seed: str) -> list[str]:
        environment = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", PARSE_IN_A_CHILD, str(tmp_path), *texts], env=environment, capture_output=True,
            check=True, timeout=120,
        )
        outcomes: list[str] = pickle.loads(done.stdout)
        return outcomes

    built_here = child("1")
    assert tablecache.read(tmp_path, "cypher", KEY) is not None
    assert child("2") == built_here
    assert child("3") == built_here


def test_an_unwritable_cache_directory_builds_in_memory(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    built = parser.build_parser(GRAMMAR, blocker / "cache")
    assert built.parse(SAMPLE[0])
    assert blocker.read_text() == "not a directory"


def test_a_read_only_cache_prepared_beforehand_is_used(stored, monkeypatch):
    monkeypatch.setattr(tablecache, "write", _no_writing)
    monkeypatch.setattr(lark.Lark, "__init__", _no_building)
    assert parser.build_parser(GRAMMAR, stored).parse(SAMPLE[0])


def _no_writing(*args: object) -> None:
    raise AssertionError("a usable stored file was written again")


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="the system has no file owners")
def test_a_table_file_others_may_write_is_not_trusted(cache):
    path = tablecache.table_path(cache, "cypher", KEY)
    path.chmod(0o666)
    assert tablecache.read(cache, "cypher", KEY) is None
    path.chmod(0o644)
    assert tablecache.read(cache, "cypher", KEY) is not None


@pytest.mark.skipif(not hasattr(os, "getuid") or os.getuid() != 0, reason="only root can give a file away")
def test_a_table_file_owned_by_another_user_is_not_trusted(cache):
    path = tablecache.table_path(cache, "cypher", KEY)
    os.chown(path, 12345, -1)
    assert tablecache.read(cache, "cypher", KEY) is None


def test_the_written_file_is_readable_by_others_and_leaves_no_temporary_file(tmp_path):
    written = tablecache.write(tmp_path, "cypher", KEY, b"tables")
    assert written == tablecache.table_path(tmp_path, "cypher", KEY)
    assert os.name == "nt" or written.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == [written.name]
    assert tablecache.read(tmp_path, "cypher", KEY) == b"tables"


def test_the_cache_directory_is_named_by_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(tablecache.CACHE_DIR_VARIABLE, str(tmp_path))
    assert tablecache.cache_dir() == tmp_path
    monkeypatch.delenv(tablecache.CACHE_DIR_VARIABLE)
    if sys.platform not in ("win32", "darwin"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert tablecache.cache_dir() == tmp_path / "xdg" / "bfxdb"


def test_processes_starting_together_share_one_whole_table_file(tmp_path):
    """Concurrent first use: every process parses, and what is left is one valid file."""
    environment = {**os.environ, tablecache.CACHE_DIR_VARIABLE: str(tmp_path)}
    code = "from bfxdb.query.parser import parse; parse('MATCH (n) RETURN n'); print('parsed')"
    processes = [
        subprocess.Popen([sys.executable, "-c", code], env=environment, stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [process.communicate(timeout=120)[0].strip() for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0]
    assert outputs == ["parsed"] * 3
    assert [p.name for p in tmp_path.iterdir()] == [tablecache.table_path(tmp_path, "cypher", KEY).name]
    assert tablecache.read(tmp_path, "cypher", KEY) is not None
