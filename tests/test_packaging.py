"""Packaging: a plain (non-editable) install holds bfxdb, bfxdb.web and bfxdb.grammar, and runs from elsewhere."""

from __future__ import annotations

import os
import subprocess
import sys

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


def test_plain_install_works_outside_the_repository(tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps",
         "--target", str(target), str(REPO)],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
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
