"""The annual report for the comprehensive assessment (综合考核) of a finalised year, as Excel
(openpyxl) and PDF (fpdf2), in the reader's language — Chinese by default.

Title and year, the rules pinned to the year (survey weight, thresholds, the
2-quarter minimum, the veto), and the ranking: each agency's quarters, survey
score, work-assessment score, composite, grade and veto mark. Agency-level
figures from published quarters only; no enterprise is named. An agency may
download a published year's report; the administrator and the discipline
office any finalised year's.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils
from fpdf.enums import WrapMode
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Font

import labels
from charts.palette import GRADE_COLOURS
from i18n import t
from surveys.core import clock
from surveys.core.actors import Actor
from surveys.core.permissions import requires
from surveys.participants import registry
from surveys.reports import bulletin
from surveys.reports.round_report import county_name, datetime_text, local_datetime, term
from surveys.reports.workbook import SCORE_FORMAT, colour_column, _fill, write_cover, write_table
from surveys.results import annual
from surveys.storage.export_safety import safe_cell, workbook_bytes

VETO_COLOUR = "#B71C1C"
DEFAULT_SURVEY_WEIGHT = 0.7  # DESIGN §4.11's default, for a year pinned before the weight was a setting
# ranking table column widths in mm (A4 portrait text width 178): rank, agency, Q1–Q4, survey, work,
# composite, grade, veto — a county's twenty-odd agencies fit on the first page with the rules
PDF_WIDTHS = {"zh": (9, 31, 15, 15, 15, 15, 18, 20, 16, 10, 14), "en": (11, 48, 11, 11, 11, 11, 15, 13, 18, 14, 15)}
TABLE_FONT_SIZE = 8.5


@dataclass
class AnnualReport:
    year: int
    county: str
    info: dict  # the year's current finalisation, its status and pinned rules (annual.year_info)
    results: list[dict]  # ranked
    quarters: dict[str, dict[str, dict]]  # agency -> round -> {score, grade}
    agencies: dict[str, dict]

    def agency_name(self, code: str, lang: str) -> str:
        agency = self.agencies.get(code)
        return labels.agency_name(agency, lang) if agency else code

    @property
    def survey_weight(self) -> float:
        return float(self.info["config"].get("annual_survey_weight", DEFAULT_SURVEY_WEIGHT))

    def quarter_score(self, agency: str, round_name: str, lang: str) -> str:
        row = self.quarters.get(agency, {}).get(round_name)
        if row is None:
            return "—"
        if row["score"] is None:  # an insufficient quarter: counted nowhere, said briefly
            return t("annual.report.quarter_insufficient", lang)
        return labels.score_text(row["score"])


@requires("ranking.view")
def annual_report(db: sqlite_utils.Database, actor: Actor, year) -> AnnualReport:
    """The report's data: visible to an agency once the year is published (annual.year_info refuses before)."""
    info = annual.year_info(db, actor, year)
    return AnnualReport(
        year=info["year"], county=county_name(db), info=info, results=annual.year_results(db, actor, year),
        quarters=annual.year_quarterly_table(db, actor, year),
        agencies={a["code"]: a for a in registry.list_agencies(db, active_only=False)})


def _title(report: AnnualReport, lang: str) -> str:
    return t("annual.report.title", lang, county=report.county or "", year=report.year).strip()


def rule_lines(report: AnnualReport, lang: str) -> list[str]:
    """The rules the year was graded by, as sentences (the same in the workbook and the PDF)."""
    c = report.info["config"]
    weight = report.survey_weight
    return [
        t("annual.report.rule_survey", lang),
        t("annual.report.rule_composite", lang, survey=f"{weight:g}", work=f"{1 - weight:g}",
          survey_pct=f"{weight:.0%}", work_pct=f"{1 - weight:.0%}"),
        t("annual.report.rule_grades", lang, good=f"{c['good_threshold']:g}", fair=f"{c['fair_threshold']:g}"),
        t("annual.report.rule_veto", lang),
        t("annual.report.rule_rank", lang),
    ]


