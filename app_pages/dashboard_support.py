"""What the three dashboard pages share: cached service calls, cached chart
specifications, and a chart with its PNG / SVG downloads. Not a page itself.

Caching. Every entry is keyed on the database file, a data version, the
signed-in actor and the arguments. The version is ``dashboards.results_version``
for what rests on finalised results only (services marked ``finalised_only``,
charts built with ``finalised_only=True``): a saved answer leaves it warm, so at
the peak of a province-size round the published results stay cached (issue 16).
Everything else is keyed on ``dashboards.data_version``, which any finalisation,
publication, response, exclusion, case step or roster change alters. So a
change of data is seen on the next run, and one user's figures are never
served to another: the service's permission check ran for exactly this actor
before its answer was cached (a refusal raises and is not cached).
"""
from __future__ import annotations

from typing import Callable

import pandas as pd
import streamlit as st

import charts
import labels
from app_pages import ui
from surveys.results import dashboards

CACHE_ENTRIES = 512


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _service(_db, path: str, version: tuple, actor, qualified_name: str, args: tuple, _service: Callable):
    # the function itself is not hashed (leading underscore): its qualified name keys the entry
    return _service(_db, actor, *args)


@st.cache_data(show_spinner=False, max_entries=CACHE_ENTRIES)
def _specs(path: str, version: tuple, actor, name: str, args: tuple, lang: str, _build: Callable) -> dict:
    # validated against the Vega-Lite schema in tests/scoring/test_charts.py; not again on every page view
    return {key: chart.to_dict(validate=False) for key, chart in _build().items()}


def _key(db, finalised_only: bool) -> tuple[str, object]:
    return ui.db_path(), _version(db, "results" if finalised_only else "data")


_VERSIONS = "_qiping_dashboard_versions"  # kept on the run's connection (ui.db(): one per script run)


def _version(db, kind: str):
    """``dashboards.results_version`` (kind "results") or ``data_version`` ("data"), worked out once
    per script run: a page asks for them once per cached call, and at province size each costs tens
    of milliseconds (issue 16). Kept on the connection, which ui.db() opens for one run, and only
    while that connection has written nothing since (sqlite3's ``total_changes``); a connection that
    cannot tell (PostgreSQL's) works them out each time."""
    changes = getattr(db.conn, "total_changes", None)
    if changes is None:
        return dashboards.results_version(db) if kind == "results" else dashboards.data_version(db)
    kept = getattr(db, _VERSIONS, None)
    if kept is None or kept[0] != changes:
        kept = (changes, {})
        setattr(db, _VERSIONS, kept)
    if kind not in kept[1]:
        if kind == "data":  # data_version extends results_version: work that out once too
            kept[1]["data"] = dashboards.data_version(db, _version(db, "results"))
        else:
            kept[1]["results"] = dashboards.results_version(db)
    return kept[1][kind]


def data(db, service: Callable, *args):
    """``service(db, actor, *args)`` (a function of surveys.results.dashboards), cached until the data
    it reads change: a service marked ``finalised_only`` is not cleared by a saved answer."""
    actor = ui.actor()
    path, version = _key(db, dashboards.reads_finalised_only(service, actor))
    qualified_name = f"{service.__module__}.{service.__qualname__}"
    return _service(db, path, version, actor, qualified_name, args, service)


def specs(db, name: str, args: tuple, build: Callable[[], dict], finalised_only: bool = False) -> dict:
    """Vega-Lite specifications of the charts ``build()`` returns ({key: alt.Chart}),
    cached under ``name`` and ``args`` (which must name everything ``build`` depends
    on besides the data and the language). ``finalised_only``: the charts draw finalised
    results only, so a saved answer does not clear them."""
    path, version = _key(db, finalised_only)
    return _specs(path, version, ui.actor(), name, args, ui.lang(), build)


def show_chart(spec: dict, file_stem: str, key: str, on_select=None):
    """Draw a chart with PNG and SVG downloads (the files are made only when clicked)."""
    selection = st.vega_lite_chart(spec, width="stretch", key=key, on_select=on_select or "ignore")
    with st.container(horizontal=True):
        st.download_button("PNG", lambda: charts.to_png(spec), file_name=f"{file_stem}.png", mime="image/png",
                           on_click="ignore", key=f"{key}_png", icon=":material/download:",
                           help=ui.tr("dashboards.download_png"))
        st.download_button("SVG", lambda: charts.to_svg(spec), file_name=f"{file_stem}.svg", mime="image/svg+xml",
                           on_click="ignore", key=f"{key}_svg", icon=":material/download:",
                           help=ui.tr("dashboards.download_svg"))
    return selection


TABLE_ROWS_SHOWN = 30  # a longer table scrolls inside its frame (2,200 agencies of a province)


def table_height(rows: int) -> int:
    """The pixel height of a table of ``rows`` rows: all of them up to TABLE_ROWS_SHOWN, then a scrolling frame."""
    return 35 * (min(rows, TABLE_ROWS_SHOWN) + 1) + 3


PAGE_ROWS = 50  # a longer table is drawn a page at a time: 2,200 agencies' rows cost a province's page a second


def page_of(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """The rows of ``frame`` to draw: all of them up to PAGE_ROWS, else the page the reader picks
    (a page number above the table, its first page unless changed), so every row stays reachable."""
    if len(frame) <= PAGE_ROWS:
        return frame
    pages = -(-len(frame) // PAGE_ROWS)
    picker, note = st.columns([1, 3], vertical_alignment="bottom")
    number = picker.number_input(ui.tr("dashboards.page"), min_value=1, max_value=pages, value=1, step=1,
                                 key=f"{key}_page_of_{pages}")  # a new count of pages starts at the first
    start = (int(number) - 1) * PAGE_ROWS
    shown = frame.iloc[start:start + PAGE_ROWS]
    note.caption(ui.tr("dashboards.page_rows", first=start + 1, last=start + len(shown), total=len(frame)))
    return shown


def round_name(name: str) -> str:
    return labels.round_label(name, ui.lang())


def round_formatter() -> Callable[[str], str]:
    """A widget's format_func for round names, bound to this run's language
    (a widget may format its options again outside the script run)."""
    lang = ui.lang()
    return lambda name: labels.round_label(name, lang)
