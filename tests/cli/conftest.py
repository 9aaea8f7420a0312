"""Fixtures of the CLI tests."""
import pytest

import bayesforge
from cli_support import StandInWorkspace


@pytest.fixture
def workspace(monkeypatch):
    """Replace bf() with a stand-in workspace; returns it."""
    created = StandInWorkspace()
    monkeypatch.setattr(bayesforge, "bf", lambda **options: created)
    return created
