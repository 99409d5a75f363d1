"""The city office's bulletin as PDF (issue 16 item 2; 市对县的通报): the counties it covers ranked,
with their standard rates, a chart of each county's share of agencies graded good and its good-rating rate, and
like agencies side by side. Drawn with the county bulletin's machinery (surveys/reports/bulletin.py:
the Chinese font, A4, its document and its tables); it reads only what surveys/results/city.py reads — published
results and stored counts — so it holds no response, comment or rater by construction.
"""
from __future__ import annotations

import pandas as pd
import labels
from charts.palette import GRADE_COLOURS
from i18n import t
from scoring.grades import GOOD
from surveys.core import clock
from surveys.core import counties as county_config
from surveys.core.permissions import requires
from surveys.reports.bulletin import FAMILY, TEXT_GREY, BulletinPDF, Cell, _hex_rgb, draw_table, finished, new_document
from surveys.reports.round_report import datetime_text
from surveys.results import city

RANKING_WIDTHS = (10, 26, 18, 18, 22, 25, 15, 15, 15, 14)  # mm: the A4 text width of 178 mm
RANKING_FIELDS = ("rank", "county_name", "graded", "good", "good_share", "poor_share", "average_score",
                  *city.RATE_COLUMN.values())
RATE_BAR_COLOUR = "#969696"
BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, VALUE_WIDTH = 4.2, 3.0, 34, 16  # mm
LIKE_NAME_WIDTH = 52  # mm; the counties share the rest


def _cell_text(field: str, value) -> str:
    if field in city.RATE_COLUMN.values():
        return labels.rate_text(value)
    if field == "average_score":
        return labels.score_text(value, missing="—")
    if field in ("good_share", "poor_share"):
        return f"{value:.1f}%"
    return str(value)


