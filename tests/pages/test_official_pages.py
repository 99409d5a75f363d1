"""The official pages (agency, discipline office, administrator) through AppTest on the demo
county: every page opens with the reader's next step, computed from the data; and the fixes
of issue 13 item 4 (no raw keys, the box chosen by the news, the inbox by severity, a closed
case kept in view, the reveal picker with the comment)."""
from pathlib import Path

import pytest

from app_pages import next_step
from conftest import ADMIN_ACTOR, DISCIPLINE_ACTOR, open_page
from surveys.casework import next_steps
from surveys.core.actors import AGENCY, Actor
from surveys.storage.db import connect
import i18n

ROOT = Path(__file__).resolve().parents[2]
PAGES = ROOT / "app_pages"
TIMEOUT = 60
AGENCY_ACTOR = Actor(role=AGENCY, id="fgw", name="fgw", agency_code="FGW")

ROLE_PAGES = [
    *[(ADMIN_ACTOR, f"admin/{p.name}") for p in sorted((PAGES / "admin").glob("*.py"))],
    *[(AGENCY_ACTOR, f"agency/{p.name}") for p in sorted((PAGES / "agency").glob("*.py"))],
    *[(DISCIPLINE_ACTOR, f"discipline/{p.name}") for p in sorted((PAGES / "discipline").glob("*.py"))],
    (AGENCY_ACTOR, "shared/agency_dashboard.py"), (ADMIN_ACTOR, "shared/agency_dashboard.py"),
    (DISCIPLINE_ACTOR, "shared/county_overview.py"), (ADMIN_ACTOR, "shared/county_overview.py"),
]


@pytest.mark.parametrize("who, page", ROLE_PAGES, ids=[f"{w.role}-{p}" for w, p in ROLE_PAGES])
def test_every_official_page_opens_with_the_readers_next_step(demo_path, monkeypatch, who, page):
    at = open_page(PAGES / page, demo_path, monkeypatch, actor=who, timeout=TIMEOUT, lang="en")
    label = i18n.t("next_step.label", "en")
    first = at.info[0].value
    assert first.startswith(f"**{label}**"), first
    # the figures are the service's, in words
    db = connect(demo_path)
    step = {"agency": next_steps.agency_next_step, "discipline": next_steps.discipline_next_step,
            "admin": next_steps.admin_next_step}[who.role](db, who)
    db.close()
    assert step["kind"] != "nothing"
    if who.role == "admin":
        assert "2026Q4" in first or "Q4 2026" in first or "2026" in first
        assert f"{step['rate']:.0%}" in first
    if who.role == "discipline":
        assert i18n.t("next_step.discipline.referrals", "en", count=step["referrals"]) in first


def test_the_next_step_is_chinese_in_the_chinese_ui(demo_path, monkeypatch):
    at = open_page(PAGES / "discipline/case_inbox.py", demo_path, monkeypatch, actor=DISCIPLINE_ACTOR,
                   timeout=TIMEOUT, lang="zh")
    assert at.info[0].value.startswith("**下一步**")
    assert "移交待决定" in at.info[0].value
