"""Tests of bayesforge.mixtures.figures: one file per module (test_style.py for figures/style.py, ...); the figures as a whole: tests/mixtures/test_figures.py."""
