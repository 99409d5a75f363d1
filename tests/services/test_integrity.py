"""The tamper-evident record (issue 15 item 5): an untouched database verifies; any audit
entry, stored result, counted rating or pinned rule altered with plain SQL is named."""
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests import pg_support

from conftest import ADMIN_ACTOR, DISCIPLINE_ACTOR, make_world
from test_finalise import run_round
from surveys.core import audit
from surveys.results import exclusions, finalise, integrity
from surveys.storage import migrations
from surveys.storage.db import connect

ROOT = Path(__file__).resolve().parents[2]


def mismatches(db) -> set[tuple]:
    return {(m.check, m.round, m.agency) for m in integrity.verify(db).mismatches}


def a_counted_rating(db):
    """(response id, item, round, agency) of a rating the newest finalised round counted."""
    return db.execute(
        """SELECT rr.response_id, rr.item, r.round, r.agency FROM finalisation_inputs fi
           JOIN finalisations f ON f.id = fi.finalisation_id AND f.is_current = 1
           JOIN responses r ON r.id = fi.response_id JOIN response_ratings rr ON rr.response_id = r.id
           WHERE rr.rating < 5 ORDER BY f.round DESC, r.id LIMIT 1""").fetchone()


def test_the_untouched_demo_verifies_and_every_finalisation_is_recomputed(demo_copy):
    report = integrity.verify(demo_copy)
    assert report.ok, integrity.report_lines(report, "en")
    entries = demo_copy.execute("SELECT count(*), max(id) FROM audit_log").fetchone()
    assert (report.entries, report.head[0]) == tuple(entries)
    finalised = demo_copy.execute("SELECT count(*) FROM finalisations").fetchone()[0]
    assert report.finalisations == report.recomputed == finalised > 0


