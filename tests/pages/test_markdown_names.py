"""Names and free text are drawn as text, never as Markdown (DESIGN §2 standards).

Every page of every role runs through Streamlit's AppTest on the demo county in
which every agency, enterprise, staff member, questionnaire item, comment and
note carries a Markdown image and link. Wherever Streamlit renders Markdown
(markdown, captions, titles, headers, alerts, widget labels and help, radio
options, tabs, expanders, metric labels), that text must arrive escaped: an
escaped "!\\[x\\](http…" shows as typed and loads nothing, while a raw
"![x](http://…)" would make every viewer's browser fetch the address.

The city office's pages open only in a deployment of several counties: they run in one of two
counties whose names, agencies' names, city name and city account carry the same payload.
"""
import ast
import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app_pages import navigation
from conftest import ADMIN_ACTOR, DISCIPLINE_ACTOR
from surveys.demo import casework as demo_casework
from surveys.collection import rounds
from surveys import startup
from surveys.core.actors import ADMIN, AGENCY, CITY, DISCIPLINE, ENTERPRISE, Actor
from surveys.core.permissions import roles_meeting
from surveys.participants import accounts
from surveys.storage.db import connect, write_transaction
from tests.conftest import copy_database
from tests.pages.test_counties import (CITY_PASSWORD, CITY_USER, county_b_template, open_app,  # noqa: F401
                                       sign_in_city, signed_in)

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60
PAYLOAD = " ![x](http://evil.example/p.png) [点我](http://evil.example/) <http://evil.example/> www.evil.example"
# What Streamlit renders as Markdown: these elements' bodies, and every widget's label and help.
MARKDOWN_BODIES = {"markdown", "caption", "title", "header", "subheader", "error", "warning", "info", "success",
                   "toast", "latex", "exception"}
MARKDOWN_OPTIONS = {"radio", "segmented_control", "pills"}


def hostile(text: str) -> str:
    return f"{text}{PAYLOAD}"


@pytest.fixture
def county(demo_path, monkeypatch):
    """The demo county with its casework, every name and free text made hostile."""
    monkeypatch.setenv("QIPING_DB", str(demo_path))
    db = connect(demo_path)
    demo_casework.advance_demo_cases(db)
    with db.conn:
        db.execute("UPDATE agencies SET name_zh = name_zh || ?, name_en = name_en || ?", [PAYLOAD, PAYLOAD])
        db.execute("UPDATE enterprises SET name = name || ?, contact_person = contact_person || ?",
                   [PAYLOAD, PAYLOAD])
        db.execute("UPDATE staff SET display_name = display_name || ?", [PAYLOAD])
        db.execute("UPDATE settings SET value = value || ? WHERE name = 'county_name'", [PAYLOAD])
        db.execute("UPDATE responses SET comment = comment || ? WHERE comment <> ''", [PAYLOAD])
        db.execute("UPDATE problems SET text = text || ?", [PAYLOAD])
        db.execute("UPDATE problem_events SET note = note || ? WHERE note <> ''", [PAYLOAD])
        db.execute("UPDATE appeals SET reason = reason || ?", [PAYLOAD])
        db.execute("UPDATE case_events SET note = note || ? WHERE note <> ''", [PAYLOAD])
        for version, definition in db.execute("SELECT version, definition FROM questionnaires").fetchall():
            items = [{**item, "zh": hostile(item["zh"]), "en": hostile(item["en"])} for item in json.loads(definition)]
            db.execute("UPDATE questionnaires SET definition = ?, title_zh = title_zh || ?, title_en = title_en || ?"
                       " WHERE version = ?", [json.dumps(items, ensure_ascii=False), PAYLOAD, PAYLOAD, version])
    yield db
    db.close()


def actors(db) -> dict[str, Actor]:
    """One signed-in user per role, with the names the sign-in would give them."""
    open_round = rounds.open_round(db)["name"]
    uscc, agency = db.execute("SELECT enterprise, agency FROM problems WHERE round = ? ORDER BY id",
                              [open_round]).fetchone()
    name = db.execute("SELECT name FROM enterprises WHERE uscc = ?", [uscc]).fetchone()[0]
    staff = dict(db.execute("SELECT username, display_name FROM staff").fetchall())
    return {
        ENTERPRISE: Actor(role=ENTERPRISE, id=uscc, name=name),
        AGENCY: Actor(role=AGENCY, id="czj", name=staff["czj"], agency_code="CZJ"),  # it has an appeal and cases
        DISCIPLINE: Actor(role=DISCIPLINE, id="discipline", name=staff["discipline"]),
        ADMIN: Actor(role=ADMIN, id="admin", name=staff["admin"]),
        "rated_agency": agency,
    }


