"""The quarterly bulletin (季度通报) of a finalised round, as a PDF (fpdf2).

Title and round, a summary (grades, flags, response rate), the ranking with
grades and flags in their colours and each agency's group (DESIGN §4.9; a round
ranked within groups has one ranking section per group), the actions each agency faces, and a small
trend chart per agency: its frame (Altair, rendered to PNG with vl-convert) rendered once and
reused under every agency's points, drawn as vectors (issue 16: 2,200 agencies in seconds). The text is
in the reader's language, Chinese by default, set in an embedded CJK font.
Agency-level figures only: no enterprise is named.
"""
from __future__ import annotations

import math
import os
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import NamedTuple

import sqlite_utils
import vl_convert
from fontTools.ttLib import TTCollection
from fpdf import FPDF
from fpdf.enums import WrapMode
from fpdf.fonts import FontFace

from scoring.grades import POOR
from scoring.flags import BLUE, RED
from scoring.actions import FOLLOW_UPS
from scoring import rates as standard
import labels
from charts.bulletin import IMAGE_HEIGHT as TREND_IMAGE_HEIGHT
from charts.bulletin import IMAGE_WIDTH as TREND_IMAGE_WIDTH
from charts.bulletin import LINE_COLOUR as TREND_LINE_COLOUR
from charts.bulletin import LINE_WIDTH as TREND_LINE_WIDTH
from charts.bulletin import OUTLINE_COLOUR as TREND_OUTLINE_COLOUR
from charts.bulletin import POINT_SIZE as TREND_POINT_SIZE
from charts.bulletin import POINT_STROKE as TREND_POINT_STROKE
from charts.bulletin import trend_frame, trend_points
from charts.palette import FLAG_COLOURS, GRADE_COLOURS
from i18n import t
from surveys.core import clock
from surveys.collection import rounds
from surveys.core.actors import Actor
from surveys.core.errors import QipingError
from surveys.core.permissions import requires
from surveys.reports.round_report import (RoundReport, datetime_text, date_text, percent_text, rate_unit_name,
                                           round_report, term)

FONT_ENV = "QIPING_CJK_FONT"
BOLD_FONT_ENV = "QIPING_CJK_FONT_BOLD"
DEFAULT_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
FAMILY = "cjk"
CHART_SCALE = 3  # PNG pixels per chart pixel: sharp on paper
CHARTS_PER_ROW = 3
DARK_FILLS = {GRADE_COLOURS[POOR], FLAG_COLOURS[RED], FLAG_COLOURS[BLUE]}  # need white text
TEXT_GREY = (90, 90, 90)
ACTION_ORDER = FOLLOW_UPS[::-1]  # the most serious first
# ranking table column widths (mm, summing to the A4 text width): English words need other room
RANKING_WIDTHS = {"zh": (10, 44, 18, 12, 14, 22, 16, 14, 28), "en": (11, 46, 20, 12, 13, 22, 13, 17, 24)}


class FontNotFound(QipingError):
    """The CJK font the bulletin embeds is not installed where we look for it."""


# --- the font --------------------------------------------------------------------

def font_path() -> Path:
    """The regular CJK font: $QIPING_CJK_FONT, else Debian's fonts-noto-cjk."""
    path = Path(os.environ.get(FONT_ENV) or DEFAULT_FONT)
    if not path.is_file():
        raise FontNotFound("reports.font_missing", path=str(path), variable=FONT_ENV)
    return path


def bold_font_path(regular: Path) -> Path:
    """$QIPING_CJK_FONT_BOLD, else the regular file's Bold sibling, else the regular font itself."""
    configured = os.environ.get(BOLD_FONT_ENV)
    if configured and Path(configured).is_file():
        return Path(configured)
    sibling = regular.with_name(regular.name.replace("Regular", "Bold"))
    return sibling if sibling.is_file() else regular


