"""The authorisation matrix, generated from the permission table.

Every public function in surveys/ that takes (db, actor, ...) declares the one
capability it needs (``@permissions.requires``); the roles that hold that
capability in permissions.ROLE_CAPABILITIES may call it, every other role may
not. The test fails for a service that declares nothing, so a new service cannot
ship without saying who may call it. A role without the capability must get
PermissionDenied *before* anything happens (the database is unchanged); a role
with it must get past the permission check. The table itself is checked against
DESIGN §2 in words, so the matrix is not just the code agreeing with itself.
"""
import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import i18n
import surveys
from app_pages import navigation
from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, dump, enterprise_actor
from surveys.core import permissions
from surveys.core.actors import ADMIN, AGENCY, DISCIPLINE, ENTERPRISE, Actor
from surveys.storage.db import connect
from surveys.core.errors import PermissionDenied
from surveys.core.permissions import CAPABILITIES, ROLE_CAPABILITIES, roles_holding

ROOT = Path(__file__).resolve().parents[2]
E, A, D, M = ENTERPRISE, AGENCY, DISCIPLINE, ADMIN
ROLES = list(ROLE_CAPABILITIES)

# Steps that run inside another service's transaction, after that service checked the actor.
INTERNAL = {"core.audit.record", "casework.cases.open_case", "casework.cases.withdraw_case",
            "results.exclusions.insert_exclusion", "participants.accounts.still_active",
            "participants.accounts.credential_stamp", "collection.rounds.set_status"}


