"""Tests of bayesforge.cli run in this process (a stand-in for bf(), no sampling); real commands are in tests/e2e."""