def pages_by_role() -> list[tuple[str, str]]:
    """Every (page, role) of the navigation, but the city office's: its pages open only in a
    deployment of several counties (QIPING_COUNTIES), which this single-county fixture is not
    (they are swept below, in ``test_no_city_page_draws_a_county_city_or_agency_name_as_markdown``)."""
    return [(page.path, role) for page in navigation.PAGES for role in roles_meeting(page.shown_when)
            if role != CITY]


def markdown_texts(at: AppTest) -> list[tuple[str, str]]:
    """(element type, text) of everything on the page that Streamlit renders as Markdown."""
    found: list[tuple[str, str]] = []

    def walk(node) -> None:
        kind = getattr(node, "type", "")
        proto = getattr(node, "proto", None)
        if kind in MARKDOWN_BODIES:
            found.append((kind, proto.body))
        label = getattr(node, "label", None)  # widgets, metrics, tabs, expanders
        if isinstance(label, str) and label:
            found.append((f"{kind}.label", label))
        help_text = getattr(proto, "help", None)
        if isinstance(help_text, str) and help_text:
            found.append((f"{kind}.help", help_text))
        if kind in MARKDOWN_OPTIONS:
            found.extend((f"{kind}.option", str(option)) for option in node.options)
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def run_page(path: str, who: Actor, **state) -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=TIMEOUT)
    at.session_state["actor"] = who
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def would_link(text: str) -> bool:
    """Would Markdown make a link or image of the payload? Either its syntax arrives
    unescaped, or — escapes resolved, as the renderer does before it looks for bare
    addresses (GitHub-flavoured autolinks) — a bare "http://" address is left."""
    resolved = re.sub(r"\\(.)", r"\1", text)
    unescaped_syntax = re.search(r"(?<!\\)\]\(|(?<!\\)!\[|(?<!\\)<http", text)
    return bool(unescaped_syntax) or "http://evil" in resolved or "www.evil" in resolved


def raw_markdown(at: AppTest) -> list[tuple[str, str]]:
    return [(kind, text) for kind, text in markdown_texts(at) if would_link(text)]


def test_no_page_draws_a_name_or_a_comment_as_markdown(county):
    people = actors(county)
    drawn = []
    for path, role in pages_by_role():
        state = {"rating_agency": people["rated_agency"]} if role == ENTERPRISE else {}
        at = run_page(path, people[role], **state)
        texts = markdown_texts(at)
        drawn.extend(texts)
        assert not raw_markdown(at), (path, role, raw_markdown(at))
    # the hostile names did reach Markdown places, escaped
    assert any(r"!\[x\]" in text for _kind, text in drawn)


def test_the_sidebar_shows_the_signed_in_name_as_typed(county):
    people = actors(county)
    for role in (ENTERPRISE, AGENCY, ADMIN):
        at = run_page("streamlit_app.py", people[role])
        caption = next(c.value for c in at.sidebar.caption)
        assert "!\\[x\\](http\u2060://evil.example/p.png)" in caption
        assert not raw_markdown(at)


def test_an_agency_name_is_a_heading_as_typed(county):
    at = run_page("app_pages/shared/agency_dashboard.py", actors(county)[AGENCY])
    heading = at.subheader[0].value
    assert heading.startswith("县财政局") and "![x](" not in heading
    # escapes resolved and the invisible word joiners aside, it reads exactly the name
    assert re.sub(r"\\(.)", r"\1", heading).replace("\u2060", "") == hostile("县财政局")


def test_case_and_appeal_headings_and_flashes_escape_the_agency(county):
    case = run_page("app_pages/discipline/case_inbox.py", DISCIPLINE_ACTOR)
    assert r"!\[x\]" in case.subheader[0].value and not raw_markdown(case)
    appeal = run_page("app_pages/discipline/appeals_review.py", DISCIPLINE_ACTOR)
    assert not raw_markdown(appeal)
    people = actors(county)
    survey = run_page("app_pages/enterprise/survey.py", people[ENTERPRISE], rating_agency=people["rated_agency"])
    if not survey.radio:  # every chosen agency rated: the done state, whose button opens one to revise
        survey.button(key=f"revise_{people['rated_agency']}").click().run()
    for radio in survey.radio:
        radio.set_value(5)
    next(b for b in survey.button if (b.key or "").startswith("FormSubmitter") or "保存" in b.label).click().run()
    assert survey.success and not raw_markdown(survey)