def test_each_entry_hash_follows_the_documented_recipe(demo_copy):
    """docs/integrity.md: sha256 over canonical JSON of prev + the entry's fields."""
    import hashlib
    previous = audit.GENESIS
    for row in demo_copy.query("SELECT id, at, actor, action, target, detail, hash FROM audit_log ORDER BY id"):
        fields = {"prev": previous, **{k: row[k] for k in ("id", "at", "actor", "action", "target", "detail")}}
        text = json.dumps(fields, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        assert row["hash"] == hashlib.sha256(text.encode("utf-8")).hexdigest()
        previous = row["hash"]


def test_a_changed_audit_detail_is_named(demo_db):
    demo_db.execute("UPDATE audit_log SET detail = json_set(detail, '$.reason', 'doctored') WHERE id = 40")
    broken = integrity.verify(demo_db).broken_entry
    assert (broken["id"], broken["missing"]) == (40, [])
    assert integrity.verify(demo_db).entries == 39


def test_a_deleted_audit_entry_is_named(demo_db):
    demo_db.execute("DELETE FROM audit_log WHERE id = 77")
    report = integrity.verify(demo_db)
    assert (report.broken_entry["id"], report.broken_entry["missing"]) == (78, [77])
    assert "77–77" in "\n".join(integrity.report_lines(report, "en"))


def test_a_changed_actor_or_time_is_named(demo_db):
    demo_db.execute("UPDATE audit_log SET actor = 'someone else' WHERE id = 120")
    assert integrity.verify(demo_db).broken_entry["id"] == 120


def test_a_changed_stored_score_is_named_by_round_and_agency(demo_db):
    fid, round_name, agency = demo_db.execute(
        "SELECT finalisation_id, round, agency FROM current_results WHERE n > 0 ORDER BY round LIMIT 1").fetchone()
    demo_db.execute("UPDATE results SET score = score + 5 WHERE finalisation_id = ? AND agency = ?", [fid, agency])
    found = mismatches(demo_db)
    assert ("results", round_name, agency) in found and ("recomputed", round_name, agency) in found
    assert {m[1:] for m in found} == {(round_name, agency)}  # nothing else is blamed


def test_a_stored_score_changed_with_its_digests_still_shows_in_the_audit_check(demo_db):
    """Rewriting the digests too moves the mismatch to the audit entry that carries them."""
    fid, round_name, agency = demo_db.execute(
        "SELECT finalisation_id, round, agency FROM current_results WHERE n > 0 ORDER BY round LIMIT 1").fetchone()
    demo_db.execute("UPDATE results SET score = score + 5 WHERE finalisation_id = ? AND agency = ?", [fid, agency])
    finalisation = next(demo_db.query("SELECT * FROM finalisations WHERE id = ?", [fid]))
    digests = integrity.agency_digests(demo_db, finalisation)
    demo_db.execute("UPDATE finalisation_digests SET results_digest = ? WHERE finalisation_id = ? AND agency = ?",
                    [digests[agency][1], fid, agency])
    demo_db.execute("UPDATE finalisations SET digest = ? WHERE id = ?",
                    [integrity.finalisation_digest(finalisation, finalisation["rules_digest"], digests), fid])
    assert mismatches(demo_db) == {("audit", round_name, None), ("recomputed", round_name, agency)}


def test_a_rating_changed_after_finalisation_is_named(demo_db):
    response_id, item, round_name, agency = a_counted_rating(demo_db)
    demo_db.execute("UPDATE response_ratings SET rating = 5 WHERE response_id = ? AND item = ?", [response_id, item])
    found = mismatches(demo_db)
    assert {m for m in found if m[0] == "inputs"} == {("inputs", round_name, agency)}
    # scored again, the agency's result moves (and with it, perhaps, others' ranks): named too
    assert ("recomputed", round_name, agency) in found and {m[0] for m in found} <= {"inputs", "recomputed"}


def test_changed_pinned_rules_are_named(demo_db):
    round_name = demo_db.execute("SELECT name FROM rounds WHERE scoring_config IS NOT NULL LIMIT 1").fetchone()[0]
    config = json.loads(demo_db.execute("SELECT scoring_config FROM rounds WHERE name = ?", [round_name]).fetchone()[0])
    config["good_threshold"] = 70.0
    demo_db.execute("UPDATE rounds SET scoring_config = ? WHERE name = ?", [json.dumps(config), round_name])
    assert ("pinned_rules", round_name, None) in mismatches(demo_db)
    # the rules a finalisation stored, changed too: its own digest no longer matches
    demo_db.execute("UPDATE finalisations SET config = ? WHERE round = ?", [json.dumps(config), round_name])
    assert ("rules", round_name, None) in mismatches(demo_db)


def test_a_finalisation_removed_is_named(demo_db):
    fid, round_name = demo_db.execute("SELECT id, round FROM finalisations ORDER BY id DESC LIMIT 1").fetchone()
    demo_db.conn.execute("PRAGMA foreign_keys = OFF")
    for table in ("results", "finalisation_inputs", "finalisation_digests"):
        demo_db.execute(f"DELETE FROM {table} WHERE finalisation_id = ?", [fid])
    demo_db.execute("DELETE FROM cases WHERE finalisation_id = ?", [fid])
    demo_db.execute("DELETE FROM finalisations WHERE id = ?", [fid])
    assert ("missing", round_name, None) in mismatches(demo_db)


def test_every_finalisation_in_history_recomputes_after_an_exclusion(db):
    """An excluded response stays in the earlier finalisation's inputs: both recompute exactly."""
    people = make_world(db, enterprises=8, open_round=False)
    run_round(db, "2026Q1", people, {"SCJG": [2, 2, 2, 2, 2, 1]})
    run_round(db, "2026Q2", people, {"SCJG": [2] * 6})
    finalise.finalise_round(db, ADMIN_ACTOR, "2026Q2")
    for (response_id,) in db.execute("SELECT id FROM responses WHERE round = '2026Q1' ORDER BY id LIMIT 2").fetchall():
        exclusions.exclude_response(db, DISCIPLINE_ACTOR, response_id, "appeal upheld")
    assert finalise.finalise_round(db, ADMIN_ACTOR, "2026Q1", reason="appeals upheld") == ["2026Q1", "2026Q2"]
    report = integrity.verify(db)
    assert report.ok, integrity.report_lines(report, "en")
    assert report.recomputed == report.finalisations == 4
    counted = [n for (n,) in db.execute(
        "SELECT count(response_id) FROM finalisation_inputs fi JOIN finalisations f ON f.id = fi.finalisation_id"
        " WHERE f.round = '2026Q1' GROUP BY f.id ORDER BY f.id")]
    assert counted == [6, 4]


@pytest.mark.sqlite_only  # a database taken back to version 11 by hand; every PostgreSQL database runs migration 12
def test_old_databases_are_chained_and_sealed_by_the_migration(demo_path, monkeypatch):
    """A database from before migration 12 (made so by undoing it) verifies once migrated."""
    # only migration 12 runs again: a column a later one adds cannot be added twice
    monkeypatch.setattr(migrations, "MIGRATIONS", migrations.MIGRATIONS[:12])
    old = connect(demo_path)
    for statement in ("DROP TABLE finalisation_inputs", "DROP TABLE finalisation_digests",
                      "ALTER TABLE audit_log DROP COLUMN hash", "ALTER TABLE finalisations DROP COLUMN rules_digest",
                      "ALTER TABLE finalisations DROP COLUMN digest", "ALTER TABLE finalisations DROP COLUMN sealed",
                      "PRAGMA user_version = 11"):
        old.conn.execute(statement)
    old.close()
    migrated = connect(demo_path)  # migration 12 and its Python step
    report = integrity.verify(migrated)
    assert report.ok, integrity.report_lines(report, "en")
    assert report.entries > 0 and report.recomputed == 0
    assert {s for (s,) in migrated.execute("SELECT DISTINCT sealed FROM finalisations")} == {integrity.AT_MIGRATION}
    # and what is altered after the migration is still found
    migrated.execute("UPDATE results SET grade = 'good' WHERE rowid = (SELECT min(rowid) FROM results)")
    assert {m[0] for m in mismatches(migrated)} == {"results"}


WRITER = """
import sys, time
from pathlib import Path
from surveys.core import audit
from surveys.core.actors import Actor
from surveys.storage.db import connect
db = connect(sys.argv[1])
while not Path(sys.argv[4]).exists():  # both start writing at the same moment
    time.sleep(0.005)
for i in range(int(sys.argv[3])):
    audit.record(db, Actor(role="admin", id=sys.argv[2], name=sys.argv[2]), "test.concurrent", str(i))
    time.sleep(0.002)  # as the app's writes come: one after another, never quite at once
"""


def test_two_processes_writing_at_once_keep_one_straight_chain(db, tmp_path):
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    before = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
    go = tmp_path / "go"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, path, name, "150", str(go)], cwd=ROOT)
               for name in ("first", "second")]
    time.sleep(1.5)
    go.touch()
    assert [w.wait(timeout=120) for w in writers] == [0, 0]
    rows = db.execute("SELECT actor, count(*) FROM audit_log WHERE action = 'test.concurrent' GROUP BY actor")
    assert dict(rows.fetchall()) == {"admin:first": 150, "admin:second": 150}
    actors = [a for (a,) in db.execute("SELECT actor FROM audit_log WHERE action = 'test.concurrent' ORDER BY id")]
    assert actors != sorted(actors)  # they really interleaved
    report = integrity.verify(db)
    assert report.ok and report.entries == before + 300


