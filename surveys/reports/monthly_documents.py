"""The monthly bulletin (月通报) as a PDF and as an Excel workbook, Chinese by default.

Both are built from one ``MonthlyBulletin`` (surveys/reports/monthly.py) with the quarterly
bulletin's and workbook's own helpers: the embedded CJK font, page footer, headings and paragraphs
of ``bulletin.BulletinPDF`` (here on a landscape page, for the table's fourteen columns), and the
formula-safe tables of ``workbook``. Only the administrator and the discipline office export
(``reports.export``); the files hold agency-level figures and ticket numbers, never an enterprise.
"""
from __future__ import annotations

from io import BytesIO

import sqlite_utils
import vl_convert
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Font

import labels
from charts.monthly import STATUS_COLOURS, handling_bars
from i18n import t
from surveys.core import clock
from surveys.core.actors import Actor
from surveys.core.permissions import requires
from surveys.reports import monthly
from surveys.reports import monthly_figures as figures
from scoring import rates as standard
from surveys.reports.bulletin import CHART_SCALE, FAMILY, TEXT_GREY, BulletinPDF
from surveys.reports.workbook import DATE_FORMAT, PERCENT_FORMAT, colour_column, write_table
from surveys.storage.export_safety import safe_cell, workbook_bytes

HEADING_FILL = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))
TABLE_HEADING = FontFace(emphasis="BOLD", fill_color=(230, 230, 230), size_pt=7.5)  # "Overdue" in 15 mm
OVERDUE_FILL = FontFace(fill_color=(253, 224, 221))  # the case inbox's shade for overdue rows
# rank, agency, five counts for cases, five for problems, two rates (mm, A4 landscape text width 265);
# English agency names are about twice as long as Chinese ones
TABLE_WIDTHS = {"zh": (14, 50, *(15,) * 10, 25.5, 25.5), "en": (16, 60, *(15,) * 10, 19.5, 19.5)}
OVERDUE_WIDTHS = (30, 85, 40, 40, 40)
CHART_WIDTH_MM = 200


def month_text(bulletin: monthly.MonthlyBulletin, lang: str) -> str:
    return labels.month_label(bulletin.period.year, bulletin.period.month, lang)


def cutoff_text(bulletin: monthly.MonthlyBulletin, lang: str) -> str:
    """The moment the figures are taken at, as people read it (county time): now, or the month's
    last day at 24:00 (not the next month's first minute)."""
    period = bulletin.period
    if period.current:
        return clock.format_datetime(period.cutoff, lang)
    return t("monthly.doc.month_end", lang, last_day=clock.format_date(period.last_day, lang))


def measure_header(kind: str, measure: str, lang: str) -> str:
    return t(f"monthly.col_{kind}", lang, measure=t(f"monthly.{measure}", lang))


def kind_text(kind: str, lang: str) -> str:
    return t(f"monthly.kind_{kind}", lang)


def item_text(kind: str, ref, lang: str) -> str:
    return t(f"monthly.item_{kind}", lang, ref=int(ref))


def chart_frame(bulletin: monthly.MonthlyBulletin, lang: str):
    """The table as the chart draws it: names in ``lang``, best rank first."""
    frame = bulletin.table[["agency", *STATUS_COLOURS]].copy()
    frame["agency_label"] = [bulletin.agency_name(code, lang) for code in frame["agency"]]
    return frame


# --- PDF ---------------------------------------------------------------------------

def _pdf_title(bulletin: monthly.MonthlyBulletin, lang: str) -> str:
    return t("monthly.doc.title", lang, county=bulletin.county).strip()


