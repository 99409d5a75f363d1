"""Reading a responses file (CSV or XLSX) for the command line, with every problem found.

One row per response: ``round`` (YYYYQn), ``enterprise``, ``agency``, an
optional ``panel`` (§4.10: ``enterprise``, ``representative`` or ``supervisor``;
blank = enterprise; the ``enterprise`` column then names the rater), an
optional ``comment`` (ignored), and every other column an item rated with a
whole number between the lowest and highest level, or blank. Column order is
free; the fixed names are matched ignoring case and surrounding spaces.

Problems name the line in the file (the header is line 1; for XLSX, the sheet
row) and the column. All problems are collected before anything is refused,
so a user fixes the file once, not once per problem.
"""
from __future__ import annotations

import codecs
import csv
from concurrent.futures import ThreadPoolExecutor
import io
import warnings
import zipfile
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd

from scoring.config import DEFAULT_CONFIG, ENTERPRISE, PANELS, ScoringConfig
from scoring.csv_fast import read_plain_csv, utf8_bytes
from scoring.problems import InputError, Problem
from scoring.rounds import ROUND_PATTERN

REQUIRED_COLUMNS = ("round", "enterprise", "agency")
OPTIONAL_COLUMNS = ("panel",)
IGNORED_COLUMNS = ("comment",)
KEY_COLUMNS = list(REQUIRED_COLUMNS)
CATEGORY_COLUMNS = ("round", "agency")
CSV_ENCODINGS = ("utf-8", "gb18030")  # UTF-8 with BOM is recognised by its BOM


@dataclass(frozen=True)
class ResponsesFile:
    frame: pd.DataFrame  # round, enterprise, agency as text; one float column per item (NaN = blank)
    items: list[str]  # item columns in file order
    lines: np.ndarray  # line (row) number in the file of each frame row


@dataclass(frozen=True)
class _Table:
    header: list[str]
    header_line: int
    cells: pd.DataFrame | dict[int, pd.Series]  # position → raw text of the rows as wide as the header
    lines: np.ndarray  # line in the file of each row of ``cells``
    problems: list[Problem]  # rows refused for their number of fields
    blank_columns: frozenset[int]  # positions of nameless columns with nothing in any row


def read_responses(path: str | Path, config: ScoringConfig = DEFAULT_CONFIG) -> ResponsesFile:
    """The responses in ``path``; raises InputError listing every problem, sorted by line.

    A plain CSV has its item columns parsed as numbers while it is read (see
    ``scoring.csv_fast``). Should any rating then be wrong, the file is read
    again as text, so that every message quotes the cell exactly as written.
    """
    path = Path(path)
    try:
        return _responses(_read_table(path, numeric=_item_positions), path, config)
    except _NeedText:
        return _responses(_read_table(path), path, config)


class _NeedText(Exception):
    """A rating read as a number is wrong: its message needs the text that was written."""


def _responses(table: _Table, path: Path, config: ScoringConfig) -> ResponsesFile:
    columns, items, problems = _read_header(table)
    if problems:  # without the right columns, row checks would only add noise
        raise InputError(problems)
    frame, lines, problems = _records_frame(table, columns)
    for column in CATEGORY_COLUMNS:
        # Few distinct values: categories (sorted, as the engine sorts them) make every later grouping cheap.
        frame[column] = pd.Categorical(frame[column])
    # Hashing a million rater codes (for the duplicate check) is the slowest step: Arrow does it on
    # a second thread, without the GIL, while this one checks the rest.
    with ThreadPoolExecutor(max_workers=1) as pool:
        rater_codes = pool.submit(_codes, frame["enterprise"])
        problems += _check_keys(frame, lines) + _check_panels(frame, lines)
        ratings, rating_problems = _ratings(frame, items, lines, config)
        problems += rating_problems + _duplicates(frame, lines, rater_codes.result())
    if problems:
        raise InputError(sorted(problems, key=_problem_order(table.header)))
    if frame.empty:
        raise InputError([Problem("no_rows", {"path": str(path)})])
    fixed = KEY_COLUMNS + [c for c in OPTIONAL_COLUMNS if c in frame.columns]
    return ResponsesFile(pd.DataFrame({**{c: frame[c] for c in fixed}, **ratings}, copy=False), items, lines)


