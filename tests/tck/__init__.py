"""The openCypher TCK runner for bfxdb: ``python -m tests.tck --help``."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_FEATURES = REPO_ROOT.parent / "shared" / "opencypher" / "tck" / "features"
DEFAULT_GRAPHS = REPO_ROOT.parent / "shared" / "opencypher" / "tck" / "graphs"
KNOWN_PASSING = Path(__file__).resolve().parent / "known_passing.txt"
