"""Hostile input: whatever arrives, a clear refusal or a clean save — never an
unhandled exception, never anything stored from a refused input."""
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import ADMIN_ACTOR, FULL, dump, make_world
from surveys import startup
from surveys.participants import registry
from surveys.collection import responses
from surveys.core.errors import QipingError
from surveys.participants.uscc import ALPHABET, make_uscc, validate_uscc

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
NASTY = st.sampled_from(["=cmd|' /C calc'!A0", "+1+1", "-2", "@SUM(A1)", "<script>alert(1)</script>",
                         "**bold** [link](http://x)", "\x00\x1b[31m", "\u202e\u200b", "'; DROP TABLE responses; --",
                         "长" * 600, "\r\n\r\n", "ｃｏｄｅ", "🙂" * 10])
TEXT = st.one_of(st.text(), NASTY, st.text(alphabet=st.characters(codec="utf-8"), max_size=2000))


@given(st.one_of(st.text(max_size=40), st.text(alphabet=ALPHABET + "IOSVZ-中 ", min_size=16, max_size=20)))
@settings(max_examples=300, deadline=None)
def test_credit_code_validator_accepts_or_refuses_clearly(code):
    try:
        normalised = validate_uscc(code)
    except QipingError as error:
        assert error.message("zh") and error.message("en")
    else:
        assert len(normalised) == 18 and make_uscc(normalised[:17]) == normalised


def fresh_db(tmp_path_factory):
    return startup.prepare(tmp_path_factory.mktemp("hostile") / "h.db")


@given(data=st.one_of(st.binary(max_size=3000),
                      st.lists(st.lists(TEXT, max_size=6), max_size=8).map(
                          lambda rows: "\n".join(",".join(r) for r in rows).encode("utf-8", "replace")),
                      st.lists(st.tuples(st.sampled_from([make_uscc("91511022MA0000001"), "x" * 18, ""]), TEXT),
                               max_size=6).map(lambda rows: ("uscc,name\n" + "\n".join(
                                   f"{u},{n}" for u, n in rows)).encode("utf-8", "replace"))),
       name=st.sampled_from(["r.csv", "r.xlsx", "r.txt", "r"]))
@SETTINGS
def test_roster_import_never_crashes_and_stores_nothing_when_refused(tmp_path_factory, data, name):
    db = fresh_db(tmp_path_factory)
    before = dump(db)
    try:
        registry.import_enterprises(db, ADMIN_ACTOR, data, name)
    except QipingError as error:
        assert error.message("en")
        assert dump(db) == before
    else:  # accepted: everything stored is valid
        for (uscc,) in db.execute("SELECT uscc FROM enterprises"):
            assert validate_uscc(uscc) == uscc


@given(comment=TEXT)
@SETTINGS
def test_comment_is_saved_as_clean_text_or_refused(tmp_path_factory, comment):
    db = fresh_db(tmp_path_factory)
    people = make_world(db, enterprises=1)
    before = dump(db)
    try:
        responses.save_response(db, people[0], "2026Q4", "FGW", FULL, comment)
    except QipingError as error:
        assert error.key == "survey.comment_too_long" and error.message("zh")
        assert dump(db) == before
    else:
        stored = db.execute("SELECT comment FROM responses").fetchone()[0]
        assert len(stored) <= responses.MAX_COMMENT
        assert not any(ch in stored for ch in "\x00\x1b\r")
        assert stored == stored.strip()


@given(ratings=st.dictionaries(st.sampled_from(list(FULL) + ["x", ""]),
                               st.one_of(st.integers(-3, 9), st.text(max_size=3), st.floats(), st.none()),
                               max_size=7))
@SETTINGS
def test_any_ratings_are_saved_only_when_valid(tmp_path_factory, ratings):
    db = fresh_db(tmp_path_factory)
    people = make_world(db, enterprises=1)
    before = dump(db)
    try:
        responses.save_response(db, people[0], "2026Q4", "FGW", ratings)
    except QipingError:
        assert dump(db) == before
    else:
        assert set(ratings) == set(FULL) and all(isinstance(v, int) and 1 <= v <= 5 for v in ratings.values())


# --- the paper importer and the scoring command line ------------------------------