@lru_cache(maxsize=8)
def collection_index(path: Path) -> int:
    """In a .ttc/.otc collection, the Simplified Chinese face (Noto: "… CJK SC"); else 0."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    collection = TTCollection(str(path), lazy=True)
    for index, face in enumerate(collection.fonts):
        family = face["name"].getDebugName(1) or ""
        if family.endswith(" SC") and "Mono" not in family:
            return index
    return 0


def _add_fonts(pdf: FPDF) -> None:
    regular = font_path()
    bold = bold_font_path(regular)
    pdf.add_font(FAMILY, "", str(regular), collection_font_number=collection_index(regular))
    pdf.add_font(FAMILY, "B", str(bold), collection_font_number=collection_index(bold))


# --- the document ----------------------------------------------------------------

def _hex_rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return tuple(int(colour[i:i + 2], 16) for i in (0, 2, 4))


def _face(colour: str | None) -> FontFace | None:
    if not colour:
        return None
    text = (255, 255, 255) if colour in DARK_FILLS else (0, 0, 0)
    return FontFace(color=text, fill_color=_hex_rgb(colour))


class BulletinPDF(FPDF):
    def __init__(self, lang: str, footer_text: str, orientation: str = "P"):
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.text_lang = lang
        self.footer_text = footer_text
        self.set_margins(16, 16, 16)
        self.set_auto_page_break(True, margin=16)
        _add_fonts(self)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(*TEXT_GREY)
        page = t("reports.bulletin.page", self.text_lang, page=self.page_no(), pages="{nb}")
        self.cell(0, 5, f"{self.footer_text}    {page}", align="C")
        self.set_text_color(0, 0, 0)

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font(FAMILY, "B", 13)
        self.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FAMILY, "", 10)

    def paragraph(self, text: str, size: float = 10, grey: bool = False) -> None:
        self.set_font(FAMILY, "", size)
        if grey:
            self.set_text_color(*TEXT_GREY)
        # Chinese has no spaces between words: break anywhere, not at the odd space next to a number
        wrap = WrapMode.CHAR if self.text_lang == "zh" else WrapMode.WORD
        self.multi_cell(0, size * 0.55, text, new_x="LMARGIN", new_y="NEXT", wrapmode=wrap)
        self.set_text_color(0, 0, 0)
        self.ln(1)


def new_document(lang: str, title: str, footer: str) -> BulletinPDF:
    """An A4 document of Qiping's (a bulletin, the city's, the annual report) in ``lang``: ``title`` in its
    properties, ``footer`` and the page number on every page, its first page begun."""
    pdf = BulletinPDF(lang, footer)
    pdf.set_title(title)
    pdf.set_lang("zh-CN" if lang == "zh" else "en")
    pdf.set_creator("Qiping")
    pdf.add_page()
    return pdf


def finished(pdf: BulletinPDF, privacy: str) -> bytes:
    """The document's bytes, its closing note (what it leaves out, in small grey) after the last part."""
    pdf.paragraph(privacy, size=8, grey=True)
    return bytes(pdf.output())


HEADING_FILL = (230, 230, 230)


class Cell(NamedTuple):
    """One table cell: its text, alignment ("C", "L", "J") and style (colours, bold), if any."""

    text: str
    align: str = "C"
    style: FontFace | None = None


def draw_table(pdf: BulletinPDF, widths: tuple[float, ...], line_height: float, headings: list[str],
           rows: list[list[Cell]], row_styles: list[FontFace | None] | None = None, align: str = "C") -> None:
    """A bordered table across the text width (``widths``: the columns' shares of it; ``align``: the
    headings' alignment, "J" justified as fpdf's default), its headings (bold, grey) again at the
    top of every page it runs onto; it looks as fpdf's ``table`` drew it. Drawn cell by cell, a text
    that fits on one line with one ``cell`` and only a longer one wrapped: fpdf's ``table`` laid out
    every cell as a paragraph, twice, which took most of a province's bulletin (2,200 agencies,
    twice over; issue 16)."""
    left = pdf.l_margin
    widths = [width * pdf.epw / sum(widths) for width in widths]  # shares of the text width, as fpdf's table
    heading = [Cell(text, align) for text in headings]
    heading_style = FontFace(emphasis="BOLD", fill_color=HEADING_FILL)

    def headings_row(at_page_top=None) -> None:
        _table_row(pdf, left, widths, line_height, heading, heading_style, at_page_top)

    headings_row()
    for index, cells in enumerate(rows):
        _table_row(pdf, left, widths, line_height, cells, row_styles[index] if row_styles else None, headings_row)


