"""The standard rates as the pages show them (county overview, agency dashboard): a table in the
reader's language, each rate as a percentage with its change from the previous period in
percentage points. The figures come from surveys/reports/rates.py; nothing is computed here."""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

import labels
from app_pages import dashboard_support
from app_pages import ui
from scoring.rates import COUNTY, GROUP, RATES

def unit_namer(agency_names: dict[str, str], groups: dict[str, dict]) -> Callable[[pd.Series], str]:
    """A line's name: the county, a group (DESIGN §4.9) or an agency, in the reader's language."""
    lang = ui.lang()

    def name(row: pd.Series) -> str:
        if row["scope"] == COUNTY:
            return ui.tr("loop.rates.county")
        if row["scope"] == GROUP:
            return ui.tr("loop.rates.group", group=labels.group_name(row["unit"], groups, lang))
        return agency_names.get(row["unit"], row["unit"])
    return name


def period_kind(key: str) -> str:
    """By round (quarter) or by month: the reader's choice, by round unless changed."""
    kinds = {"round": ui.tr("loop.rates.by_round"), "month": ui.tr("loop.rates.by_month")}
    return st.segmented_control(ui.tr("loop.rates.period_kind"), list(kinds), format_func=kinds.get,
                                default="round", key=key) or "round"


def period_text(period: str, kind: str, lang: str | None = None) -> str:
    return labels.round_label(period, lang or ui.lang()) if kind == "round" else period


def period_formatter(kind: str) -> Callable[[str], str]:
    """A widget's format_func with the reader's language bound now (a test may call it outside the run)."""
    lang = ui.lang()
    return lambda period: period_text(period, kind, lang)


def table(frame: pd.DataFrame, unit_name: Callable[[pd.Series], str], kind: str, with_period: bool) -> pd.DataFrame:
    """One row per (period, unit): its name, each rate with its change, and the 默认满意 and 不满意 counts.
    Headings translated once, rows read as plain records: a province has 2,205 lines (issue 16)."""
    lang = ui.lang()
    period, scope = ui.tr("loop.rates.period"), ui.tr("loop.rates.scope")
    rate_headings = {rate: ui.tr(f"loop.rates.{rate}") for rate in RATES}
    default, reopened = ui.tr("loop.rates.default_satisfied"), ui.tr("loop.rates.reopened")
    rows = []
    for row in frame.to_dict("records"):
        shown = {period: period_text(row["period"], kind, lang)} if with_period else {}
        shown[scope] = unit_name(row)
        for rate, heading_text in rate_headings.items():
            shown[heading_text] = labels.rate_text(row[rate], change=row.get(f"{rate}_change"))
        shown[default] = int(row["default_ratings"])
        shown[reopened] = int(row["dissatisfied_ratings"])
        rows.append(shown)
    return pd.DataFrame(rows)


HEADLINE = ("participation", "good", "bad", "rectified", "on_time", "return_satisfied")


def headline(row: pd.Series, key: str) -> None:
    """The rates of one line (the county's, or the agency's latest) as metrics, each with its change."""
    with st.container(key=f"{key}_headline", horizontal=True):
        for rate in HEADLINE:
            delta = labels.points_text(row.get(f"{rate}_change")) or None
            st.metric(ui.tr(f"loop.rates.{rate}"), labels.rate_text(row[rate]), delta=delta, border=True,
                      delta_color="inverse" if rate == "bad" else "normal")


def heading() -> None:
    st.subheader(ui.tr("loop.rates.heading"))
    st.caption(ui.tr("loop.rates.caption"))


def show(frame: pd.DataFrame, unit_name: Callable[[pd.Series], str], kind: str, key: str,
         with_period: bool = True, first_as_headline: bool = False, with_heading: bool = True) -> None:
    """The heading (unless the page drew it above its own controls), then (``first_as_headline``)
    the first line's rates as metrics, then the table."""
    if with_heading:
        heading()
    if frame.empty:
        st.caption(ui.tr("loop.rates.none"))
        return
    if first_as_headline:
        headline(frame.iloc[0], key)
    shown = dashboard_support.page_of(frame, key)  # a province's 2,205 lines: a page at a time
    st.dataframe(table(shown, unit_name, kind, with_period), hide_index=True, width="stretch", key=key)
