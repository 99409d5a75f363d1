"""Rater panels (DESIGN §4.10), the app's side: the roster of deputies and supervisors, their
sign-in and survey, a round's panel weights."""
import sqlite3

import pytest

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, FULL, dump, make_world
from surveys.collection import panel_weights, responses, rounds
from surveys.core.actors import ENTERPRISE
from surveys.core.errors import ImportRefused, InvalidInput, PermissionDenied, SignInRefused
from surveys.participants import accounts, panels, registry
from surveys.participants.uscc import make_uscc
from surveys.storage import migrations
from surveys.storage.db import connect

HEADER = "评议人编号,姓名,评议人类别,联系电话"


def csv_bytes(lines):
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def import_lines(db, lines):
    return panels.import_panel_raters(db, ADMIN_ACTOR, csv_bytes([HEADER, *lines]), "panels.csv")


def raters(db):
    return [tuple(r) for r in db.execute(
        "SELECT uscc, name, panel, contact_phone FROM enterprises WHERE panel <> 'enterprise' ORDER BY uscc")]


# --- storage ----------------------------------------------------------------------

def test_an_enterprise_still_needs_an_18_character_credit_code(db):
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO enterprises (uscc, name) VALUES ('R0001', 'x')")


def test_a_panel_rater_has_a_short_code_and_never_a_credit_code_length(db):
    db.execute("INSERT INTO enterprises (uscc, name, panel) VALUES ('R0001', '张代表', 'representative')")
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO enterprises (uscc, name, panel) VALUES (?, 'x', 'supervisor')",
                   [make_uscc("91511022MA0000001")])
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("INSERT INTO enterprises (uscc, name, panel) VALUES ('S0001', 'x', 'public')")


@pytest.mark.sqlite_only  # SQLite's rebuild of the table; PostgreSQL's 0009 alters it in place
def test_migration_9_keeps_every_rater_and_what_points_at_them(tmp_path):
    """A database at migration 8 with an enterprise, an access code and a response migrates
    with every row and every foreign key intact, and the enterprise in the enterprise panel."""
    path = tmp_path / "old.db"
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA foreign_keys = ON")
    for number, script in enumerate(migrations.MIGRATIONS[:8], start=1):
        for statement in migrations._statements(script):
            raw.execute(statement)
        raw.execute(f"PRAGMA user_version = {number}")
    uscc = make_uscc("91511022MA0000001")
    raw.execute("INSERT INTO agencies (code, name_zh, name_en, category) VALUES ('FGW', '发改委', 'DRC', 'approval')")
    raw.execute("INSERT INTO enterprises (uscc, name, access_code_hash) VALUES (?, '企业', 'h1')", [uscc])
    raw.execute("INSERT INTO rounds (name, created_at) VALUES ('2026Q3', 'x')")
    raw.execute("INSERT INTO responses (round, enterprise, agency, created_at, updated_at)"
                " VALUES ('2026Q3', ?, 'FGW', 'x', 'x')", [uscc])
    raw.close()
    db = connect(path)
    assert db.execute("SELECT uscc, panel, access_code_hash FROM enterprises").fetchall() == [(uscc, ENTERPRISE, "h1")]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    with pytest.raises(sqlite3.IntegrityError):  # the responses' foreign key still holds
        db.execute("INSERT INTO responses (round, enterprise, agency, created_at, updated_at)"
                   " VALUES ('2026Q3', 'R9999', 'FGW', 'x', 'x')")


# --- roster import ------------------------------------------------------------------

def test_import_adds_raters_and_makes_codes_for_empty_cells(db):
    result = import_lines(db, [",张代表,两代表一委员,13800000001", ",李监督,行风监督员,",
                               "R0001,王委员,representative,", ",赵代表,代表委员,"])
    assert result == {"added": 4, "updated": 0, "unchanged": 0}
    # R0001 is the file's own: the made codes go around it, in file order
    assert raters(db) == [("R0001", "王委员", "representative", ""), ("R0002", "张代表", "representative", "13800000001"),
                          ("R0003", "赵代表", "representative", ""), ("S0001", "李监督", "supervisor", "")]


