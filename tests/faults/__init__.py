"""Fault injection: a full disk, SIGKILL and SIGINT in the middle of imports; the file holds what was reported."""
