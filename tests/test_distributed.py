"""bayesforge.distributed in one process: the settings of bf(distributed=...) and each process's rows of a file.
Two processes on localhost: tests/e2e/test_distributed.py."""
import numpy as np
import pytest


# -- settings and files ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("settings, message", [
    ({"coordinator_address": "10.0.0.1", "num_processes": 2, "process_id": 0},
     "coordinator_address must be 'host:port'"),
    ({"coordinator_address": "h:1", "num_processes": 2, "process_id": 2}, "process_id must be 0..num_processes-1"),
    ({"coordinator_address": "h:1", "num_processes": 0, "process_id": 0}, "num_processes"),
    ({"coordinator": "h:1"}, "unknown setting 'coordinator'"),
    ({"coordinator_address": "h:1", "timeout": -1}, "timeout"),
])
def test_bad_settings_are_errors_naming_them(settings, message):
    from bayesforge.distributed import parse_settings

    with pytest.raises((ValueError, TypeError), match=message):
        parse_settings(settings)
    with pytest.raises(TypeError, match="distributed must be None, True"):
        parse_settings("127.0.0.1:1234")


def test_each_process_reads_its_own_rows_of_a_file(tmp_path):
    from bayesforge.distributed import read_own_rows, row_range
    from bayesforge.tabular import read_numeric_csv

    path = tmp_path / "points.csv"
    path.write_text("x,y,label\n" + "".join(f"{i},{i * i},c{i}\n" + ("\n" if i == 4 else "") for i in range(10)))
    whole = read_numeric_csv(path, columns="x,y")
    parts = [read_own_rows(path, i, 3, columns="x,y") for i in range(3)]
    assert [(start, total, len(table)) for table, start, total in parts] == [(0, 10, 4), (4, 10, 3), (7, 10, 3)]
    assert [row_range(10, i, 3) for i in range(3)] == [(0, 4), (4, 7), (7, 10)]
    joined = np.concatenate([table.to_numpy() for table, _, _ in parts])
    np.testing.assert_array_equal(joined, whole.to_numpy())
    assert list(parts[1][0].columns) == ["x", "y"] and parts[1][0].index[0] == 4
    path.write_text("x,y\n1,2\n3,4\n5,oops\n7,8\n")
    with pytest.raises(ValueError) as whole_error:
        read_numeric_csv(path)
    assert read_own_rows(path, 0, 2)[0].to_numpy().tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(ValueError) as own_error:  # the process holding the bad row: the whole file's message
        read_own_rows(path, 1, 2)
    assert str(own_error.value) == str(whole_error.value)
    path.write_text("1;2,5\n3;-4,0\n\n5;6\n")  # no header, decimal commas
    options = {"sep": ";", "decimal": ",", "header": False}
    own = [read_own_rows(path, i, 2, **options)[0] for i in range(2)]
    assert [t.to_numpy().tolist() for t in own] == [[[1.0, 2.5], [3.0, -4.0]], [[5.0, 6.0]]]
    assert list(own[0].columns) == list(read_numeric_csv(path, **options).columns) == ["x1", "x2"]
