"""The discipline office checks the tamper-evident record from the case inbox (issue 15 item 5)."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import DISCIPLINE_ACTOR
from surveys.storage.db import connect

PAGE = Path(__file__).resolve().parents[2] / "app_pages" / "discipline" / "case_inbox.py"


def verify_on_the_page(demo_path, monkeypatch) -> AppTest:
    monkeypatch.setenv("QIPING_DB", str(demo_path))
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.session_state["actor"] = DISCIPLINE_ACTOR
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    next(b for b in at.button if b.key == "verify_record").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_an_untouched_record_is_verified_up_to_the_newest_entry(demo_path, monkeypatch):
    newest = connect(demo_path).execute("SELECT max(id) FROM audit_log").fetchone()[0]
    at = verify_on_the_page(demo_path, monkeypatch)
    assert [s.value for s in at.success if s.value.startswith(f"记录已核验至第 {newest} 条")]
    assert at.get("download_button")  # the evidence file with the notice


def test_an_altered_result_is_named_on_the_page(demo_path, monkeypatch):
    db = connect(demo_path)
    round_name, agency = db.execute("SELECT round, agency FROM current_results WHERE n > 0 LIMIT 1").fetchone()
    db.execute("UPDATE results SET grade = 'good', score = 99 WHERE round = ? AND agency = ?", [round_name, agency])
    db.close()
    errors = [e.value for e in verify_on_the_page(demo_path, monkeypatch).error]
    assert any(f"第 {round_name} 轮 {agency}" in e and "存储的结果与定稿时的摘要不符" in e for e in errors)
    assert errors[-1].startswith("核验未通过")
