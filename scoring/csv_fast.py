"""The fast way through a plain CSV file: line structure with numpy, fields with pyarrow.

Most responses files are plain: no quote character, ``\\n`` or ``\\r\\n`` line
ends, every row as wide as the header. For those, one record is one physical
line, so the line numbers that problems need come from the positions of the
newlines; numpy finds blank lines and counts the separators of every line in
a few vectorised passes, and pyarrow's multi-threaded CSV reader splits the
fields. Anything else (quotes, which may hide separators and line breaks; a
lone ``\\r``; a row of the wrong width, which pyarrow refuses and which must be
reported line by line) returns None, and ``scoring.io`` reads the file record by record with Python's
``csv`` module as before, so every message stays exactly the same.

Blank lines follow ``scoring.io``'s rule: a line whose fields are all
whitespace is skipped (``"".join(fields).strip() == ""``).
"""
from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

NEWLINE, QUOTE = 10, b'"'
# Per byte: 0 whitespace or separator, 1 a byte of a non-ASCII character (may be
# Unicode whitespace: checked exactly), 2 anything else (the line is not blank).
_KIND = np.full(256, 2, dtype=np.uint8)
_KIND[[ord(c) for c in " \t\n\v\f\r\x1c\x1d\x1e\x1f,"]] = 0
_KIND[0x80:] = 1
BLOCK_BYTES = 1 << 22  # pyarrow parses blocks of this size on its threads
CHECK_BYTES = 1 << 22  # pieces for the checks done in Python and numpy


@dataclass(frozen=True)
class FastTable:
    header: list[str]
    header_line: int
    cells: dict[int, pd.Series]  # position 0..width-1 → the raw text of its fields (or numbers, if asked)
    lines: np.ndarray  # physical line of each row


def utf8_bytes(data: bytes, encodings: tuple[str, ...]) -> bytes | None:
    """The file as UTF-8 bytes (BOM removed), trying ``encodings`` in turn; None if none fits or it holds NUL."""
    if b"\x00" in data:
        return None  # a binary file, whatever it decodes as
    if data.startswith(codecs.BOM_UTF8):
        data, encodings = data[len(codecs.BOM_UTF8):], ("utf-8",)
    for encoding in encodings:
        if encoding == "utf-8":
            if _is_utf8(data):
                return data
            continue
        try:
            return data.decode(encoding).encode("utf-8")
        except UnicodeDecodeError:
            continue
    return None


def _is_utf8(data: bytes) -> bool:
    """Checked piece by piece: decoding a whole big file at once would hold a second copy of it as text."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for start in range(0, len(data), CHECK_BYTES):
            decoder.decode(data[start:start + CHECK_BYTES])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def read_plain_csv(data: bytes, numeric: Callable[[list[str]], set[int]] | None = None) -> FastTable | None:
    """The table in UTF-8 ``data``, or None when the file is not plain (see the module docstring) or has no line.

    ``numeric(header)`` names the positions to parse as numbers while reading
    (float64, NaN for an empty cell): parsing in pyarrow's threads is far
    cheaper than making a million strings first. If any such cell is not a
    plain number (a space, text, "nan"), every column is read as text instead.
    """
    if QUOTE in data or data.count(b"\r") != data.count(b"\r\n"):
        return None
    raw = np.frombuffer(data, dtype=np.uint8)
    starts, ends = _line_bounds(raw)
    if not len(starts):
        return None
    kept = np.flatnonzero(_not_blank(raw, data, starts, ends))
    if not len(kept):
        return None  # an empty file: the careful reader words it
    header = data[starts[kept[0]]:ends[kept[0]]].decode("utf-8").rstrip("\r").split(",")
    records = kept[1:]
    body = _body(raw, data, starts, records)
    cells = _fields(body, len(header), len(records), numeric(header) if numeric else set())
    if cells is None and numeric:
        cells = _fields(body, len(header), len(records), set())
    if cells is None:
        return None
    return FastTable(header, int(kept[0]) + 1, cells, (records + 1).astype(np.int64))


def _line_bounds(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (exclusive, before ``\\n``) of every physical line; an empty tail after the last ``\\n`` is none."""
    # Piece by piece, so that the comparison's temporary stays small whatever the file's size.
    newlines = np.concatenate([np.flatnonzero(raw[start:start + CHECK_BYTES] == NEWLINE) + start
                               for start in range(0, len(raw), CHECK_BYTES)] or [np.zeros(0, dtype=np.int64)])
    starts = np.concatenate([[0], newlines + 1])
    ends = np.concatenate([newlines, [len(raw)]])
    if starts[-1] == len(raw):
        starts, ends = starts[:-1], ends[:-1]
    return starts, ends


def _not_blank(raw: np.ndarray, data: bytes, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    # A line whose first byte is text is not blank: that settles nearly every line without
    # looking at the rest of it. The others are scanned byte by byte.
    kind = _KIND[raw[starts]]
    unsure = np.flatnonzero(kind != 2)
    if len(unsure):
        kind[unsure] = [_KIND[raw[starts[line]:ends[line]]].max(initial=0) for line in unsure]
    maybe = np.flatnonzero(kind == 1)  # only non-ASCII text besides separators: decide exactly
    for line in maybe:
        text = data[starts[line]:ends[line]].decode("utf-8")
        kind[line] = 2 if text.replace(",", "").strip() else 0
    return kind == 2


def _body(raw: np.ndarray, data: bytes, starts: np.ndarray, records: np.ndarray) -> bytes:
    """The bytes of the record lines only: a slice, or (with blank lines among them) a masked copy."""
    if not len(records):
        return b""
    first = records[0]
    if len(records) == len(starts) - first:  # no blank line after the header
        return data[starts[first]:]
    keep = np.zeros(len(starts), dtype=bool)
    keep[records] = True
    lengths = np.diff(np.concatenate([starts, [len(raw)]]))
    return raw[np.repeat(keep, lengths)].tobytes()


def _fields(body: bytes, width: int, rows: int, numeric: set[int]) -> dict[int, pd.Series] | None:
    """The fields of ``rows`` record lines: text, or float64 at the ``numeric`` positions; None if pyarrow refuses."""
    names = [str(position) for position in range(width)]
    if not rows:
        return {position: pd.Series([], dtype=str) for position in range(width)}
    import pyarrow as pa  # only the command line reads files: the engine itself does not need pyarrow
    import pyarrow.compute as pc
    from pyarrow import csv as pacsv

    # large_string is what pandas keeps text in: reading it so saves a conversion copy of every text column.
    types = {name: pa.float64() if position in numeric else pa.large_string() for position, name in enumerate(names)}
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body),
            read_options=pacsv.ReadOptions(column_names=names, block_size=BLOCK_BYTES),
            parse_options=pacsv.ParseOptions(quote_char=False, ignore_empty_lines=False),
            # Only an empty cell is missing: "NA" or "null" in a rating column must be refused, not taken as blank.
            convert_options=pacsv.ConvertOptions(column_types=types, null_values=[""], strings_can_be_null=False),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != rows:  # cannot happen for a plain file; the careful reader decides if it does
        return None
    if any(pc.any(pc.is_nan(table.column(str(p)))).as_py() for p in numeric):
        return None  # a written "nan" would look blank once parsed
    # Column by column: a whole-table to_pandas would first stack the number columns into one block.
    return {position: _column(table.column(name)) for position, name in enumerate(names)}


def _column(values) -> pd.Series:
    if values.type == "double":
        return pd.Series(values.to_numpy(), copy=False)  # nulls become NaN
    return values.to_pandas()  # text stays in Arrow memory (pandas' str dtype)
