"""The official pages (agency, discipline office, administrator) through AppTest on the demo
county: every page opens with the reader's next step, computed from the data; and the fixes
of issue 13 item 4 (no raw keys, the box chosen by the news, the inbox by severity, a closed
case kept in view, the reveal picker with the comment)."""
from pathlib import Path

import pytest

from app_pages import next_step
from conftest import ADMIN_ACTOR, DISCIPLINE_ACTOR, open_page
from surveys.casework import next_steps
from surveys.core.actors import AGENCY, Actor
from surveys.storage.db import connect
import i18n

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "app_pages"
TIMEOUT = 60
AGENCY_ACTOR = Actor(role=AGENCY, id="fgw", name="fgw", agency_code="FGW")

ROLE_PAGES = [
    *[(ADMIN_ACTOR, f"admin/{p.name}") for p in sorted((PAGES / "admin").glob("*.py"))],
    *[(AGENCY_ACTOR, f"agency/{p.name}") for p in sorted((PAGES / "agency").glob("*.py"))],
    *[(DISCIPLINE_ACTOR, f"discipline/{p.name}") for p in sorted((PAGES / "discipline").glob("*.py"))],
    (AGENCY_ACTOR, "shared/agency_dashboard.py"), (ADMIN_ACTOR, "shared/agency_dashboard.py"),
    (DISCIPLINE_ACTOR, "shared/county_overview.py"), (ADMIN_ACTOR, "shared/county_overview.py"),
]


@pytest.mark.parametrize("who, page", ROLE_PAGES, ids=[f"{w.role}-{p}" for w, p in ROLE_PAGES])
def test_every_official_page_opens_with_the_readers_next_step(demo_path, monkeypatch, who, page):
    at = open_page(PAGES / page, demo_path, monkeypatch, actor=who, timeout=TIMEOUT, lang="en")
    label = i18n.t("next_step.label", "en")
    first = at.info[0].value
    assert first.startswith(f"**{label}**"), first
    # the figures are the service's, in words
    db = connect(demo_path)
    step = {"agency": next_steps.agency_next_step, "discipline": next_steps.discipline_next_step,
            "admin": next_steps.admin_next_step}[who.role](db, who)
    db.close()
    assert step["kind"] != "nothing"
    if who.role == "admin":
        assert "2026Q4" in first or "Q4 2026" in first or "2026" in first
        assert f"{step['rate']:.0%}" in first
    if who.role == "discipline":
        assert i18n.t("next_step.discipline.referrals", "en", count=step["referrals"]) in first


def test_the_next_step_is_chinese_in_the_chinese_ui(demo_path, monkeypatch):
    at = open_page(PAGES / "discipline/case_inbox.py", demo_path, monkeypatch, actor=DISCIPLINE_ACTOR,
                   timeout=TIMEOUT, lang="zh")
    assert at.info[0].value.startswith("**下一步**")
    assert "移交待决定" in at.info[0].value


def agency(code: str) -> Actor:
    return Actor(role=AGENCY, id=code.lower(), name=code.lower(), agency_code=code)


def shown_texts(at) -> list[str]:
    """Every text of the page's tables and metrics, as drawn."""
    texts = []
    for frame in at.dataframe:
        texts += [str(v) for v in frame.value.astype(str).to_numpy().ravel()]
    texts += [str(m.value) for m in at.metric] + [str(m.delta) for m in at.metric]
    return texts


def test_an_agency_with_too_few_responses_reads_not_ranked_never_a_raw_key_or_none(demo_path, monkeypatch):
    # 2025Q4: SWW had 3 responses (insufficient), so no rank and no flag
    for page, who, state in [("agency/ranking.py", agency("FGW"), {"ranking_round": "2025Q4"}),
                             ("shared/county_overview.py", DISCIPLINE_ACTOR, {"overview_round": "2025Q4"}),
                             ("admin/rounds_admin.py", ADMIN_ACTOR, {})]:
        for lang in ("zh", "en"):
            at = open_page(PAGES / page, demo_path, monkeypatch, actor=who, timeout=TIMEOUT, lang=lang, **state)
            texts = shown_texts(at)
            assert texts, page
            assert not [t for t in texts if "flags." in t or t in ("None", "nan", "<NA>")], (page, lang)
            if page != "admin/rounds_admin.py":
                assert i18n.t("officials.not_ranked", lang) in texts, (page, lang)