def _table_row(pdf: BulletinPDF, left: float, widths, line_height: float, cells: list[Cell],
               row_style: FontFace | None, at_page_top=None) -> None:
    """One row, as high as its longest cell; on a new page (after ``at_page_top()``) when it does not fit."""
    bold = bool(row_style and row_style.emphasis and "B" in row_style.emphasis.style)
    pdf.set_font(style="B" if bold else "")
    lines = [_lines(pdf, width, cell.text, line_height) for width, cell in zip(widths, cells)]
    height = max(len(cell_lines) for cell_lines in lines) * line_height
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
        if at_page_top:
            at_page_top()
            pdf.set_font(style="B" if bold else "")
    x, top = left, pdf.get_y()
    for width, cell, cell_lines in zip(widths, cells, lines):
        style = cell.style or row_style
        fill = style.fill_color if style and style.fill_color else None
        coloured = bool(style and style.color)
        if fill:
            pdf.set_fill_color(fill)
        if coloured:
            pdf.set_text_color(style.color)
        pdf.rect(x, top, width, height, style="DF" if fill else "D")
        pdf.set_xy(x, top + (height - len(cell_lines) * line_height) / 2)
        if len(cell_lines) == 1:
            pdf.cell(width, line_height, cell_lines[0], align="L" if cell.align == "J" else cell.align)
        else:
            pdf.multi_cell(width, line_height, cell.text, align=cell.align)
        if coloured:  # set and reset around the few coloured cells: a local context per cell took long
            pdf.set_text_color(0, 0, 0)
        x += width
    pdf.set_xy(pdf.l_margin, top + height)


def _lines(pdf: BulletinPDF, width: float, text: str, line_height: float) -> list[str]:
    """``text`` as the lines it takes in a cell ``width`` wide: itself when it fits (nearly always)."""
    if pdf.get_string_width(text) <= width - 2 * pdf.c_margin:
        return [text]
    return pdf.multi_cell(width, line_height, text, dry_run=True, output="LINES") or [""]


def _title(report: RoundReport, lang: str) -> str:
    return t("reports.bulletin.title", lang, county=report.county).strip()