def cli(*args, db_path, lang="en"):
    env = {"QIPING_LANG": lang, "QIPING_HASH_COST": "test", "PATH": "/usr/bin:/bin", **pg_support.storage_env()}
    return subprocess.run([sys.executable, "-m", "surveys", "verify", "--db", str(db_path), *args],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)


def test_verify_command_passes_an_untouched_database_and_names_what_was_altered(demo_path):
    result = cli(db_path=demo_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Verified:")
    assert "核验通过" in cli(db_path=demo_path, lang="zh").stdout  # Chinese by default in the catalogue
    db = connect(demo_path)
    db.execute("UPDATE audit_log SET target = 'elsewhere' WHERE id = 55")
    fid, round_name, agency = db.execute(
        "SELECT finalisation_id, round, agency FROM current_results WHERE n > 0 ORDER BY round DESC LIMIT 1").fetchone()
    db.execute("UPDATE results SET n = n + 1 WHERE finalisation_id = ? AND agency = ?", [fid, agency])
    db.close()
    result = cli(db_path=demo_path)
    assert result.returncode == 1
    assert "Audit entry 55 (" in result.stderr
    assert f"Round {round_name}, {agency} (finalisation #{fid})" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Verification failed")


@pytest.mark.sqlite_only  # on PostgreSQL every county's place is made when first opened
def test_verify_command_without_a_database_says_so(tmp_path):
    result = cli(db_path=tmp_path / "none.db")
    assert result.returncode == 1 and "No database file" in result.stderr
    assert not (tmp_path / "none.db").exists()


def pdf_text(data: bytes) -> str:
    """The PDF's text without any whitespace (the CJK font's text comes out spaced)."""
    from io import BytesIO
    from pypdf import PdfReader
    return "".join("".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages).replace("\x00", "").split())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_referral_evidence_file_carries_its_chain_position_and_the_digests_verify_computes(demo_db, lang):
    from surveys.reports import evidence
    case = next(demo_db.query("SELECT * FROM cases WHERE action = 'referral' ORDER BY id LIMIT 1"))
    text = pdf_text(evidence.evidence_pdf(demo_db, DISCIPLINE_ACTOR, case["id"], lang))
    # the export is the newest audit entry, and the file prints its id and hash
    entry = next(demo_db.query("SELECT * FROM audit_log ORDER BY id DESC LIMIT 1"))
    assert (entry["action"], entry["target"]) == (evidence.EXPORTED, f"case/{case['id']}")
    position = integrity.chain_position(demo_db)
    assert "".join(evidence.seal_lines(position, None, lang)[0].split()) in text  # entry N (its time)
    assert entry["hash"] in text
    report = integrity.verify(demo_db)
    assert report.ok and report.head[::2] == (entry["id"], entry["hash"])
    # the round's current finalisation's digests, recomputed now from the stored rows
    finalisation = next(demo_db.query("SELECT * FROM finalisations WHERE round = ? AND is_current = 1",
                                      [case["round"]]))
    inputs, results = integrity.agency_digests(demo_db, finalisation)[case["agency"]]
    assert integrity.rules_digest(finalisation["config"]) in text
    assert integrity.finalisation_digest(finalisation, finalisation["rules_digest"],
                                         integrity.agency_digests(demo_db, finalisation)) in text
    assert inputs in text and results in text
    assert not any(str(r) in text for (r,) in demo_db.execute(
        "SELECT enterprise FROM responses WHERE round = ? AND agency = ?", [case["round"], case["agency"]]))


