"""Reading a user's CSV file into an N×D float table, with errors that name the column, row and line.

:func:`read_numeric_csv` reads a comma-separated file whose first line is a
header and returns the selected columns as float columns of a
``pandas.DataFrame``. Anything that would make a model fit fail later (a word
in a number column, an empty cell, NaN or infinity, a missing or repeated
column name, no data at all) is a :class:`DataFileError` (a ``ValueError``)
whose message says where: the column, the 1-based data row and the line of
the file.

>>> import tempfile
>>> from pathlib import Path
>>> folder = Path(tempfile.mkdtemp())
>>> path = folder / "points.csv"
>>> _ = path.write_text("x,y,label\\n1.5,2,a\\n3,-4e-1,b\\n")
>>> read_numeric_csv(path, columns=["y", "x"])
     y    x
0  2.0  1.5
1 -0.4  3.0
>>> read_numeric_csv(path, columns="0,1").columns.tolist()   # 0-based positions
['x', 'y']
>>> read_numeric_csv(path)
Traceback (most recent call last):
...
bayesforge.tabular.DataFileError: column 'label' of points.csv is not numeric (row 1, line 2: 'a'); select the numeric columns, e.g. --columns x,y
>>> _ = path.write_text("x,y\\n1,2\\n3,abc\\n")
>>> read_numeric_csv(path)
Traceback (most recent call last):
...
bayesforge.tabular.DataFileError: column 'y', row 2 (line 3 of points.csv): 'abc' is not a number
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd

__all__ = ["DataFileError", "read_numeric_csv", "parse_column_list"]

#: Cell texts read as "missing" rather than as "not a number" (compared in lower case).
MISSING_WORDS = frozenset({"na", "n/a", "nan", "-nan", "null", "none", "nil", "missing", "#n/a", "?", "."})
ENCODING = "utf-8-sig"  # UTF-8, with or without the byte-order mark spreadsheets write


class DataFileError(ValueError):
    """A data file that cannot be used; the message names the file and, where there is one, the column and row.

    ``column`` (the header name), ``row`` (1-based data row) and ``line`` (1-based
    line of the file) are ``None`` where they do not apply.
    """

    def __init__(self, message: str, *, column: str | None = None, row: int | None = None,
                 line: int | None = None) -> None:
        super().__init__(message)
        self.column, self.row, self.line = column, row, line


# -- the public function -------------------------------------------------------------------------------

def read_numeric_csv(path: Any, columns: Any = None) -> pd.DataFrame:
    """The columns ``columns`` (default: all) of the CSV file ``path`` as a float ``DataFrame``.

    The file is comma-separated, UTF-8 (a byte-order mark is fine), with a
    header line; blank lines are skipped, spaces around names and numbers are
    ignored. ``columns`` is a list (or a comma-separated string) of header
    names; a token made only of digits that is not itself a header name is a
    0-based column position (``"0,2"`` = the first and third columns). The
    result has the columns in the order asked and rows 0..N−1 in file order
    (row i is data row i+1).

    Raises :class:`DataFileError` (a ``ValueError``) naming the problem: a
    missing or unreadable file; no data rows; an unknown column (the message
    lists the columns there are); a repeated or empty column name among those
    used; a cell that is not a number, is empty, is NaN/NA or is infinite (the
    column, the data row and the file line); with no ``columns`` given, a text
    column such as a label (the message suggests the numeric columns).
    """
    file = Path(path)
    header, cells = _read_cells(file)
    positions = _select_positions(header, columns, file)
    if columns is None:
        _check_all_named(header, file)
    names = [header[p] or f"Unnamed: {p}" for p in positions]
    _check_distinct(names, positions, file)
    if columns is None:
        _reject_text_columns(header, cells, file)
    values = {name: _numeric_column(name, cells[position], file) for name, position in zip(names, positions)}
    return pd.DataFrame(values, columns=names)


def parse_column_list(text: str) -> list[str]:
    """``"x, y"`` → ``["x", "y"]``; a ``DataFileError`` for an empty list or an empty name.

    >>> parse_column_list(" x,y ,2")
    ['x', 'y', '2']
    """
    tokens = [token.strip() for token in str(text).split(",")]
    if not any(tokens):
        raise DataFileError("no columns given: list column names (or 0-based positions) separated by commas")
    if not all(tokens):
        raise DataFileError(f"empty column name in the column list {text!r}")
    return tokens


# -- reading the file ----------------------------------------------------------------------------------

def _read_cells(file: Path) -> tuple[list[str], pd.DataFrame]:
    """The header names (stripped) and the data cells as text (a column per header position)."""
    if not file.exists():
        raise DataFileError(f"cannot read {file}: no such file")
    if file.is_dir():
        raise DataFileError(f"cannot read {file}: it is a directory, not a CSV file")
    try:
        raw = pd.read_csv(file, header=None, dtype=str, keep_default_na=False, na_filter=False,
                          skip_blank_lines=True, encoding=ENCODING)
    except pd.errors.EmptyDataError:
        raise DataFileError(f"{file} has no data rows: the file is empty") from None
    except pd.errors.ParserError as error:
        detail = str(error).strip().replace("Error tokenizing data. C error: ", "")
        raise DataFileError(f"{file} is not a well-formed CSV file: {detail}") from None
    except UnicodeDecodeError as error:
        raise DataFileError(f"cannot read {file}: not UTF-8 text (byte {error.object[error.start]:#04x} at "
                            f"position {error.start})") from None
    except OSError as error:
        raise DataFileError(f"cannot read {file}: {error.strerror or error}") from None
    header = [str(name).strip() for name in raw.iloc[0]]
    cells = raw.iloc[1:].reset_index(drop=True)
    cells.columns = range(len(header))
    if len(cells) == 0:
        raise DataFileError(f"{file} has no data rows: only a header line ({', '.join(map(repr, header))})")
    return header, cells


def _record_start_lines(file: Path) -> Iterator[int]:
    """The 1-based line on which each record pandas reads (header first) starts; blank lines skipped as pandas does."""
    with open(file, newline="", encoding=ENCODING, errors="replace") as handle:
        reader = csv.reader(handle)
        previous_end = 0
        for record in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if len(record) > 1 or (record and record[0].strip()):
                yield start


def _line_of_data_row(file: Path, row: int) -> int | None:
    """The file line of 1-based data ``row`` (the header is record 0); None if it cannot be found."""
    for index, line in enumerate(_record_start_lines(file)):
        if index == row:
            return line
    return None


def _line_text(line: int | None, file: Path) -> str:
    return f"line {line} of {file.name}" if line is not None else file.name


# -- choosing columns ----------------------------------------------------------------------------------

def _select_positions(header: list[str], columns: Any, file: Path) -> list[int]:
    """0-based positions of the requested ``columns`` (all when None), in the order asked."""
    if columns is None:
        return list(range(len(header)))
    tokens = parse_column_list(columns) if isinstance(columns, str) else list(columns)
    if not tokens:
        raise DataFileError("no columns given: list column names (or 0-based positions)")
    positions = [_position_of(token, header, file) for token in tokens]
    for index, position in enumerate(positions):
        if position in positions[:index]:
            raise DataFileError(f"column {header[position] or position!r} is selected twice")
    return positions


def _position_of(token: Any, header: list[str], file: Path) -> int:
    available = ", ".join(repr(name) for name in header)
    if isinstance(token, (int, np.integer)) and not isinstance(token, bool):
        position = int(token)
    else:
        name = str(token).strip()
        if header.count(name) > 1:
            where = [index for index, header_name in enumerate(header) if header_name == name]
            raise DataFileError(f"column name {name!r} is ambiguous: {file.name} has it at positions "
                                f"{', '.join(map(str, where))}; select one by its 0-based position")
        if name in header:
            return header.index(name)
        if not name.isdigit():
            raise DataFileError(f"no column {name!r} in {file.name}; its columns are: {available}")
        position = int(name)
    if not 0 <= position < len(header):
        raise DataFileError(f"column position {position} is out of range: {file.name} has {len(header)} "
                            f"column(s), positions 0..{len(header) - 1} ({available})")
    return position


def _check_all_named(header: list[str], file: Path) -> None:
    """With no columns chosen, every column has a header name (a nameless first column is often a saved index)."""
    for position, name in enumerate(header):
        if not name:
            named = ",".join(n for n in header if n)
            hint = f", e.g. --columns {named}" if named else ""
            raise DataFileError(f"column {position + 1} of {file.name} has no name in the header (line 1); "
                                f"name it, or select the columns to use{hint}")


def _check_distinct(names: list[str], positions: list[int], file: Path) -> None:
    """No column name is used twice."""
    for index, name in enumerate(names):
        if name in names[:index]:
            first, second = positions[names.index(name)], positions[index]
            raise DataFileError(f"the header of {file.name} names two columns {name!r} (0-based positions {first} "
                                f"and {second}); rename one, or select columns by position")


# -- converting to numbers -----------------------------------------------------------------------------

def _as_numbers(texts: pd.Series) -> pd.Series:
    return pd.to_numeric(texts.str.strip(), errors="coerce").astype(float)


def _reject_text_columns(header: list[str], cells: pd.DataFrame, file: Path) -> None:
    """With no columns chosen: a column without a single number (e.g. labels) is an error suggesting --columns."""
    numbers = {position: _as_numbers(cells[position]) for position in range(len(header))}
    words = {position: _is_word(cells[position]) for position in range(len(header))}
    text_columns = [p for p, values in numbers.items() if values.isna().all() and words[p].any()]
    if not text_columns:
        return
    position = text_columns[0]
    row = int(np.argmax(words[position].to_numpy())) + 1
    numeric = [header[p] for p in range(len(header)) if p not in text_columns]
    suggestion = (f"select the numeric columns, e.g. --columns {','.join(numeric)}" if numeric
                  else f"{file.name} has no numeric column")
    others = f" (also: {', '.join(repr(header[p]) for p in text_columns[1:])})" if len(text_columns) > 1 else ""
    line = _line_of_data_row(file, row)
    place = f"line {line}" if line is not None else "line unknown"
    raise DataFileError(f"column {header[position]!r} of {file.name} is not numeric (row {row}, {place}: "
                        f"{cells[position][row - 1].strip()!r}){others}; {suggestion}",
                        column=header[position], row=row, line=line)


def _is_word(texts: pd.Series) -> pd.Series:
    """Cells holding text that is neither empty nor a missing-value word such as NA."""
    stripped = texts.str.strip()
    return stripped.ne("") & ~stripped.str.lower().isin(MISSING_WORDS)


def _numeric_column(name: str, texts: pd.Series, file: Path) -> np.ndarray:
    """The column as floats, or a DataFileError at its first cell that is not a finite number."""
    values = _as_numbers(texts)
    bad = ~np.isfinite(values.to_numpy())
    if not bad.any():
        return values.to_numpy()
    first = int(np.argmax(bad))
    row, text = first + 1, texts[first].strip()
    more = int(bad.sum()) - 1
    tail = f" ({more} more such cell{'s' if more != 1 else ''} in this column)" if more else ""
    line = _line_of_data_row(file, row)
    raise DataFileError(f"column {name!r}, row {row} ({_line_text(line, file)}): "
                        f"{_cell_problem(text, values[first])}{tail}", column=name, row=row, line=line)


def _cell_problem(text: str, value: float) -> str:
    if text == "":
        return "the cell is empty (missing value)"
    if np.isinf(value):
        return f"{text!r} is infinite; the data must be finite numbers"
    if text.lower() in MISSING_WORDS:
        return f"{text!r} is a missing value (NaN/NA); remove the row or fill it in"
    return f"{text!r} is not a number"