def service_functions() -> dict[str, object]:
    found = {}
    for info in pkgutil.walk_packages(surveys.__path__, "surveys."):
        module = importlib.import_module(info.name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            params = list(inspect.signature(function).parameters)
            if (function.__module__ == module.__name__ and not name.startswith("_")
                    and params[:2] == ["db", "actor"]):
                found[f"{info.name.removeprefix('surveys.')}.{name}"] = function  # "casework.cases.advance_case"
    return found


SERVICES = service_functions()
DECLARED = {name: function.capability for name, function in SERVICES.items() if hasattr(function, "capability")}


def allowed_roles(name: str) -> set[str]:
    """Who may call the service: the roles holding the capability it declares."""
    return set(roles_holding(DECLARED[name]))


PLACEHOLDERS = {"data": b"uscc,name\n", "filename": "x.csv", "ratings": {}, "agencies": [], "items": [],
                "active": True, "uphold": True, "solved": True, "replace": False, "progress": None,
                "case_id": 1, "problem_id": 1, "appeal_id": 1, "response_id": 1, "number": 1, "limit": 10,
                "statuses": None, "actions": None, "round_names": None, "base_version": 1, "version": 1,
                "include_solved": False, "may_contact": False,
                "year": 2026, "month": 11, "holidays": set(), "workdays": set()}


def placeholder_arguments(function, owned: dict | None = None) -> dict:
    """Arguments of the right kind; the permission check comes before any use of them."""
    values = {**PLACEHOLDERS, **(owned or {})}
    arguments = {}
    for name, param in list(inspect.signature(function).parameters.items())[2:]:
        if param.kind in (param.VAR_KEYWORD, param.VAR_POSITIONAL):
            continue
        if name in values:
            arguments[name] = values[name]
        elif param.default is not inspect.Parameter.empty:
            continue
        elif name in ("agency", "code"):
            arguments[name] = "FGW"
        elif "round" in name or name == "name":
            arguments[name] = "2026Q3"
        else:
            arguments[name] = "placeholder text"
    return arguments


def actor_for(role: str, db) -> Actor:
    """A demo actor of ``role`` that owns something: the agency and the enterprise
    behind the first problem ticket, so that ownership checks can pass for the
    allowed role and placeholder ids point at its own case and ticket."""
    agency, uscc = db.execute("SELECT agency, enterprise FROM problems ORDER BY id LIMIT 1").fetchone()
    if role == E:
        return enterprise_actor(uscc)
    if role == A:
        return Actor(role=A, id=agency.lower(), name=agency, agency_code=agency)
    known = {D: DISCIPLINE_ACTOR, M: ADMIN_ACTOR}
    return known.get(role) or Actor(role=role, id=role, name=role)  # a role added to the table later


def owned_ids(db) -> dict:
    agency = db.execute("SELECT agency FROM problems ORDER BY id LIMIT 1").fetchone()[0]
    case = db.execute("SELECT id FROM cases WHERE agency = ? ORDER BY id DESC LIMIT 1", [agency]).fetchone()
    problem = db.execute("SELECT id FROM problems ORDER BY id LIMIT 1").fetchone()[0]
    return {"case_id": case[0] if case else 1, "problem_id": problem, "agency": agency, "code": agency}


def test_every_service_function_declares_the_capability_it_needs():
    undeclared = sorted(set(SERVICES) - set(DECLARED) - INTERNAL)
    assert undeclared == [], "add @requires(<capability>) to these services (or, if another service's " \
                             "transaction calls them after its own check, list them in INTERNAL)"
    assert sorted(INTERNAL - set(SERVICES)) == []  # no stale rows
    assert sorted(INTERNAL & set(DECLARED)) == []


@pytest.mark.parametrize("name", sorted(DECLARED))
def test_each_role_is_refused_or_let_through_as_the_table_says(name, demo_path):
    function = SERVICES[name]
    db = connect(demo_path)
    owned = owned_ids(db)
    before = dump(db)
    allowed = allowed_roles(name)
    for role in ROLES:
        if role in allowed:
            continue
        with pytest.raises(PermissionDenied):
            function(db, actor_for(role, db), **placeholder_arguments(function, owned))
        assert dump(db) == before, f"{name} as {role} changed the database before refusing"
    for role in sorted(allowed):
        try:
            function(db, actor_for(role, db), **placeholder_arguments(function, owned))
        except PermissionDenied as refused:
            pytest.fail(f"{name} refused {role}, which holds {DECLARED[name]}: {refused}")
        except Exception:
            pass  # placeholder arguments may be refused for other reasons: the permission check passed


# --- the table against DESIGN §2, in words ---------------------------------------------

def held(role: str, prefix: str = "") -> set[str]:
    return {c for c in ROLE_CAPABILITIES[role] if c.startswith(prefix)}


def test_enterprises_never_see_results_casework_or_who_rated():
    # "see its own past ratings; never see anyone else's"
    assert held(E) <= {"responses.submit", "responses.view_own", "problems.raise"}
    for prefix in ("results.", "ranking.", "cases.", "notices.", "appeals.", "rater.", "reports.", "agencies."):
        assert held(E, prefix) == set(), prefix


def test_agency_accounts_hold_only_views_of_their_own_agency():
    # "see its own scores ... the published ranking; never learn which enterprise rated it"
    assert {c for c in held(A) if c.endswith(".view_all")} == set()
    assert "agencies.all" not in held(A)
    assert "rater.reveal" not in held(A)
    assert roles_holding("appeals.lodge") == [A] and roles_holding("cases.answer") == [A]


def test_only_the_discipline_office_reveals_a_rater_decides_appeals_and_reviews_cases():
    assert roles_holding("rater.reveal") == [D]
    assert roles_holding("appeals.decide") == [D]
    assert roles_holding("cases.review") == [D]


def test_the_administrator_organises_but_cannot_reveal_a_rater():
    # DESIGN §6: "the administrator sees who has answered ..., never how a given enterprise rated"
    assert "rater.reveal" not in held(M)
    for capability in ("rounds.manage", "rounds.finalise", "roster.manage", "accounts.manage",
                       "questionnaires.manage", "monitoring.view", "audit.view"):
        assert roles_holding(capability) == [M], capability


def test_the_discipline_office_and_the_administrator_see_all_results():
    assert set(roles_holding("results.view_all")) == {D, M}
    assert set(roles_holding("reports.export")) == {D, M}


def test_services_that_link_a_rater_need_the_reveal_capability():
    """A table can be right and a service still ask for the wrong capability: pin the ones
    whose mistake would break DESIGN §6."""
    reveal = {name: cap for name, cap in DECLARED.items() if name.startswith("casework.reveal.")}
    assert reveal and set(reveal.values()) == {"rater.reveal"}
    assert DECLARED["casework.appeals.decide_appeal"] == "appeals.decide"
    assert DECLARED["results.dashboards.county_overview"] == "results.view_all"


def test_every_capability_is_held_and_used():
    sources = "\n".join(path.read_text(encoding="utf-8") for path in
                        [*ROOT.glob("surveys/**/*.py"), *ROOT.glob("app_pages/**/*.py"), ROOT / "streamlit_app.py"]
                        if path.name != "permissions.py")
    for capability in CAPABILITIES:
        assert roles_holding(capability), f"no role holds {capability}"
        assert re.search(rf'"!?{re.escape(capability)}"', sources), f"nothing checks {capability}"
    for role, capabilities in ROLE_CAPABILITIES.items():
        assert capabilities <= set(CAPABILITIES), role


def test_every_role_has_a_name_in_both_catalogues():
    for role in ROLES:
        for lang in i18n.LANGUAGES:
            assert i18n.t(f"roles.{role}", lang) != f"roles.{role}", (role, lang)


def test_every_role_has_a_home_page_it_may_open():
    for role in ROLES:
        assert navigation.HOME[role] in [page.path for page in navigation.pages_of_role(role)], role


def test_the_agency_rule_covers_its_own_agency_only():
    assert permissions.covers_agency(AGENCY_ACTOR, "FGW")
    assert not permissions.covers_agency(AGENCY_ACTOR, "SCJG")
    assert permissions.covers_agency(DISCIPLINE_ACTOR, "SCJG") and permissions.covers_agency(ADMIN_ACTOR, "SCJG")
    assert not permissions.covers_agency(enterprise_actor("x"), "FGW")
    assert permissions.allowed(AGENCY_ACTOR, "results.view_agency", "FGW")
    assert not permissions.allowed(AGENCY_ACTOR, "results.view_agency", "SCJG")


def test_a_misspelt_capability_fails_loudly():
    with pytest.raises(KeyError):
        permissions.allowed(ADMIN_ACTOR, "results.view_everything")


def test_docs_show_the_table_as_the_code_has_it():
    text = (ROOT / "docs" / "permissions.md").read_text(encoding="utf-8")
    assert permissions.markdown_table() in text, "regenerate the table: python -m surveys.core.permissions"


AGENCY_OWN_ONLY = [
    ("results.dashboards.agency_dashboard", {"code": "SCJG"}),
    ("casework.appeals.responses_for_appeal", {"round_name": "2026Q3", "agency": "SCJG"}),
    ("casework.appeals.lodge_appeal", {"round_name": "2026Q3", "agency": "SCJG", "number": 1, "reason": "x"}),
]


@pytest.mark.parametrize("name,arguments", AGENCY_OWN_ONLY)
def test_agency_staff_are_refused_another_agencys_data(name, arguments, demo_db):
    before = dump(demo_db)
    with pytest.raises(PermissionDenied):
        SERVICES[name](demo_db, AGENCY_ACTOR, **arguments)  # AGENCY_ACTOR is FGW's
    assert dump(demo_db) == before


def test_agency_staff_cannot_step_or_print_another_agencys_case(demo_db):
    other = demo_db.execute("SELECT id FROM cases WHERE agency <> 'FGW' AND status NOT IN ('closed', 'withdrawn')"
                            " LIMIT 1").fetchone()[0]
    before = dump(demo_db)
    for call in (lambda: SERVICES["casework.cases.advance_case"](demo_db, AGENCY_ACTOR, other, "acknowledged"),
                 lambda: SERVICES["reports.notices.notice_html"](demo_db, AGENCY_ACTOR, other),
                 lambda: SERVICES["casework.views.agency_case"](demo_db, AGENCY_ACTOR, other)):
        with pytest.raises(Exception) as refused:
            call()
        assert refused.type.__name__ in ("PermissionDenied", "NotFound")
    assert dump(demo_db) == before