def test_import_again_updates_by_code_and_leaves_enterprises_alone(db):
    make_world(db, open_round=False)
    import_lines(db, ["R0001,张代表,两代表一委员,"])
    before = db.execute("SELECT count(*) FROM enterprises WHERE panel = 'enterprise'").fetchone()[0]
    result = import_lines(db, ["R0001,张三代表,两代表一委员,13900000000"])
    assert result == {"added": 0, "updated": 1, "unchanged": 0}
    assert raters(db) == [("R0001", "张三代表", "representative", "13900000000")]
    assert db.execute("SELECT count(*) FROM enterprises WHERE panel = 'enterprise'").fetchone()[0] == before


def test_bad_rows_refuse_the_file_naming_line_column_and_problem(db):
    import_lines(db, ["S0001,李监督,行风监督员,"])
    before = dump(db)
    with pytest.raises(ImportRefused) as refused:
        import_lines(db, ["R0001,,两代表一委员,", "R-1,甲,两代表一委员,", "R0002,乙,人大,",
                          "R0003,丙,两代表一委员,phone", "R0004,丁,两代表一委员,", "R0004,戊,两代表一委员,",
                          "S0001,李监督,两代表一委员,"])
    messages = refused.value.details("en")
    assert messages == [
        "Line 2, column '姓名': must not be empty",
        "Line 3, column '评议人编号': rater code 'R-1' must be 2 to 16 letters and digits; leave it empty to have one made",
        "Line 4, column '评议人类别': '人大' is not a panel: write 'Deputies and CPPCC members' or 'Conduct supervisors'"
        " (enterprises go in the enterprise roster)",
        "Line 5, column '联系电话': phone 'phone' may hold only digits, spaces and + - ( ), at most 30 characters",
        "Line 7, column '评议人编号': same as line 6",
        "Line 8, column '评议人编号': code S0001 already belongs to a rater of the panel Conduct supervisors"
        " and cannot move to another panel",
    ]
    assert dump(db) == before


def test_a_file_without_the_panel_column_is_refused(db):
    with pytest.raises(ImportRefused) as refused:
        panels.import_panel_raters(db, ADMIN_ACTOR, csv_bytes(["姓名", "张代表"]), "p.csv")
    assert "required column is missing" in refused.value.details("en")[0]


def test_preview_stores_nothing_and_says_what_would_change(db):
    before = dump(db)
    preview = panels.preview_panel_raters(db, ADMIN_ACTOR, csv_bytes([HEADER, ",张代表,两代表一委员,"]), "p.csv")
    assert [(r.key, r.status) for r in preview.rows] == [("R0001", "new")]
    assert ("panel", "", "representative") in preview.rows[0].changes
    assert dump(db) == before


def test_only_the_administrator_imports_panel_raters(db):
    with pytest.raises(PermissionDenied):
        panels.import_panel_raters(db, AGENCY_ACTOR, csv_bytes([HEADER, ",张代表,两代表一委员,"]), "p.csv")


def test_panel_counts_count_active_raters_per_panel(db):
    make_world(db, enterprises=2, open_round=False)
    import_lines(db, [",张代表,两代表一委员,", ",李监督,行风监督员,", ",王监督,行风监督员,"])
    assert panels.panel_counts(db, ADMIN_ACTOR) == {"enterprise": 2, "representative": 1, "supervisor": 2}


# --- sign-in and the survey -------------------------------------------------------------

def test_a_representative_signs_in_with_an_access_code_and_rates(db):
    make_world(db)
    import_lines(db, [",张代表,两代表一委员,"])
    code = accounts.issue_access_code(db, ADMIN_ACTOR, "R0001")
    me = accounts.sign_in_enterprise(db, code, "client-1")
    assert (me.role, me.id, me.name) == (ENTERPRISE, "R0001", "张代表")
    assert panels.panel_of(db, me.id) == "representative"
    responses.choose_agencies(db, me, "2026Q4", ["FGW"])
    responses.save_response(db, me, "2026Q4", "FGW", FULL)
    saved = db.execute("SELECT r.enterprise, e.panel FROM responses r JOIN enterprises e ON e.uscc = r.enterprise"
                       ).fetchall()
    assert saved == [("R0001", "representative")]
    assert list(responses.my_round(db, me, "2026Q4")["saved"]) == ["FGW"]


