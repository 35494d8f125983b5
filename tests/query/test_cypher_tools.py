"""LOAD CSV, SHOW commands and the procedures tools call when they connect, end to end.

The behaviour itself is pinned by the feature files in tests/features/tools, which the first test
runs; the tests after it cover what a feature file cannot: hostile files, limits, streaming, the
import folder's configuration, EXPLAIN text, registering a SHOW target, the CLI and HTTP faces.
"""

from __future__ import annotations

import gzip
import os
import tracemalloc
from pathlib import Path

import pytest

import bfxdb
from bfxdb.errors import CsvFileError, CsvFileRefused, InvalidInput, QueryLimitExceeded, QueryTimeout
from bfxdb.query import csvfiles, prepare, show
from bfxdb.query.operators import InTransactionsOp
from tests.tck.runner import folder_failures

FEATURES = Path(__file__).resolve().parents[1] / "features" / "tools"


def test_the_tools_feature_files_pass():
    count, failed = folder_failures(FEATURES)
    assert count >= 40
    assert not failed, "\n".join(failed)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    imports = tmp_path / "import"
    imports.mkdir()
    return imports


@pytest.fixture
def loader(folder: Path):
    with bfxdb.connect(import_dir=folder) as database:
        yield database


def _code(excinfo: pytest.ExceptionInfo) -> str | None:
    return excinfo.value.detail_code


# ---------------------------------------------------------------- hostile files and URLs


@pytest.mark.parametrize("url", ["file:///../secret.csv", "file:///a/../../secret.csv", "file:///%2e%2e/secret.csv"])
def test_a_path_with_dot_dot_is_refused(loader, folder, url):
    (folder.parent / "secret.csv").write_text("password\n")
    with pytest.raises(CsvFileRefused) as excinfo:
        loader.query(f"LOAD CSV FROM '{url}' AS row RETURN row")
    assert _code(excinfo) == "LoadCsvPathEscape"


def test_a_symlink_out_of_the_folder_is_refused(loader, folder):
    secret = folder.parent / "secret.csv"
    secret.write_text("password\n")
    (folder / "link.csv").symlink_to(secret)
    with pytest.raises(CsvFileRefused, match="leads outside"):
        loader.query("LOAD CSV FROM 'file:///link.csv' AS row RETURN row")


def test_an_absolute_path_is_read_inside_the_folder_not_from_the_root(loader, folder):
    secret = folder.parent / "secret.csv"
    secret.write_text("password\n")
    with pytest.raises(CsvFileError) as excinfo:
        loader.query(f"LOAD CSV FROM 'file://{secret}' AS row RETURN row")
    assert _code(excinfo) == "LoadCsvFileNotFound"
    # the same path below the folder is the one read
    inside = folder / str(secret).lstrip("/")
    inside.parent.mkdir(parents=True)
    inside.write_text("inside\n")
    assert loader.query(f"LOAD CSV FROM 'file://{secret}' AS row RETURN row[0]").scalar() == "inside"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://example.com/a.csv", "LoadCsvUrlRefused"),
        ("HTTPS://example.com/a.csv", "LoadCsvUrlRefused"),
        ("ftp://example.com/a.csv", "LoadCsvUrlRefused"),
        ("people.csv", "LoadCsvUrlRefused"),
        ("file://otherhost/people.csv", "LoadCsvUrlRefused"),
    ],
)
def test_urls_other_than_local_files_are_refused(loader, url, code):
    with pytest.raises(CsvFileRefused) as excinfo:
        loader.query("LOAD CSV FROM $url AS row RETURN row", {"url": url})
    assert _code(excinfo) == code
    assert excinfo.value.http_status == 403


def test_a_missing_file_and_a_folder_are_not_found(loader, folder):
    (folder / "sub").mkdir()
    for url in ("file:///missing.csv", "file:///sub"):
        with pytest.raises(CsvFileError) as excinfo:
            loader.query("LOAD CSV FROM $url AS row RETURN row", {"url": url})
        assert _code(excinfo) == "LoadCsvFileNotFound"


def test_a_huge_line_is_an_error_not_a_memory_blowup(loader, folder):
    (folder / "huge.csv").write_text("a" * (csvfiles.MAX_CSV_LINE + 10))
    with pytest.raises(CsvFileError, match="line 1 is longer than") as excinfo:
        loader.query("LOAD CSV FROM 'file:///huge.csv' AS row RETURN count(row)")
    assert _code(excinfo) == "LoadCsvLineTooLong"


def test_a_binary_file_is_an_error(loader, folder):
    (folder / "image.csv").write_bytes(bytes(range(256)) * 64)
    with pytest.raises(CsvFileError, match="not") as excinfo:
        loader.query("LOAD CSV FROM 'file:///image.csv' AS row RETURN count(row)")
    assert _code(excinfo) == "LoadCsvNotText"


