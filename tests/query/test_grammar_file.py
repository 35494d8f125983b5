"""Where the parser reads cypher.lark from: the installed package's folder, importlib.resources, or the checkout."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from bfxdb.query import parser

from ..conftest import REPO

GRAMMAR = (REPO / "grammar" / "cypher.lark").read_text(encoding="utf-8")


def test_the_grammar_is_read_from_the_installed_package_folder():
    folders = importlib.util.find_spec("bfxdb.grammar").submodule_search_locations
    assert any((Path(folder) / "cypher.lark").is_file() for folder in folders)
    assert parser._grammar_text() == GRAMMAR


def test_a_package_that_is_not_a_folder_is_read_through_importlib_resources(monkeypatch, tmp_path):
    spec = importlib.util.find_spec("bfxdb.grammar")
    spec.submodule_search_locations = [str(tmp_path)]  # a folder without the grammar, as inside a zip
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: spec)
    assert parser._grammar_text() == GRAMMAR


def test_without_the_package_the_grammar_is_read_from_the_checkout(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert parser._grammar_text() == GRAMMAR
