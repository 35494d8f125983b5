"""`bfxdb shell`: statement splitting, piped scripts, meta-commands, interactive sessions and history."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

import bfxdb
from bfxdb import has_code, split_statements
from bfxdb.cli import main
from bfxdb.cli.shell import CONTINUATION, PROMPT, Shell, parse_parameter


def statements(text: str) -> list[str]:
    return [statement for _, statement in split_statements(text)[0]]


# ---------------------------------------------------------------- splitting


def test_semicolons_inside_strings_names_and_comments_do_not_split():
    text = 'RETURN \'a;b\' AS `x;y`; // c;d\nRETURN "e\\";f" /* g; */ AS z; RETURN 1'
    found, rest = split_statements(text)
    assert [statement for _, statement in found] == [
        "RETURN 'a;b' AS `x;y`",
        '// c;d\nRETURN "e\\";f" /* g; */ AS z',
    ]
    assert rest.strip() == "RETURN 1"


def test_comment_only_pieces_are_not_statements():
    assert statements("// header\n;  ;/* x */;") == []
    assert not has_code("  // only a comment\n/* and another */ ")
    assert has_code("/* unfinished comment")


@given(st.lists(st.text(alphabet="abc ;'\"`/*\n", max_size=12), max_size=6))
def test_splitting_never_loses_code(pieces):
    text = ";".join(pieces)
    found, rest = split_statements(text)
    for offset, statement in found:
        assert statement in text[offset:]
    assert text.endswith(rest)


def test_parameters_are_json_or_text():
    assert parse_parameter("n=42") == ("n", 42)
    assert parse_parameter("$name=Alice") == ("name", "Alice")
    assert parse_parameter('zip="01234"') == ("zip", "01234")
    with pytest.raises(ValueError):
        parse_parameter("novalue")


# ---------------------------------------------------------------- piped


def test_piped_script_runs_statements_in_order_without_prompts(runner, db_path):
    script = "CREATE (:T {n: 1});\nCREATE (:T {n: 2})\n;\nMATCH (t:T)\nRETURN t.n ORDER BY t.n;\n"
    result = runner.invoke(main, ["shell", str(db_path), "--format", "csv"], input=script)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["t.n", "1", "2"]
    assert PROMPT not in result.output
    assert result.stderr.count(" ms)") == 3


def test_piped_script_stops_at_the_first_error_with_exit_1(runner, db_path):
    script = "CREATE (:T);\nRETURN nope;\nCREATE (:T);\n"
    result = runner.invoke(main, ["shell", str(db_path)], input=script)
    assert result.exit_code == 1
    assert "nope" in result.stderr
    with bfxdb.connect(db_path) as db:
        assert db.count_substrates() == 1


def test_a_last_statement_without_semicolon_still_runs(runner, db_path):
    result = runner.invoke(main, ["shell", str(db_path), "-f", "csv"], input="RETURN 1 AS one")
    assert result.stdout.splitlines() == ["one", "1"]


def test_meta_commands_in_a_piped_session(runner, db_path):
    with bfxdb.connect(db_path) as db:
        db.create_substrate(labels=["Person"], metadata={"name": "Ada"})
    script = (
        ":param who=Ada\nMATCH (p {name: $who}) RETURN p.name;\n:params\n:schema\n"
        ":explain MATCH (n) RETURN n;\n:help\n:quit\nRETURN 'not reached';\n"
    )
    result = runner.invoke(main, ["shell", str(db_path), "-f", "csv"], input=script)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "p.name\nAda\n" in out
    assert '"who": "Ada"' in out
    assert ":Person (1)" in out and "property keys: name" in out
    assert "SELECT" in out or "Scan" in out or "Return" in out
    assert ":explain <query>" in out
    assert "not reached" not in out


def test_unknown_meta_command_is_an_error(runner, db_path):
    result = runner.invoke(main, ["shell", str(db_path)], input=":frobnicate\n")
    assert result.exit_code == 1 and "unknown command" in result.stderr


def test_the_table_writes_numbers_as_cypher_tostring_does(runner, db_path):
    script = "RETURN 0.00001 AS small, toString(0.00001) AS text, 1e7 AS large, 2.0 AS two, [1e-5] AS list;\n"
    result = runner.invoke(main, ["shell", str(db_path)], input=script)
    assert result.exit_code == 0, result.output
    row = result.stdout.splitlines()[3]
    assert [cell.strip() for cell in row.strip("│").split("│")] == ["1.0E-5", "1.0E-5", "1.0E7", "2.0", "[1.0E-5]"]


def test_format_command_switches_output(runner, db_path):
    result = runner.invoke(main, ["shell", str(db_path)], input=":format ndjson\nRETURN 1 AS a;\n")
    assert json.loads(result.stdout) == {"a": 1}


# ---------------------------------------------------------------- interactive


class Keyboard:
    """Feeds lines to the shell as a person would type them, recording the prompts shown."""

    def __init__(self, *lines: str) -> None:
        self.lines = list(lines)
        self.prompts: list[str] = []

    def __call__(self, prompt: str) -> str:
        self.prompts.append(prompt)
        if not self.lines:
            raise EOFError
        line = self.lines.pop(0)
        if line == "^C":
            raise KeyboardInterrupt
        return line


def test_interactive_session_prompts_continues_and_survives_errors(db):
    keyboard = Keyboard("MATCH (n)", "RETURN count(n) AS c;", "RETURN nope;", "RETURN half", "^C", "RETURN 2 AS two;")
    out, err = io.StringIO(), io.StringIO()
    status = Shell(db, interactive=True, output_format="csv", out=out, err=err).run(keyboard)
    assert status == 0
    assert keyboard.prompts[:2] == [PROMPT, CONTINUATION]
    assert keyboard.prompts[4] == CONTINUATION and keyboard.prompts[5] == PROMPT
    assert out.getvalue().splitlines() == ["c", "0", "two", "2"]
    assert "nope" in err.getvalue() and "1 row (" in err.getvalue()


def test_interactive_session_keeps_history_in_the_named_file(db, tmp_path, monkeypatch):
    pytest.importorskip("readline")
    history = tmp_path / "history"
    monkeypatch.setenv("BFXDB_HISTORY", str(history))
    monkeypatch.setattr("builtins.input", Keyboard("RETURN 1;"))
    Shell(db, interactive=True, out=io.StringIO(), err=io.StringIO()).run()
    assert history.exists()


def test_piped_shell_reads_csv_from_import_dir(runner, db_path, tmp_path):
    folder = tmp_path / "import"
    folder.mkdir()
    (folder / "people.csv").write_text("name\nAnn\nBob\n")
    script = "LOAD CSV WITH HEADERS FROM 'file:///people.csv' AS row CREATE (:P {name: row.name});\n" \
             "MATCH (p:P) RETURN count(p) AS n;\n"
    result = runner.invoke(main, ["shell", str(db_path), "-f", "csv", "--import-dir", str(folder)], input=script)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-2:] == ["n", "2"]