def _status_line(report: AnnualReport, lang: str) -> str:
    info = report.info
    used = t("list_separator", lang).join(labels.round_label(r, lang) for r in info["rounds_used"])
    line = t("annual.report.dates", lang, finalised=datetime_text(info["at"], lang),
             published=datetime_text(info["published_at"], lang) or t("reports.not_yet", lang), rounds=used)
    if info["quarters_missing"]:
        line += " " + t("annual.report.quarters_missing", lang, quarters=t("list_separator", lang).join(info["quarters_missing"]))
    return line


def _row_values(report: AnnualReport, r: dict, lang: str) -> list[str]:
    quarters = [report.quarter_score(r["agency"], q, lang) for q in annual.year_quarters(report.year)]
    return ["" if r["rank"] is None else str(r["rank"]), report.agency_name(r["agency"], lang), *quarters,
            labels.score_text(r["survey_score"], "—"), labels.score_text(r["work_score"], "—"),
            labels.score_text(r["score"], "—"), term("grades", r["grade"], lang),
            t("annual.report.vetoed", lang) if r["vetoed"] else ""]


def headers(lang: str) -> list[str]:
    return [t("results.rank", lang), t("results.agency", lang),
            *(t("annual.report.col_quarter", lang, quarter=t(f"annual.report.quarter.{q}", lang)) for q in range(1, 5)),
            *(t(f"annual.report.col_{name}", lang) for name in ("survey", "work", "composite", "grade", "veto"))]


# --- PDF -------------------------------------------------------------------------

