"""Reading an uploaded table (CSV or XLSX) into numbered rows.

CSV may be UTF-8, UTF-8 with BOM, or GB18030 (what Excel on a Chinese Windows
saves). Line numbers are those a person sees in the file: the header is line 1.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from surveys.errors import InvalidInput


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line number, column -> text)


def decode_csv(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("import.bad_encoding")


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _table_from_lines(lines: list[tuple[int, list]]) -> Table:
    if not lines:
        raise InvalidInput("import.empty_file")
    _, first = lines[0]
    header = [_cell_text(h) for h in first]
    rows = []
    for line, cells in lines[1:]:
        texts = [_cell_text(c) for c in cells]
        if not any(texts):
            continue  # blank lines are not rows
        rows.append((line, {col: (texts[i] if i < len(texts) else "") for i, col in enumerate(header)}))
    return Table(header=header, rows=rows)


def read_csv(data: bytes) -> Table:
    text = decode_csv(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        lines = [(reader.line_num, row) for row in reader]
    except csv.Error as exc:
        raise InvalidInput("import.bad_csv", line=reader.line_num, reason=str(exc)) from exc
    return _table_from_lines(lines)


def read_xlsx(data: bytes) -> Table:
    import openpyxl  # only needed for Excel files

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InvalidInput("import.bad_xlsx", reason=type(exc).__name__) from exc
    sheet = book.worksheets[0]
    lines = [(i, list(row)) for i, row in enumerate(sheet.iter_rows(values_only=True), start=1)]
    book.close()
    return _table_from_lines(lines)


def read_table(data: bytes, filename: str) -> Table:
    name = filename.lower()
    if name.endswith(".xlsx"):
        return read_xlsx(data)
    if name.endswith(".csv") or name.endswith(".txt"):
        return read_csv(data)
    raise InvalidInput("import.unknown_type", filename=filename)