def _pdf_header(pdf: BulletinPDF, bulletin: monthly.MonthlyBulletin, lang: str) -> None:
    pdf.set_font(FAMILY, "B", 18)
    pdf.cell(0, 11, _pdf_title(bulletin, lang), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 13)
    pdf.cell(0, 7, t("monthly.doc.subtitle", lang, month=month_text(bulletin, lang)), align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 9)
    pdf.set_text_color(*TEXT_GREY)
    pdf.cell(0, 6, t("monthly.doc.generated", lang, cutoff=cutoff_text(bulletin, lang),
                     generated=clock.format_datetime(clock.now_iso(), lang)),
             align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


def _summary_values(totals: dict) -> dict:
    return {**{k: v for k, v in totals.items() if not k.endswith("_rate")},
            "rectification_rate": labels.rate_text(totals["rectification_rate"]),
            "on_time_rate": labels.rate_text(totals["on_time_rate"])}


def _pdf_table(pdf: BulletinPDF, bulletin: monthly.MonthlyBulletin, lang: str) -> None:
    pdf.heading(t("monthly.doc.table_heading", lang))
    pdf.set_font(FAMILY, "", 8.5)
    with pdf.table(col_widths=TABLE_WIDTHS.get(lang, TABLE_WIDTHS["zh"]), text_align="CENTER", line_height=4.7, num_heading_rows=2,
                   headings_style=TABLE_HEADING) as table:
        top = table.row()
        top.cell(t("monthly.rank", lang), rowspan=2)
        top.cell(t("monthly.agency", lang), rowspan=2)
        top.cell(t("monthly.cases_group", lang), colspan=5)
        top.cell(t("monthly.problems_group", lang), colspan=5)
        top.cell(t("monthly.rectification_rate", lang), rowspan=2)
        top.cell(t("monthly.on_time_rate", lang), rowspan=2)
        second = table.row()
        for _kind in figures.KINDS:
            for measure in figures.MEASURES:
                second.cell(t(f"monthly.{measure}", lang))
        for _, r in bulletin.table.iterrows():
            row = table.row()
            row.cell(labels.rank_text(r["rank"], lang) if r["rank"] is not None else "—")
            row.cell(bulletin.agency_name(r["agency"], lang), align="LEFT")
            for kind in figures.KINDS:
                for measure in figures.MEASURES:
                    value = int(r[f"{kind}_{measure}"])
                    row.cell(str(value), style=OVERDUE_FILL if measure == "overdue" and value else None)
            row.cell(labels.rate_text(r["rectification_rate"]))
            row.cell(labels.rate_text(r["on_time_rate"]))
        totals = bulletin.totals
        row = table.row(style=FontFace(emphasis="BOLD"))
        row.cell("")
        row.cell(t("monthly.doc.county_total", lang), align="LEFT")
        for kind in figures.KINDS:
            for measure in figures.MEASURES:
                row.cell(str(totals[f"{kind}_{measure}"]))
        row.cell(labels.rate_text(totals["rectification_rate"]))
        row.cell(labels.rate_text(totals["on_time_rate"]))


RATE_WIDTHS = (47, *(26,) * len(standard.RATES), 18, 18)  # unit, seven rates, 默认满意, 不满意 (mm)


def rate_unit_text(bulletin: monthly.MonthlyBulletin, row, lang: str) -> str:
    if row["scope"] == standard.COUNTY:
        return t("loop.rates.county", lang)
    if row["scope"] == standard.GROUP:
        return t("loop.rates.group", lang, group=labels.group_name(row["unit"], bulletin.groups, lang))
    return bulletin.agency_name(row["unit"], lang)


def _pdf_rates(pdf: BulletinPDF, bulletin: monthly.MonthlyBulletin, lang: str) -> None:
    """The month's standard rates (issue 15), each with its change from the previous month."""
    pdf.heading(t("loop.rates.heading", lang))
    pdf.paragraph(t("loop.rates.doc_caption", lang), size=8, grey=True)
    if bulletin.rates.empty:
        pdf.paragraph(t("loop.rates.none", lang))
        return
    pdf.set_font(FAMILY, "", 7.5)
    headers = [t("loop.rates.scope", lang), *(t(f"loop.rates.{rate}", lang) for rate in standard.RATES),
               t("loop.rates.default_satisfied", lang), t("loop.rates.reopened", lang)]
    with pdf.table(col_widths=RATE_WIDTHS, text_align="CENTER", line_height=4.5, headings_style=TABLE_HEADING,
                   width=sum(RATE_WIDTHS)) as table:
        table.row(headers)
        for _, r in bulletin.rates.iterrows():
            row = table.row(style=FontFace(emphasis="BOLD") if r["scope"] == standard.COUNTY else None)
            row.cell(rate_unit_text(bulletin, r, lang), align="LEFT")
            for rate in standard.RATES:
                row.cell(labels.rate_text(r[rate], change=r[f"{rate}_change"]))
            row.cell(str(int(r["default_ratings"])))
            row.cell(str(int(r["dissatisfied_ratings"])))


def chart_png(bulletin: monthly.MonthlyBulletin, lang: str) -> bytes:
    chart = handling_bars(chart_frame(bulletin, lang), lang, titled=False).properties(width=760)
    return vl_convert.vegalite_to_png(chart.to_dict(validate=False), scale=CHART_SCALE)


def _pdf_chart(pdf: BulletinPDF, bulletin: monthly.MonthlyBulletin, lang: str) -> None:
    png = chart_png(bulletin, lang)
    # its height (from the PNG header: width, height at bytes 16–24) decides whether it fits here
    width_px, height_px = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    height = CHART_WIDTH_MM * height_px / width_px
    if pdf.get_y() + 12 + height > pdf.page_break_trigger:
        pdf.add_page()
    pdf.heading(t("monthly.doc.chart_heading", lang))
    pdf.image(BytesIO(png), x=pdf.l_margin, w=CHART_WIDTH_MM)


def _pdf_overdue(pdf: BulletinPDF, bulletin: monthly.MonthlyBulletin, lang: str) -> None:
    pdf.heading(t("monthly.doc.overdue_heading", lang))
    pdf.paragraph(t("monthly.overdue_caption", lang), size=8, grey=True)
    if bulletin.overdue.empty:
        pdf.paragraph(t("monthly.overdue_none", lang))
        return
    pdf.set_font(FAMILY, "", 9)
    headers = [t(f"monthly.{k}", lang) for k in ("item", "agency", "opened_on", "due_on", "days_overdue")]
    with pdf.table(col_widths=OVERDUE_WIDTHS, text_align="CENTER", line_height=6, headings_style=HEADING_FILL,
                   width=sum(OVERDUE_WIDTHS), align="LEFT") as table:
        table.row(headers)
        for _, r in bulletin.overdue.iterrows():
            row = table.row()
            row.cell(item_text(r["kind"], r["ref"], lang))
            row.cell(bulletin.agency_name(r["agency"], lang), align="LEFT")
            row.cell(clock.format_date(r["opened_on"], lang))
            row.cell(clock.format_date(r["due_on"], lang))
            row.cell(str(int(r["days_overdue"])))


def build_pdf(bulletin: monthly.MonthlyBulletin, lang: str) -> bytes:
    """The month's bulletin as PDF bytes, in ``lang`` (A4 landscape)."""
    footer = t("monthly.doc.footer", lang, month=month_text(bulletin, lang),
               generated=clock.format_datetime(clock.now_iso(), lang))
    pdf = BulletinPDF(lang, footer, orientation="L")
    pdf.set_title(_pdf_title(bulletin, lang))
    pdf.set_lang("zh-CN" if lang == "zh" else "en")
    pdf.set_creator("Qiping")
    pdf.add_page()
    _pdf_header(pdf, bulletin, lang)
    pdf.heading(t("monthly.doc.summary_heading", lang))
    pdf.paragraph(t("monthly.doc.summary", lang, **_summary_values(bulletin.totals)))
    _pdf_table(pdf, bulletin, lang)
    _pdf_chart(pdf, bulletin, lang)
    _pdf_rates(pdf, bulletin, lang)
    _pdf_overdue(pdf, bulletin, lang)
    pdf.heading(t("monthly.doc.definitions_heading", lang))
    pdf.paragraph(t("monthly.doc.definitions", lang), size=8.5)
    pdf.paragraph(t("monthly.doc.privacy", lang), size=8, grey=True)
    return bytes(pdf.output())


# --- Excel -------------------------------------------------------------------------

def _summary_sheet(ws, bulletin: monthly.MonthlyBulletin, lang: str) -> None:
    ws.title = safe_cell(t("monthly.doc.sheet_summary", lang))
    totals = bulletin.totals
    lines = [
        [_pdf_title(bulletin, lang)],
        [month_text(bulletin, lang)],
        [t("monthly.doc.generated", lang, cutoff=cutoff_text(bulletin, lang),
           generated=clock.format_datetime(clock.now_iso(), lang))],
        [],
        *([measure_header(kind, m, lang), totals[f"{kind}_{m}"]] for kind in figures.KINDS for m in figures.MEASURES),
        [t("monthly.rectification_rate", lang), totals["rectification_rate"]],
        [t("monthly.on_time_rate", lang), totals["on_time_rate"]],
        [],
        [t("monthly.doc.definitions", lang)],
        [t("monthly.doc.privacy", lang)],
    ]
    for line in lines:
        ws.append([safe_cell(v) for v in line])
    ws["A1"].font = Font(bold=True, size=14)
    rates_row = 5 + 2 * len(figures.MEASURES)
    for row in (rates_row, rates_row + 1):
        ws.cell(row=row, column=2).number_format = PERCENT_FORMAT
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 14


def agency_headers(lang: str) -> list[str]:
    return [t("monthly.rank", lang), t("monthly.agency", lang),
            *(measure_header(kind, m, lang) for kind in figures.KINDS for m in figures.MEASURES),
            t("monthly.rectification_rate", lang), t("monthly.on_time_rate", lang)]


def _agencies_sheet(ws, bulletin: monthly.MonthlyBulletin, lang: str) -> None:
    rows = [[r["rank"], bulletin.agency_name(r["agency"], lang),
             *(int(r[f"{kind}_{m}"]) for kind in figures.KINDS for m in figures.MEASURES),
             r["rectification_rate"], r["on_time_rate"]] for _, r in bulletin.table.iterrows()]
    rate_columns = len(figures.KINDS) * len(figures.MEASURES) + 2
    write_table(ws, agency_headers(lang), [[None if _gap(v) else v for v in row] for row in rows],
                {rate_columns: PERCENT_FORMAT, rate_columns + 1: PERCENT_FORMAT})


def _gap(value) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _overdue_sheet(ws, bulletin: monthly.MonthlyBulletin, lang: str) -> None:
    headers = [t(f"monthly.{k}", lang) for k in ("kind", "item", "agency", "opened_on", "due_on", "days_overdue")]
    rows = [[kind_text(r["kind"], lang), int(r["ref"]), bulletin.agency_name(r["agency"], lang),
             r["opened_on"], r["due_on"], int(r["days_overdue"])] for _, r in bulletin.overdue.iterrows()]
    if not rows:
        rows = [[t("monthly.overdue_none", lang)]]
    write_table(ws, headers, rows, {3: DATE_FORMAT, 4: DATE_FORMAT})
    colour_column(ws, 5, ["overdue"] * len(bulletin.overdue), {"overdue": "#fde0dd"})


def _rates_sheet(ws, bulletin: monthly.MonthlyBulletin, lang: str) -> None:
    """The standard rates as numbers (percent format), each followed by its change."""
    headers = [t("loop.rates.scope", lang)]
    for rate in standard.RATES:
        headers += [t(f"loop.rates.{rate}", lang), t("loop.rates.change", lang, rate=t(f"loop.rates.{rate}", lang))]
    headers += [t("loop.rates.default_satisfied", lang), t("loop.rates.reopened", lang)]
    rows = []
    for _, r in bulletin.rates.iterrows():
        values = [rate_unit_text(bulletin, r, lang)]
        for rate in standard.RATES:
            values += [r[rate], r[f"{rate}_change"]]
        rows.append([None if _gap(v) else v for v in values]
                    + [int(r["default_ratings"]), int(r["dissatisfied_ratings"])])
    write_table(ws, headers, rows, {column: PERCENT_FORMAT for column in range(1, 1 + 2 * len(standard.RATES))})


def build_workbook(bulletin: monthly.MonthlyBulletin, lang: str) -> bytes:
    """The month's bulletin as .xlsx bytes: summary, agencies (best rank first), overdue list, the
    standard rates."""
    wb = Workbook()
    _summary_sheet(wb.active, bulletin, lang)
    _agencies_sheet(wb.create_sheet(safe_cell(t("monthly.doc.sheet_agencies", lang))), bulletin, lang)
    _overdue_sheet(wb.create_sheet(safe_cell(t("monthly.doc.sheet_overdue", lang))), bulletin, lang)
    _rates_sheet(wb.create_sheet(safe_cell(t("loop.rates.sheet", lang))), bulletin, lang)
    return workbook_bytes(wb)


# --- services ----------------------------------------------------------------------

@requires("reports.export")
def monthly_pdf(db: sqlite_utils.Database, actor: Actor, year: int, month: int, lang: str) -> bytes:
    """The month's bulletin as PDF, for the administrator and the discipline office."""
    return build_pdf(monthly.monthly_bulletin(db, actor, year, month), lang)


@requires("reports.export")
def monthly_workbook(db: sqlite_utils.Database, actor: Actor, year: int, month: int, lang: str) -> bytes:
    """The month's bulletin as an Excel workbook, for the administrator and the discipline office."""
    return build_workbook(monthly.monthly_bulletin(db, actor, year, month), lang)


def filename(kind: str, year: int, month: int, lang: str) -> str:
    return t(f"monthly.{kind}_filename", lang, month=f"{year:04d}-{month:02d}")
