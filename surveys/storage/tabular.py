"""Reading an uploaded table (CSV or XLSX) into numbered rows, within limits.

CSV may be UTF-8, UTF-8 with BOM, or GB18030 (what Excel on a Chinese Windows
saves). Line numbers are those a person sees in the file: the header is line 1.

Every upload is someone else's file, so nothing here trusts it: a file larger
than ``MAX_BYTES`` is refused before it is parsed; rows are read one at a time
and reading stops at the first line past ``MAX_ROWS`` (after the header, blank
lines included) or the first cell past ``MAX_COLUMNS``, so a hostile file costs no more memory than an honest one of
the largest size allowed. An XLSX's own claim about its size (its
``<dimension>``) is ignored — openpyxl would otherwise pad every row to it —
and its packed parts may not unpack to more than ``MAX_UNPACKED_BYTES``.

A CSV that decodes without error may still be in the wrong encoding: Big5
(Traditional Chinese) bytes are valid GB18030 and come out as private-use or
unassigned characters. Text like that is refused, naming the first place it
occurs, rather than stored as mojibake.
"""
from __future__ import annotations

import codecs
import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from surveys.core.errors import InvalidInput

MAX_BYTES = 5 * 1024 * 1024  # an honest roster or paper-return file is well under 1 MB
MAX_UNPACKED_BYTES = 50 * 1024 * 1024  # an XLSX's parts, unpacked (a zip bomb is small packed)
MAX_ROWS = 20_000  # lines after the header; a county has a few thousand enterprises
MAX_COLUMNS = 60  # the widest file, a paper return, has 4 fixed columns and one per questionnaire item
CSV_ENCODINGS = ("utf-8-sig", "gb18030")
NOT_TEXT = frozenset({"Co", "Cn"})  # private use and unassigned: what a wrong encoding produces


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line number, column -> text)


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


def check_size(size: int) -> None:
    """Refuse a file larger than the limit, before anything reads it."""
    if size > MAX_BYTES:
        raise InvalidInput("import.too_large", size=_megabytes(size), maximum=_megabytes(MAX_BYTES))


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _bounded(lines: Iterable[tuple[int, Iterable]]) -> list[tuple[int, list[str]]]:
    """The lines as text, stopping at the first one past the row or column limit."""
    kept: list[tuple[int, list[str]]] = []
    for line, cells in lines:
        if line > MAX_ROWS + 1:  # counting blank lines too bounds the time a sparse sheet takes
            raise InvalidInput("import.too_many_rows", line=line, maximum=MAX_ROWS)
        texts = [_cell_text(c) for c in cells]
        while texts and not texts[-1]:
            texts.pop()  # trailing empty cells are no column
        if len(texts) > MAX_COLUMNS:
            raise InvalidInput("import.too_many_columns", line=line, found=len(texts), maximum=MAX_COLUMNS)
        if not texts and kept:
            continue  # blank lines are not rows
        kept.append((line, texts))
    return kept


def _table_from_lines(lines: list[tuple[int, list[str]]]) -> Table:
    if not lines:
        raise InvalidInput("import.empty_file")
    _, header = lines[0]
    rows = [(line, {col: (texts[i] if i < len(texts) else "") for i, col in enumerate(header)})
            for line, texts in lines[1:]]
    return Table(header=header, rows=rows)


# --- CSV ----------------------------------------------------------------------------

def _not_text(text: str) -> str | None:
    """The first private-use or unassigned character of ``text``, if any."""
    if text.isascii():
        return None
    return next((ch for ch in text if unicodedata.category(ch) in NOT_TEXT), None)


def _checked_text(lines: Iterator[tuple[int, list[str]]], encoding: str):
    """The lines unchanged, refusing at the first cell whose characters say the encoding is wrong."""
    header: list[str] = []
    for line, cells in lines:
        header = header or cells
        for position, cell in enumerate(cells, start=1):
            wrong = _not_text(cell)
            if wrong is not None:
                column = header[position - 1] if line > 1 and position <= len(header) else f"#{position}"
                raise InvalidInput("import.wrong_encoding", line=line, column=column or f"#{position}",
                                   encoding=encoding.removesuffix("-sig").upper(), character=f"U+{ord(wrong):04X}")
        yield line, cells


def _csv_lines(data: bytes, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the record starts, fields), decoding as it goes; a quoted field may span lines."""
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    reader = csv.reader(stream)
    next_line = 1
    try:
        for fields in reader:
            yield next_line, fields
            next_line = reader.line_num + 1
    except csv.Error as exc:
        raise InvalidInput("import.bad_csv", line=reader.line_num, reason=str(exc)) from exc


def read_csv(data: bytes) -> Table:
    check_size(len(data))
    if data.startswith(codecs.BOM_UTF8):
        encodings: tuple[str, ...] = ("utf-8-sig",)  # a BOM says UTF-8, whatever else the bytes could be
    else:
        encodings = CSV_ENCODINGS
    for encoding in encodings:
        try:
            return _table_from_lines(_bounded(_checked_text(_csv_lines(data, encoding), encoding)))
        except UnicodeDecodeError:
            continue  # not this encoding: read again from the start with the next
    raise InvalidInput("import.bad_encoding")


# --- XLSX ---------------------------------------------------------------------------

def _check_unpacked_size(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InvalidInput("import.bad_xlsx", reason=type(exc).__name__) from exc
    if unpacked > MAX_UNPACKED_BYTES:
        raise InvalidInput("import.too_large_unpacked", size=_megabytes(unpacked),
                           maximum=_megabytes(MAX_UNPACKED_BYTES))


def read_xlsx(data: bytes) -> Table:
    import openpyxl  # only needed for Excel files

    check_size(len(data))
    _check_unpacked_size(data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InvalidInput("import.bad_xlsx", reason=type(exc).__name__) from exc
    try:
        sheet = book.worksheets[0]
        # Ignore the sheet's declared size: rows then hold only the cells the file really has.
        sheet.reset_dimensions()
        lines = _bounded(enumerate(sheet.iter_rows(values_only=True), start=1))
    except InvalidInput:
        raise
    except Exception as exc:  # a damaged sheet only shows itself while being read
        raise InvalidInput("import.bad_xlsx", reason=type(exc).__name__) from exc
    finally:
        book.close()
    return _table_from_lines(lines)


def read_table(data: bytes, filename: str) -> Table:
    name = filename.lower()
    if name.endswith(".xlsx"):
        return read_xlsx(data)
    if name.endswith(".csv") or name.endswith(".txt"):
        return read_csv(data)
    raise InvalidInput("import.unknown_type", filename=filename)