def _pdf_header(pdf: bulletin.BulletinPDF, report: AnnualReport, lang: str) -> None:
    pdf.set_font(bulletin.FAMILY, "B", 18)
    pdf.multi_cell(0, 9, _title(report, lang), align="C", new_x="LMARGIN", new_y="NEXT",
                   wrapmode=WrapMode.CHAR if lang == "zh" else WrapMode.WORD)
    pdf.set_font(bulletin.FAMILY, "", 12)
    pdf.cell(0, 7, t("annual.report.subtitle", lang, year=report.year), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(bulletin.FAMILY, "", 9)
    pdf.set_text_color(*bulletin.TEXT_GREY)
    pdf.multi_cell(0, 5, _status_line(report, lang), align="C", new_x="LMARGIN", new_y="NEXT",
                   wrapmode=WrapMode.CHAR if lang == "zh" else WrapMode.WORD)
    pdf.set_text_color(0, 0, 0)
    if report.info.get("reason"):
        pdf.paragraph(t("annual.report.refinalised", lang, reason=report.info["reason"]), size=9, grey=True)


def _pdf_rules(pdf: bulletin.BulletinPDF, report: AnnualReport, lang: str) -> None:
    pdf.heading(t("annual.report.rules_heading", lang))
    for number, line in enumerate(rule_lines(report, lang), 1):
        pdf.paragraph(f"{number}. {line}", size=8.5)


def _pdf_summary(pdf: bulletin.BulletinPDF, report: AnnualReport, lang: str) -> None:
    counts = {g: sum(1 for r in report.results if r["grade"] == g) for g in GRADE_COLOURS}
    vetoed = [report.agency_name(r["agency"], lang) for r in report.results if r["vetoed"]]
    pdf.paragraph(t("annual.report.summary", lang, agencies=len(report.results), **counts, vetoed=len(vetoed)),
                  size=10)


def _pdf_ranking(pdf: bulletin.BulletinPDF, report: AnnualReport, lang: str) -> None:
    pdf.heading(t("annual.report.ranking_heading", lang))
    pdf.set_font(bulletin.FAMILY, "", TABLE_FONT_SIZE)
    veto_face = FontFace(color=(255, 255, 255), fill_color=bulletin._hex_rgb(VETO_COLOUR))
    with pdf.table(col_widths=PDF_WIDTHS.get(lang, PDF_WIDTHS["zh"]), text_align="CENTER", line_height=5.6,
                   headings_style=FontFace(emphasis="BOLD", size_pt=8, fill_color=(230, 230, 230))) as table:
        table.row(headers(lang))
        for r in report.results:
            values = _row_values(report, r, lang)
            row = table.row()
            for index, value in enumerate(values):
                if index == 1:
                    row.cell(value, align="LEFT")
                elif index == 9:
                    row.cell(value, style=bulletin._face(GRADE_COLOURS[r["grade"]]))
                elif index == 10 and r["vetoed"]:
                    row.cell(value, style=veto_face)
                else:
                    row.cell(value)
    pdf.paragraph(t("annual.report.ranking_note", lang), size=8, grey=True)


def build_annual_pdf(report: AnnualReport, lang: str) -> bytes:
    """The annual report as PDF bytes: title and year, the rules used, then the ranking."""
    footer = t("annual.report.footer", lang, year=report.year, generated=datetime_text(clock.now_iso(), lang))
    pdf = bulletin.new_document(lang, _title(report, lang), footer)
    _pdf_header(pdf, report, lang)
    _pdf_summary(pdf, report, lang)
    _pdf_rules(pdf, report, lang)
    _pdf_ranking(pdf, report, lang)
    return bulletin.finished(pdf, t("annual.report.privacy", lang))


# --- Excel -----------------------------------------------------------------------

def _cover(ws, report: AnnualReport, lang: str) -> None:
    info = report.info
    ws.title = safe_cell(t("annual.report.sheet_cover", lang))
    lines = [
        [_title(report, lang)],
        [],
        [t("reports.cover.county", lang), report.county or t("reports.county_unnamed", lang)],
        [t("annual.report.cover_year", lang), report.year],
        [t("annual.report.cover_rounds", lang), t("list_separator", lang).join(info["rounds_used"])],
        [t("annual.report.cover_missing", lang), t("list_separator", lang).join(info["quarters_missing"]) or t("reports.none", lang)],
        [t("reports.cover.results_at", lang), local_datetime(info["at"])],
        [t("reports.cover.refinalise_reason", lang), info.get("reason") or t("reports.none", lang)],
        [t("reports.cover.published_at", lang), local_datetime(info["published_at"])],
        [t("reports.cover.generated_at", lang), local_datetime(clock.now_iso())],
        [],
        [t("reports.cover.rules", lang)],
        [t("annual.report.rule_weight", lang), report.survey_weight],
        [t("annual.report.rule_good", lang), report.info["config"]["good_threshold"]],
        [t("annual.report.rule_fair", lang), report.info["config"]["fair_threshold"]],
        *([line] for line in rule_lines(report, lang)),
        [],
        [t("annual.report.privacy", lang)],
    ]
    write_cover(ws, lines)


def _quarter_cell(report: AnnualReport, agency: str, round_name: str, lang: str):
    """A quarter's score as a number where it was graded, else its words (样本不足, —)."""
    row = report.quarters.get(agency, {}).get(round_name)
    if row is not None and row["score"] is not None:
        return row["score"]
    return report.quarter_score(agency, round_name, lang)


def _ranking_sheet(ws, report: AnnualReport, lang: str) -> None:
    rows = [[r["rank"], report.agency_name(r["agency"], lang),
             *(_quarter_cell(report, r["agency"], q, lang) for q in annual.year_quarters(report.year)),
             r["survey_score"], r["work_score"], r["score"], term("grades", r["grade"], lang),
             t("annual.report.vetoed", lang) if r["vetoed"] else ""] for r in report.results]
    write_table(ws, headers(lang), rows, {column: SCORE_FORMAT for column in range(2, 9)})
    colour_column(ws, 9, [r["grade"] for r in report.results], GRADE_COLOURS)
    for row, result in enumerate(report.results, 2):
        if result["vetoed"]:
            ws.cell(row=row, column=11).fill = _fill(VETO_COLOUR)
            ws.cell(row=row, column=11).font = Font(color="FFFFFF", bold=True)


def build_annual_workbook(report: AnnualReport, lang: str) -> bytes:
    wb = Workbook()
    _cover(wb.active, report, lang)
    _ranking_sheet(wb.create_sheet(safe_cell(t("annual.report.sheet_ranking", lang))), report, lang)
    return workbook_bytes(wb)


@requires("ranking.view")
def annual_pdf(db: sqlite_utils.Database, actor: Actor, year, lang: str) -> bytes:
    return build_annual_pdf(annual_report(db, actor, year), lang)


@requires("ranking.view")
def annual_workbook(db: sqlite_utils.Database, actor: Actor, year, lang: str) -> bytes:
    return build_annual_workbook(annual_report(db, actor, year), lang)


def report_filename(year: int, lang: str, extension: str) -> str:
    return t("annual.report.filename", lang, year=year) + f".{extension}"
