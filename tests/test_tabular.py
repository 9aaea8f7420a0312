"""bayesforge.tabular.read_numeric_csv: columns, numbers, the place of every problem (0-based data row, file
line), files without a header, other separators and decimal commas (read, and hinted at when not asked for)."""
from pathlib import Path

import numpy as np
import pytest

from bayesforge.tabular import DataFileError, check_separator, read_numeric_csv


def write(folder: Path, text: str, name: str = "data.csv") -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_reads_selected_columns_as_floats_in_the_order_asked(tmp_path):
    path = write(tmp_path, "x, y ,label\n1, 2.5 ,a\n-3e1,4,b\n")
    table = read_numeric_csv(path, columns=["y", "x"])
    assert table.columns.tolist() == ["y", "x"]
    assert table.dtypes.tolist() == [np.float64, np.float64]
    np.testing.assert_array_equal(table.to_numpy(), [[2.5, 1.0], [4.0, -30.0]])


def test_columns_by_position_and_as_a_comma_separated_string(tmp_path):
    path = write(tmp_path, "x,y,label\n1,2,a\n")
    assert read_numeric_csv(path, columns="1,0").columns.tolist() == ["y", "x"]
    assert read_numeric_csv(path, columns=[0, "y"]).columns.tolist() == ["x", "y"]


def test_a_digit_header_name_wins_over_a_position(tmp_path):
    path = write(tmp_path, "a,0\n1,2\n")
    assert read_numeric_csv(path, columns=["0"]).iloc[0, 0] == 2.0


def test_a_word_in_a_number_column_names_column_row_from_0_and_line(tmp_path):
    path = write(tmp_path, "x,y\n1,2\n3,abc\n5,6\n")
    with pytest.raises(DataFileError, match=r"column 'y', row 1 \(0-based\), line 3 of data.csv: 'abc' is not a number"):
        read_numeric_csv(path)


def test_line_numbers_count_blank_lines(tmp_path):
    path = write(tmp_path, "x,y\n\n1,2\n\n3,oops\n")
    with pytest.raises(DataFileError, match=r"row 1 \(0-based\), line 5 of") as error:
        read_numeric_csv(path)
    assert (error.value.column, error.value.row, error.value.line) == ("y", 1, 5)


def test_line_numbers_are_where_a_row_starts_when_a_quoted_cell_spans_lines(tmp_path):
    path = write(tmp_path, 'x,note,y\n1,"one\nline more",2\n3,"two\nlines",oops\n')
    with pytest.raises(DataFileError, match=r"column 'y', row 1 \(0-based\), line 4 of data.csv"):
        read_numeric_csv(path, columns="x,y")


def test_a_text_column_without_columns_is_named_and_columns_suggested(tmp_path):
    path = write(tmp_path, "x,label,y\n1,a,2\n3,b,4\n")
    with pytest.raises(DataFileError, match=r"column 'label' .*not numeric: 'a' at row 0 \(0-based\), line 2.*"
                                            r"--columns x,y"):
        read_numeric_csv(path)
    assert read_numeric_csv(path, columns="x,y").shape == (2, 2)


@pytest.mark.parametrize("cell, problem", [("NaN", "missing value"), ("NA", "missing value"),
                                           ("", "empty"), ("inf", "infinite"), ("-Infinity", "infinite")])
def test_missing_and_infinite_values_name_column_and_row(tmp_path, cell, problem):
    path = write(tmp_path, f"x,y\n1,2\n{cell},4\n")
    with pytest.raises(DataFileError, match=rf"column 'x', row 1 \(0-based\), line 3 of data.csv: .*{problem}"):
        read_numeric_csv(path)


@pytest.mark.parametrize("text, message", [("", "no data rows: the file is empty"), ("\n\n", "no data rows"),
                                           ("x,y\n", "no data rows: only a header")])
def test_a_file_without_data_rows(tmp_path, text, message):
    with pytest.raises(DataFileError, match=message):
        read_numeric_csv(write(tmp_path, text))


def test_unknown_column_lists_the_columns_there_are(tmp_path):
    path = write(tmp_path, "x,y\n1,2\n")
    with pytest.raises(DataFileError, match=r"no column 'z' in data.csv; its columns are: 'x', 'y'"):
        read_numeric_csv(path, columns=["x", "z"])
    with pytest.raises(DataFileError, match="position 2 is out of range"):
        read_numeric_csv(path, columns="2")


def test_duplicate_header_names(tmp_path):
    path = write(tmp_path, "x,x,y\n1,2,3\n")
    with pytest.raises(DataFileError, match="names two columns 'x'"):
        read_numeric_csv(path)
    with pytest.raises(DataFileError, match="'x' is ambiguous"):
        read_numeric_csv(path, columns="x,y")
    assert read_numeric_csv(path, columns="y").shape == (1, 1)