def test_the_dashboard_of_an_insufficient_round_shows_no_raw_flag_key(demo_path, monkeypatch):
    db = connect(demo_path)  # make SWW's newest round one of too few responses
    newest = db.execute("SELECT max(round) FROM current_results").fetchone()[0]
    db.execute("UPDATE results SET grade = 'insufficient', rank = NULL, flag = NULL, action = 'none' "
               "WHERE agency = 'SWW' AND round = ?", [newest])
    db.conn.commit()
    db.close()
    at = open_page(PAGES / "shared/agency_dashboard.py", demo_path, monkeypatch, actor=agency("SWW"),
                   timeout=TIMEOUT, lang="zh")
    texts = shown_texts(at)
    assert not [t for t in texts if "flags." in t or t in ("None", "nan")]
    assert i18n.t("officials.not_ranked", "zh") in texts


def test_last_place_with_a_yellow_flag_is_announced_as_a_warning_not_a_success(demo_path, monkeypatch):
    # 2026Q3 ranks within groups: SCJG ranks 4 of the 4 enforcement agencies, graded poor, yellow flag
    at = open_page(PAGES / "agency/ranking.py", demo_path, monkeypatch, actor=agency("SCJG"), timeout=TIMEOUT,
                   lang="en", ranking_round="2026Q3")
    line = i18n.t("dashboards.ranking.own_line", "en", rank=4, total=4, grade=i18n.t("grades.poor", "en"),
                  flag=i18n.t("flags.yellow", "en"))
    assert [w.value for w in at.warning if w.value == f"Within Enforcement: {line}"]
    assert not [s.value for s in at.success if "4 of 4" in s.value]
    # and good news stays a success: the first place's red flag
    db = connect(demo_path)
    first = db.execute("SELECT agency FROM current_results WHERE round = '2026Q3' AND rank = 1").fetchone()[0]
    db.close()
    at = open_page(PAGES / "agency/ranking.py", demo_path, monkeypatch, actor=agency(first), timeout=TIMEOUT,
                   lang="en", ranking_round="2026Q3")
    assert [s for s in at.success if i18n.t("flags.red", "en") in s.value]


def test_an_overdue_referral_does_not_tell_the_agency_it_may_still_submit(demo_path, monkeypatch):
    db = connect(demo_path)
    case = dict(next(db.query("SELECT * FROM cases WHERE action = 'referral' AND status NOT IN ('closed', 'withdrawn')")))
    db.execute("UPDATE cases SET due_on = '2026-10-09' WHERE id = ?", [case["id"]])  # overdue on the pinned day
    db.conn.commit()
    db.close()
    for lang, still in (("zh", "仍可提交"), ("en", "still submit")):
        at = open_page(PAGES / "agency/agency_cases.py", demo_path, monkeypatch, actor=agency(case["agency"]),
                       timeout=TIMEOUT, lang=lang, agency_case=case["id"])
        drawn = [e.value for e in [*at.error, *at.warning, *at.info]]
        assert not [t for t in drawn if still in t], drawn
        assert [t for t in drawn if t.startswith(i18n.t("officials.overdue_nothing_to_submit", lang, due="",
                                                          steps="").split("(")[0].split("（")[0])]
        assert not at.text_area  # nothing to submit


def inbox_picker(at):
    return next(box for box in at.selectbox if (box.key or "").startswith("inbox_case:"))


def test_the_inbox_lists_referrals_first_and_marks_overdue_rows(demo_path, monkeypatch):
    at = open_page(PAGES / "discipline/case_inbox.py", demo_path, monkeypatch, actor=DISCIPLINE_ACTOR,
                   timeout=TIMEOUT, lang="en")
    table = at.dataframe[0].value
    actions = list(table[i18n.t("casework.col.action", "en")])
    order = {i18n.t(f"actions.{a}", "en"): n for n, a in enumerate(("referral", "interview", "reminder"))}
    assert actions[0] == i18n.t("actions.referral", "en")
    assert [order[a] for a in actions] == sorted(order[a] for a in actions)
    # the picker opens on the first referral, not on an overdue reminder
    db = connect(demo_path)
    assert db.execute("SELECT action FROM cases WHERE id = ?", [inbox_picker(at).value]).fetchone()[0] == "referral"
    db.close()


