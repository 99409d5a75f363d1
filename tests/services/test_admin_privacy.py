"""DESIGN §6: the administrator sees who has answered, never how a given enterprise
rated a given agency — not in the audit log (on screen, CSV, XLSX), case evidence,
appeal review or any export it can download. Only the discipline office's audited
reveal links a rater to its answer."""
import io
import json
import re
from datetime import datetime, timedelta, timezone

import openpyxl
import pytest

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, make_world
from surveys.casework import appeals
from surveys.reports import audit_view
from surveys.casework import views as casework
from surveys.core import clock
from surveys.results import finalise
from surveys.storage import migrations
from surveys.collection import monitoring
from surveys.collection import paper_returns
from surveys.casework import problems
from surveys.collection import responses
from surveys.casework import reveal
from surveys.collection import rounds
from surveys.reports import workbook

ITEMS = ["efficiency", "attitude", "lawfulness", "integrity", "convenience"]
CLOSED_AT = datetime(2026, 4, 10, 2, 0, tzinfo=timezone.utc)
MARKED = "这一条是本企业独有的意见"  # the comment of the rating the test follows


@pytest.fixture
def county(db):
    """2026Q1, finalised: six enterprises rated FGW (one all-1 with a telling comment, which
    its agency appeals and the discipline office reveals), one revised, one rated SCJG and
    withdrew it, one answered SCJG on paper, one raised a problem that was revealed."""
    people = make_world(db, enterprises=7, open_round=False)
    clock.freeze(CLOSED_AT - timedelta(days=20))
    rounds.create_round(db, ADMIN_ACTOR, "2026Q1", "2026-01-01", "2099-12-31")
    rounds.start_round(db, ADMIN_ACTOR, "2026Q1")
    for index, who in enumerate(people[:6]):
        level, comment = (1, MARKED) if index == 0 else (4, "")
        responses.save_response(db, who, "2026Q1", "FGW", {i: level for i in ITEMS}, comment)
    responses.save_response(db, people[1], "2026Q1", "FGW", {i: 5 for i in ITEMS}, "改过一次的独有意见")
    responses.save_response(db, people[2], "2026Q1", "SCJG", {i: 3 for i in ITEMS})
    responses.withdraw_response(db, people[2], "2026Q1", "SCJG")
    paper = f"round,enterprise,agency,comment,{','.join(ITEMS)}\n2026Q1,{people[6].id},SCJG,纸面上写的独有意见,2,2,2,2,2\n"
    paper_returns.import_paper_returns(db, ADMIN_ACTOR, paper.encode(), "paper.csv")
    problem = problems.raise_problem(db, people[3], "FGW", "审批超时")
    clock.freeze(CLOSED_AT)
    rounds.close_round(db, ADMIN_ACTOR, "2026Q1")
    clock.freeze(CLOSED_AT + timedelta(days=1))
    marked = next(r for r in appeals.responses_for_appeal(db, AGENCY_ACTOR, "2026Q1", "FGW")
                  if r["comment"] == MARKED)
    appeals.lodge_appeal(db, AGENCY_ACTOR, "2026Q1", "FGW", marked["number"], "恶意差评")
    response_id = db.execute("SELECT id FROM responses WHERE comment = ?", [MARKED]).fetchone()[0]
    reveal.reveal_rater(db, DISCIPLINE_ACTOR, response_id, "上门回访")
    reveal.reveal_problem_raiser(db, DISCIPLINE_ACTOR, problem, "跟踪问题")
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1")
    return people


def rated(db) -> list[dict]:
    """Every response with its enterprise's identity and the traces that would point at it."""
    found = []
    for rid, uscc, name, agency, comment in db.execute(
            "SELECT r.id, e.uscc, e.name, r.agency, r.comment FROM responses r"
            " JOIN enterprises e ON e.uscc = r.enterprise"):
        found.append({"id": rid, "uscc": uscc, "name": name, "agency": agency, "comment": comment})
    return found


def response_id_in(text: str, response_id: int) -> bool:
    """The id written any way a surface could carry it."""
    return bool(re.search(rf"(response[/=_\"': ]+(id[\"': =]+)?){response_id}\b", text))


def names_enterprise(text: str, who: dict) -> bool:
    return who["uscc"] in text or re.search(rf"{re.escape(who['name'])}(?!\d)", text) is not None


def assert_unlinked(db, surface: str, text: str) -> None:
    for response in rated(db):
        if not names_enterprise(text, response):
            continue
        assert not response_id_in(text, response["id"]), (surface, response)
        if response["comment"]:
            assert response["comment"] not in text, (surface, response)


def audit_entries_text(db) -> str:
    return json.dumps(audit_view.search_audit(db, ADMIN_ACTOR), ensure_ascii=False)


