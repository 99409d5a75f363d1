"""Administrator: create, open and close evaluation rounds."""
from __future__ import annotations

from datetime import timedelta

import streamlit as st

import labels
from app_pages import next_step
from app_pages import panel_support
from app_pages import ui
from surveys.casework import appeals
from surveys.core import clock
from surveys.results import finalise
from surveys.collection import monitoring
from surveys.collection import questionnaire
from surveys.participants import registry
from surveys.collection import rounds
from surveys.collection.rounds import Status

db = ui.db()
me = ui.actor()
lang = ui.lang()
st.title(ui.tr("rounds.title"))
st.caption(ui.tr("rounds.lifecycle_help"))
next_step.show()


def run(step, *args, done_key: str) -> None:
    ui.run_step(step, *args, done=ui.tr(done_key))


ui.show_flash()

overview = rounds.rounds_overview(db, me)
for waiting in appeals.rounds_to_refinalise(db, me):
    st.warning(ui.tr("finalise.appeals_waiting", round=labels.round_label(waiting["round"], lang),
                     appeals=waiting["appeals"]), icon=":material/gavel:")
st.dataframe(
    [{ui.tr("rounds.col_round"): labels.round_label(r["name"], lang),
      ui.tr("rounds.col_status"): ui.tr(f"rounds.status.{r['status']}"),
      ui.tr("rounds.col_opens"): ui.format_date(r["opens_on"]),
      ui.tr("rounds.col_closes"): ui.format_date(r["closes_on"]),
      ui.tr("rounds.col_questionnaire"): r["questionnaire_version"] or "",
      ui.tr("groups.scope_label"): ui.tr(f"groups.scope.{finalise.ranking_scope(db, r)}"),
      ui.tr("rounds.col_responses"): r["responses"],
      ui.tr("rounds.col_enterprises"): r["enterprises"]} for r in overview],
    hide_index=True,
)

def finalise_controls(r: dict, label: str) -> None:
    if r["status"] == Status.CLOSED:
        st.markdown(f"**{ui.tr('finalise.heading', round=label)}**")
        st.caption(ui.tr(rounds.next_steps(r["status"])))
        if st.checkbox(ui.tr("finalise.confirm"), key=f"confirm_finalise_{r['name']}"):
            if st.button(ui.tr("finalise.button"), key=f"finalise_{r['name']}", type="primary"):
                run(finalise.finalise_round, r["name"], done_key="finalise.done")
    elif r["status"] == Status.FINALISED:
        st.markdown(f"**{ui.tr('finalise.publish_heading', round=label)}**")
        st.caption(ui.tr(rounds.next_steps(r["status"])))
        if st.checkbox(ui.tr("finalise.publish_confirm"), key=f"confirm_publish_{r['name']}"):
            if st.button(ui.tr("finalise.publish_button"), key=f"publish_{r['name']}", type="primary"):
                run(finalise.publish_round, r["name"], done_key="finalise.published")


def scope_choice(current: str, key: str) -> str:
    """County-wide ranking or within each agency group (DESIGN §4.9)."""
    names = {s: ui.tr(f"groups.scope.{s}") for s in rounds.RANKING_SCOPES}  # bound now, not read later
    return st.radio(ui.tr("groups.scope_label"), rounds.RANKING_SCOPES, horizontal=True, key=key,
                    index=rounds.RANKING_SCOPES.index(current), help=ui.tr("groups.scope_help"),
                    format_func=names.get)


def scope_editor(r: dict) -> None:
    """A draft or open round's ranking scope, changeable until collection ends."""
    with st.form(f"scope_{r['name']}"):
        scope = scope_choice(r["ranking_scope"], key=f"scope_choice_{r['name']}")
        if st.form_submit_button(ui.tr("groups.scope_set_button")):
            run(rounds.set_ranking_scope, r["name"], scope, done_key="groups.scope_saved")


def results_table(name: str) -> None:
    agencies = {a["code"]: a for a in registry.list_agencies(db, active_only=False)}
    groups = {g["code"]: g for g in registry.list_groups(db)}
    results = sorted(finalise.current_results(db, name), key=lambda x: (x["rank"] is None, x["rank"] or 0))
    st.dataframe(
        [{ui.tr("results.rank"): labels.rank_text(r["rank"], lang),
          ui.tr("results.agency"): labels.agency_name(agencies[r["agency"]], lang),
          ui.tr("groups.group"): labels.group_name(r["agency_group"], groups, lang),
          ui.tr("results.n"): r["n"], ui.tr("results.score"): r["score"],
          ui.tr("results.interval"): labels.interval_text(r["ci_low"], r["ci_high"]),
          ui.tr("results.grade"): ui.tr(f"grades.{r['grade']}"),
          ui.tr("results.action"): ui.tr(f"actions.{r['action']}"),
          ui.tr("results.flag"): labels.flag_text(r["flag"], lang)} for r in results],
        hide_index=True,
    )


