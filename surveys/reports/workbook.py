"""The Excel workbook of a finalised round (openpyxl).

Sheets: a cover (county, round, when finalised, the rules pinned to it), results,
ranking with flags, actions with their case status, and response rates. Every agency
row carries its group (DESIGN §4.9, as pinned with the results); a round ranked within
groups lists its ranking group by group. Headers
are in the reader's language. Every text cell passes through ``safe_cell``, and
the book is saved by ``export_safety.workbook_bytes``, which checks every cell again; no enterprise is ever named: the workbook holds agency-level figures only.
"""
from __future__ import annotations

import sqlite_utils
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

import labels
from charts.palette import FLAG_COLOURS, GRADE_COLOURS
from i18n import catalogue, t
from surveys.core import clock
from surveys.collection import rounds
from surveys.core.actors import Actor
from surveys.storage.export_safety import safe_cell, workbook_bytes
from surveys.core.permissions import requires
from scoring import rates as standard
from surveys.reports.round_report import RoundReport, local_datetime, rate_unit_name, round_report, term

SCORE_FORMAT = "0.0"
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")
MAX_WIDTH = 60


def _fill(hex_colour: str) -> PatternFill:
    return PatternFill("solid", fgColor=hex_colour.lstrip("#").upper())


def _display_width(value) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def fit_columns(ws: Worksheet) -> None:
    for index, column in enumerate(ws.iter_cols(values_only=True), 1):
        width = max((_display_width(v) for v in column), default=8)
        ws.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), MAX_WIDTH)


