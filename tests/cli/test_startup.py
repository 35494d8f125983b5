"""What `bfxdb query` loads at start: no file formats, maintenance reports, lambda compiler or parser build."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import bfxdb
from bfxdb.cli import main
from bfxdb.query import parser, tablecache

#: Runs `bfxdb query` in a fresh interpreter, then prints which of the deferred modules got loaded.
QUERY_THEN_LIST_MODULES = """
import json, sys
from bfxdb.cli import main
try:
    main(["query", sys.argv[1], "MATCH (n) RETURN count(n)"])
except SystemExit as done:
    assert done.code == 0, done.code
deferred = (
    "bfxdb.formats", "bfxdb.maintenance", "bfxdb.cli.transfer", "bfxdb.sandbox.lambdas", "bfxdb.sandbox.builtins",
    "importlib.resources", "zipfile",
)
print(json.dumps(sorted(m for m in sys.modules if m.startswith(deferred))), file=sys.stderr)
"""


def _run(code: str, *arguments: str, cache: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, tablecache.CACHE_DIR_VARIABLE: cache}
    return subprocess.run(
        [sys.executable, "-c", code, *arguments], env=environment, capture_output=True, text=True, timeout=120
    )


def test_bfxdb_query_loads_no_file_formats_reports_lambda_compiler_or_importlib_resources(file_db, tmp_path):
    file_db.close()
    done = _run(QUERY_THEN_LIST_MODULES, file_db.path, cache=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stderr.strip().splitlines()[-1]) == []


def test_names_of_modules_loaded_on_first_use_are_the_modules_own():
    from bfxdb import formats, maintenance

    assert bfxdb.export_format_for is formats.format_for
    assert bfxdb.DEFAULT_IMPORT_BATCH == formats.DEFAULT_BATCH
    assert bfxdb.graph_stats is maintenance.graph_stats
    assert {"import_sources", "check", "connect"} <= set(dir(bfxdb))


def test_an_unknown_name_is_still_an_attribute_error():
    try:
        bfxdb.no_such_name  # noqa: B018 - the lookup is the test
    except AttributeError as error:
        assert "no_such_name" in str(error)
    else:
        raise AssertionError("bfxdb.no_such_name resolved")


def test_import_and_export_are_listed_and_explained_though_loaded_late(runner):
    listing = runner.invoke(main, ["--help"])
    assert listing.exit_code == 0
    assert "import " in listing.output and "export " in listing.output
    assert "--skip-bad" in runner.invoke(main, ["import", "--help"]).output


def test_a_fresh_process_loads_the_stored_tables_instead_of_building_them(tmp_path):
    parser.build_parser(parser._grammar_text(), tmp_path)
    forbid_building = (
        "import lark\n"
        "def refuse(*args, **kwargs): raise SystemExit('the parser was built, not loaded')\n"
        "lark.Lark.__init__ = refuse\n"
        "import bfxdb\n"
        "print(bfxdb.connect().query('RETURN 6 * 7 AS answer').rows)\n"
    )
    done = _run(forbid_building, cache=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[(42,)]"


def test_the_bfxdb_program_freezes_its_objects_before_python_exits(file_db, tmp_path):
    file_db.close()
    report_at_exit = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count(), file=sys.stderr))\n"
        "from bfxdb.cli import main\n"
        "main(['query', sys.argv[1], 'RETURN 1'])\n"
    )
    done = _run(report_at_exit, file_db.path, cache=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert int(done.stderr.split("frozen")[-1]) > 0


def test_running_the_commands_inside_a_program_freezes_nothing(runner, file_db):
    import gc

    before = gc.get_freeze_count()
    assert runner.invoke(main, ["query", file_db.path, "RETURN 1"]).exit_code == 0
    assert gc.get_freeze_count() == before
