"""Tests of the Cypher engine, bfxdb.query."""