def read_named_table(path: str | Path, required: tuple[str, ...]) -> tuple[pd.DataFrame, np.ndarray]:
    """A small table with the ``required`` columns (matched like the responses' fixed columns), as stripped text.

    Other columns are ignored. Returns the frame (one column per required
    name, in that order) and each row's line in the file; a header without
    rows gives an empty frame. Raises InputError for a missing or repeated
    column and rows with the wrong number of fields, as ``read_responses`` does.
    """
    table = _read_table(Path(path))
    names = [name.strip().lower() for name in table.header]
    problems = [Problem("duplicate_column", {"line": table.header_line, "column": c})
                for c in required if names.count(c) > 1]
    problems += [Problem("missing_column", {"line": table.header_line, "column": c}) for c in required if c not in names]
    if problems:
        raise InputError(problems)
    frame, lines, problems = _records_frame(table, {c: names.index(c) for c in required})
    if problems:
        raise InputError(problems)
    return frame, lines


# --- files -----------------------------------------------------------------------


def _read_table(path: Path, numeric=None) -> _Table:
    """The file's header and rows; ``numeric(header)`` may name positions a plain CSV parses as numbers."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise InputError([Problem("unknown_extension", {"path": str(path), "extension": path.suffix or "-"})])
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError([Problem("file_not_found", {"path": str(path)})]) from None
    except OSError:
        raise InputError([Problem("file_unreadable", {"path": str(path)})]) from None
    if suffix == ".csv":
        table = _plain_csv_table(data, numeric)
        if table is not None:
            return table
    rows = _csv_rows(data, path) if suffix == ".csv" else _xlsx_rows(data, path)
    rows = [(line, fields) for line, fields in rows if "".join(fields).strip()]  # skip blank lines
    if not rows:
        raise InputError([Problem("empty_file", {"path": str(path)})])
    (header_line, header), records = rows[0], rows[1:]
    return _table_from_records(header, header_line, records)


def _plain_csv_table(data: bytes, numeric) -> _Table | None:
    """The fast reader's table (``scoring.csv_fast``); None when the file needs the record-by-record reader."""
    utf8 = utf8_bytes(data, CSV_ENCODINGS)
    fast = read_plain_csv(utf8, numeric) if utf8 is not None else None
    if fast is None:
        return None
    nameless = [position for position, name in enumerate(fast.header) if not name.strip()]
    blank = frozenset(p for p in nameless if (fast.cells[p].str.strip() == "").all())
    return _Table(fast.header, fast.header_line, fast.cells, fast.lines, [], blank)


def _table_from_records(header: list[str], header_line: int, records: list[tuple[int, list[str]]]) -> _Table:
    """Rows of the wrong length are refused (extra fields are fine if blank); the rest become ``cells``."""
    width = len(header)
    problems, kept, lines = [], [], []
    for line, fields in records:
        if len(fields) != width and (len(fields) < width or "".join(fields[width:]).strip()):
            problems.append(Problem("field_count", {"line": line, "expected": width, "found": len(fields)}))
            continue
        kept.append(fields[:width])
        lines.append(line)
    cells = pd.DataFrame(kept, columns=range(width), dtype=str) if kept else pd.DataFrame(columns=range(width), dtype=str)
    nameless = [position for position, name in enumerate(header) if not name.strip()]
    blank = frozenset(p for p in nameless
                      if all(p >= len(fields) or not fields[p].strip() for _, fields in records))
    return _Table(header, header_line, cells, np.array(lines, dtype=np.int64), problems, blank)


def _csv_rows(data: bytes, path: Path) -> list[tuple[int, list[str]]]:
    text = _decode(data)
    if text is None:
        raise InputError([Problem("encoding", {"path": str(path)})])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        records = list(reader)
    except csv.Error:
        return _csv_rows_with_lines(text)  # read again record by record to find the line
    if reader.line_num == len(records):  # no quoted field spans lines: record i is line i + 1
        return list(zip(range(1, len(records) + 1), records))
    return _csv_rows_with_lines(text)


def _csv_rows_with_lines(text: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows, next_line = [], 1
    try:
        for fields in reader:
            rows.append((next_line, fields))  # a quoted field may span lines: the record starts here
            next_line = reader.line_num + 1
    except csv.Error:
        raise InputError([Problem("csv_syntax", {"line": reader.line_num})]) from None
    return rows


def _decode(data: bytes) -> str | None:
    if data.startswith(codecs.BOM_UTF8):
        candidates = [(data[len(codecs.BOM_UTF8):], "utf-8")]
    else:
        candidates = [(data, encoding) for encoding in CSV_ENCODINGS]
    for raw, encoding in candidates:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        return None if "\x00" in text else text  # NUL: a binary file, whatever it decoded as
    return None


def _xlsx_rows(data: bytes, path: Path) -> list[tuple[int, list[str]]]:
    import openpyxl  # only the XLSX path needs it

    try:
        with warnings.catch_warnings():  # openpyxl warns about styles it ignores; not the user's problem
            warnings.simplefilter("ignore")
            workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise InputError([Problem("bad_workbook", {"path": str(path)})]) from None
    sheet = workbook.worksheets[0]  # the first sheet holds the responses
    return [
        (number, [_cell_text(value) for value in values])
        for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1)
    ]


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores 4 as 4.0
    return str(value)


