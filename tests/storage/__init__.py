"""Tests of bfxdb.storage: the SQLite store, durability under kills, corrupt files."""
