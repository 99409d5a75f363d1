"""Files made only when their download button is clicked (st.download_button with a callable) leave
the page as it is: the click reruns nothing (on_click="ignore").

Streamlit 1.67 answers such a click over the websocket with the file's address; a rerun that starts
before that answer has gone out clears it from the outgoing queue, and the button then spins, disabled,
until the page is reloaded. A click that also reruns the page races its own answer: in Chromium
(tests/browser/test_sticky_sessions.py, loaded machine) about one click in thirty lost it that way."""
from pathlib import Path

import i18n
from conftest import ADMIN_ACTOR, DISCIPLINE_ACTOR, run_page

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60


def download_buttons(path: str, who, demo_path, monkeypatch) -> dict[str, bool]:
    """Each download button of the page as ``who`` sees it: does a click leave the page as it is?"""
    monkeypatch.setenv("QIPING_DB", str(demo_path))
    at = run_page(ROOT / path, who, TIMEOUT)
    return {b.proto.label: b.proto.ignore_rerun for b in at.get("download_button")}


def test_the_audit_logs_exports_rerun_nothing(demo_path, monkeypatch):
    buttons = download_buttons("app_pages/admin/audit_log.py", ADMIN_ACTOR, demo_path, monkeypatch)
    assert buttons == {i18n.t("admin_ops.audit_log.download_csv"): True,
                       i18n.t("admin_ops.audit_log.download_xlsx"): True}


def test_a_cases_evidence_file_reruns_nothing(demo_path, monkeypatch):
    buttons = download_buttons("app_pages/discipline/case_inbox.py", DISCIPLINE_ACTOR, demo_path, monkeypatch)
    assert buttons[i18n.t("integrity.evidence.download")] is True