def test_invalid_utf8_names_its_line(loader, folder):
    (folder / "latin1.csv").write_bytes(b"ok\nstill ok\ncaf\xe9\n")
    with pytest.raises(CsvFileError, match="not UTF-8") as excinfo:
        loader.query("LOAD CSV FROM 'file:///latin1.csv' AS row RETURN count(row)")
    assert _code(excinfo) == "LoadCsvNotText"


def test_a_nul_byte_in_valid_utf8_is_an_error(loader, folder):
    (folder / "nul.csv").write_bytes(b"a,b\nc\x00d,e\n")
    with pytest.raises(CsvFileError, match="line 2 holds a NUL"):
        loader.query("LOAD CSV FROM 'file:///nul.csv' AS row RETURN count(row)")


def test_gzip_files_are_unpacked_and_a_truncated_one_is_an_error(loader, folder):
    packed = gzip.compress(b"name\nAnn\nBob\n")
    (folder / "people.csv.gz").write_bytes(packed)
    rows = loader.query("LOAD CSV WITH HEADERS FROM 'file:///people.csv.gz' AS row RETURN row.name").rows
    assert rows == [("Ann",), ("Bob",)]
    (folder / "cut.csv.gz").write_bytes(packed[: len(packed) // 2])
    with pytest.raises(CsvFileError) as excinfo:
        loader.query("LOAD CSV FROM 'file:///cut.csv.gz' AS row RETURN count(row)")
    assert _code(excinfo) == "LoadCsvNotText"


def test_a_byte_order_mark_is_not_part_of_the_first_header(loader, folder):
    (folder / "bom.csv").write_bytes("\ufeffname\nAnn\n".encode())
    assert loader.query("LOAD CSV WITH HEADERS FROM 'file:///bom.csv' AS row RETURN keys(row)").scalar() == ["name"]


# ---------------------------------------------------------------- configuration


def test_without_an_import_folder_load_csv_is_refused(db):
    with pytest.raises(CsvFileRefused, match="import_dir") as excinfo:
        db.query("LOAD CSV FROM 'file:///people.csv' AS row RETURN row")
    assert _code(excinfo) == "LoadCsvDisabled"


def test_the_import_folder_must_be_a_directory(tmp_path):
    with pytest.raises(InvalidInput, match="not a directory"):
        bfxdb.connect(import_dir=tmp_path / "missing")
    (tmp_path / "file").write_text("")
    with pytest.raises(InvalidInput, match="not a directory"):
        bfxdb.connect(import_dir=tmp_path / "file")


# ---------------------------------------------------------------- streaming and limits


def _numbers(folder: Path, count: int, name: str = "numbers.csv") -> str:
    with (folder / name).open("w") as handle:
        handle.write("n\n")
        handle.writelines(f"{i}\n" for i in range(count))
    return f"file:///{name}"


def test_rows_are_read_as_they_are_pulled(loader, folder):
    # the third line is malformed: a query that stops before it never reads it
    (folder / "partly.csv").write_text('a\nb\n"unclosed\n')
    assert loader.query("LOAD CSV FROM 'file:///partly.csv' AS row RETURN row[0] LIMIT 2").rows == [("a",), ("b",)]
    with loader.stream("LOAD CSV FROM 'file:///partly.csv' AS row RETURN row[0] AS v") as rows:
        assert next(iter(rows))["v"] == "a"
    with pytest.raises(CsvFileError):
        loader.query("LOAD CSV FROM 'file:///partly.csv' AS row RETURN row[0]")


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files through /proc")
def test_the_file_is_closed_when_the_rows_stop(loader, folder):
    url = _numbers(folder, 10_000)
    target = str(folder / "numbers.csv")

    def open_on_file() -> int:
        return sum(1 for fd in os.listdir("/proc/self/fd") if os.path.realpath(f"/proc/self/fd/{fd}") == target)

    loader.query(f"LOAD CSV FROM '{url}' AS row RETURN row LIMIT 1")
    with loader.stream(f"LOAD CSV FROM '{url}' AS row RETURN row") as rows:
        next(iter(rows))
    assert open_on_file() == 0


def test_reading_counts_against_the_time_limit(loader, folder):
    url = _numbers(folder, 300_000)
    with pytest.raises(QueryTimeout):
        loader.query(f"LOAD CSV WITH HEADERS FROM '{url}' AS row RETURN count(row)", timeout=0.05)


def test_in_transactions_imports_a_file_larger_than_the_memory_budget(folder, db_path):
    url = _numbers(folder, 20_000)
    query = f"LOAD CSV WITH HEADERS FROM '{url}' AS row CALL (row) {{ CREATE (:N {{n: row.n}}) }} IN TRANSACTIONS"
    with bfxdb.connect(db_path, import_dir=folder) as database:
        # buffered, the rows alone would pass the budget: pulled batch by batch, they never do
        with pytest.raises(QueryLimitExceeded):
            database.query(f"LOAD CSV WITH HEADERS FROM '{url}' AS row WITH collect(row) AS rows RETURN size(rows)",
                           memory=2 << 20)
        assert database.query(query, memory=2 << 20).stats["nodes_created"] == 20_000
        assert database.query("MATCH (n:N) RETURN count(n)").scalar() == 20_000


def test_a_streamed_import_keeps_no_entity_of_a_committed_batch(folder, db_path):
    url = _numbers(folder, 8000)
    query = (
        f"LOAD CSV WITH HEADERS FROM '{url}' AS row "
        "CALL (row) { CREATE (:N {n: row.n}) } IN TRANSACTIONS OF 500 ROWS"
    )
    with bfxdb.connect(db_path, import_dir=folder) as database:
        database.query(f"LOAD CSV FROM '{url}' AS row RETURN row LIMIT 1")  # the parser is built before measuring
        tracemalloc.start()
        try:
            database.query(query)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert database.query("MATCH (n:N) RETURN count(n)").scalar() == 8000
    # what the run's entity cache would hold of 8000 created nodes is about 4 MiB
    assert peak < 2 << 20


def test_in_transactions_commits_each_batch_of_a_file(folder, db_path):
    (folder / "bad.csv").write_text("n\n1\n2\n3\nx\n5\n")
    query = (
        "LOAD CSV WITH HEADERS FROM 'file:///bad.csv' AS row "
        "CALL (row) { CREATE (:N {n: 1 / (toInteger(coalesce(toIntegerOrNull(row.n), 0)))}) } IN TRANSACTIONS OF 2 ROWS"
    )
    with bfxdb.connect(db_path, import_dir=folder) as database:
        with pytest.raises(bfxdb.QueryError):
            database.query(query)
        # batches [1, 2] committed; [3, x] failed on the division by zero and rolled back
        assert database.query("MATCH (n:N) RETURN count(n)").scalar() == 2


def test_explain_shows_the_new_operators(loader):
    plan = loader.query("EXPLAIN LOAD CSV WITH HEADERS FROM 'file:///a.csv' AS row RETURN row").plan
    assert "LoadCsv WITH HEADERS -> row (FIELDTERMINATOR ',')" in plan
    plan = loader.query("EXPLAIN SHOW PROCEDURES YIELD name WHERE name = 'x'").plan
    assert plan.splitlines()[0].startswith("Show PROCEDURES -> name, description, mode")


# ---------------------------------------------------------------- SHOW machinery


def test_a_registered_show_target_is_listed_with_yield_where_and_return(db):
    def rows(ctx, catalogue, name):
        yield {"name": "a", "size": 1}
        yield {"name": "b", "size": 2}
        yield {"name": "c"}

    target = show.ShowTarget("THINGS", ("THINGS", "THING"), ("name", "size"), ("name",), rows)
    show.register(target)
    try:
        assert db.query("SHOW THINGS").rows == [("a",), ("b",), ("c",)]
        assert db.query("SHOW THING YIELD * WHERE size IS NULL").rows == [("c", None)]
        assert db.query("SHOW THINGS YIELD size WHERE size > 1 RETURN size * 10 AS big").rows == [(20,)]
    finally:
        for phrase in target.phrases:
            show._TARGETS.pop(phrase)


def test_a_show_target_with_unknown_default_columns_is_refused():
    with pytest.raises(ValueError, match="default columns"):
        show.register(show.ShowTarget("BAD", ("BAD",), ("a",), ("b",), lambda ctx, catalogue, name: ()))


def test_show_databases_names_the_file_and_says_read_only(db_path):
    bfxdb.connect(db_path).close()
    with bfxdb.connect(db_path, read_only=True) as database:
        row = database.query("SHOW DATABASES YIELD name, access, writer, path").rows[0]
    assert row == ("graph.db", "read-only", False, str(db_path))


@pytest.mark.parametrize(
    ("query", "streamed"),
    [
        ("LOAD CSV FROM 'file:///a.csv' AS row CALL (row) { CREATE (:N {v: row[0]}) } IN TRANSACTIONS", True),
        # a RETURN after it would see the import half done; a MATCH before it could see its writes
        ("LOAD CSV FROM 'file:///a.csv' AS row CALL (row) { CREATE (:N) } IN TRANSACTIONS RETURN count(*) AS c", False),
        ("MATCH (m) CALL (m) { CREATE (:N) } IN TRANSACTIONS", False),
        ("LOAD CSV FROM 'file:///a.csv' AS row MATCH (m) CALL (m) { CREATE (:N) } IN TRANSACTIONS", False),
    ],
)
def test_in_transactions_streams_only_rows_of_load_csv_at_the_end_of_a_query(query, streamed):
    [op] = [op for op in prepare(query).plan.pipelines[0].ops if isinstance(op, InTransactionsOp)]
    assert op.streamed is streamed