def _header(pdf: BulletinPDF, report: RoundReport, lang: str) -> None:
    pdf.set_font(FAMILY, "B", 20)
    pdf.cell(0, 12, _title(report, lang), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 13)
    pdf.cell(0, 8, t("reports.bulletin.subtitle", lang, round=labels.round_label(report.name, lang)),
             align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 9)
    pdf.set_text_color(*TEXT_GREY)
    dates = t("reports.bulletin.dates", lang, finalised=datetime_text(report.finalisation["at"], lang),
              published=datetime_text(report.round.get("published_at"), lang) or t("reports.not_yet", lang))
    pdf.cell(0, 6, dates, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.ln(2)


def _summary(pdf: BulletinPDF, report: RoundReport, lang: str) -> None:
    o, grades = report.overall, report.grade_counts()
    flags = {f: sum(1 for r in report.results if r["flag"] == f) for f in FLAG_COLOURS}
    pdf.heading(t("reports.bulletin.summary_heading", lang))
    pdf.paragraph(t("reports.bulletin.summary_participation", lang, active=o["active_enterprises"],
                    answered=o["enterprises_answered"], share=percent_text(o["share"]), responses=o["responses"],
                    counted=report.finalisation["responses_counted"]))
    pdf.paragraph(t("reports.bulletin.summary_grades", lang, agencies=len(report.results), **grades, **flags))
    if report.finalisation["reason"]:
        pdf.paragraph(t("reports.bulletin.refinalised", lang, at=datetime_text(report.finalisation["at"], lang),
                        reason=report.finalisation["reason"]))


def _ranking(pdf: BulletinPDF, report: RoundReport, lang: str) -> None:
    """The ranking: one table, or for a round ranked within groups one table per group."""
    pdf.heading(t("reports.bulletin.ranking_heading", lang))
    if not report.per_group:
        pdf.paragraph(t("groups.bulletin.scope_county", lang), size=9)
        _ranking_table(pdf, report, report.results, lang)
    else:
        values = _rule_values(report)
        pdf.paragraph(t("groups.bulletin.scope_group", lang, top=values["top"], bottom=values["bottom"]), size=9)
        for group, part in report.results_by_group():
            # a group's heading stays with its table's head and first rows
            if pdf.get_y() + 7 + 2 * 6.2 * min(len(part) + 1, 3) > pdf.page_break_trigger:
                pdf.add_page()
            pdf.set_font(FAMILY, "B", 10.5)
            pdf.cell(0, 7, t("groups.bulletin.group_heading", lang, group=report.group_name(group, lang),
                             count=len(part)), new_x="LMARGIN", new_y="NEXT")
            _ranking_table(pdf, report, part, lang)
            pdf.ln(2)
    pdf.paragraph(t("reports.bulletin.ranking_note", lang, **_rule_values(report)), size=8, grey=True)


def _ranking_table(pdf: BulletinPDF, report: RoundReport, results: list[dict], lang: str) -> None:
    rank_header = "groups.rank_in_group" if report.per_group else "results.rank"
    headers = [t(k, lang) for k in (rank_header, "results.agency", "groups.group", "results.n", "results.score",
                                    "results.interval", "results.grade", "results.flag", "results.action")]
    pdf.set_font(FAMILY, "", 9)
    rows = [[Cell("" if r["rank"] is None else str(r["rank"])),
             Cell(report.agency_name(r["agency"], lang), "L"),
             Cell(report.group_name(r["agency_group"], lang)),
             Cell(str(r["n"])),
             Cell(labels.score_text(r["score"])),
             Cell(labels.interval_text(r["ci_low"], r["ci_high"])),
             Cell(term("grades", r["grade"], lang), style=_face(GRADE_COLOURS[r["grade"]])),
             Cell(term("flags", r["flag"], lang), style=_face(FLAG_COLOURS.get(r["flag"] or ""))),
             Cell(term("actions", r["action"], lang))] for r in results]
    draw_table(pdf, RANKING_WIDTHS.get(lang, RANKING_WIDTHS["zh"]), 6.2, headers, rows)


def _rule_values(report: RoundReport) -> dict:
    c = report.config
    return {"good": f"{c['good_threshold']:g}", "fair": f"{c['fair_threshold']:g}", "minimum": c["min_responses"],
            "top": c["flag_top_n"], "bottom": c["flag_bottom_n"]}


def _actions(pdf: BulletinPDF, report: RoundReport, lang: str) -> None:
    pdf.heading(t("reports.bulletin.actions_heading", lang))
    current = [c for c in report.cases if c["status"] != "withdrawn"]
    if not current:
        pdf.paragraph(t("reports.no_actions", lang))
        return
    for action in ACTION_ORDER:
        names = [report.agency_name(c["agency"], lang) for c in current if c["action"] == action]
        if names:
            pdf.paragraph(t("reports.bulletin.action_line", lang, action=term("actions", action, lang),
                            count=len(names), agencies=t("list_separator", lang).join(names),
                            meaning=t(f"reports.bulletin.action_meaning.{action}", lang)))
    headers = [t(k, lang) for k in ("results.agency", "results.action", "reports.col.case_status",
                                    "reports.col.due_on")]
    pdf.set_font(FAMILY, "", 9)
    rows = [[Cell(report.agency_name(c["agency"], lang), "J"), Cell(term("actions", c["action"], lang), "J"),
             Cell(term("cases.status", c["status"], lang), "J"), Cell(date_text(c["due_on"], lang), "J")]
            for c in current]
    draw_table(pdf, (60, 36, 50, 34), 6.2, headers, rows, align="J")


def trend_rounds(report: RoundReport) -> list[str]:
    """The rounds along every trend chart's axis: the finalised rounds up to this one."""
    return sorted(report.trend["round"].unique())


@lru_cache(maxsize=16)
def frame_png(rounds: tuple[str, ...], fair: float, good: float) -> bytes:
    """The trend charts' frame (axes, thresholds), rendered once per bulletin's rounds and rules and
    placed under every agency's points: rendering 2,200 charts one by one took minutes (issue 16)."""
    # validated once by the tests; skipping validation here halves the time
    return vl_convert.vegalite_to_png(trend_frame(list(rounds), fair, good).to_dict(validate=False), scale=CHART_SCALE)


def _draw_points(pdf: BulletinPDF, x: float, y: float, width: float, points: list[tuple[float, float, str]]) -> None:
    """An agency's scores on a frame placed at (x, y), ``width`` mm wide: the line, then the points
    coloured by grade with an outline, as vectors (sharp on paper, no image per agency)."""
    mm = width / TREND_IMAGE_WIDTH  # mm per chart pixel
    spots = [(x + px * mm, y + py * mm, colour) for px, py, colour in points]
    # a local context puts the pen back: the tables after this fill their cells with the current colour
    with pdf.local_context(line_width=TREND_LINE_WIDTH * mm, draw_color=_hex_rgb(TREND_LINE_COLOUR)):
        for (x1, y1, _), (x2, y2, _) in zip(spots, spots[1:]):
            pdf.line(x1, y1, x2, y2)
        radius = (TREND_POINT_SIZE / math.pi) ** 0.5 * mm
        pdf.set_line_width(TREND_POINT_STROKE * mm)
        pdf.set_draw_color(*_hex_rgb(TREND_OUTLINE_COLOUR))
        for cx, cy, colour in spots:
            pdf.set_fill_color(*_hex_rgb(colour))
            pdf.circle(cx, cy, radius, style="FD")


def _trends(pdf: BulletinPDF, report: RoundReport, lang: str) -> None:
    cell_width = pdf.epw / CHARTS_PER_ROW
    image_width = cell_width - 4
    image_height = image_width * TREND_IMAGE_HEIGHT / TREND_IMAGE_WIDTH
    block = image_height + 8
    if pdf.get_y() + 30 + block > pdf.page_break_trigger:  # heading, note and one row of charts
        pdf.add_page()
    pdf.heading(t("reports.bulletin.trends_heading", lang))
    pdf.paragraph(t("reports.bulletin.trends_note", lang), size=8, grey=True)
    rounds = trend_rounds(report)
    frame = BytesIO(frame_png(tuple(rounds), report.config["fair_threshold"], report.config["good_threshold"]))
    by_agency = {agency: part for agency, part in report.trend.groupby("agency")}
    empty = report.trend.iloc[0:0]
    for index, result in enumerate(report.results):
        column = index % CHARTS_PER_ROW
        if column == 0:
            if pdf.get_y() + block > pdf.page_break_trigger:
                pdf.add_page()
            top = pdf.get_y()
        x = pdf.l_margin + column * cell_width
        pdf.set_xy(x, top)
        pdf.set_font(FAMILY, "B", 8.5)
        label = t("reports.bulletin.chart_label", lang, agency=report.agency_name(result["agency"], lang),
                  grade=term("grades", result["grade"], lang))
        pdf.cell(image_width, 5, label, new_x="LEFT", new_y="NEXT")
        pdf.image(frame, x=x, y=top + 5, w=image_width)  # one image object, placed under every chart
        _draw_points(pdf, x, top + 5, image_width, trend_points(by_agency.get(result["agency"], empty), rounds))
        if column == CHARTS_PER_ROW - 1 or index == len(report.results) - 1:
            pdf.set_xy(pdf.l_margin, top + block)


RATE_WIDTHS = (36, *(18,) * len(standard.RATES), 9, 9)  # mm, the A4 text width: unit, seven rates, two counts


def _standard_rates(pdf: BulletinPDF, report: RoundReport, lang: str) -> None:
    """The round's standard rates (issue 15), the county first, each with its change from the previous round."""
    pdf.heading(t("loop.rates.bulletin_heading", lang))
    pdf.paragraph(t("loop.rates.bulletin_caption", lang), size=8, grey=True)
    frame = report.standard_rates
    if frame.empty:
        pdf.paragraph(t("loop.rates.none", lang))
        return
    pdf.set_font(FAMILY, "", 6.5)
    headers = [t("loop.rates.scope", lang), *(t(f"loop.rates.{rate}", lang) for rate in standard.RATES),
               t("loop.rates.default_short", lang), t("loop.rates.reopened_short", lang)]
    rows, styles = [], []
    for r in frame.to_dict("records"):
        styles.append(FontFace(emphasis="BOLD") if r["scope"] == standard.COUNTY else None)
        rows.append([Cell(rate_unit_name(report, r, lang), "L"),
                     *(Cell(labels.rate_text(r[rate], change=r[f"{rate}_change"])) for rate in standard.RATES),
                     Cell(str(int(r["default_ratings"]))), Cell(str(int(r["dissatisfied_ratings"])))])
    draw_table(pdf, RATE_WIDTHS, 3.8, headers, rows, styles)


def build_bulletin(report: RoundReport, lang: str) -> bytes:
    """The bulletin as PDF bytes, in ``lang``."""
    footer = t("reports.bulletin.footer", lang, round=labels.round_label(report.name, lang),
               generated=datetime_text(clock.now_iso(), lang))
    pdf = new_document(lang, _title(report, lang), footer)
    _header(pdf, report, lang)
    _summary(pdf, report, lang)
    _ranking(pdf, report, lang)
    _actions(pdf, report, lang)
    _trends(pdf, report, lang)
    _standard_rates(pdf, report, lang)
    return finished(pdf, t("reports.bulletin.privacy", lang))


@requires("reports.export")
def round_bulletin(db: sqlite_utils.Database, actor: Actor, name: str, lang: str) -> bytes:
    """A finalised round's bulletin; only the administrator and the discipline office may export."""
    return build_bulletin(round_report(db, actor, name), lang)


def bulletin_filename(name: str, lang: str) -> str:
    return t("reports.bulletin_filename", lang, round=name)
