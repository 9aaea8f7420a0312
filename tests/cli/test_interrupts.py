"""bayesforge.cli.interrupts: what a signal does to a run (the state and its clean-ups) and the worker thread
(real signals sent to a running command: tests/e2e/test_cli_signals.py)."""
import signal
import threading

import pytest

from bayesforge.cli.errors import Interrupted
from bayesforge.cli.interrupts import RunState, run_interruptible


def test_abort_runs_the_cleanups_last_added_first_and_says_what_was_written():
    state, done = RunState(), []
    state.add_cleanup(lambda: done.append("first"))
    state.add_cleanup(lambda: 1 / 0)  # a failing clean-up does not stop the others
    state.add_cleanup(lambda: done.append("last"))
    removed = lambda: done.append("removed")  # noqa: E731
    state.add_cleanup(removed)
    state.remove_cleanup(removed)
    assert state.abort(signal.SIGTERM) == "interrupted (SIGTERM); nothing was written"
    assert done == ["last", "first"] and state.signal == signal.SIGTERM
    assert state.abort(signal.SIGINT) == "interrupted (SIGINT); nothing was written" and done == ["last", "first"]


@pytest.mark.parametrize("published, message", [
    (False, "interrupted (SIGINT); nothing was written to out/"),
    (True, "interrupted (SIGINT) after the results were written to out/"),
])
def test_the_message_names_the_target(published, message):
    state = RunState()
    state.target, state.published = "out/", published
    assert state.abort(signal.SIGINT) == message


def test_check_raises_interrupted_once_a_signal_arrived():
    state = RunState()
    state.check()
    state.abort(signal.SIGHUP)
    with pytest.raises(Interrupted, match="SIGHUP"):
        state.check()


def test_work_runs_in_a_worker_thread_and_its_result_or_error_comes_back():
    threads = []

    def work():
        threads.append(threading.current_thread())
        return 7

    handler = signal.getsignal(signal.SIGTERM)
    assert run_interruptible(work, RunState(), lambda: "bayesforge") == 7
    assert threads[0] is not threading.main_thread()
    assert signal.getsignal(signal.SIGTERM) == handler  # the handlers are put back

    def failing():
        raise KeyError("inside")

    with pytest.raises(KeyError, match="inside"):
        run_interruptible(failing, RunState(), lambda: "bayesforge")


def test_outside_the_main_thread_work_runs_where_it_is_called():
    result = {}
    worker = threading.Thread(target=lambda: result.update(
        status=run_interruptible(lambda: threading.current_thread().name, RunState(), lambda: "x")), name="caller")
    worker.start()
    worker.join()
    assert result["status"] == "caller"