def test_missing_file_and_ragged_rows(tmp_path):
    with pytest.raises(DataFileError, match="no such file"):
        read_numeric_csv(tmp_path / "absent.csv")
    with pytest.raises(DataFileError, match="Expected 2 fields in line 3, saw 3"):
        read_numeric_csv(write(tmp_path, "x,y\n1,2\n3,4,5\n"))


# -- the header line ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("first_line", ["1,2", "1.5, -2e3", " 0 ,inf"])
def test_a_first_line_of_numbers_is_not_taken_as_the_header(tmp_path, first_line):
    path = write(tmp_path, f"{first_line}\n3,4\n")
    with pytest.raises(DataFileError, match=r"first line of data.csv looks like data.*pass --no-header") as error:
        read_numeric_csv(path)
    assert error.value.line == 1


def test_without_a_header_every_line_is_data_and_columns_are_x1_x2(tmp_path):
    path = write(tmp_path, "1,2\n\n3,4\n5,abc\n")
    with pytest.raises(DataFileError, match=r"column 'x2', row 2 \(0-based\), line 4 of data.csv: 'abc'"):
        read_numeric_csv(path, header=False)
    table = read_numeric_csv(write(tmp_path, "1,2\n3,4\n"), header=False)
    assert table.columns.tolist() == ["x1", "x2"] and table.to_numpy().tolist() == [[1, 2], [3, 4]]
    assert read_numeric_csv(write(tmp_path, "1,2,3\n4,5,6\n"), "x3,0", header=False).columns.tolist() == ["x3", "x1"]


# -- separators and decimal marks --------------------------------------------------------------------------

@pytest.mark.parametrize("text, options, expected", [
    ("x;y\n1;2\n3;4\n", {"sep": ";"}, [[1, 2], [3, 4]]),
    ("x\ty\n1\t2\n3\t4\n", {"sep": "tab"}, [[1, 2], [3, 4]]),
    ("x\ty\n1\t2\n3\t4\n", {"sep": "\t"}, [[1, 2], [3, 4]]),
    ("x;y\n1,5;2\n3;-4,25e1\n", {"sep": ";", "decimal": ","}, [[1.5, 2], [3, -42.5]]),
])
def test_other_separators_and_decimal_commas_when_asked(tmp_path, text, options, expected):
    assert read_numeric_csv(write(tmp_path, text), **options).to_numpy().tolist() == expected


@pytest.mark.parametrize("text, options, hint", [
    ("x;y\n1;2\n3;4\n", {}, "data.csv looks ';'-separated: pass --sep ';'"),
    ("x\ty\n1\t2\n3\t4\n", {}, "data.csv looks tab-separated: pass --sep tab"),
    ("x;y\n1,5;2,5\n3;4\n", {}, "data.csv looks ';'-separated with decimal commas: pass --sep ';' --decimal ','"),
    ("x;y\n1,5;2\n3;4\n", {"sep": ";"}, "data.csv seems to use decimal commas: pass --decimal ','"),
    ("x,y\n1,2\n3,4\n", {"sep": ";"}, "data.csv looks ','-separated: pass --sep ','"),
    ("1;2\n3;4\n", {}, "data.csv looks ';'-separated without a header line: pass --sep ';' --no-header"),
])
def test_a_file_in_another_format_gets_a_hint(tmp_path, text, options, hint):
    with pytest.raises(DataFileError) as error:
        read_numeric_csv(write(tmp_path, text), **options)
    assert str(error.value).startswith(hint + " (read with --sep ")


def test_no_hint_when_no_other_format_reads_the_file(tmp_path):
    with pytest.raises(DataFileError) as error:
        read_numeric_csv(write(tmp_path, "x,y\n1,2\n3,abc\n"))
    assert "looks" not in str(error.value) and "--sep" not in str(error.value)


@pytest.mark.parametrize("options, message", [({"sep": ";;"}, "sep must be one character"),
                                              ({"sep": "a"}, "sep must be one character"),
                                              ({"decimal": ";"}, "decimal must be '.' or ','"),
                                              ({"decimal": ","}, "also the separator"),
                                              ({"header": "yes"}, "header must be True or False")])
def test_bad_format_arguments(tmp_path, options, message):
    with pytest.raises(ValueError, match=message):
        read_numeric_csv(write(tmp_path, "x,y\n1,2\n"), **options)


def test_separator_names():
    assert [check_separator(s) for s in (",", ";", "tab", "\\t", "|")] == [",", ";", "\t", "\t", "|"]
