"""Reading a user's CSV file into an N×D float table, with errors that name the column, row and line.

:func:`read_numeric_csv` reads a delimited text file (comma-separated unless
``sep`` says otherwise) whose first line is a header (or, with
``header=False``, whose columns are named ``x1``, ``x2``, …) and returns the
selected columns as float columns of a ``pandas.DataFrame``. Anything that
would make a model fit fail later (a word in a number column, an empty cell,
NaN or infinity, a missing or repeated column name, no data at all, a first
line that is data rather than a header) is a :class:`DataFileError` (a
``ValueError``) whose message says where: the column, the data row (numbered
from 0, as in Python and in the CLI's ``memberships.csv``) and the line of the
file (numbered from 1, as in an editor). When the file fails as read but reads
cleanly with another separator (``;`` or a tab) or with decimal commas, the
message says which option to pass.

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
bayesforge.tabular.DataFileError: column 'label' of points.csv is not numeric: 'a' at row 0 (0-based), line 2; select the numeric columns, e.g. --columns x,y
>>> _ = path.write_text("x,y\\n1,2\\n3,abc\\n")
>>> read_numeric_csv(path)
Traceback (most recent call last):
...
bayesforge.tabular.DataFileError: column 'y', row 1 (0-based), line 3 of points.csv: 'abc' is not a number
>>> _ = path.write_text("x;y\\n1,5;2\\n3;4,25\\n")
>>> read_numeric_csv(path, sep=";", decimal=",")
     x     y
0  1.5  2.00
1  3.0  4.25
>>> _ = path.write_text("1,2\\n3,4\\n")
>>> read_numeric_csv(path, header=False).columns.tolist()
['x1', 'x2']
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pandas as pd

__all__ = ["DataFileError", "read_numeric_csv", "parse_column_list", "check_separator", "describe_separator"]

#: Cell texts read as "missing" rather than as "not a number" (compared in lower case).
MISSING_WORDS = frozenset({"na", "n/a", "nan", "-nan", "null", "none", "nil", "missing", "#n/a", "?", "."})
ENCODING = "utf-8-sig"  # UTF-8, with or without the byte-order mark spreadsheets write
#: Other ways of writing the same table that an error message may suggest: (separator, decimal mark).
ALTERNATIVE_FORMATS = ((";", "."), ("\t", "."), (",", "."), (";", ","), ("\t", ","))
_SEPARATOR_ALIASES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";"}


class DataFileError(ValueError):
    """A data file that cannot be used; the message names the file and, where there is one, the column and row.

    ``column`` (the column name), ``row`` (data row, numbered from 0) and ``line``
    (line of the file, numbered from 1) are ``None`` where they do not apply.
    """

    def __init__(self, message: str, *, column: str | None = None, row: int | None = None,
                 line: int | None = None, about_content: bool = True, header_is_data: bool = False) -> None:
        super().__init__(message)
        self.column, self.row, self.line = column, row, line
        #: False for a file that cannot be opened at all (another separator would not help).
        self.about_content = about_content
        #: True when the first line, read as a header, holds only numbers.
        self.header_is_data = header_is_data


# -- the public functions ------------------------------------------------------------------------------

def read_numeric_csv(path: Any, columns: Any = None, *, sep: str = ",", decimal: str = ".",
                     header: bool = True, missing: bool = False) -> pd.DataFrame:
    """The columns ``columns`` (default: all) of the delimited file ``path`` as a float ``DataFrame``.

    The file is UTF-8 (a byte-order mark is fine) with fields separated by
    ``sep`` (one character; ``"tab"`` or ``"\\\\t"`` for a tab) and numbers
    written with ``decimal`` as decimal mark (``"."`` or ``","``, which then
    needs another ``sep``). With ``header=True`` the first line names the
    columns, and a first line made only of numbers is an error (the file has
    no header: pass ``header=False``); with ``header=False`` every line is data
    and the columns are named ``x1``, ``x2``, …. Blank lines are skipped,
    spaces around names and numbers are ignored. ``columns`` is a list (or a
    comma-separated string) of column names; a token made only of digits that
    is not itself a name is a 0-based column position (``"0,2"`` = the first
    and third columns). The result has the columns in the order asked and rows
    0..N−1 in file order.

    Raises :class:`DataFileError` (a ``ValueError``) naming the problem: a
    missing or unreadable file; no data rows; a first line that looks like
    data; an unknown column (the message lists the columns there are); a
    repeated or empty column name among those used; a cell that is not a
    number, is empty, is NaN/NA or is infinite (the column, the 0-based data
    row and the file line); with no ``columns`` given, a text column such as a
    label (the message suggests the numeric columns). When the file reads
    cleanly with another separator or decimal mark, the message says so.
    ``missing=True`` (``bayesforge gmm --missing marginalize``): an empty cell or a
    missing-value word (NA, NaN, null, ...) is read as NaN instead (an infinite value
    or a word that is not a number is still an error).
    ``ValueError`` for a bad ``sep``, ``decimal`` or ``header``.
    """
    separator = check_separator(sep)
    if decimal not in (".", ","):
        raise ValueError(f"decimal must be '.' or ',', got {decimal!r}")
    if decimal == separator:
        raise ValueError(f"decimal {decimal!r} is also the separator: with decimal commas use another "
                         "separator, e.g. sep=';'")
    if not isinstance(header, bool):
        raise ValueError(f"header must be True or False, got {header!r}")
    file = Path(path)
    if not isinstance(missing, bool):
        raise ValueError(f"missing must be True or False, got {missing!r}")
    try:
        return _read(file, columns, separator, decimal, header, missing)
    except DataFileError as error:
        hint = _format_hint(file, columns, separator, decimal, header, missing) if error.about_content else None
        if hint is None:
            raise
        raise DataFileError(f"{hint} (read with --sep {describe_separator(separator)}: {error})",
                            column=error.column, row=error.row, line=error.line) from None


def check_separator(sep: Any) -> str:
    """``sep`` as one character (``"tab"`` and ``"\\\\t"`` mean a tab), or a ``ValueError``.

    >>> check_separator(";"), check_separator("tab")
    (';', '\\t')
    """
    if not isinstance(sep, str):
        raise ValueError(f"sep must be one character such as ',' ';' or 'tab', got {sep!r}")
    value = _SEPARATOR_ALIASES.get(sep.lower(), sep)
    if len(value) != 1 or value in "\"\r\n" or value.isalnum() or value in ".-+":
        raise ValueError(f"sep must be one character such as ',' ';' or 'tab' (not a letter, digit, quote, "
                         f"'.', '-' or '+'), got {sep!r}")
    return value


def describe_separator(sep: str) -> str:
    """How to write ``sep`` on a command line: ``tab`` for a tab, else quoted (``';'``)."""
    return "tab" if sep == "\t" else f"'{sep}'"


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


# -- one reading with one format -------------------------------------------------------------------------

def _read(file: Path, columns: Any, sep: str, decimal: str, header: bool, missing: bool = False) -> pd.DataFrame:
    names_in_file, cells = _read_cells(file, sep, header)
    layout = _Layout(file, sep, header, decimal)
    positions = _select_positions(names_in_file, columns, file)
    if columns is None:
        _check_all_named(names_in_file, file)
    names = [names_in_file[p] or f"Unnamed: {p}" for p in positions]
    _check_distinct(names, positions, file)
    if columns is None:
        _reject_text_columns(names_in_file, cells, layout)
    values = {name: _numeric_column(name, cells[position], layout, missing) for name, position in zip(names, positions)}
    return pd.DataFrame(values, columns=names)


class _Layout:
    """Where data rows are in the file and how numbers are written: for messages and conversion."""

    def __init__(self, file: Path, sep: str, header: bool, decimal: str) -> None:
        self.file, self.sep, self.header, self.decimal = file, sep, header, decimal

    def line_of_row(self, row: int) -> int | None:
        """The file line (from 1) on which 0-based data ``row`` starts; None if it cannot be found."""
        wanted = row + 1 if self.header else row
        for index, line in enumerate(_record_start_lines(self.file, self.sep)):
            if index == wanted:
                return line
        return None

    def numbers(self, texts: pd.Series) -> pd.Series:
        stripped = texts.str.strip()
        if self.decimal == ",":
            stripped = stripped.str.replace(",", ".", regex=False)
        return pd.to_numeric(stripped, errors="coerce").astype(float)


def _read_cells(file: Path, sep: str, header: bool) -> tuple[list[str], pd.DataFrame]:
    """The column names (stripped; x1.. without a header) and the data cells as text (a column per position)."""
    if not file.exists():
        raise DataFileError(f"cannot read {file}: no such file", about_content=False)
    if file.is_dir():
        raise DataFileError(f"cannot read {file}: it is a directory, not a CSV file", about_content=False)
    try:
        raw = pd.read_csv(file, header=None, dtype=str, sep=sep, keep_default_na=False, na_filter=False,
                          skip_blank_lines=True, encoding=ENCODING, engine="c")
    except pd.errors.EmptyDataError:
        raise DataFileError(f"{file} has no data rows: the file is empty", about_content=False) from None
    except pd.errors.ParserError as error:
        detail = str(error).strip().replace("Error tokenizing data. C error: ", "")
        raise DataFileError(f"{file} is not a well-formed CSV file: {detail}") from None
    except UnicodeDecodeError as error:
        raise DataFileError(f"cannot read {file}: not UTF-8 text (byte {error.object[error.start]:#04x} at "
                            f"position {error.start})", about_content=False) from None
    except OSError as error:
        raise DataFileError(f"cannot read {file}: {error.strerror or error}", about_content=False) from None
    except (ValueError, OverflowError, MemoryError) as error:  # pandas' other complaints about a file
        raise DataFileError(f"{file} is not a well-formed CSV file: {str(error).strip() or type(error).__name__}"
                            ) from None
    raw = raw.fillna("")
    if header:
        names = [str(name).strip() for name in raw.iloc[0]]
        if _looks_like_data(names, sep):
            shown = ", ".join(map(repr, names[:4])) + (", ..." if len(names) > 4 else "")
            raise DataFileError(f"the first line of {file.name} looks like data, not a header ({shown}); "
                                "if the file has no header line pass --no-header (columns are then named "
                                "x1, x2, ...)", line=1, header_is_data=True)
        cells = raw.iloc[1:].reset_index(drop=True)
    else:
        names = [f"x{j + 1}" for j in range(raw.shape[1])]
        cells = raw.reset_index(drop=True)
    cells.columns = range(len(names))
    if len(cells) == 0:
        raise DataFileError(f"{file} has no data rows: only a header line ({', '.join(map(repr, names))})")
    return names, cells


def _looks_like_data(names: list[str], sep: str) -> bool:
    """Every cell of the first line is a number (in either decimal notation the separator allows)."""
    texts = pd.Series(names, dtype=str)
    decimal_marks = (".",) if sep == "," else (".", ",")
    for mark in decimal_marks:
        values = pd.to_numeric(texts.str.replace(mark, ".", regex=False), errors="coerce")
        if texts.ne("").all() and values.notna().all():
            return True
    return False


def _record_start_lines(file: Path, sep: str) -> Iterator[int]:
    """The line (from 1) on which each record pandas reads starts; blank lines skipped as pandas does."""
    try:
        with open(file, newline="", encoding=ENCODING, errors="replace") as handle:
            reader = csv.reader(handle, delimiter=sep)
            previous_end = 0
            for record in reader:
                start, previous_end = previous_end + 1, reader.line_num
                if len(record) > 1 or (record and record[0].strip()):
                    yield start
    except (csv.Error, OSError):
        return


def _where(row: int, line: int | None, file: Path) -> str:
    return f"row {row} (0-based), " + (f"line {line} of {file.name}" if line is not None else f"in {file.name}")


# -- a hint for a file written in another format ---------------------------------------------------------

def _format_hint(file: Path, columns: Any, sep: str, decimal: str, header: bool, missing: bool = False) -> str | None:
    """How the file does read, if another separator or decimal mark reads it cleanly; else None."""
    for other_sep, other_decimal in ALTERNATIVE_FORMATS:
        if (other_sep, other_decimal) == (sep, decimal) or other_sep == other_decimal:
            continue
        no_header = False
        try:
            table = _read(file, columns, other_sep, other_decimal, header, missing)
        except DataFileError as error:
            if not error.header_is_data:
                continue
            try:  # e.g. a ';'-separated file without a header line
                table, no_header = _read(file, columns, other_sep, other_decimal, False, missing), True
            except DataFileError:
                continue
        if table.shape[1] < 2 and columns is None and other_sep != sep:
            continue  # one column read cleanly says nothing about the separator
        flags = []
        if other_sep != sep:
            flags.append(f"--sep {describe_separator(other_sep)}")
        if other_decimal != decimal:
            flags.append(f"--decimal '{other_decimal}'")
        if no_header:
            flags.append("--no-header")
        if other_sep != sep:
            what = f"looks {describe_separator(other_sep)}-separated"
            what += " with decimal commas" if other_decimal == "," else ""
            what += " without a header line" if no_header else ""
        else:
            what = "seems to use decimal commas" + (" and to have no header line" if no_header else "")
        return f"{file.name} {what}: pass {' '.join(flags)}"
    return None


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
            raise DataFileError(f"column {position} (0-based) of {file.name} has no name in the header (line 1); "
                                f"name it, or select the columns to use{hint}", line=1)


def _check_distinct(names: list[str], positions: list[int], file: Path) -> None:
    """No column name is used twice."""
    for index, name in enumerate(names):
        if name in names[:index]:
            first, second = positions[names.index(name)], positions[index]
            raise DataFileError(f"the header of {file.name} names two columns {name!r} (0-based positions {first} "
                                f"and {second}); rename one, or select columns by position")


# -- converting to numbers -----------------------------------------------------------------------------

def _reject_text_columns(header: list[str], cells: pd.DataFrame, layout: _Layout) -> None:
    """With no columns chosen: a column without a single number (e.g. labels) is an error suggesting --columns."""
    numbers = {position: layout.numbers(cells[position]) for position in range(len(header))}
    words = {position: _is_word(cells[position]) for position in range(len(header))}
    text_columns = [p for p, values in numbers.items() if values.isna().all() and words[p].any()]
    if not text_columns:
        return
    position = text_columns[0]
    row = int(np.argmax(words[position].to_numpy()))
    numeric = [header[p] for p in range(len(header)) if p not in text_columns]
    file = layout.file
    suggestion = (f"select the numeric columns, e.g. --columns {','.join(numeric)}" if numeric
                  else f"{file.name} has no numeric column")
    others = f" (also: {', '.join(repr(header[p]) for p in text_columns[1:])})" if len(text_columns) > 1 else ""
    line = layout.line_of_row(row)
    place = f"line {line}" if line is not None else "line unknown"
    raise DataFileError(f"column {header[position]!r} of {file.name} is not numeric: "
                        f"{cells[position][row].strip()!r} at row {row} (0-based), {place}{others}; {suggestion}",
                        column=header[position], row=row, line=line)


def _is_word(texts: pd.Series) -> pd.Series:
    """Cells holding text that is neither empty nor a missing-value word such as NA."""
    stripped = texts.str.strip()
    return stripped.ne("") & ~stripped.str.lower().isin(MISSING_WORDS)


def _numeric_column(name: str, texts: pd.Series, layout: _Layout, missing: bool = False) -> np.ndarray:
    """The column as floats, or a DataFileError at its first cell that is not a finite number.

    ``missing``: empty cells and missing-value words are NaN, not errors.
    """
    values = layout.numbers(texts)
    bad = ~np.isfinite(values.to_numpy())
    if missing:
        bad &= _is_word(texts).to_numpy() | np.isinf(values.to_numpy())
    if not bad.any():
        return values.to_numpy()
    row = int(np.argmax(bad))
    text = texts[row].strip()
    more = int(bad.sum()) - 1
    tail = f" ({more} more such cell{'s' if more != 1 else ''} in this column)" if more else ""
    line = layout.line_of_row(row)
    raise DataFileError(f"column {name!r}, {_where(row, line, layout.file)}: {_cell_problem(text, values[row])}"
                        f"{tail}", column=name, row=row, line=line)


def _cell_problem(text: str, value: float) -> str:
    if text == "":
        return "the cell is empty (missing value); to fit rows with missing values pass --missing marginalize"
    if np.isinf(value):
        return f"{text!r} is infinite; the data must be finite numbers"
    if text.lower() in MISSING_WORDS:
        return (f"{text!r} is a missing value (NaN/NA); remove the row or fill it in, or pass --missing marginalize "
                "to fit rows with missing values")
    return f"{text!r} is not a number"