def xlsx_text(data: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return "\n".join(str(cell) for sheet in book for row in sheet.iter_rows(values_only=True)
                     for cell in row if cell is not None)


def test_the_audit_log_never_ties_an_enterprise_to_an_agency_or_a_response(db, county):
    """Each entry naming an enterprise (as actor or in its detail) names no agency, response,
    ticket or reveal target: with them the administrator would read how it rated."""
    agencies = [r[0] for r in db.execute("SELECT code FROM agencies")]
    usccs = [r[0] for r in db.execute("SELECT uscc FROM enterprises")]
    entries = audit_view.search_audit(db, ADMIN_ACTOR)
    naming = [e for e in entries if e["actor"].startswith("enterprise:") or any(u in e["detail"] for u in usccs)]
    assert {e["action"] for e in naming} >= {"response.saved", "response.revised", "response.withdrawn",
                                             "response.paper_saved", "problem.raised"}
    for entry in naming:
        said = entry["target"] + entry["detail"]
        assert not any(code in said for code in agencies), entry
        assert not re.search(r"response|problem/|reveal/", said), entry
    revealed = [e for e in entries if e["action"] == "rater.revealed"]
    assert len(revealed) == 2 and all(not any(u in e["detail"] + e["target"] for u in usccs) for e in revealed)
    assert [json.loads(e["detail"])["reason"] for e in revealed] == ["跟踪问题", "上门回访"]  # still audited


def test_no_surface_the_administrator_reads_links_an_enterprise_to_its_rating(db, county):
    case_id = db.execute("SELECT id FROM cases WHERE agency = 'FGW'").fetchone()[0]
    surfaces = {
        "audit entries": audit_entries_text(db),
        "audit csv": audit_view.export_csv(db, ADMIN_ACTOR, lang="en").decode("utf-8-sig"),
        "audit xlsx": xlsx_text(audit_view.export_xlsx(db, ADMIN_ACTOR)),
        "case evidence": repr(casework.case_evidence(db, ADMIN_ACTOR, case_id)),
        "appeal review": repr(appeals.appeals_for_review(db, ADMIN_ACTOR)),
        "workbook": xlsx_text(workbook.round_workbook(db, ADMIN_ACTOR, "2026Q1", "zh")),
        "call list": monitoring.call_list_csv(db, ADMIN_ACTOR, round_name="2026Q1").decode("utf-8-sig"),
        "problems": repr(problems.problems_overview(db, ADMIN_ACTOR, include_solved=True)),
    }
    for surface, text in surfaces.items():
        assert_unlinked(db, surface, text)
    # and no key to join them by: the administrator never gets a response's id
    for surface in ("case evidence", "appeal review"):
        assert "response_id" not in surfaces[surface], surface
    # the administrator does read who answered (audit) and anonymous comments (evidence);
    # what it must not have is a key joining the two: no response id anywhere beside a name
    together = "\n".join(surfaces.values())
    for response in rated(db):
        assert not response_id_in(together, response["id"]), response


def test_the_discipline_office_keeps_what_it_needs_to_reveal(db, county):
    case_id = db.execute("SELECT id FROM cases WHERE agency = 'FGW'").fetchone()[0]
    evidence = casework.case_evidence(db, DISCIPLINE_ACTOR, case_id)
    assert all("response_id" in r for r in evidence["responses"])
    assert all("response_id" in a for a in appeals.appeals_for_review(db, DISCIPLINE_ACTOR))
    history = reveal.reveal_history(db, DISCIPLINE_ACTOR)
    marked = db.execute("SELECT id, enterprise FROM responses WHERE comment = ?", [MARKED]).fetchone()
    assert (history[1]["response_id"], history[1]["enterprise"]) == tuple(marked)


def test_the_migration_scrubs_entries_written_before(db, monkeypatch):
    """Entries in the old form, as a database from before migration 4 holds them."""
    people = make_world(db, enterprises=1)
    responses.save_response(db, people[0], "2026Q4", "FGW", {i: 3 for i in ITEMS})
    response_id = db.execute("SELECT id FROM responses").fetchone()[0]
    problem = problems.raise_problem(db, people[0], "FGW", "审批超时")
    reveal.reveal_rater(db, DISCIPLINE_ACTOR, response_id, "核实")
    uscc = people[0].id
    db.execute("DELETE FROM audit_log")
    old = [
        (people[0].audit_name, "response.saved", "2026Q4/FGW", {"response": response_id, "revision": 1}),
        (people[0].audit_name, "response.withdrawn", "2026Q4/FGW", {"response": response_id}),
        ("admin:admin", "response.paper_saved", "2026Q4/FGW",
         {"response": response_id, "revision": 2, "enterprise": uscc, "line": 2, "replaced_source": None}),
        ("discipline:discipline", "rater.revealed", f"response/{response_id}", {"reason": "核实", "enterprise": uscc}),
        (people[0].audit_name, "problem.raised", f"problem/{problem}", {"agency": "FGW", "due_on": "2026-12-01"}),
        ("agency:fgw", "problem.answered", f"problem/{problem}", {"late": False}),
    ]
    for actor, action, target, detail in old:
        db.execute("INSERT INTO audit_log (at, actor, action, target, detail) VALUES ('2026-11-02T00:00:00+00:00',"
                   " ?, ?, ?, ?)", [actor, action, target, json.dumps(detail, ensure_ascii=False)])
    db.execute("PRAGMA user_version = 4")  # before the audit scrub (migration 5)
    # only migration 5 runs again: the later ones are already in this schema, and a column
    # they add cannot be added twice
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:5])
    assert migrations.migrate(db) == 5
    scrubbed = [(r[0], r[1], json.loads(r[2])) for r in
                db.execute("SELECT action, target, detail FROM audit_log ORDER BY id")]
    reveal_id = db.execute("SELECT id FROM reveals").fetchone()[0]
    assert scrubbed == [
        ("response.saved", "2026Q4", {"revision": 1}),
        ("response.withdrawn", "2026Q4", {}),
        ("response.paper_saved", "2026Q4", {"revision": 2, "enterprise": uscc, "line": 2, "replaced_source": None}),
        ("rater.revealed", f"reveal/{reveal_id}", {"reason": "核实", "subject": "response"}),
        ("problem.raised", "2026Q4", {}),
        ("problem.answered", f"problem/{problem}", {"late": False}),  # the agency's step names no enterprise
    ]