def test_a_deactivated_rater_cannot_sign_in(db):
    make_world(db)
    import_lines(db, [",张代表,两代表一委员,"])
    code = accounts.issue_access_code(db, ADMIN_ACTOR, "R0001")
    db.execute("UPDATE enterprises SET active = 0 WHERE uscc = 'R0001'")
    with pytest.raises(SignInRefused):
        accounts.sign_in_enterprise(db, code, "client-1")


# --- a round's weights ---------------------------------------------------------------

def test_weights_are_stored_for_a_draft_or_open_round(db):
    make_world(db, open_round=False)
    rounds.create_round(db, ADMIN_ACTOR, "2026Q4", "2026-11-01", "2099-12-31")
    stored = panel_weights.set_panel_weights(db, ADMIN_ACTOR, "2026Q4",
                                             {"enterprise": 50, "representative": 25, "supervisor": 25})
    assert stored == {"enterprise": 50.0, "representative": 25.0, "supervisor": 25.0}
    rounds.start_round(db, ADMIN_ACTOR, "2026Q4")
    panel_weights.set_panel_weights(db, ADMIN_ACTOR, "2026Q4", {"enterprise": 60, "representative": 40,
                                                                "supervisor": 0})
    assert panel_weights.round_weights(db, "2026Q4") == {"enterprise": 60.0, "representative": 40.0}
    assert panel_weights.weights_shown(db, "2026Q4") == {"enterprise": 60.0, "representative": 40.0,
                                                         "supervisor": 0.0}


def test_a_round_without_weights_counts_enterprises_alone(db):
    make_world(db)
    assert panel_weights.weights_shown(db, "2026Q4") == {
        "enterprise": 100.0, "representative": 0.0, "supervisor": 0.0}


@pytest.mark.parametrize("weights, message", [
    ({"enterprise": 50, "representative": 25}, "The weights add up to 75; they must add up to 100."),
    ({"enterprise": 0, "representative": 0}, "At least one panel needs a weight above 0."),
    ({"enterprise": 120, "representative": -20}, "The weight of Enterprises, 120, is not between 0 and 100."),
    ({"enterprise": float("nan")}, "The weight of Enterprises, 'nan', is not a number."),
    ({"public": 100}, "There is no panel 'public'; the panels are enterprise / representative / supervisor."),
])
def test_bad_weights_are_refused_with_a_clear_message(db, weights, message):
    make_world(db)
    with pytest.raises(InvalidInput) as refused:
        panel_weights.set_panel_weights(db, ADMIN_ACTOR, "2026Q4", weights)
    assert refused.value.message("en") == message
    assert panel_weights.round_weights(db, "2026Q4") is None


def test_weights_of_a_closed_round_stay_as_they_are(db):
    make_world(db)
    rounds.close_round(db, ADMIN_ACTOR, "2026Q4")
    with pytest.raises(InvalidInput) as refused:
        panel_weights.set_panel_weights(db, ADMIN_ACTOR, "2026Q4", {"enterprise": 100})
    assert refused.value.message("en") == ("2026Q4 is closed: panel weights can only be set for a draft or open"
                                           " round.")


def test_only_the_administrator_sets_weights(db):
    make_world(db)
    with pytest.raises(PermissionDenied):
        panel_weights.set_panel_weights(db, AGENCY_ACTOR, "2026Q4", {"enterprise": 100})


# --- slips, reminders, monitoring -------------------------------------------------------

