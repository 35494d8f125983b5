"""`bfxdb import`: import identities, CSV (neo4j-admin and Kuzu headers), bad rows, batches and progress."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

import bfxdb
from bfxdb.cli import main
from bfxdb.formats import ImportOptions, import_files, import_identity


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def people(folder: Path) -> tuple[Path, Path]:
    nodes = write(
        folder,
        "people.csv",
        "personId:ID(Person),name,age:int,score:float,active:boolean,tags:string[],:LABEL,extra:json,skip:IGNORE\n"
        'p1,Alice,30,1.5,true,a;b,Person;Admin,"{""k"": [1, null]}",x\n'
        "p2,Bob,,2,FALSE,,Person,,y\n",
    )
    edges = write(
        folder,
        "knows.csv",
        ":START_ID(Person),:END_ID(Person),:TYPE,since:int\np1,p2,KNOWS,2020\np2,p1,KNOWS,\n",
    )
    return nodes, edges


def graph(db: bfxdb.Database) -> tuple[dict, set]:
    nodes = {s.identity: (tuple(sorted(s.labels)), dict(s.metadata)) for s in db.find_substrates()}
    edges = {(r.source, r.target, r.rel_type, json.dumps(r.metadata, sort_keys=True)) for r in db.find_relationships()}
    return nodes, edges


# ---------------------------------------------------------------- identities


def test_import_identity_rules_and_test_vector():
    assert import_identity("0xff") == 255
    assert import_identity("0XABC") == 0xABC
    assert import_identity("10") == 10
    assert import_identity("18446744073709551615") == 2**64 - 1
    # A name, even one made of hex letters, or any key inside a named id space: a fingerprint.
    assert import_identity("ff") != 255
    assert import_identity("8000EAC3017BC915", "Person") != 0x8000EAC3017BC915
    assert import_identity("10", "Person") != 10
    assert import_identity("alice", "Person") != import_identity("alice", "Movie")
    # The documented test vectors (README): they must never change.
    assert f"0x{import_identity('alice'):016X}" == "0x6CA7C7AA498D2E36"
    assert f"0x{import_identity('alice', 'Person'):016X}" == "0x456FC9EE7581F69A"


def test_import_identity_is_the_documented_sha256():
    import hashlib

    digest = hashlib.sha256(b"bfxdb/import-id/v1\x00Person\x00p1").digest()
    assert import_identity("p1", "Person") == int.from_bytes(digest[:8], "big")


# ---------------------------------------------------------------- CSV


def test_csv_with_neo4j_headers_types_and_labels(runner, tmp_path, db_path):
    nodes, edges = people(tmp_path)
    result = runner.invoke(main, ["import", str(db_path), str(edges), str(nodes)])
    assert result.exit_code == 0, result.output
    assert "imported 2 substrates, 2 relationships from 2 files" in result.stderr
    with bfxdb.connect(db_path) as db:
        alice = db.get_substrate(import_identity("p1", "Person"))
        assert sorted(alice.labels) == ["Admin", "Person"]
        assert alice.metadata == {
            "personId": "p1", "name": "Alice", "age": 30, "score": 1.5, "active": True,
            "tags": ["a", "b"], "extra": {"k": [1, None]},
        }  # fmt: skip
        bob = db.get_substrate(import_identity("p2", "Person"))
        assert bob.metadata == {"personId": "p2", "name": "Bob", "score": 2.0, "active": False}
        since = sorted((r.metadata.get("since", 0)) for r in db.find_relationships(rel_type="KNOWS"))
        assert since == [0, 2020]


def test_numeric_ids_are_identities_so_relationships_can_name_them(tmp_path, db):
    write(tmp_path, "n.csv", ":ID,name\n1,one\n0x10,sixteen\n")
    write(tmp_path, "r.csv", ":START_ID,:END_ID,:TYPE\n1,16,NEXT\n")
    import_files(db, [tmp_path / "n.csv", tmp_path / "r.csv"])
    assert db.get_substrate(1).metadata == {"name": "one"}
    assert [(r.source, r.target) for r in db.outgoing(1)] == [(1, 16)]


def test_node_and_relationship_groups_with_a_separate_header_file(runner, tmp_path, db_path):
    write(tmp_path, "h.csv", "id:ID,name\n")
    write(tmp_path, "a.csv", "x,X\n")
    write(tmp_path, "b.csv", "y,Y\n")
    write(tmp_path, "rh.csv", ":START_ID,:END_ID,weight:float\n")
    write(tmp_path, "r.csv", "x,y,0.5\n")
    result = runner.invoke(
        main,
        [
            "import", str(db_path),
            "--nodes", f"Letter:Sample={tmp_path / 'h.csv'},{tmp_path / 'a.csv'},{tmp_path / 'b.csv'}",
            "--relationships", f"BEFORE={tmp_path / 'rh.csv'},{tmp_path / 'r.csv'}",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    with bfxdb.connect(db_path) as db:
        assert sorted(s.metadata["name"] for s in db.find_substrates(label="Letter")) == ["X", "Y"]
        assert db.get_substrate(import_identity("x")).labels == ("Letter", "Sample")
        [rel] = db.find_relationships()
        assert rel.rel_type == "BEFORE" and rel.metadata == {"weight": 0.5}


def test_kuzu_style_plain_headers(runner, tmp_path, db_path):
    write(tmp_path, "user.csv", "name,age\nAdam,30\nKarissa,40\n")
    write(tmp_path, "follows.csv", "from,to,since\nAdam,Karissa,2020-01-01\n")
    result = runner.invoke(
        main,
        [
            "import",
            str(db_path),
            "--nodes",
            f"User={tmp_path / 'user.csv'}",
            "--relationships",
            f"Follows={tmp_path / 'follows.csv'}",
        ],
    )
    assert result.exit_code == 0, result.output
    with bfxdb.connect(db_path) as db:
        adam = db.get_substrate(import_identity("Adam"))
        assert adam.labels == ("User",) and adam.metadata == {"name": "Adam", "age": "30"}
        [rel] = db.outgoing(adam.identity)
        assert rel.rel_type == "Follows" and rel.target == import_identity("Karissa")
        assert rel.metadata == {"since": "2020-01-01"}


def test_a_plain_relationship_file_detected_by_from_and_to(tmp_path, db):
    write(tmp_path, "n.csv", ":ID\na\nb\n")
    write(tmp_path, "r.csv", "from,to,:TYPE\na,b,LINKS\n")
    report = import_files(db, [tmp_path / "r.csv", tmp_path / "n.csv"])
    assert (report.substrates, report.relationships) == (2, 1)


def test_tsv_and_gzip_files(tmp_path, db):
    write(tmp_path, "n.tsv", ":ID\tname\n1\ttab, separated\n")
    with gzip.open(tmp_path / "r.csv.gz", "wt") as stream:
        stream.write(":START_ID,:END_ID,:TYPE\n1,1,SELF\n")
    report = import_files(db, [tmp_path / "n.tsv", tmp_path / "r.csv.gz"])
    assert (report.substrates, report.relationships) == (1, 1)
    assert db.get_substrate(1).metadata == {"name": "tab, separated"}


def test_a_folder_imports_the_files_in_it(tmp_path, db):
    folder = tmp_path / "in"
    folder.mkdir()
    people(folder)
    report = import_files(db, [folder])
    assert (report.substrates, report.relationships, report.files) == (2, 2, 2)


def test_a_header_that_tells_nothing_is_refused(runner, tmp_path, db_path):
    path = write(tmp_path, "mystery.csv", "a,b,c\n1,2,3\n")
    result = runner.invoke(main, ["import", str(db_path), str(path)])
    assert result.exit_code == 1
    assert "--nodes or --relationships" in result.stderr


def test_an_unknown_column_type_is_refused(runner, tmp_path, db_path):
    path = write(tmp_path, "n.csv", ":ID,when:instant\n1,now\n")
    result = runner.invoke(main, ["import", str(db_path), str(path)])
    assert result.exit_code == 1 and "unknown type 'instant'" in result.stderr


def test_no_files_is_a_usage_error(runner, db_path):
    assert runner.invoke(main, ["import", str(db_path)]).exit_code == 2
    assert runner.invoke(main, ["import", str(db_path), "missing.csv"]).exit_code == 2


# ---------------------------------------------------------------- bad rows


def bad_files(folder: Path) -> list[Path]:
    nodes = write(folder, "n.csv", ":ID,age:int\n1,30\n2,old\n3\n1,31\n4,40\n")
    edges = write(folder, "r.csv", ":START_ID,:END_ID,:TYPE\n1,4,KNOWS\n1,99,KNOWS\n4,1,\n")
    return [nodes, edges]


def test_a_bad_row_aborts_the_import_and_writes_nothing(runner, tmp_path, db_path):
    with bfxdb.connect(db_path) as db:
        db.create_substrate(identity=500)
    result = runner.invoke(main, ["import", str(db_path), *map(str, bad_files(tmp_path))])
    assert result.exit_code == 1
    assert f"{tmp_path / 'n.csv'}:3: column 'age': 'old' is not an integer" in result.stderr
    assert "nothing was imported" in result.stderr
    with bfxdb.connect(db_path) as db:
        assert db.count_substrates() == 1 and db.count_relationships() == 0


def test_skip_bad_reports_each_bad_row_by_file_and_line(runner, tmp_path, db_path):
    result = runner.invoke(main, ["import", str(db_path), "--skip-bad", *map(str, bad_files(tmp_path))])
    assert result.exit_code == 0, result.output
    err = result.stderr
    n, r = tmp_path / "n.csv", tmp_path / "r.csv"
    assert f"skipped {n}:3: column 'age': 'old' is not an integer" in err
    assert f"skipped {n}:4: 1 fields, but the header has 2" in err
    assert f"skipped {n}:5: substrate 0x0000000000000001 appears twice" in err
    assert f"skipped {r}:3: target substrate 0x0000000000000063 (99) not found" in err
    assert f"skipped {r}:4: no relationship type" in err
    assert "skipped 5 bad rows" in err
    with bfxdb.connect(db_path) as db:
        assert {s.identity: s.metadata for s in db.find_substrates()} == {1: {"age": 30}, 4: {"age": 40}}
        assert [(r.source, r.target) for r in db.find_relationships()] == [(1, 4)]


def test_rows_that_clash_with_the_database_are_found_by_line(tmp_path, db):
    db.create_substrate(identity=2, metadata={"old": True})
    path = write(tmp_path, "n.csv", ":ID\n1\n2\n3\n")
    bad: list[tuple[str, str]] = []
    report = import_files(db, [path], options=ImportOptions(skip_bad=True), on_bad=lambda *row: bad.append(row))
    assert bad == [(f"{path}:3", "substrate 0x0000000000000002 already exists")]
    assert report.substrates == 2 and db.get_substrate(2).metadata == {"old": True}


def test_relationships_may_join_substrates_already_in_the_database(tmp_path, db):
    db.create_substrate(identity=7)
    path = write(tmp_path, "r.csv", ":START_ID,:END_ID,:TYPE\n7,7,LOOP\n")
    assert import_files(db, [path]).relationships == 1


def test_batches_commit_together_or_not_at_all(tmp_path, db):
    path = write(tmp_path, "n.csv", ":ID\n1\n2\n3\nnot-a-number-but-fine\n5\n5\n")
    with pytest.raises(bfxdb.InvalidInput, match="n.csv:7: substrate 0x0000000000000005 appears twice"):
        import_files(db, [path], options=ImportOptions(batch_size=1))
    assert db.count_substrates() == 0


# ---------------------------------------------------------------- progress


def test_no_progress_bar_when_output_is_not_a_terminal(runner, tmp_path, db_path):
    nodes, edges = people(tmp_path)
    result = runner.invoke(main, ["import", str(db_path), str(nodes), str(edges)])
    assert result.exit_code == 0
    assert "importing" not in result.output and "rows/s" not in result.stderr.split("imported")[0]


def test_progress_can_be_forced_and_quiet_silences_the_summary(runner, tmp_path, db_path):
    nodes, edges = people(tmp_path)
    forced = runner.invoke(main, ["import", str(db_path), str(nodes), "--progress"])
    assert forced.exit_code == 0 and "importing" in forced.stderr
    quiet = runner.invoke(main, ["import", str(db_path), str(edges), "--quiet"])
    assert quiet.exit_code == 0 and quiet.output == ""


def test_progress_callback_reaches_the_total(tmp_path, db):
    rows = "".join(f"{i}\n" for i in range(3000))
    path = write(tmp_path, "n.csv", ":ID\n" + rows)
    seen: list[tuple[int, int, int]] = []
    import_files(db, [path], on_progress=lambda *point: seen.append(point))
    assert seen[-1] == (path.stat().st_size, path.stat().st_size, 3000)
    assert len(seen) > 1


def test_unreadable_files_fail_cleanly(runner, tmp_path, db_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes(":ID,name\n1,caf\xe9\n".encode("latin-1"))
    result = runner.invoke(main, ["import", str(db_path), str(latin)])
    assert result.exit_code == 1 and "cannot read" in result.stderr
    truncated = tmp_path / "cut.ndjson.gz"
    lines = "".join(f'{{"type": "substrate", "identity": {i}}}\n' for i in range(5000)).encode()
    packed = gzip.compress(lines)
    truncated.write_bytes(packed[: len(packed) // 2])
    result = runner.invoke(main, ["import", str(db_path), str(truncated)])
    assert result.exit_code == 1 and "cannot read" in result.stderr
    with bfxdb.connect(db_path) as db:
        assert db.count_substrates() == 0
