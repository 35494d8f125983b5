"""Packaging: a plain install holds every package and runs from elsewhere; the library needs no Flask."""

from __future__ import annotations

import email
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

CHECK = """
import sys, bfxdb, bfxdb.web, bfxdb.grammar
target = sys.argv[1]
assert bfxdb.__file__.startswith(target), bfxdb.__file__
assert bfxdb.web.__file__.startswith(target), bfxdb.web.__file__
db = bfxdb.connect()
print(db.query("MATCH (n) RETURN count(n) AS c").rows[0][0])
made = db.create_substrate("lambda", 'lambda **kw: kw.get("x", 0) * kw.get("y", 0)')
print(db.invoke(made.identity, {"x": 5, "y": 7}))
client = bfxdb.web.create_app(db).test_client()
print(client.get("/api/v1/health").status_code)
"""


#: Source folders and where a plain install puts them.
SOURCE_PACKAGES = {"bfxdb": REPO / "bfxdb", "bfxdb/web": REPO / "web", "bfxdb/grammar": REPO / "grammar"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A plain (non-editable) install of the repository into a fresh folder."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(REPO)],
        check=True,
        capture_output=True,
        cwd=target.parent,
    )
    return target


def test_plain_install_works_outside_the_repository(installed, tmp_path):
    target = installed
    installed = sorted(path.name for path in target.iterdir())
    assert "bfxdb" in installed
    assert "web" not in installed and "grammar" not in installed, installed
    assert (target / "bfxdb" / "grammar" / "cypher.lark").is_file()
    env = dict(os.environ, PYTHONPATH=str(target))
    done = subprocess.run(
        [sys.executable, "-c", CHECK, str(target)], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "35", "200"]


def test_plain_install_holds_every_package_and_the_type_marker(installed):
    for installed_as, folder in SOURCE_PACKAGES.items():
        for init in folder.rglob("__init__.py"):
            package = installed / installed_as / init.parent.relative_to(folder)
            assert (package / "__init__.py").is_file(), f"{package} is missing from the install"
    assert (installed / "bfxdb" / "py.typed").is_file()


def test_metadata_has_one_version_the_license_and_flask_only_in_the_web_extra(installed):
    import bfxdb

    (dist_info,) = installed.glob("bfxdb-*.dist-info")
    metadata = email.message_from_string((dist_info / "METADATA").read_text())
    assert metadata["Version"] == bfxdb.__version__
    assert metadata["License-Expression"] == "Apache-2.0"
    assert (dist_info / "licenses" / "LICENSE").is_file()
    requirements = metadata.get_all("Requires-Dist")
    web_only = [line for line in requirements if line.lower().startswith(("flask", "waitress"))]
    assert web_only and all('extra == "web"' in line for line in web_only), web_only


def test_the_library_and_the_cli_do_not_import_flask():
    code = "import sys, bfxdb, bfxdb.cli; bfxdb.connect().query('RETURN 1'); print('flask' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