def write_table(ws: Worksheet, headers: list[str], rows: list[list], formats: dict[int, str] | None = None) -> None:
    """A header row and data rows; every value made safe, number formats by column index."""
    ws.append([safe_cell(h) for h in headers])
    for cell in ws[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    for column, number_format in (formats or {}).items():
        for (cell,) in ws.iter_rows(min_row=2, min_col=column + 1, max_col=column + 1):
            cell.number_format = number_format
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = ws.dimensions
    fit_columns(ws)


def colour_column(ws: Worksheet, column: int, codes: list[str | None], colours: dict[str, str]) -> None:
    """Fill each cell of a grade or flag column with the colour that code has everywhere."""
    for row, code in enumerate(codes, 2):
        if code in colours:
            ws.cell(row=row, column=column + 1).fill = _fill(colours[code])


def _sheet(wb: Workbook, key: str, lang: str) -> Worksheet:
    return wb.create_sheet(safe_cell(t(f"reports.sheet.{key}", lang)))


def _rule_label(name: str, lang: str) -> str:
    key = f"reports.rule.{name}"
    return t(key, lang) if key in catalogue(lang) else name


def _rule_value(value, lang: str, name: str = ""):
    if name == "ranking_scope":
        return t(f"groups.scope.{value}", lang)
    if isinstance(value, bool):
        return t("reports.yes" if value else "reports.no", lang)
    if isinstance(value, dict):  # the panel weights (§4.10): "企业 50，两代表一委员 25"; a cell takes no dict
        return t("panels.weights.separator", lang).join(
            f"{_rule_label_of_panel(key, lang)} {weight:g}" for key, weight in value.items())
    return value


def _rule_label_of_panel(panel: str, lang: str) -> str:
    key = f"panels.name.{panel}"
    return t(key, lang) if key in catalogue(lang) else panel


def _cover(ws: Worksheet, report: RoundReport, lang: str) -> None:
    f = report.finalisation
    ws.title = safe_cell(t("reports.sheet.cover", lang))
    lines = [
        [t("reports.workbook_title", lang, round=labels.round_label(report.name, lang))],
        [],
        [t("reports.cover.county", lang), report.county or t("reports.county_unnamed", lang)],
        [t("reports.cover.round", lang), f"{labels.round_label(report.name, lang)} ({report.name})"],
        [t("reports.cover.status", lang), t(f"rounds.status.{report.round['status']}", lang)],
        [t("reports.cover.finalised_at", lang), local_datetime(report.round["finalised_at"])],
        [t("reports.cover.results_at", lang), local_datetime(f["at"])],
        [t("reports.cover.refinalise_reason", lang), f["reason"] or t("reports.none", lang)],
        [t("reports.cover.published_at", lang), local_datetime(report.round.get("published_at"))],
        [t("reports.cover.responses_counted", lang), f["responses_counted"]],
        [t("reports.cover.questionnaire", lang), f["questionnaire_version"]],
        [t("reports.cover.generated_at", lang), local_datetime(clock.now_iso())],
        [],
        [t("reports.cover.rules", lang)],
        *([_rule_label(name, lang), _rule_value(value, lang, name)] for name, value in report.config.items()),
        [],
        [t("reports.cover.privacy", lang)],
    ]
    write_cover(ws, lines)


def write_cover(ws: Worksheet, lines: list[list]) -> None:
    """A cover sheet: a title line, then label–value lines (dates in county time, left-aligned)."""
    for line in lines:
        ws.append([safe_cell(v) for v in line])
    ws["A1"].font = Font(bold=True, size=14)
    for row in ws.iter_rows(min_col=2, max_col=2):
        for cell in row:
            cell.alignment = Alignment(horizontal="left")
            if hasattr(cell.value, "hour"):
                cell.number_format = DATETIME_FORMAT
    ws.column_dimensions["A"].width = 44
    ws.column_dimensions["B"].width = 40


def _results(ws: Worksheet, report: RoundReport, lang: str) -> None:
    headers = [t(k, lang) for k in ("reports.col.agency_code", "results.agency", "groups.group", "results.n",
                                    "results.score", "reports.col.ci_low", "reports.col.ci_high", "results.grade",
                                    "reports.col.uncertain", "results.action", "results.flag", "results.rank")]
    ordered = sorted(report.results, key=lambda r: r["agency"])
    rows = [[r["agency"], report.agency_name(r["agency"], lang), report.group_name(r["agency_group"], lang), r["n"],
             r["score"], r["ci_low"], r["ci_high"],
             term("grades", r["grade"], lang), t("reports.yes" if r["uncertain"] else "reports.no", lang),
             term("actions", r["action"], lang), term("flags", r["flag"], lang), r["rank"]] for r in ordered]
    write_table(ws, headers, rows, {4: SCORE_FORMAT, 5: SCORE_FORMAT, 6: SCORE_FORMAT})
    colour_column(ws, 7, [r["grade"] for r in ordered], GRADE_COLOURS)
    colour_column(ws, 10, [r["flag"] for r in ordered], FLAG_COLOURS)


def _ranking(ws: Worksheet, report: RoundReport, lang: str) -> None:
    """Best first; a round ranked within groups group by group, its ranks counted within each."""
    rank_header = "groups.rank_in_group" if report.per_group else "results.rank"
    headers = [t(k, lang) for k in ("groups.group", rank_header, "results.agency", "results.score",
                                    "results.interval", "results.grade", "results.flag", "results.n")]
    ordered = [r for _, part in report.results_by_group() for r in part] if report.per_group else report.results
    rows = [[report.group_name(r["agency_group"], lang), r["rank"], report.agency_name(r["agency"], lang), r["score"],
             labels.interval_text(r["ci_low"], r["ci_high"]), term("grades", r["grade"], lang),
             term("flags", r["flag"], lang), r["n"]] for r in ordered]
    write_table(ws, headers, rows, {3: SCORE_FORMAT})
    colour_column(ws, 5, [r["grade"] for r in ordered], GRADE_COLOURS)
    colour_column(ws, 6, [r["flag"] for r in ordered], FLAG_COLOURS)


def _actions(ws: Worksheet, report: RoundReport, lang: str) -> None:
    headers = [t(k, lang) for k in ("reports.col.case", "results.agency", "results.action", "reports.col.case_status",
                                    "reports.col.opened_at", "reports.col.due_on", "reports.col.closed_at")]
    rows = [[c["id"], report.agency_name(c["agency"], lang), term("actions", c["action"], lang),
             term("cases.status", c["status"], lang), local_datetime(c["opened_at"]),
             local_datetime(c["due_on"]), local_datetime(c["closed_at"])] for c in report.cases]
    if not rows:
        rows = [[t("reports.no_actions", lang)]]
    write_table(ws, headers, rows, {4: DATETIME_FORMAT, 5: DATE_FORMAT, 6: DATETIME_FORMAT})


def _response_rates(ws: Worksheet, report: RoundReport, lang: str) -> None:
    headers = [t(k, lang) for k in ("results.agency", "reports.col.responses", "reports.col.excluded",
                                    "reports.col.counted", "reports.col.active_enterprises", "reports.col.share")]
    rows = [[report.agency_name(r["agency"], lang), r["responses"], r["excluded"], r["counted"],
             r["active_enterprises"], r["share"]] for r in report.response_rates]
    write_table(ws, headers, rows, {5: PERCENT_FORMAT})
    # the county's overall rate, below the table (and outside its filter)
    o = report.overall
    ws.append([])
    ws.append([safe_cell(t(k, lang)) for k in ("reports.col.overall", "reports.col.enterprises_answered",
                                               "reports.col.active_enterprises", "reports.col.share",
                                               "reports.col.responses")])
    for cell in ws[ws.max_row]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
    ws.append([safe_cell(t("reports.county_total", lang)), o["enterprises_answered"], o["active_enterprises"],
               o["share"], o["responses"]])
    ws.cell(row=ws.max_row, column=4).number_format = PERCENT_FORMAT
    fit_columns(ws)


def _standard_rates(ws: Worksheet, report: RoundReport, lang: str) -> None:
    """The round's standard rates (issue 15) as in the bulletin: each rate, then its change in
    percentage points from the previous round, the county first."""
    headers = [t("loop.rates.scope", lang)]
    for rate in standard.RATES:
        headers += [t(f"loop.rates.{rate}", lang), t("reports.col.rate_change", lang, rate=t(f"loop.rates.{rate}", lang))]
    headers += [t("loop.rates.default_short", lang), t("loop.rates.reopened_short", lang)]
    rows = []
    for _, r in report.standard_rates.iterrows():
        values = [rate_unit_name(report, r, lang)]
        for rate in standard.RATES:
            values += [_share(r[rate]), _share(r[f"{rate}_change"])]
        rows.append(values + [int(r["default_ratings"]), int(r["dissatisfied_ratings"])])
    write_table(ws, headers, rows, {column: PERCENT_FORMAT for column in range(1, 1 + 2 * len(standard.RATES))})


def _share(value):
    # NaN: no rate, an empty cell; six places are a tenth of a percentage point many times over
    return None if value is None or value != value else round(float(value), 6)


def build_workbook(report: RoundReport, lang: str) -> bytes:
    """The workbook as .xlsx bytes, headers in ``lang``."""
    wb = Workbook()
    _cover(wb.active, report, lang)
    _results(_sheet(wb, "results", lang), report, lang)
    _ranking(_sheet(wb, "ranking", lang), report, lang)
    _actions(_sheet(wb, "actions", lang), report, lang)
    _response_rates(_sheet(wb, "rates", lang), report, lang)
    _standard_rates(_sheet(wb, "standard_rates", lang), report, lang)
    return workbook_bytes(wb)


@requires("reports.export")
def round_workbook(db: sqlite_utils.Database, actor: Actor, name: str, lang: str) -> bytes:
    """A finalised round's workbook; only the administrator and the discipline office may export."""
    return build_workbook(round_report(db, actor, name), lang)


def workbook_filename(name: str, lang: str) -> str:
    return t("reports.workbook_filename", lang, round=name)
