"""Agency groups (DESIGN §4.9): the list the administrator keeps, each agency's group (by hand
and in the roster import), a round's ranking scope, and finalisation ranking within groups with
each result's group pinned so that history does not move."""
from __future__ import annotations

import json

import pytest

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, dump, make_world
from surveys.collection import responses, rounds
from surveys.core.errors import ImportRefused, InvalidInput, NotFound, PermissionDenied, Term
from surveys.participants import groups, registry, roster_admin
from surveys.results import exclusions, finalise
from surveys.storage import migrations

ITEMS = ["efficiency", "attitude", "lawfulness", "integrity", "convenience"]
SEEDED = ["approval", "enforcement", "service", "utility"]


def codes(db) -> list[str]:
    return [g["code"] for g in registry.list_groups(db)]


def audit_rows(db, action):
    return [(r[0], json.loads(r[1])) for r in db.execute(
        "SELECT target, detail FROM audit_log WHERE action = ? ORDER BY id", [action])]


def csv_bytes(lines: list[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8")


# --- the list ---------------------------------------------------------------------

def test_the_four_groups_of_design_are_there_in_order(db):
    assert [(g["code"], g["name_zh"], g["name_en"]) for g in registry.list_groups(db)] == [
        ("approval", "审批类", "Approval"), ("enforcement", "执法类", "Enforcement"),
        ("service", "服务类", "Service"), ("utility", "公用事业", "Utility")]


def test_migration_puts_existing_agencies_in_the_group_their_category_named(tmp_path):
    import sqlite_utils
    db = sqlite_utils.Database(tmp_path / "old.db")
    for number, script in enumerate(migrations.MIGRATIONS[:7], start=1):
        for statement in migrations._statements(script):
            db.conn.execute(statement)
        db.conn.execute(f"PRAGMA user_version = {number}")
    db.conn.executemany("INSERT INTO agencies (code, name_zh, name_en, category) VALUES (?, ?, '', ?)",
                        [("GDGS", "县供电公司", "utility"), ("XZFW", "县行政服务中心", "service"),
                         ("FGW", "县发展改革委", "approval"), ("TAX", "县税务局", "tax office")])
    db.conn.commit()
    assert migrations.migrate(db) >= 8
    assert dict(db.execute("SELECT code, group_code FROM agencies").fetchall()) == {
        "GDGS": "utility", "XZFW": "service", "FGW": "approval", "TAX": "approval"}  # unknown words: the default
    assert db.execute("SELECT ranking_scope FROM rounds").fetchall() == []


@pytest.mark.parametrize("who", [AGENCY_ACTOR, DISCIPLINE_ACTOR])
def test_only_the_administrator_keeps_the_groups(db, world, who):
    before = dump(db)
    for call in (lambda: groups.add_group(db, who, "tax", "税务类"),
                 lambda: groups.rename_group(db, who, "approval", "审批"),
                 lambda: groups.reorder_groups(db, who, SEEDED[::-1]),
                 lambda: groups.delete_group(db, who, "utility"),
                 lambda: groups.groups_overview(db, who),
                 lambda: roster_admin.set_agency_group(db, who, "FGW", "service"),
                 lambda: rounds.set_ranking_scope(db, who, "2026Q4", "group")):
        with pytest.raises(PermissionDenied):
            call()
    assert dump(db) == before


def test_admin_adds_renames_and_reorders_groups_on_record(db):
    assert groups.add_group(db, ADMIN_ACTOR, " Tax ", "税务类", "Taxation") == "tax"
    assert codes(db) == [*SEEDED, "tax"]
    groups.rename_group(db, ADMIN_ACTOR, "tax", "财税类", "Taxation")
    groups.move_group(db, ADMIN_ACTOR, "tax", -1)
    assert codes(db) == ["approval", "enforcement", "service", "tax", "utility"]
    groups.move_group(db, ADMIN_ACTOR, "approval", -1)  # at the top already: stays
    groups.reorder_groups(db, ADMIN_ACTOR, ["utility", "tax", "service", "enforcement", "approval"])
    assert codes(db) == ["utility", "tax", "service", "enforcement", "approval"]
    assert registry.list_groups(db)[1]["name_zh"] == "财税类"
    assert audit_rows(db, "group.added") == [("tax", {"name_zh": "税务类", "name_en": "Taxation"})]
    assert audit_rows(db, "group.renamed") == [("tax", {"name_zh": ["税务类", "财税类"]})]
    assert [d["order"] for _, d in audit_rows(db, "group.reordered")][-1] == codes(db)


@pytest.mark.parametrize("code, name_zh, name_en, key", [
    ("", "税务类", "", "roster_admin.required"),
    ("tax-1", "税务类", "", "groups.bad_code"),
    ("approval", "另一个审批类", "", "groups.exists"),
    ("tax", "  ", "", "roster_admin.required"),
    ("tax", "审批类", "", "groups.name_taken"),
    ("tax", "税务类", "APPROVAL", "groups.name_taken"),
    ("tax", "税务类" * 20, "", "roster_admin.too_long"),
])
def test_a_bad_group_is_refused_with_a_clear_message_and_nothing_stored(db, code, name_zh, name_en, key):
    before = dump(db)
    with pytest.raises(InvalidInput) as caught:
        groups.add_group(db, ADMIN_ACTOR, code, name_zh, name_en)
    assert caught.value.key == key
    assert "{" not in caught.value.message("zh") and "{" not in caught.value.message("en")
    assert dump(db) == before


def test_an_order_that_leaves_out_a_group_is_refused(db):
    with pytest.raises(InvalidInput) as caught:
        groups.reorder_groups(db, ADMIN_ACTOR, ["approval", "service"])
    assert "approval / enforcement / service / utility" in caught.value.message("en")
    assert codes(db) == SEEDED


def test_a_group_in_use_cannot_be_deleted_and_says_why(db, world):
    before = dump(db)
    with pytest.raises(InvalidInput) as caught:
        groups.delete_group(db, ADMIN_ACTOR, "approval")  # FGW and SCJG are in it
    assert caught.value.message("en") == ("The group '审批类' still has 2 agencies (deactivated ones included)"
                                          " and cannot be deleted. Move them to another group first.")
    assert "还有 2 个部门" in caught.value.message("zh")
    assert dump(db) == before
    groups.delete_group(db, ADMIN_ACTOR, "utility")  # nobody in it
    assert codes(db) == ["approval", "enforcement", "service"]
    assert audit_rows(db, "group.deleted") == [("utility", {"name_zh": "公用事业"})]
    with pytest.raises(NotFound):
        groups.delete_group(db, ADMIN_ACTOR, "utility")


def test_a_group_only_history_belongs_to_cannot_be_deleted_either(db):
    county = make_world(db, enterprises=6, open_round=False)
    roster_admin.set_agency_group(db, ADMIN_ACTOR, "SCJG", "utility")
    run_round(db, "2026Q1", county, {"FGW": [4] * 5, "SCJG": [4] * 5})
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1")
    roster_admin.set_agency_group(db, ADMIN_ACTOR, "SCJG", "service")  # nobody is in utility now
    overview = {g["code"]: g for g in groups.groups_overview(db, ADMIN_ACTOR)}
    assert (overview["utility"]["agencies"], overview["utility"]["results"], overview["utility"]["in_use"]) == (0, 1, True)
    with pytest.raises(InvalidInput) as caught:
        groups.delete_group(db, ADMIN_ACTOR, "utility")
    assert caught.value.key == "groups.in_use_results"


# --- each agency's group ---------------------------------------------------------

def test_admin_moves_an_agency_to_another_group_on_record(db, world):
    roster_admin.set_agency_group(db, ADMIN_ACTOR, "fgw", "执法类")  # a group's name does, too
    assert db.execute("SELECT group_code FROM agencies WHERE code = 'FGW'").fetchone()[0] == "enforcement"
    assert audit_rows(db, "agency.group_changed") == [("FGW", {"group": ["approval", "enforcement"]})]
    before = dump(db)
    with pytest.raises(InvalidInput) as caught:
        roster_admin.set_agency_group(db, ADMIN_ACTOR, "FGW", "law")
    assert caught.value.values["field"] == Term("roster_admin.field.group_code")
    assert "approval (审批类) / enforcement (执法类)" in caught.value.message("zh")
    assert dump(db) == before


def test_a_new_agency_without_a_group_joins_the_first_of_the_list(db):
    groups.reorder_groups(db, ADMIN_ACTOR, ["service", "approval", "enforcement", "utility"])
    roster_admin.add_agency(db, ADMIN_ACTOR, "XZFW", "县行政服务中心")
    assert db.execute("SELECT group_code, category FROM agencies").fetchone() == ("service", "service")


def test_the_roster_import_reads_a_group_column_by_code_or_name(db):
    lines = ["部门代码,部门名称,分组", "FGW,县发展改革委,审批类", "SCJG,县市场监管局,Enforcement", "GDGS,县供电公司,utility"]
    preview = registry.preview_agencies(db, ADMIN_ACTOR, csv_bytes(lines), "a.csv")
    assert [c for row in preview.rows for c in row.changes if c[0] == "group_code"] == [
        ("group_code", "", "approval"), ("group_code", "", "enforcement"), ("group_code", "", "utility")]
    registry.import_agencies(db, ADMIN_ACTOR, csv_bytes(lines), "a.csv")
    assert dict(db.execute("SELECT code, group_code FROM agencies").fetchall()) == {
        "FGW": "approval", "SCJG": "enforcement", "GDGS": "utility"}
    registry.import_agencies(db, ADMIN_ACTOR, csv_bytes(["code,name_zh,group", "SCJG,县市场监管局,service"]), "b.csv")
    assert db.execute("SELECT group_code FROM agencies WHERE code = 'SCJG'").fetchone()[0] == "service"
    assert audit_rows(db, "agency.updated")[-1] == ("SCJG", {"file": "b.csv", "group_code": ["enforcement", "service"]})


def test_a_bad_group_in_the_import_is_refused_naming_row_field_and_problem(db):
    lines = ["code,name_zh,group", "FGW,县发展改革委,approval", "SCJG,县市场监管局,执法", "GDGS,县供电公司,utility"]
    before = dump(db)
    with pytest.raises(ImportRefused) as caught:
        registry.import_agencies(db, ADMIN_ACTOR, csv_bytes(lines), "a.csv")
    assert [(p.line, p.column, p.key) for p in caught.value.problems] == [(3, "group", "import.unknown_group")]
    message = caught.value.details("en")[0]
    assert message.startswith("Line 3, column 'group': '执法' is not one of the agency groups: approval (审批类)")
    assert dump(db) == before


# --- the round's ranking scope --------------------------------------------------------

def test_admin_sets_the_scope_while_the_round_is_draft_or_open_and_not_after(db, world):
    rounds.create_round(db, ADMIN_ACTOR, "2027Q1", "2027-01-01", "2027-03-31", "group")
    assert rounds.get_round(db, "2027Q1")["ranking_scope"] == "group"
    rounds.set_ranking_scope(db, ADMIN_ACTOR, "2026Q4", "group")  # open
    assert rounds.get_round(db, "2026Q4")["ranking_scope"] == "group"
    assert audit_rows(db, "round.ranking_scope") == [("2026Q4", {"ranking_scope": ["county", "group"]})]
    rounds.close_round(db, ADMIN_ACTOR, "2026Q4")
    with pytest.raises(InvalidInput) as caught:
        rounds.set_ranking_scope(db, ADMIN_ACTOR, "2026Q4", "county")
    assert caught.value.key == "groups.scope_fixed"
    with pytest.raises(InvalidInput) as caught:
        rounds.create_round(db, ADMIN_ACTOR, "2027Q2", "2027-04-01", "2027-06-30", "province")
    assert "county / group" in caught.value.message("en")


# --- finalisation ranks within groups and pins each result's group ---------------------

def rate(level: int) -> dict:
    return {item: level for item in ITEMS}


def run_round(db, name, enterprises, levels_by_agency, scope="county"):
    if not db.execute("SELECT 1 FROM rounds WHERE name = ?", [name]).fetchone():
        rounds.create_round(db, ADMIN_ACTOR, name, "2026-01-01", "2099-12-31", scope)
    rounds.start_round(db, ADMIN_ACTOR, name)
    for agency, levels in levels_by_agency.items():
        for who, level in zip(enterprises, levels):
            responses.save_response(db, who, name, agency, rate(level))
    rounds.close_round(db, ADMIN_ACTOR, name)


# Four approval and four service agencies, six answers each. County-wide the best three are
# AP1, SV1 (both 100) and AP2 (95.8), so SV2 (91.7) is blue; within its group SV2 is second: red.
LEVELS = {"AP1": [5] * 6, "AP2": [5, 5, 5, 5, 5, 4], "AP3": [4] * 6, "AP4": [3] * 6,
          "SV1": [5] * 6, "SV2": [5, 5, 5, 5, 4, 4], "SV3": [4] * 6, "SV4": [3] * 6}


@pytest.fixture
def two_groups(db):
    county = make_world(db, enterprises=6, open_round=False)
    for code in LEVELS:
        roster_admin.add_agency(db, ADMIN_ACTOR, code, f"部门{code}", "", "approval" if code[:2] == "AP" else "service")
    roster_admin.set_agency_active(db, ADMIN_ACTOR, "FGW", False)
    roster_admin.set_agency_active(db, ADMIN_ACTOR, "SCJG", False)
    return county


def results(db, name) -> dict[str, tuple]:
    return {r["agency"]: (r["rank"], r["flag"], r["agency_group"]) for r in finalise.current_results(db, name)}


def test_a_county_wide_round_ranks_everyone_together_and_stores_each_group(db, two_groups):
    run_round(db, "2026Q1", two_groups, LEVELS)
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1")
    stored = results(db, "2026Q1")
    assert stored["SV2"] == (4, "blue", "service") and stored["AP2"] == (3, "red", "approval")
    assert json.loads(rounds.get_round(db, "2026Q1")["scoring_config"])["ranking_scope"] == "county"


def test_a_round_ranked_per_group_ranks_and_flags_within_each_group(db, two_groups):
    run_round(db, "2026Q1", two_groups, LEVELS, scope="group")
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1")
    stored = results(db, "2026Q1")
    assert {a: stored[a][:2] for a in ("AP1", "AP2", "AP3", "AP4")} == {
        "AP1": (1, "red"), "AP2": (2, "red"), "AP3": (3, "yellow"), "AP4": (4, "yellow")}
    assert {a: stored[a][:2] for a in ("SV1", "SV2", "SV3", "SV4")} == {
        "SV1": (1, "red"), "SV2": (2, "red"), "SV3": (3, "yellow"), "SV4": (4, "yellow")}
    assert json.loads(rounds.get_round(db, "2026Q1")["scoring_config"])["ranking_scope"] == "group"


def test_a_result_keeps_the_group_it_was_finalised_in(db, two_groups):
    run_round(db, "2026Q1", two_groups, LEVELS, scope="group")
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1")
    roster_admin.set_agency_group(db, ADMIN_ACTOR, "SV2", "approval")  # moved after the round
    # an exclusion in the round asks for a re-finalisation: it ranks the groups as they were
    response_id = db.execute("SELECT id FROM responses WHERE round = '2026Q1' AND agency = 'SV4' LIMIT 1").fetchone()[0]
    exclusions.exclude_response(db, DISCIPLINE_ACTOR, response_id, "appeal upheld")
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1", reason="appeal upheld")
    assert len(finalise.finalisation_history(db, "2026Q1")) == 2
    stored = results(db, "2026Q1")
    assert stored["SV2"] == (2, "red", "service")
    # the next round ranks SV2 with the approval agencies
    run_round(db, "2026Q2", two_groups, LEVELS, scope="group")
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q2")
    later = results(db, "2026Q2")
    assert later["SV2"][2] == "approval" and later["SV2"][0] == 3  # behind AP1 (100) and AP2 (95.8)
    assert later["SV3"][0] == 2  # service now has three: SV1, SV3, SV4
