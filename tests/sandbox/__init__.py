"""Tests of the expression sandbox (bfxdb.sandbox)."""
