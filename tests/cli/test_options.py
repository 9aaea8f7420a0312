"""bayesforge.cli.options: option types (checked by argparse before any work) and the shared option groups."""
import argparse

import pytest

from bayesforge.cli.options import (NUTS_ONLY, SEED_LIMIT, add_method_option, add_missing_option,
                                    add_output_options, add_sampler_options, given_options, k_option, positive_int,
                                    seed_option, separator_option)
from bayesforge.defaults import NUTS_DEFAULTS


@pytest.mark.parametrize("parse, text, value", [
    (positive_int, "3", 3), (k_option, " Auto ", "auto"), (k_option, "2", 2), (seed_option, "0", 0),
    (seed_option, str(SEED_LIMIT - 1), SEED_LIMIT - 1), (separator_option, "tab", "\t"), (separator_option, ";", ";"),
])
def test_valid_values(parse, text, value):
    assert parse(text) == value


@pytest.mark.parametrize("parse, text, message", [
    (positive_int, "1.5", "expected a whole number, got '1.5'"),
    (positive_int, "0", "expected at least 1, got 0"),
    (k_option, "many", "expected a whole number of at least 1 or 'auto', got 'many'"),
    (k_option, "-2", "expected a whole number of at least 1 or 'auto', got '-2'"),
    (seed_option, "-1", f"expected a whole number from 0 to {SEED_LIMIT - 1}, got -1"),
    (seed_option, str(SEED_LIMIT), f"expected a whole number from 0 to {SEED_LIMIT - 1}, got {SEED_LIMIT}"),
    (separator_option, "ab", "expected one character such as ',' ';' or 'tab', got 'ab'"),
])
def test_invalid_values_say_what_was_expected(parse, text, message):
    with pytest.raises(argparse.ArgumentTypeError) as error:
        parse(text)
    assert str(error.value) == message


def parser():
    p = argparse.ArgumentParser(prog="bayesforge gmm", exit_on_error=False)
    add_sampler_options(p)
    add_method_option(p)
    add_missing_option(p)
    add_output_options(p, "the folder", None)
    return p


def test_the_sampler_defaults_are_the_librarys_and_only_written_options_count_as_given():
    args = parser().parse_args(["--chains", "2", "--samples", "5"])
    assert (args.chains, args.warmup, args.samples, args.seed) == (2, NUTS_DEFAULTS["num_warmup"], 5,
                                                                    NUTS_DEFAULTS["seed"])
    assert given_options(args) == {"--chains", "--samples"}
    assert given_options(parser().parse_args([])) == frozenset()
    assert set(NUTS_ONLY) <= {"--chains", "--warmup", "--samples"}


def test_choices_of_method_missing_and_platform(capsys):
    args = parser().parse_args([])
    assert (args.method, args.missing, args.platform, args.overwrite) == ("nuts", "error", None, False)
    for argv in (["--method", "advi"], ["--missing", "impute"], ["--platform", "metal"]):
        with pytest.raises((SystemExit, argparse.ArgumentError)):
            parser().parse_args(argv)


def test_a_bad_value_on_the_command_line_is_exit_2_and_one_line(capsys):
    p = argparse.ArgumentParser(prog="bayesforge gmm")
    add_sampler_options(p)
    with pytest.raises(SystemExit) as stop:
        p.parse_args(["--warmup", "0"])
    assert stop.value.code == 2
    assert capsys.readouterr().err.splitlines()[-1] == ("bayesforge gmm: error: argument --warmup: expected at "
                                                        "least 1, got 0")
