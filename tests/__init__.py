"""bfxdb's test suite."""
