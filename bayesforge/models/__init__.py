"""Library models, written with ``m.dist`` like any user model."""