HEADER = "round,enterprise,agency,efficiency,attitude,lawfulness,integrity,convenience,comment"
CELL = st.one_of(TEXT, st.sampled_from(["2026Q4", "2026Q9", "FGW", "县发展改革委", "5", "0", "4.5", "", "６"]),
                 st.integers(-2, 8).map(str))


def rows_to_csv(rows, encoding="utf-8"):
    lines = [HEADER] + [",".join('"' + c.replace('"', '""') + '"' for c in row) for row in rows]
    return "\n".join(lines).encode(encoding, "replace")


@given(rows=st.lists(st.lists(CELL, min_size=9, max_size=9), max_size=5),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030"]), raw=st.one_of(st.none(), st.binary(max_size=500)))
@SETTINGS
def test_paper_import_never_crashes_and_stores_nothing_when_refused(tmp_path_factory, rows, encoding, raw):
    from surveys.collection import paper_returns

    db = fresh_db(tmp_path_factory)
    make_world(db, enterprises=1)
    data = raw if raw is not None else rows_to_csv(rows, encoding)
    before = dump(db)
    try:
        paper_returns.import_paper_returns(db, ADMIN_ACTOR, data, "paper.csv")
    except QipingError as error:
        assert error.message("zh") and error.message("en")
        assert dump(db) == before


@given(rows=st.lists(st.lists(CELL, min_size=9, max_size=9), max_size=6), raw=st.one_of(st.none(), st.binary(max_size=300)))
@settings(max_examples=60, deadline=None)
def test_scoring_command_line_answers_every_file_without_a_traceback(tmp_path_factory, rows, raw):
    import contextlib
    import io

    from scoring import cli

    path = tmp_path_factory.mktemp("cli") / "ratings.csv"
    path.write_bytes(raw if raw is not None else rows_to_csv(rows))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(["grade", str(path)])
    if status == 0:
        assert out.getvalue().startswith("round,agency,n,score,grade,action")
    else:
        assert out.getvalue() == "" and err.getvalue().strip() and "Traceback" not in err.getvalue()


# --- every other free-text field ------------------------------------------------------

@given(text=TEXT)
@SETTINGS
def test_free_text_of_cases_problems_appeals_and_reveals_is_clean_or_refused(demo_template, tmp_path_factory, text):
    """Problem text (enterprise), case step note (agency), appeal reason (agency),
    reveal reason (discipline office): stored as clean plain text, or refused with nothing stored."""
    from conftest import DISCIPLINE_ACTOR, copy_database, enterprise_actor
    from surveys.casework import appeals
    from surveys.casework import cases
    from surveys.casework import problems
    from surveys.casework import reveal
    from surveys.core.actors import AGENCY, Actor
    from surveys.storage.db import connect

    path = tmp_path_factory.mktemp("free") / "demo.db"
    copy_database(demo_template, path)
    db = connect(path)
    uscc, agency = db.execute("SELECT enterprise, agency FROM responses WHERE round = '2026Q4' LIMIT 1").fetchone()
    case = db.execute("SELECT id, agency FROM cases WHERE status = 'notice_issued' LIMIT 1").fetchone()
    response_id = db.execute("SELECT id FROM responses LIMIT 1").fetchone()[0]
    staff = Actor(role=AGENCY, id=case[1].lower(), agency_code=case[1])
    calls = [
        lambda: problems.raise_problem(db, enterprise_actor(uscc), agency, text),
        lambda: cases.advance_case(db, staff, case[0], "acknowledged", text),
        lambda: appeals.lodge_appeal(db, staff, "2026Q3", case[1], 1, text),
        lambda: reveal.reveal_rater(db, DISCIPLINE_ACTOR, response_id, text),
    ]
    for call in calls:
        before = dump(db)
        try:
            call()
        except QipingError as error:
            assert error.message("zh") and error.message("en")
            assert dump(db) == before
    stored = [r[0] for r in db.execute(
        "SELECT note FROM case_events UNION ALL SELECT text FROM problems UNION ALL SELECT reason FROM appeals")]
    for value in stored:
        assert "\x00" not in value and "\x1b" not in value and value == value.strip()
    db.close()
