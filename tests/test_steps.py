"""bayesforge.steps: the fit-step contract (what a start step and a post step may say) and the helpers the fit uses
to pick them out of a workspace's tuple. Steps run in a fit: tests/test_inference.py."""
import pytest

from bayesforge.steps import (FitStep, PostStep, StartStep, check_fit_steps, choose_start, describe_start,
                              post_steps, without)
from hand_made import Shift, Three


class Silent(StartStep):
    """Says nothing about any model (the default of StartStep)."""

    name = "silent"


class NoteOnly(StartStep):
    name = "note"

    def start(self, model, model_kwargs, seed):
        return None, f"default start (seed {seed})"

    def describe(self, init_strategy):
        return "noted" if init_strategy == "mine" else None


@pytest.mark.parametrize("steps", [[Three(), Shift()], (Three(),), (), iter([Shift()])])
def test_any_iterable_of_steps_becomes_a_tuple(steps):
    checked = check_fit_steps(steps)
    assert isinstance(checked, tuple) and all(isinstance(s, FitStep) for s in checked)


@pytest.mark.parametrize("steps, message", [
    ("relabel", "got str"), (b"x", "got bytes"), ({"relabel": Shift()}, "got dict"), (None, "got NoneType"),
    (3, "got int"), ((Shift(), "relabel"), "got an element of type str"), ((FitStep(),), "got an element of type FitStep"),
])
def test_anything_else_is_a_type_error_naming_the_argument(steps, message):
    with pytest.raises(TypeError, match=f"^relabelling must be a tuple of StartStep / PostStep objects "
                                        f"\\(bayesforge.steps\\), {message}$"):
        check_fit_steps(steps, name="relabelling")


def test_without_and_post_steps_keep_the_order():
    steps = (Shift(), Three(), Silent(), Shift())
    assert [s.name for s in without(steps, "shift")] == ["three", "silent"]
    assert without(steps, "other") == steps
    assert post_steps(steps) == (steps[0], steps[3])


def test_the_first_start_step_that_says_anything_chooses_the_start():
    assert choose_start((Silent(), Shift(), Three()), model=None, model_kwargs={}, seed=0)[1] == "three"
    assert choose_start((Silent(), NoteOnly(), Three()), model=None, model_kwargs={}, seed=7) == (
        None, "default start (seed 7)")
    assert choose_start((Silent(), Shift()), model=None, model_kwargs={}, seed=0) == (None, None)


def test_a_start_the_user_gave_is_described_by_the_step_that_recognises_it():
    assert describe_start((Three(), NoteOnly()), "mine") == "noted"
    assert describe_start((Three(), NoteOnly()), "theirs") is None


def test_a_post_step_must_say_what_it_does():
    with pytest.raises(NotImplementedError):
        PostStep().apply(None)
    assert StartStep().start(None, {}, 0) == (None, None) and StartStep().describe("x") is None