def test_slips_and_reminders_reach_deputies_and_supervisors(db, monkeypatch):
    from surveys.collection import reminders
    from surveys.reports import access_slips
    monkeypatch.setenv("QIPING_BASE_URL", "https://qiping.example.gov.cn")
    make_world(db, enterprises=1)
    import_lines(db, [",张代表,两代表一委员,13800000001", ",李监督,行风监督员,13800000002"])
    issued = access_slips.issue_access_codes(db, ADMIN_ACTOR, "missing")
    assert {e.uscc for e in issued} >= {"R0001", "S0001"}
    sheet = access_slips.render_slips([e for e in issued if e.uscc == "R0001"], None, "zh",
                                      base="https://qiping.example.gov.cn")
    assert "评议人编号" in sheet and "信用代码" not in sheet and "张代表" in sheet
    assert "诚邀您参加" in sheet and "贵企业" not in sheet  # worded for a person
    due = {row["uscc"] for row in reminders.reminder_targets(db, ADMIN_ACTOR)}
    assert {"R0001", "S0001"} <= due
    result = reminders.send_reminders(db, ADMIN_ACTOR, reminders.SMS_CSV, usccs=["R0001"])
    assert [r.uscc for r in result.sent] == ["R0001"]
    assert "您尚未填报" in result.sent[0].text and "贵企业" not in result.sent[0].text  # worded for a person
    letters = reminders.send_reminders(db, ADMIN_ACTOR, reminders.LETTER, usccs=["S0001"]).file
    assert "您尚未参加本轮评议" in letters and "贵企业" not in letters and "评议人编号" in letters
    # the new code in the reminder signs the deputy in
    me = accounts.sign_in_enterprise(db, result.sent[0].code, "client-2")
    assert me.id == "R0001"


def test_monitoring_counts_each_panel(db):
    from surveys.collection import monitoring
    people = make_world(db, enterprises=2)
    import_lines(db, [",张代表,两代表一委员,", ",王代表,两代表一委员,", ",李监督,行风监督员,"])
    responses.save_response(db, people[0], "2026Q4", "FGW", FULL)
    deputy = accounts.sign_in_enterprise(db, accounts.issue_access_code(db, ADMIN_ACTOR, "R0002"), "c")
    responses.save_response(db, deputy, "2026Q4", "SCJG", FULL)
    assert monitoring.panel_progress(db, ADMIN_ACTOR) == [
        {"panel": "enterprise", "active": 2, "answered": 1, "rate": 0.5},
        {"panel": "representative", "active": 2, "answered": 1, "rate": 0.5},
        {"panel": "supervisor", "active": 1, "answered": 0, "rate": 0.0},
    ]


def test_a_deputys_paper_form_imports_under_its_rater_code(db):
    from surveys.collection import paper_returns
    make_world(db, enterprises=1)
    import_lines(db, [",张代表,两代表一委员,"])
    header = "round,enterprise,agency,comment,efficiency,attitude,lawfulness,integrity,convenience"
    data = csv_bytes([header, "2026Q4, r0001 ,FGW,,5,4,4,5,3"])
    assert paper_returns.import_paper_returns(db, ADMIN_ACTOR, data, "paper.csv")["added"] == 1
    assert db.execute("SELECT enterprise, source FROM responses").fetchall() == [("R0001", "paper")]
    with pytest.raises(ImportRefused) as refused:  # an unknown short code is still a malformed credit code
        paper_returns.import_paper_returns(db, ADMIN_ACTOR, csv_bytes([header, "2026Q4,R0099,FGW,,5,4,4,5,3"]),
                                           "paper.csv")
    assert "18 characters" in refused.value.details("en")[0]


@pytest.mark.sqlite_only  # SQLite's rebuild of the table; PostgreSQL's 0009 alters it in place
def test_migration_9_applied_again_keeps_every_rater_and_panel(db, monkeypatch):
    """Like migrations 6 and 7 it is safe to apply again: panel raters keep their panel and weights stay."""
    make_world(db)
    import_lines(db, [",张代表,两代表一委员,", ",李监督,行风监督员,"])
    panel_weights.set_panel_weights(db, ADMIN_ACTOR, "2026Q4", {"enterprise": 50, "representative": 50})
    before = db.execute("SELECT uscc, panel, name FROM enterprises ORDER BY uscc").fetchall()
    db.execute("PRAGMA user_version = 8")
    # only migration 9 runs again: a column a later one adds cannot be added twice
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:9])
    assert migrations.migrate(db) == 9
    assert db.execute("SELECT uscc, panel, name FROM enterprises ORDER BY uscc").fetchall() == before
    assert panel_weights.round_weights(db, "2026Q4") == {"enterprise": 50.0, "representative": 50.0}
