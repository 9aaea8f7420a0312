"""Tests of bayesforge.models: one file per module (test_gmm.py for bayesforge/models/gmm.py, ...)."""
