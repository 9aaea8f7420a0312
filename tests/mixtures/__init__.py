"""Tests of bayesforge.mixtures: one file per module (test_gmm.py for bayesforge/mixtures/gmm.py, ...)."""