def test_an_error_quoting_a_name_escapes_it(county):
    """Adding an agency under a code in use names the agency that has it, in st.error."""
    at = run_page("app_pages/admin/roster_admin.py", ADMIN_ACTOR)
    at.text_input(key="new_code").input("CZJ")
    at.text_input(key="new_name_zh").input("新部门")
    at.button(key="add_agency_submit").click().run()
    assert at.error and r"县财政局 !\[x\]" in at.error[0].value
    assert not raw_markdown(at)


# --- the city office's pages (issue 16): a deployment of two counties -------------------------

@pytest.fixture
def hostile_counties(demo_template, county_b_template, tmp_path, monkeypatch):
    """Two counties and their city office, every name the city's pages show made hostile: the city's
    and each county's name (the counties file), every agency's name in both county files (the like-agency
    comparison) and the city account's display name."""
    for slug, template in (("a", demo_template), ("b", county_b_template)):
        copy_database(template, tmp_path / f"{slug}.db")
        db = connect(tmp_path / f"{slug}.db")
        with db.conn:
            db.execute("UPDATE agencies SET name_zh = name_zh || ?, name_en = name_en || ?", [PAYLOAD, PAYLOAD])
        db.close()
    config = tmp_path / "counties.toml"
    config.write_text(f'[counties.a]\nname = "{hostile("青川县")}"\ndb = "a.db"\n\n'
                      f'[counties.b]\nname = "{hostile("平武县")}"\ndb = "b.db"\n\n'
                      f'[cities.city]\nname = "{hostile("广元市")}"\ndb = "city.db"\ncovers = ["a", "b"]\n',
                      encoding="utf-8")
    city = startup.prepare_city(tmp_path / "city.db")
    with write_transaction(city):
        accounts.insert_city_account(city, CITY_USER, CITY_PASSWORD, hostile("市营商办"))
    city.close()
    monkeypatch.setenv("QIPING_COUNTIES", str(config))
    monkeypatch.delenv("QIPING_DB", raising=False)
    return tmp_path


def city_pages() -> list[str]:
    return [page.path for page in navigation.pages_of_role(CITY)]


def test_no_city_page_draws_a_county_city_or_agency_name_as_markdown(hostile_counties):
    """Signed in at the city's address, each page of the city office's menu (with the sidebar, which
    names the city and the signed-in account): the hostile names reach the page, and only escaped."""
    at = open_app("city")
    assert not raw_markdown(at), ("sign-in", raw_markdown(at))
    sign_in_city(at, CITY_USER, CITY_PASSWORD)
    assert signed_in(at)
    assert {"app_pages/city/city_ranking.py", "app_pages/shared/account.py"} <= set(city_pages())
    drawn, tables = [], []
    for path in city_pages():
        at.switch_page(path)
        at.run()
        assert not at.exception, (path, [e.value for e in at.exception])
        assert not raw_markdown(at), (path, raw_markdown(at))
        drawn.extend(text for _kind, text in markdown_texts(at))
        tables.extend(frame.value for frame in at.dataframe)
    # the city's name and the account's name reached Markdown places, escaped
    assert any("广元市" in text and r"!\[x\]" in text for text in drawn)
    assert any("市营商办" in text and r"!\[x\]" in text for text in drawn)
    # the counties and the agencies were shown too, in the tables (plain text, as typed)
    ranking, like = tables[0], tables[1]
    assert set(ranking.iloc[:, 1]) == {hostile("青川县"), hostile("平武县")}
    assert {hostile("青川县"), hostile("平武县")} <= set(like.columns)
    assert like.iloc[:, 1].str.endswith(PAYLOAD).all()


def test_the_county_chooser_links_each_county_by_its_name_as_typed(hostile_counties):
    """Without a county in the address: each county a link whose text is its escaped name."""
    at = open_app()
    links = [text for kind, text in markdown_texts(at) if kind == "markdown" and text.endswith(")")]
    assert len(links) == 3
    for text in links:
        name, _, target = text[1:-1].rpartition("](")
        assert target.startswith("?county=") and r"!\[x\]" in name and not would_link(name)