for r in (r for r in overview if r["status"] in rounds.COLLECTION_ENDED):
    label = labels.round_label(r["name"], lang)
    with st.expander(ui.tr("finalise.round_expander", round=label, status=ui.tr(f"rounds.status.{r['status']}")),
                     expanded=r["status"] != Status.PUBLISHED):
        finalise_controls(r, label)
        panel_support.pinned_weights_caption(finalise.pinned_config(r))
        if r["status"] in rounds.FINALISED:
            results_table(r["name"])
            reason = st.text_input(ui.tr("finalise.refinalise_reason"), key=f"reason_{r['name']}",
                                   help=ui.tr("finalise.refinalise_help"))
            if st.button(ui.tr("finalise.refinalise_button"), key=f"refinalise_{r['name']}"):
                run(finalise.finalise_round, r["name"], reason, done_key="finalise.refinalised")

for r in (r for r in overview if r["status"] in rounds.BEFORE_CLOSE):
    label = labels.round_label(r["name"], lang)
    with st.container(border=True):
        scope_editor(r)
        if r["status"] == Status.DRAFT:
            st.markdown(f"**{ui.tr('rounds.open_heading', round=label)}**")
            st.caption(ui.tr(rounds.next_steps(r["status"])))
            versions = questionnaire.version_numbers(db)
            version = st.selectbox(ui.tr("rounds.questionnaire_version"), versions, key=f"v_{r['name']}")
            if st.checkbox(ui.tr("rounds.confirm_open"), key=f"confirm_open_{r['name']}"):
                if st.button(ui.tr("rounds.open_button"), key=f"open_{r['name']}", type="primary"):
                    run(rounds.start_round, r["name"], version, done_key="rounds.opened")
        else:
            st.markdown(f"**{ui.tr('rounds.close_heading', round=label)}**")
            st.caption(ui.tr(rounds.next_steps(r["status"])))
            check = monitoring.close_check(db, me, r["name"])
            facts = [ui.tr("rounds.close_check.rate", rate=f"{check['rate']:.0%}", answered=check["answered"],
                           not_answered=check["not_answered"], active=check["active_enterprises"])]
            if check["early"]:
                facts.insert(0, ui.tr("rounds.close_check.early", closes_on=ui.format_date(check["closes_on"]),
                                      today=ui.format_date(check["today"])))
            if check["low"]:
                facts.append(ui.tr("rounds.close_check.low", threshold=f"{check['threshold']:.0%}"))
            (st.warning if check["early"] or check["low"] else st.info)("\n\n".join(facts))
            confirm_key = "rounds.close_check.confirm_early" if check["early"] or check["low"] else "rounds.confirm_close"
            if st.checkbox(ui.tr(confirm_key), key=f"confirm_close_{r['name']}"):
                if st.button(ui.tr("rounds.close_button"), key=f"close_{r['name']}", type="primary"):
                    run(rounds.close_round, r["name"], done_key="rounds.closed")
        panel_support.weights_form(r)

with st.expander(ui.tr("rounds.create_heading")):
    with st.form("create_round"):
        # the quarter of today, or the next one if a round for it exists: open today, close at its end
        today = clock.today()
        quarter = rounds.quarter_of(today)
        if any(r["name"] == quarter for r in overview):
            quarter = rounds.quarter_of(rounds.quarter_bounds(quarter)[1] + timedelta(days=1))
        first, last = rounds.quarter_bounds(quarter)
        name = st.text_input(ui.tr("rounds.name"), value=quarter, help=ui.tr("rounds.name_help"))
        opens = st.date_input(ui.tr("rounds.opens_on"), value=max(today, first))
        closes = st.date_input(ui.tr("rounds.closes_on"), value=last)
        scope = scope_choice("county", key="new_round_scope")
        if st.form_submit_button(ui.tr("rounds.create_button"), type="primary"):
            run(rounds.create_round, name, opens, closes, scope, done_key="rounds.created")
