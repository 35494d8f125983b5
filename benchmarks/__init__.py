"""Side-by-side benchmarks of bfxdb against raw sqlite3 and peers; never part of the test run."""