# --- header and records -----------------------------------------------------------


def _read_header(table: _Table) -> tuple[dict[str, int], list[str], list[Problem]]:
    """Column positions of the fixed columns, the item names, and header problems."""
    names = [name.strip() for name in table.header]
    line = table.header_line
    problems, positions, items, seen = [], {}, [], set()
    for position, name in enumerate(names):
        key = name.lower()
        if not name:
            if _column_is_blank(table, position):
                continue  # a stray trailing separator, nothing in it
            problems.append(Problem("blank_column_name", {"line": line, "position": position + 1}))
        elif key in seen:
            problems.append(Problem("duplicate_column", {"line": line, "column": name}))
        elif key in REQUIRED_COLUMNS or key in OPTIONAL_COLUMNS or key in IGNORED_COLUMNS:
            positions[key] = position
        else:
            positions[name] = position
            items.append(name)
        seen.add(key)
    problems += [Problem("missing_column", {"line": line, "column": c}) for c in REQUIRED_COLUMNS if c not in positions]
    if not items and not problems:
        problems.append(Problem("no_items", {"line": line}))
    return positions, items, problems


def _item_positions(header: list[str]) -> set[int]:
    """Where ``_read_header`` will find items: named columns other than the fixed ones, first of each name."""
    positions, seen = set(), set()
    for position, name in enumerate(header):
        key = name.strip().lower()
        if key and key not in seen and key not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS + IGNORED_COLUMNS:
            positions.add(position)
        seen.add(key)
    return positions


def _column_is_blank(table: _Table, position: int) -> bool:
    return position in table.blank_columns


def _records_frame(table: _Table, positions: dict[str, int]) -> tuple[pd.DataFrame, np.ndarray, list[Problem]]:
    """The rows as stripped text, one column per named column, with their lines and the refused rows' problems."""
    # copy=False: each column stays its own block (no stacking of a million-row float block).
    frame = pd.DataFrame({name: _stripped(table.cells[position]) for name, position in positions.items()}, copy=False)
    return frame.reset_index(drop=True), table.lines, list(table.problems)


def _stripped(column: pd.Series) -> pd.Series:
    return column if column.dtype.kind == "f" else column.str.strip()  # numbers parsed while reading have no spaces


def _check_keys(frame: pd.DataFrame, lines: np.ndarray) -> list[Problem]:
    problems = []
    for column in KEY_COLUMNS:
        blank = (frame[column] == "").to_numpy()
        problems += [Problem("blank_value", {"line": int(line), "column": column}) for line in lines[blank]]
    # A file has a handful of distinct rounds: match the pattern once per distinct value, not once per row.
    rounds = pd.Series(frame["round"].unique())
    wrong = rounds[~rounds.str.fullmatch(ROUND_PATTERN.pattern) & (rounds != "")]
    bad_round = frame["round"].isin(wrong).to_numpy() if len(wrong) else np.zeros(len(frame), dtype=bool)
    problems += [
        Problem("bad_round", {"line": int(line), "column": "round", "value": value})
        for line, value in zip(lines[bad_round], frame["round"][bad_round])
    ]
    return problems


def _check_panels(frame: pd.DataFrame, lines: np.ndarray) -> list[Problem]:
    """A ``panel`` value must be a panel code (any case) or blank; blank becomes ``enterprise`` (in place)."""
    if "panel" not in frame.columns:
        return []
    written = frame["panel"]
    panel = written.str.lower().replace("", ENTERPRISE)
    bad = (~panel.isin(PANELS)).to_numpy()
    frame["panel"] = panel
    return [
        Problem("bad_panel", {"line": int(line), "column": "panel", "value": value, "panels": ", ".join(PANELS)})
        for line, value in zip(lines[bad], written[bad])
    ]