def _header(pdf: BulletinPDF, city_name: str, round_name: str, lang: str) -> None:
    pdf.set_font(FAMILY, "B", 20)
    pdf.cell(0, 12, t("city.bulletin.title", lang, city=city_name), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 13)
    pdf.cell(0, 8, t("city.bulletin.subtitle", lang, round=labels.round_label(round_name, lang)), align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def _summary(pdf: BulletinPDF, ranking: pd.DataFrame, lang: str) -> None:
    pdf.heading(t("city.bulletin.summary_heading", lang))
    if ranking.empty:
        pdf.paragraph(t("city.nothing_published", lang))
        return
    first, last = ranking.iloc[0], ranking.iloc[-1]
    pdf.paragraph(t("city.bulletin.summary", lang, counties=len(ranking), agencies=int(ranking["graded"].sum()),
                    first=first["county_name"], first_share=f"{first['good_share']:.1f}%",
                    last=last["county_name"], last_share=f"{last['good_share']:.1f}%"))


def _ranking(pdf: BulletinPDF, ranking: pd.DataFrame, lang: str) -> None:
    pdf.heading(t("city.bulletin.ranking_heading", lang))
    headers = city.ranking_headers(lang)
    pdf.set_font(FAMILY, "", 8.5)
    rows = [[Cell(_cell_text(field, record[field]), "L" if field == "county_name" else "C") for field in RANKING_FIELDS]
            for record in ranking.to_dict("records")]
    draw_table(pdf, RANKING_WIDTHS, 5.6, [headers[field] for field in RANKING_FIELDS], rows)
    pdf.paragraph(t("city.ranking_rule", lang), size=8, grey=True)
    pdf.paragraph(t("city.rates_rule", lang), size=8, grey=True)


def _bar(pdf: BulletinPDF, x: float, y: float, width: float, share: float | None, colour: str, text: str) -> None:
    if share is not None and share == share and share > 0:
        pdf.set_fill_color(*_hex_rgb(colour))
        pdf.rect(x, y, width * min(share, 1.0), BAR_HEIGHT, style="F")
    pdf.set_xy(x + width + 1, y)
    pdf.cell(VALUE_WIDTH, BAR_HEIGHT, text)


def _chart(pdf: BulletinPDF, ranking: pd.DataFrame, lang: str) -> None:
    """Each county's share of agencies graded good (its grade's colour) and its 好评率 (grey), 0–100 %,
    in rank order: horizontal bars drawn on the page (no image to render)."""
    pdf.heading(t("city.bulletin.chart_heading", lang))
    if ranking.empty:
        return
    each = 2 * BAR_HEIGHT + BAR_GAP
    if pdf.get_y() + len(ranking) * each + 12 > pdf.page_break_trigger:
        pdf.add_page()
    left = pdf.l_margin
    width = pdf.epw - LABEL_WIDTH - VALUE_WIDTH - 2
    pdf.set_font(FAMILY, "", 8)
    for record in ranking.to_dict("records"):
        y = pdf.get_y()
        pdf.set_xy(left, y)
        pdf.cell(LABEL_WIDTH, 2 * BAR_HEIGHT, f"{record['rank']}. {record['county_name']}")
        _bar(pdf, left + LABEL_WIDTH, y, width, record["good_share"] / 100, GRADE_COLOURS[GOOD],
             f"{record['good_share']:.1f}%")
        good_rate = record[city.RATE_COLUMN["good"]]
        _bar(pdf, left + LABEL_WIDTH, y + BAR_HEIGHT, width, good_rate, RATE_BAR_COLOUR, labels.rate_text(good_rate))
        pdf.set_y(y + each)
    pdf.set_draw_color(*TEXT_GREY)
    pdf.line(left + LABEL_WIDTH, pdf.get_y() - each * len(ranking), left + LABEL_WIDTH, pdf.get_y() - BAR_GAP)
    pdf.set_draw_color(0, 0, 0)
    pdf.paragraph(t("city.bulletin.chart_legend", lang), size=8, grey=True)


def _like_agencies(pdf: BulletinPDF, like: pd.DataFrame, lang: str) -> None:
    pdf.heading(t("city.bulletin.like_heading", lang))
    counties = list(like.columns[2:])
    if not counties:
        return
    widths = (LIKE_NAME_WIDTH, *(((pdf.epw - LIKE_NAME_WIDTH) / len(counties)),) * len(counties))
    pdf.set_font(FAMILY, "", 8.5)
    rows = [[Cell(str(record["name_zh"]), "L"), *(Cell(labels.score_text(record[county], missing="—"))
                                                  for county in counties)]
            for record in like.to_dict("records")]
    draw_table(pdf, widths, 5.6, [t("city.agency", lang), *counties], rows)
    pdf.paragraph(t("city.like_rule", lang), size=8, grey=True)


def build_city_bulletin(city_name: str, round_name: str, ranking: pd.DataFrame, like: pd.DataFrame,
                        lang: str) -> bytes:
    """The city bulletin as PDF bytes: ``ranking`` as city.county_ranking with counts, ``like`` as
    city.like_agencies."""
    footer = t("city.bulletin.footer", lang, city=city_name, round=labels.round_label(round_name, lang),
               generated=datetime_text(clock.now_iso(), lang))
    pdf = new_document(lang, t("city.bulletin.title", lang, city=city_name), footer)
    _header(pdf, city_name, round_name, lang)
    _summary(pdf, ranking, lang)
    _ranking(pdf, ranking, lang)
    _chart(pdf, ranking, lang)
    _like_agencies(pdf, like, lang)
    return finished(pdf, t("city.bulletin.privacy", lang))


@requires("city.view")
def city_bulletin(db, actor, here: county_config.County, round_name: str, lang: str) -> bytes:
    """The city bulletin of ``round_name`` for the counties ``here`` covers."""
    results = city.city_results(db, actor, here)
    ranking = city.county_ranking(results, round_name, city.city_rate_counts(db, actor, here))
    return build_city_bulletin(here.name, round_name, ranking, city.like_agencies(results, round_name), lang)


def bulletin_filename(round_name: str, lang: str) -> str:
    return t("city.bulletin.filename", lang, round=round_name)
