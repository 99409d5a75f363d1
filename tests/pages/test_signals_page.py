"""The coaching-signals page through Streamlit's AppTest on the demo county (issue 15 item 4):
the discipline office sees the planted pattern with its evidence and opens an inquiry from it;
the agency behind it sees nothing of it on any of its pages, nor does the administrator."""
from datetime import timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import i18n
from app_pages import navigation
from conftest import ADMIN_ACTOR, DISCIPLINE_ACTOR, PINNED_NOW, run_page
from surveys.casework import signals
from surveys.core import clock
from surveys.core.actors import ADMIN, AGENCY, Actor
from surveys.demo import county as demo
from test_casework_pages import page_text

ROOT = Path(__file__).resolve().parents[2]
PAGE = "app_pages/discipline/signals.py"
TIMEOUT = 60
NOTE = "八份满分两分钟一份，约谈部门前先回访企业"


@pytest.fixture
def county(demo_path, demo_db, monkeypatch):
    monkeypatch.setenv("QIPING_DB", str(demo_path))
    return demo_db


def run(path: str, who: Actor, **state) -> AppTest:
    return run_page(ROOT / path, who, TIMEOUT, **state)


def signal_words(lang: str) -> list[str]:
    """Every text of the signals catalogue that names a signal or an inquiry."""
    catalogue = i18n.catalogue(lang)
    return [text for key, text in catalogue.items()
            if key.startswith(("signals.kind.", "signals.title", "nav.signals", "signals.inquir"))]


def test_the_discipline_office_sees_the_planted_pattern_and_opens_an_inquiry(county):
    at = run(PAGE, DISCIPLINE_ACTOR)
    text = page_text(at)
    sthj = county.execute("SELECT name_zh FROM agencies WHERE code = ?", [demo.COACHED_AGENCY]).fetchone()[0]
    for kind in ("identical_in_window", "too_fast", "top_share_jump"):
        assert f"{i18n.t(f'signals.kind.{kind}')} · {sthj}" in text
    assert "5,5,5,5,5" in text and "不会自动剔除任何评价" in text
    # the evidence: eight numbered responses, each a few seconds from opening to saving
    evidence = at.dataframe[0].value
    assert len(evidence) == demo.COACHED_ANSWERS and set(evidence["用时（秒）"]) <= {"5", "6", "7", "8", "9"}

    index = next(i for i, s in enumerate(signals.round_signals(county, DISCIPLINE_ACTOR, "2026Q4"))
                 if s["kind"] == "too_fast")
    at.text_area(key=f"inquiry_note_{index}").input(NOTE)
    at.button(key=f"open_inquiry_{index}").click().run()
    assert not at.exception
    [inquiry] = signals.list_inquiries(county, DISCIPLINE_ACTOR)
    assert (inquiry["agency"], inquiry["note"], inquiry["evidence"]["kind"]) == (demo.COACHED_AGENCY, NOTE,
                                                                              "too_fast")
    text = page_text(at)
    assert i18n.t("signals.opened", inquiry=inquiry["id"]) in text
    assert i18n.t("signals.inquiry_opened", inquiry=inquiry["id"]) in text
    assert NOTE in text  # the office's own inquiry list


def test_the_page_offers_the_audited_reveal_of_the_evidence(county):
    at = run(PAGE, DISCIPLINE_ACTOR)
    box = next(b for b in at.selectbox if b.label == i18n.t("signals.col.number"))
    assert len(box.options) >= demo.COACHED_ANSWERS
    assert i18n.t("casework.reveal.button") in page_text(at)


def test_a_round_without_signals_says_so(county, monkeypatch):
    quiet = [r for r in signals.signal_rounds(county, DISCIPLINE_ACTOR)
             if not signals.round_signals(county, DISCIPLINE_ACTOR, r)]
    at = run(PAGE, DISCIPLINE_ACTOR, signals_round=quiet[0], lang="en")
    assert "No signals in this round." in page_text(at)


def test_only_the_discipline_office_has_the_page():
    assert [role for role in (AGENCY, ADMIN, "discipline", "enterprise")
            if any(p.path == PAGE for p in navigation.pages_of_role(role))] == ["discipline"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_coached_agency_sees_nothing_of_the_signal_or_the_inquiry(county, lang):
    signal = next(s for s in signals.round_signals(county, DISCIPLINE_ACTOR, "2026Q4")
                  if s["agency"] == demo.COACHED_AGENCY)
    signals.open_inquiry(county, DISCIPLINE_ACTOR, "2026Q4", signal["key"], NOTE)
    who = Actor(role=AGENCY, id="sthj", name="sthj", agency_code=demo.COACHED_AGENCY)
    for entry in navigation.pages_of_role(AGENCY):
        text = page_text(run(entry.path, who, lang=lang))
        shown = [word for word in [*signal_words(lang), NOTE, signal["key"]] if word in text]
        assert shown == [], entry.path


def test_the_administrator_sees_no_signal_only_that_an_inquiry_row_changed(county):
    signal = next(s for s in signals.round_signals(county, DISCIPLINE_ACTOR, "2026Q4"))
    clock.freeze(PINNED_NOW + timedelta(minutes=1))
    signals.open_inquiry(county, DISCIPLINE_ACTOR, "2026Q4", signal["key"], NOTE)
    text = page_text(run("app_pages/admin/audit_log.py", ADMIN_ACTOR))
    assert "inquiry/1" in text
    # the agency code shows elsewhere in the log (its cases); the inquiry row names neither it nor the signal
    assert [w for w in [*signal_words("zh"), NOTE, signal["key"]] if w in text] == []


# --- the survey records when a form was opened --------------------------------------------

def test_the_survey_sends_when_each_agencys_form_was_first_shown_with_its_save(county, loopback):
    t0 = PINNED_NOW.astimezone(clock.UTC)
    clock.freeze(t0)
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT)
    at.query_params["code"] = demo.demo_code(2)  # has not answered the open round
    at.run()
    at.pills(key="chosen_agencies").set_value(["FGW", "SCJG"]).run()
    at.button(key="start_rating").click().run()  # FGW's form is shown now
    clock.freeze(t0 + timedelta(seconds=30))
    at.run()  # a rerun does not move the opening
    for radio in at.radio:
        radio.set_value(4)
    clock.freeze(t0 + timedelta(seconds=75))
    at.button(key="save_FGW").click().run()  # SCJG's form is shown now
    assert not at.exception
    for radio in at.radio:
        radio.set_value(3)
    clock.freeze(t0 + timedelta(seconds=100))
    at.button(key="save_SCJG").click().run()
    assert not at.exception
    # the two answers just saved: the newest two rows
    timing = {agency: (opened, saved) for agency, opened, saved in county.execute(
        "SELECT agency, opened_at, created_at FROM responses ORDER BY id DESC LIMIT 2")}

    def iso(moment):
        return moment.isoformat(timespec="seconds")

    assert timing == {"FGW": (iso(t0), iso(t0 + timedelta(seconds=75))),
                      "SCJG": (iso(t0 + timedelta(seconds=75)), iso(t0 + timedelta(seconds=100)))}
