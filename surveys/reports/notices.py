"""Printable notices for a case, in Chinese by default (texts: casework.notice.*):
the reminder notice, the interview notice and the referral letter.

A notice is one self-contained HTML page (print it from the browser, A4).
Every value is escaped; nothing about any enterprise appears in it, so an
agency may download the notices of its own cases — without score and interval
should exclusions since finalising leave too few counted responses (privacy.py).
"""
from __future__ import annotations

import html

from scoring.grades import INSUFFICIENT
from scoring.actions import INTERVIEW, REFERRAL
import labels
from i18n import t
from surveys.casework import cases
from surveys.casework import views as casework
from surveys.core import clock
from surveys.results import privacy
from surveys.participants import registry
from surveys.collection import rounds
from surveys.core.actors import Actor
from surveys.core.permissions import allowed, require, requires

NOTICE_LANG = "zh"
STYLE = """
@page { size: A4; margin: 25mm 22mm; }
body { font-family: "FangSong", "STFangsong", "Noto Serif CJK SC", "Songti SC", serif; font-size: 16pt;
       line-height: 1.8; max-width: 170mm; margin: 0 auto; color: #000; }
h1 { font-family: "SimHei", "Noto Sans CJK SC", sans-serif; text-align: center; font-size: 22pt;
     letter-spacing: 0.2em; margin-bottom: 0.2em; }
.number { text-align: center; margin-top: 0; }
p.body { text-indent: 2em; margin: 0.4em 0; }
table { border-collapse: collapse; width: 100%; margin: 0.8em 0; font-size: 13pt; }
th, td { border: 1px solid #000; padding: 0.2em 0.5em; text-align: left; }
th { width: 32%; font-weight: normal; }
.signature { margin-top: 3em; text-align: right; }
.receipt { margin-top: 3em; font-size: 12pt; border-top: 1px dashed #000; padding-top: 0.8em; }
"""


def _day(value: str | None, lang: str) -> str:
    return clock.format_date(value, lang)


def _case_for(db, actor: Actor, case_id: int) -> dict:
    case = cases.get_case(db, case_id)
    require(actor, "notices.view", resource=case["agency"], not_yours="cases.not_your_agency")
    return case


def _facts(db, case: dict, lang: str, hide_thin: bool = False) -> dict:
    """The values a notice states, as text."""
    result = next((r for r in casework.trend(db, case["agency"]) if r["round"] == case["round"]), {})
    if hide_thin and result:
        result = privacy.hide_thin_result(db, {**result, "agency": case["agency"]})
    agency_row = next(db.query("SELECT * FROM agencies WHERE code = ?", [case["agency"]]))
    interval = ""
    if result.get("ci_low") is not None and result.get("ci_high") is not None:
        interval = labels.interval_text(result['ci_low'], result['ci_high'])
    scheduled = next((e["details"] for e in reversed(cases.case_events(db, case["id"])) if e["step"] == "scheduled"),
                     {})
    earlier_graded = [r["round"] for r in casework.trend(db, case["agency"])
                      if r["round"] < case["round"] and r["grade"] != INSUFFICIENT]
    return {
        "agency": labels.agency_name(agency_row, lang),
        "round": labels.round_label(case["round"], lang),
        "previous_round": labels.round_label(earlier_graded[-1], lang) if earlier_graded else "",
        "grade": t(f"grades.{result.get('grade', INSUFFICIENT)}", lang),
        "score": labels.score_text(result.get("score")),
        "interval": interval,
        "n": result.get("n", ""),
        "action": t(f"actions.{case['action']}", lang),
        "due": _day(case["due_on"], lang),
        "opened": _day(case["opened_at"], lang),
        "interview_on": _day(scheduled.get("interview_on"), lang),
        "attendees": scheduled.get("attendees", ""),
        "number": f"{case['round'][:4]}-{case['id']:04d}",
    }


def _paragraphs(case: dict, facts: dict, lang: str) -> list[str]:
    action = case["action"]
    paragraphs = [t(f"casework.notice.body.{action}", lang, **facts)]
    if action == INTERVIEW:
        key = "casework.notice.interview_set" if facts["interview_on"] else "casework.notice.interview_to_set"
        paragraphs.append(t(key, lang, **facts))
    paragraphs.append(t(f"casework.notice.instruction.{action}", lang, **facts))
    return paragraphs


def _fact_rows(facts: dict, lang: str) -> list[tuple[str, str]]:
    fields = ["agency", "round", "grade", "score", "interval", "n", "action", "due"]
    return [(t(f"casework.notice.field.{field}", lang), str(facts[field])) for field in fields]


@requires("notices.view")
def notice_title(db, actor: Actor, case_id: int, lang: str = NOTICE_LANG) -> str:
    return t(f"casework.notice.title.{_case_for(db, actor, case_id)['action']}", lang)


def notice_filename(case: dict) -> str:
    return f"notice-{case['round']}-{case['agency']}-{case['id']}.html"


@requires("notices.view")
def notice_html(db, actor: Actor, case_id: int, lang: str = NOTICE_LANG) -> str:
    """The case's notice as a complete, printable HTML page."""
    case = _case_for(db, actor, case_id)
    facts = _facts(db, case, lang, hide_thin=not allowed(actor, "results.view_all"))
    e = html.escape
    addressee_key = "casework.notice.addressee_referral" if case["action"] == REFERRAL else "casework.notice.addressee"
    title = t(f"casework.notice.title.{case['action']}", lang)
    issuer = t(f"casework.notice.issuer.{case['action']}", lang)
    rows = "".join(f"<tr><th>{e(label)}</th><td>{e(value)}</td></tr>" for label, value in _fact_rows(facts, lang))
    body = "".join(f'<p class="body">{e(p)}</p>' for p in _paragraphs(case, facts, lang))
    receipt = ("" if case["action"] == REFERRAL else
               f'<div class="receipt">{e(t("casework.notice.receipt", lang))}</div>')
    return (
        f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f"<title>{e(title)} {e(facts['agency'])}</title><style>{STYLE}</style></head><body>"
        f"<h1>{e(title)}</h1>"
        f'<p class="number">{e(t("casework.notice.number", lang, number=facts["number"]))}</p>'
        f"<p>{e(t(addressee_key, lang, **facts))}</p>{body}<table>{rows}</table>"
        f'<div class="signature"><p>{e(issuer)}</p>'
        f"<p>{e(t('casework.notice.seal', lang))}</p><p>{e(facts['opened'])}</p></div>"
        f"{receipt}</body></html>"
    )
