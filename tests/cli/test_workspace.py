"""bayesforge.cli.workspace: the command's bf(), one host device per chain on the CPU."""
import pytest

import bayesforge
from bayesforge.cli.errors import CommandError
from bayesforge.cli.workspace import open_workspace


def recording(monkeypatch, error=None):
    calls = []

    def bf(**options):
        calls.append(options)
        if error is not None:
            raise error
        return "workspace"

    monkeypatch.setattr(bayesforge, "bf", bf)
    return calls


@pytest.mark.parametrize("platform, chains, cores", [(None, 3, 3), ("cpu", 0, 1), ("gpu", 4, None)])
def test_one_cpu_device_per_chain(monkeypatch, platform, chains, cores):
    calls = recording(monkeypatch)
    assert open_workspace(platform, chains) == "workspace"
    assert calls == [{"platform": platform, "cores": cores}]


def test_a_platform_without_devices_is_the_users_mistake_naming_the_option(monkeypatch):
    recording(monkeypatch, ValueError("no gpu device"))
    with pytest.raises(CommandError, match=r"^--platform gpu: no gpu device$"):
        open_workspace("gpu", 4)
    with pytest.raises(ValueError, match="no gpu device"):  # no --platform given: not the user's option
        open_workspace(None, 4)
