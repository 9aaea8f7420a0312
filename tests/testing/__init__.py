"""Tests of bayesforge.testing: one file per module (test_schema.py for testing/schema.py, ...); the scenarios fitted end to end: tests/e2e/test_scenarios.py."""