def _ratings(frame, items, lines, config) -> tuple[dict[str, np.ndarray], list[Problem]]:
    """Each item's ratings as floats (NaN = blank), and a problem for every cell that is not a whole level."""
    columns, problems = {}, []
    for item in items:
        if frame[item].dtype.kind == "f":  # parsed while reading: NaN is blank, the rest must be whole levels
            values = frame[item].to_numpy(dtype=float)
            if not _all_levels_or_blank(values, config):
                raise _NeedText()
            columns[item] = values
            continue
        values, bad = _rating_column(frame[item], config)
        columns[item] = values
        problems += [
            Problem("bad_rating", {"line": int(line), "column": item, "value": value,
                                   "lowest": config.lowest_level, "highest": config.highest_level})
            for line, value in zip(lines[bad], frame[item][bad])
        ]
    return columns, problems


def _rating_column(text: pd.Series, config: ScoringConfig) -> tuple[np.ndarray, np.ndarray]:
    """Ratings as floats (NaN for blank) and the mask of cells that are not a whole level."""
    blank = (text == "").to_numpy()
    try:  # fast path: every cell is a plain number or blank
        values = text.where(~blank).astype("float64").to_numpy(dtype=float, na_value=np.nan, copy=True)
    except (TypeError, ValueError):
        values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float, na_value=np.nan, copy=True)
    unparsed = np.flatnonzero(np.isnan(values) & ~blank)
    for position in unparsed:  # slow path for what pandas cannot read, e.g. full-width digits
        values[position] = _decimal_value(text.iloc[position])
    values[blank] = np.nan
    return _checked_levels(values, config, blank)


def _all_levels_or_blank(values: np.ndarray, config: ScoringConfig) -> bool:
    """Every value NaN (blank) or a whole level; a single pass per test, no copies (a million rows, five items)."""
    answered = values[~np.isnan(values)]
    return bool(len(answered) == 0 or (answered.min() >= config.lowest_level and answered.max() <= config.highest_level
                                       and np.array_equal(answered, np.rint(answered))))


def _checked_levels(values: np.ndarray, config: ScoringConfig, blank: np.ndarray):
    """(values with everything but whole levels set to NaN, mask of non-blank cells that are not a whole level)."""
    whole = np.isfinite(values) & (values == np.round(values))
    in_range = (values >= config.lowest_level) & (values <= config.highest_level)
    bad = ~blank & ~(whole & in_range)
    values[bad | blank] = np.nan
    return values, bad


def _decimal_value(text: str) -> float:
    try:
        return float(Decimal(text))
    except (InvalidOperation, ValueError):
        return np.nan


def _duplicates(frame: pd.DataFrame, lines: np.ndarray, rater_codes: tuple[np.ndarray, int]) -> list[Problem]:
    repeated = _repeated_keys(frame, rater_codes)
    if not repeated.any():
        return []
    first_line = pd.Series(lines, index=frame.index).groupby([frame[c] for c in KEY_COLUMNS]).transform("first")
    return [
        Problem("duplicate_response", {"line": int(lines[i]), "first_line": int(first_line.iloc[i]),
                                       "round": frame["round"].iloc[i], "enterprise": frame["enterprise"].iloc[i],
                                       "agency": frame["agency"].iloc[i]})
        for i in np.flatnonzero(repeated)
    ]


def _repeated_keys(frame: pd.DataFrame, rater_codes: tuple[np.ndarray, int]) -> np.ndarray:
    """``frame.duplicated(KEY_COLUMNS)`` on one integer per row: hashing three string columns together is slow."""
    key, distinct = np.zeros(len(frame), dtype=np.int64), 1
    for column in KEY_COLUMNS:
        values = frame[column]
        codes, count = ((values.cat.codes.to_numpy(), len(values.cat.categories)) if values.dtype == "category"
                        else rater_codes if column == "enterprise" else _codes(values))
        if distinct * count >= 2**62:  # keep the combined key inside int64: renumber what is there so far
            key, distinct = _codes(pd.Series(key))
        key, distinct = key * count + codes, distinct * count
    return pd.Series(key).duplicated(keep="first").to_numpy()


def _codes(values: pd.Series) -> tuple[np.ndarray, int]:
    """Integer codes of distinct values (any order), and how many there are."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        import pyarrow as pa  # text read by pyarrow: encode it there, without pandas' conversions

        encoded = pa.chunked_array(pa.array(values.array)).combine_chunks().dictionary_encode()
        return encoded.indices.to_numpy().astype(np.int64), len(encoded.dictionary)
    codes, uniques = pd.factorize(values)
    return codes.astype(np.int64), len(uniques)


def _problem_order(header: list[str]):
    order = {name.strip(): i for i, name in enumerate(header)}

    def key(problem: Problem):
        params = problem.params
        return (params.get("line", 0), order.get(params.get("column"), len(order)))

    return key
