"""What pages draw about rater panels (DESIGN §4.10): a round's weights form, the weights as one
line, the scores of each panel beside the combined one, the survey's "you rate as" line."""
from __future__ import annotations

import pandas as pd
import streamlit as st

import labels
from app_pages import ui
from surveys.collection import panel_weights
from surveys.participants import panels


def panel_name(panel: str) -> str:
    return ui.tr(f"panels.name.{panel}") if panel in panels.PANELS else panel


def weights_line(weights: dict[str, float]) -> str:
    """'企业 50%，两代表一委员 25%，行风监督员 25%' — panels in their order, those with a weight only."""
    parts = [ui.tr("panels.weights.item", panel_name=panel_name(p), weight=f"{weights[p]:g}")
             for p in panels.PANELS if weights.get(p, 0) > 0]
    return ui.tr("panels.weights.separator").join(parts)


def weights_form(round_row: dict) -> None:
    """The administrator's weights for a draft or open round: one number per panel, adding up to 100."""
    name = round_row["name"]
    shown = panel_weights.weights_shown(ui.db(), name)
    st.markdown(f"**{ui.tr('panels.weights.heading')}**")
    st.caption(ui.tr("panels.weights.help"))
    st.caption(ui.tr("panels.weights.current", weights=weights_line(shown)))
    with st.form(f"panel_weights_{name}"):
        columns = st.columns(len(panels.PANELS))
        entered = {panel: column.number_input(panel_name(panel), min_value=0.0, max_value=100.0, step=5.0,
                                              value=shown[panel], key=f"weight_{name}_{panel}")
                   for column, panel in zip(columns, panels.PANELS)}
        if st.form_submit_button(ui.tr("panels.weights.save")):
            ui.run_step(panel_weights.set_panel_weights, name, entered,
                        done=ui.tr("panels.weights.saved", name=labels.round_label(name, ui.lang())))


def pinned_weights_caption(pinned: dict | None) -> None:
    """The weights a finalised round was scored with, when more than enterprises counted."""
    weights = (pinned or {}).get("panel_weights") or {}
    if any(panel != panels.ENTERPRISE and weight > 0 for panel, weight in weights.items()):
        st.caption(ui.tr("panels.weights.pinned", weights=weights_line(weights)))


def panel_scores_table(rows: list[dict], combined: float | None) -> None:
    """Each panel's counted responses and score (blank with the reason when below the minimum),
    and the combined score; ``rows`` from surveys.results.dashboards.panel_breakdown."""
    if not rows:
        return
    st.markdown(f"**{ui.tr('panels.scores.heading')}**")
    minimum = rows[0]["minimum"]
    st.caption(ui.tr("panels.scores.caption", minimum=minimum))
    table = [{ui.tr("panels.scores.col_panel"): panel_name(r["panel"]),
              ui.tr("panels.scores.col_weight"): (f"{r['weight']:g}%" if r["weight"] else
                                                  ui.tr("panels.scores.not_weighted")),
              ui.tr("panels.scores.col_n"): r["n"],
              ui.tr("panels.scores.col_score"): (labels.score_text(r["score"]) if r["shown"] else
                                                 ui.tr("panels.scores.hidden", minimum=minimum))}
             for r in rows]
    table.append({ui.tr("panels.scores.col_panel"): ui.tr("panels.scores.combined"),
                  ui.tr("panels.scores.col_weight"): "", ui.tr("panels.scores.col_n"): sum(r["n"] for r in rows
                                                                                          if r["weight"]),
                  ui.tr("panels.scores.col_score"): labels.score_text(combined)})
    # a static table: the pages' interactive tables keep their places
    st.table(pd.DataFrame(table).set_index(ui.tr("panels.scores.col_panel")))


def rate_as_line(db, rater: str) -> None:
    """On the survey: the panel a deputy or supervisor rates as, in plain words (nothing for enterprises)."""
    panel = panels.panel_of(db, rater)
    if panel != panels.ENTERPRISE:
        st.info(ui.tr("panels.survey.rate_as", panel_name=panel_name(panel)), icon=":material/badge:")


def panel_progress_table(rows: list[dict]) -> None:
    """The open round's response per panel, when raters of more than one panel are on the roster
    (a static table: the page's other tables keep their places)."""
    if len(rows) < 2:
        return
    st.markdown(f"**{ui.tr('panels.monitoring.heading')}**")
    st.table(pd.DataFrame([{ui.tr("panels.monitoring.col_panel"): panel_name(r["panel"]),
                            ui.tr("panels.monitoring.col_active"): r["active"],
                            ui.tr("panels.monitoring.col_answered"): r["answered"],
                            ui.tr("panels.monitoring.col_rate"): f"{r['rate']:.0%}"} for r in rows]
                          ).set_index(ui.tr("panels.monitoring.col_panel")))


def county_panel_table(frame: pd.DataFrame, agency_names: dict[str, str]) -> None:
    """Staff: every agency's score per panel in the chosen round (nothing when enterprises alone rated)."""
    if frame.empty:
        return
    st.markdown(f"**{ui.tr('panels.scores.heading')}**")
    shown = frame.rename(columns=panel_name).map(lambda v: labels.score_text(v))
    shown.index = pd.Index([agency_names.get(code, code) for code in shown.index], name=ui.tr("results.agency"))
    st.table(shown)
