"""bayesforge.cli.errors: the exit statuses and the two ways a command stops early."""
from bayesforge.cli.errors import INTERNAL_ERROR, USAGE_ERROR, CommandError, Interrupted


def test_exit_statuses_are_argparse_s_2_for_the_user_and_1_for_bayesforge():
    assert (USAGE_ERROR, INTERNAL_ERROR) == (2, 1)


def test_command_error_and_interrupted_are_distinct_exceptions_carrying_their_message():
    assert not issubclass(CommandError, Interrupted) and not issubclass(Interrupted, CommandError)
    assert str(CommandError("--out x is a file, not a folder")) == "--out x is a file, not a folder"
    assert str(Interrupted("SIGTERM")) == "SIGTERM"
