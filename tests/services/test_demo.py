"""The demo county: deterministic, realistic, and only where it belongs."""
from conftest import dump
from surveys import startup
from surveys.participants import accounts
from surveys.demo import county as demo
from surveys.participants.uscc import validate_uscc


def test_demo_county_has_what_the_issue_promises(demo_db):
    db = demo_db
    assert db.execute("SELECT count(*) FROM agencies").fetchone()[0] == 22
    usccs = [r[0] for r in db.execute("SELECT uscc FROM enterprises WHERE panel = 'enterprise'")]
    assert len(usccs) == 300 and all(validate_uscc(u) == u for u in usccs)
    industries = {r[0] for r in db.execute("SELECT DISTINCT industry FROM enterprises WHERE panel = 'enterprise'")}
    assert industries == {"建材", "食品加工", "清洁能源", "医疗用品", "智能制造"}
    assert demo.past_rounds(db) == ["2024Q4", "2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"]
    statuses = dict(db.execute("SELECT name, status FROM rounds"))
    assert statuses == {**{r: "published" for r in demo.past_rounds(demo_db)}, "2026Q4": "open"}
    per_round = dict(db.execute("SELECT round, count(*) FROM responses GROUP BY round"))
    assert all(per_round[r] > 200 for r in demo.past_rounds(demo_db))
    assert 0 < per_round["2026Q4"] < per_round["2026Q3"]  # partly answered


def test_some_agency_rounds_have_too_few_responses(demo_db):
    sparse = demo_db.execute(
        "SELECT count(*) FROM (SELECT round, agency, count(*) n FROM responses"
        " WHERE round <> '2026Q4' GROUP BY round, agency HAVING count(*) < 5)").fetchone()[0]
    assert sparse == len(demo.SPARSE)


def test_demo_accounts_sign_in(demo_db):
    assert accounts.sign_in_staff(demo_db, "admin", "qiping-admin", "client-a").role == "admin"
    assert accounts.sign_in_staff(demo_db, "discipline", "qiping-discipline", "client-a").role == "discipline"
    assert accounts.sign_in_staff(demo_db, "scjg", "qiping-agency", "client-a").agency_code == "SCJG"
    first = accounts.sign_in_enterprise(demo_db, "QP-DEMO-0001", "c")
    last = accounts.sign_in_enterprise(demo_db, "QP-DEMO-0300", "c")
    assert first.id != last.id


def test_first_demo_enterprises_start_the_open_round_fresh(demo_db):
    for index in range(1, demo.FRESH_ENTERPRISES + 1):
        who = accounts.sign_in_enterprise(demo_db, demo.demo_code(index), "c")
        answered = demo_db.execute("SELECT count(*) FROM responses WHERE round = '2026Q4' AND enterprise = ?",
                                   [who.id]).fetchone()[0]
        assert answered == 0


def test_demo_is_deterministic(tmp_path):
    def build(name):
        db = startup.prepare(tmp_path / name)
        demo.build_demo_county(db)
        rows = db.execute("SELECT round, enterprise, agency, comment FROM responses WHERE round <> '2026Q4'"
                          " ORDER BY id").fetchall()
        ratings = db.execute("SELECT * FROM response_ratings ORDER BY response_id, item").fetchall()
        return rows, ratings

    assert build("a.db") == build("b.db")


def test_demo_only_fills_an_empty_database(demo_db):
    before = dump(demo_db)
    assert demo.build_demo_county(demo_db) is False
    assert dump(demo_db) == before


def test_demo_mode_off_leaves_a_real_deployment_empty(tmp_path, monkeypatch):
    monkeypatch.setenv("QIPING_DEMO", "0")
    db = startup.prepare(tmp_path / "real.db")
    assert db.execute("SELECT count(*) FROM agencies").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM questionnaires").fetchone()[0] >= 1
    monkeypatch.setenv("QIPING_DEMO", "1")
    db2 = startup.prepare(tmp_path / "demo.db")
    assert db2.execute("SELECT count(*) FROM agencies").fetchone()[0] == 22


def test_demo_paths_give_the_grades_and_actions_they_promise(demo_db):
    from surveys.results import finalise
    def path(agency):
        return [(r["grade"], r["action"]) for name in demo.past_rounds(demo_db)
                for r in finalise.current_results(demo_db, name) if r["agency"] == agency]
    assert {g for g, _ in path("FGW")} == {"good"}
    assert ("poor", "referral") in path("SCJG")  # poor twice in a row
    grades = [g for g, _ in path("ZJW")]
    assert grades[0] == "good" and grades[-1] == "poor"  # slipping
    grades = [g for g, _ in path("GHZY")]
    assert grades[0] == "poor" and grades[-1] == "good"  # recovering
    assert ("insufficient", "none") in path("NYNC")
    open_cases = demo_db.execute("SELECT count(*) FROM cases").fetchone()[0]
    assert open_cases > 0
