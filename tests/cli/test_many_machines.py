"""bayesforge.cli.many_machines: the options of one fit over several processes, checked before anything starts
(the real runs: tests/e2e/test_distributed.py)."""
import argparse

import pytest

import bayesforge
from bayesforge.cli import many_machines
from cli_support import GOOD_CSV, no_fit_allowed, run_in_process, write


def parse(*argv):
    parser = argparse.ArgumentParser()
    many_machines.add_options(parser)
    return parser.parse_args(list(argv))


def test_requested_only_when_a_setting_or_distributed_is_given():
    assert not many_machines.requested(parse())
    assert many_machines.requested(parse("--process-id", "0"))
    assert many_machines.requested(parse("--distributed"))
    assert parse().join_timeout == 60


def test_a_negative_process_id_is_refused_by_the_parser():
    with pytest.raises(SystemExit):
        parse("--process-id", "-1")


@pytest.mark.parametrize("options, message", [
    (["--coordinator", "localhost:1234"], "--num-processes, --process-id missing: a run over several processes needs"),
    (["--distributed", "--process-id", "0"], "--distributed takes the settings from the cluster: leave out"),
    (["--coordinator", "localhost:1234", "--num-processes", "2", "--process-id", "0", "--k", "auto"],
     "--k auto compares K by every row's log-likelihood"),
    (["--coordinator", "localhost:1234", "--num-processes", "2", "--process-id", "2"], "--process-id"),
])
def test_incomplete_or_contradictory_settings_stop_before_any_process_starts(tmp_path, monkeypatch, options,
                                                                              message):
    monkeypatch.setattr(bayesforge, "bf", no_fit_allowed)
    status, _, err = run_in_process(["gmm", write(tmp_path, GOOD_CSV), *options])
    assert status == 2 and err.count("\n") == 1 and message in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]