def test_after_closing_a_case_the_view_stays_on_it_and_says_what_happened(demo_path, monkeypatch):
    db = connect(demo_path)
    case_id = db.execute("SELECT id FROM cases WHERE action = 'referral' AND status = 'referred'").fetchone()[0]
    at = open_page(PAGES / "discipline/case_inbox.py", demo_path, monkeypatch, actor=DISCIPLINE_ACTOR,
                   timeout=TIMEOUT, lang="zh")
    for step in ("investigation_opened", "outcome_recorded"):
        inbox_picker(at).set_value(case_id).run()
        if step == "outcome_recorded":
            next(t for t in at.text_area if t.label == i18n.t("casework.fields.outcome", "zh")).input("warned")
        next(b for b in at.button if b.label == i18n.t(f"cases.status.{step}", "zh")).click().run()
    inbox_picker(at).set_value(case_id).run()
    next(c for c in at.checkbox if c.label == i18n.t("casework.confirm_step", "zh")).check()
    next(b for b in at.button if b.label == i18n.t("cases.status.closed", "zh")).click().run()
    assert not at.exception
    assert db.execute("SELECT status FROM cases WHERE id = ?", [case_id]).fetchone()[0] == "closed"
    assert inbox_picker(at).value == case_id  # still the case just closed
    assert [s for s in at.success if s.value == i18n.t("casework.step_done", "zh",
                                                       step=i18n.t("cases.status.closed", "zh"))]
    assert [i for i in at.info if i.value == i18n.t("officials.case_closed_kept", "zh", id=case_id)]
    assert f"#{case_id}" in at.subheader[0].value
    # picking another case lets the closed one leave the open list
    ids = [int(v) for v in at.dataframe[0].value[i18n.t("casework.col.id", "zh")]]
    assert case_id in ids
    inbox_picker(at).set_value(next(i for i in ids if i != case_id)).run()
    at.run()
    assert case_id not in {int(v) for v in at.dataframe[0].value[i18n.t("casework.col.id", "zh")]}
    db.close()


def test_the_reveal_picker_shows_each_number_with_its_comment(demo_path, monkeypatch):
    from surveys.casework import views as casework

    db = connect(demo_path)
    evidence = next(e for e in (casework.case_evidence(db, DISCIPLINE_ACTOR, r[0])
                                for r in db.execute("SELECT id FROM cases WHERE status NOT IN ('closed', 'withdrawn') ORDER BY id"))
                    if any(r["comment"] for r in e["responses"]))
    db.close()
    case_id = evidence["case"]["id"]
    at = open_page(PAGES / "discipline/case_inbox.py", demo_path, monkeypatch, actor=DISCIPLINE_ACTOR,
                   timeout=TIMEOUT, lang="zh", inbox_case=case_id)
    label = i18n.t("casework.col.number", "zh")
    picker = next(box for box in at.selectbox if box.label == label)
    commented = next(r for r in evidence["responses"] if r["comment"])
    option = picker.options[[r["number"] for r in evidence["responses"]].index(commented["number"])]
    assert option.startswith(f"第 {commented['number']} 号评价")
    assert " ".join(commented["comment"].split())[:20] in option
    listing = next(f.value for f in at.dataframe if i18n.t("casework.col.comment", "zh") in f.value.columns
                   and label in f.value.columns)
    assert commented["comment"] in list(listing[i18n.t("casework.col.comment", "zh")])


def test_the_new_round_form_proposes_the_next_quarter(demo_path, monkeypatch):
    """Issue 13's "today + 30 days" was fixed in issue 10: with 2026Q4 open on the pinned day
    (2026-11-20) the form proposes 2027Q1, opening on its first day and closing on its last."""
    from datetime import date

    at = open_page(PAGES / "admin/rounds_admin.py", demo_path, monkeypatch, actor=ADMIN_ACTOR, timeout=TIMEOUT,
                   lang="en")
    assert next(t for t in at.text_input if t.label == i18n.t("rounds.name", "en")).value == "2027Q1"
    dates = {d.label: d.value for d in at.date_input}
    assert dates[i18n.t("rounds.opens_on", "en")] == date(2027, 1, 1)
    assert dates[i18n.t("rounds.closes_on", "en")] == date(2027, 3, 31)


def test_the_inbox_shades_overdue_rows_and_keeps_scores_to_one_decimal(demo_path, monkeypatch):
    at = open_page(PAGES / "discipline/case_inbox.py", demo_path, monkeypatch, actor=DISCIPLINE_ACTOR,
                   timeout=TIMEOUT, lang="en")
    proto = at.dataframe[0].proto
    styles = proto.arrow_data.styler.styles
    assert "#fde0dd" in styles  # the overdue rows' shade
    # the score cells are shown as written (one decimal), not 43.500000: SCJG's referral in the last
    # finished round, whose score weighs the rater panels (DESIGN §4.10)
    from surveys.storage.db import connect
    database = connect(demo_path)
    score = database.execute("SELECT score FROM current_results WHERE agency = 'SCJG' ORDER BY round DESC LIMIT 1"
                             ).fetchone()[0]
    database.close()
    shown = str(proto.arrow_data.styler.display_values)
    assert f"{score:.1f}" in shown and f"{score:.6f}" not in shown
