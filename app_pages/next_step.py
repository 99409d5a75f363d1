"""The "next step" line at the top of every page of the agency, the discipline office
and the administrator: what is expected of the reader now, computed by
surveys/casework/next_steps.py and drawn here as text (not a page itself)."""
from __future__ import annotations

import streamlit as st

import labels
from app_pages import ui
from surveys.casework import next_steps
from surveys.core.actors import ADMIN, AGENCY, DISCIPLINE

ICON = ":material/flag_circle:"


def _agency(step: dict) -> str:
    text = _agency_cases(step)
    waiting = step.get("problems") or {}
    if waiting.get("count"):
        key = "next_step.agency.problems_waiting_overdue" if waiting["overdue"] else "next_step.agency.problems_waiting"
        extra = ui.tr(key, count=waiting["count"], overdue=waiting["overdue"],
                      first_due=ui.format_date(waiting["first_due"]))
        text = extra if step["kind"] == "nothing" else f"{text} {extra}"
    for mark, count in (step.get("overdue_marks") or {}).items():
        if count:
            text = f"{text} {ui.tr(f'loop.next_step.{mark}', count=count)}"
    return text


def _agency_cases(step: dict) -> str:
    kind = step["kind"]
    if kind == "cases_waiting":
        key = "next_step.agency.cases_waiting_overdue" if step["overdue"] else "next_step.agency.cases_waiting"
        return ui.tr(key, count=step["count"], overdue=step["overdue"], first_due=ui.format_date(step["first_due"]))
    if kind == "round_open":
        return ui.tr("next_step.agency.round_open", round=_round(step["round"]),
                     closes_on=ui.format_date(step["closes_on"]))
    return ui.tr(f"next_step.agency.{kind}",
                 **{k: v for k, v in step.items() if k not in ("kind", "problems", "overdue_marks")})


def _discipline(step: dict) -> str:
    if step["kind"] != "decide":
        return ui.tr(f"next_step.discipline.{step['kind']}", open=step.get("open", 0))
    parts = [ui.tr(f"next_step.discipline.{name}", count=step[name])
             for name in ("referrals", "interviews", "reminders", "appeals") if step[name]]
    if step.get("escalated"):  # escalated first: nobody else will chase them
        parts.insert(0, ui.tr("loop.next_step.discipline_escalated", count=step["escalated"]))
    if step.get("inquiries"):
        parts.append(ui.tr("signals.next_step_inquiries", count=step["inquiries"]))
    if step["overdue"]:
        parts.append(ui.tr("next_step.discipline.overdue", count=step["overdue"]))
    return ui.tr("next_step.discipline.decide", parts=ui.tr("list_separator").join(parts))


def _admin(step: dict) -> str:
    values = {"round": _round(step["round"])}
    if step["kind"] == "round_open":
        values.update(closes_on=ui.format_date(step["closes_on"]), rate=f"{step['rate']:.0%}")
    return ui.tr(f"next_step.admin.{step['kind']}", **values)


def _round(name: str) -> str:
    return labels.round_label(name, ui.lang())


DRAW = {AGENCY: (next_steps.agency_next_step, _agency), DISCIPLINE: (next_steps.discipline_next_step, _discipline),
        ADMIN: (next_steps.admin_next_step, _admin)}


def text_for(who) -> str | None:
    """The reader's next step in words, or None for a role without one (an enterprise)."""
    if who is None or who.role not in DRAW:
        return None
    compute, words = DRAW[who.role]
    return words(compute(ui.db(), who))


def show() -> None:
    """The line itself, at the top of the page (st.info renders Markdown: the figures are
    numbers and dates, the round a label; nothing a user typed)."""
    text = text_for(ui.actor())
    if text:
        st.info(f"**{ui.tr('next_step.label')}** · {ui.md(text)}", icon=ICON)
