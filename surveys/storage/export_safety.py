"""Formula-injection neutralisation for every CSV/Excel export (DESIGN §6).

This module is the one writer of spreadsheet bytes: a table goes out through
``csv_bytes`` or ``xlsx_bytes``, a workbook built with openpyxl through
``workbook_bytes``, which neutralises every cell of every sheet on its way out,
so a text that reached a cell unchecked is still caught.

A spreadsheet treats a cell that starts with = + - @ (or, in some programs, a tab
or carriage return, or the full-width forms ＝＋－＠) as a formula. Text that
anyone could have typed — enterprise comments, names, imported rows — must
therefore never reach a cell in that shape. We prefix such text with an
apostrophe, which spreadsheets show as plain text and which keeps the text
readable. Numbers, dates and empty cells pass through untouched, so numeric
columns stay numeric.
"""
from __future__ import annotations

import io

import pandas as pd

# Characters that start a formula, in ASCII and full-width form.
FORMULA_STARTS = frozenset("=+-@＝＋－＠")
# Control characters some spreadsheets also act on when a cell starts with them.
CONTROL_STARTS = frozenset("\t\r\n")


def is_dangerous(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula."""
    if not text:
        return False
    if text[0] in FORMULA_STARTS or text[0] in CONTROL_STARTS:
        return True
    # Leading (also full-width) spaces are skipped by some importers.
    stripped = text.lstrip()
    return bool(stripped) and stripped[0] in FORMULA_STARTS


def safe_cell(value):
    """The value as it may go into a cell: dangerous text gets a leading "'"."""
    if isinstance(value, str) and is_dangerous(value):
        return "'" + value
    return value


def _is_text_column(series: pd.Series) -> bool:
    return series.dtype == object or pd.api.types.is_string_dtype(series.dtype)


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells and column labels are all safe."""
    out = df.copy()
    for column in out.columns:
        if _is_text_column(out[column]):
            out[column] = out[column].map(safe_cell, na_action="ignore")
    out.columns = [safe_cell(c) for c in out.columns]
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """A formula-safe CSV in UTF-8 with a BOM, so that Excel on a Chinese Windows opens it right."""
    return safe_frame(df).to_csv(index=False).encode("utf-8-sig")


def neutralise_workbook(book) -> None:
    """Make every text cell and sheet title of an openpyxl workbook safe, in place.

    openpyxl stores a text starting with "=" as a formula; reassigning the safe
    text turns the cell back into plain text."""
    for sheet in book.worksheets:
        sheet.title = safe_cell(sheet.title)
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.value = safe_cell(cell.value)


def workbook_bytes(book) -> bytes:
    """An openpyxl workbook as .xlsx bytes, every cell made safe first."""
    neutralise_workbook(book)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_bytes(df: pd.DataFrame, sheet_name: str, widths: tuple[int, ...] = ()) -> bytes:
    """A formula-safe one-sheet workbook; ``widths`` sets the first columns' widths."""
    import openpyxl
    from openpyxl.utils import get_column_letter

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = sheet_name
    frame = safe_frame(df)
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append([None if _missing(v) else v for v in row])
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    return workbook_bytes(book)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NaT