def test_only_the_case_offices_export_evidence(demo_db):
    from conftest import AGENCY_ACTOR
    from surveys.core.errors import PermissionDenied
    from surveys.reports import evidence
    with pytest.raises(PermissionDenied):
        evidence.evidence_pdf(demo_db, AGENCY_ACTOR, 1)


def test_a_chain_rewritten_after_a_change_is_caught_by_an_evidence_file_anchor(demo_path):
    """The limit docs/integrity.md states, and its remedy: whoever rewrites every hash after a
    change with the public recipe passes verify — but not against a position kept outside."""
    db = connect(demo_path)
    kept_id, kept_hash = db.execute("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    assert cli("--anchor", f"{kept_id}:{kept_hash}", db_path=demo_path).returncode == 0
    forged = db.execute("SELECT min(id) FROM audit_log WHERE id >= 30 AND action <> ?",
                        [integrity.STORED_ACTION]).fetchone()[0]
    db.execute("UPDATE audit_log SET detail = '{}' WHERE id = ?", [forged])
    db.execute("UPDATE audit_log SET hash = NULL WHERE id >= ?", [forged])
    audit.chain_existing(db)  # the forger recomputes the chain
    db.close()
    assert cli(db_path=demo_path).returncode == 0  # consistent with itself…
    result = cli("--anchor", f"{kept_id}:{kept_hash}", db_path=demo_path)
    assert result.returncode == 1 and f"Audit entry {kept_id} no longer has the hash" in result.stderr
    assert cli("--anchor", "12:nothex", db_path=demo_path).returncode == 2  # a malformed anchor is refused


def test_verify_neither_blocks_nor_trips_over_the_app_writing_meanwhile(demo_path):
    """verify reads one snapshot (WAL): entries written meanwhile go on and are not half-seen."""
    import threading
    from conftest import ADMIN_ACTOR as admin
    reader = connect(demo_path)
    stop, started, written = threading.Event(), threading.Event(), []

    def keep_writing():
        writer = connect(demo_path)  # a connection per thread
        while not stop.is_set():
            audit.record(writer, admin, "test.meanwhile", str(len(written)))
            written.append(1)
            started.set()
        writer.close()

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        assert started.wait(30)
        before = len(written)
        reports = [integrity.verify(reader) for _ in range(3)]
        during = len(written) - before
    finally:
        stop.set()
        thread.join()
    assert during > 0  # the writes went on meanwhile
    assert all(r.ok for r in reports), [integrity.report_lines(r, "en") for r in reports]
    final = integrity.verify(reader)
    assert final.ok and final.entries == reader.execute("SELECT count(*) FROM audit_log").fetchone()[0]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_check_is_named_in_words(lang):
    from i18n import catalogue
    assert [c for c in integrity.CHECKS if f"integrity.check.{c}" not in catalogue(lang)] == []
