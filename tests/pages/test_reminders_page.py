"""The reminders on the monitoring page (AppTest, demo county): who is to be reminded, the
confirmation that codes change, the file made and shown once, the call list showing who was
reminded when and how, a second press the same day skipping everyone, the gateway absent or the
link still leading to this computer said plainly."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import AGENCY_ACTOR, open_page
from surveys.collection import monitoring, reminders
from surveys.storage.db import connect

PAGE = Path(__file__).resolve().parents[2] / "app_pages" / "admin" / "monitoring.py"


@pytest.fixture(autouse=True)
def public_base(monkeypatch):
    monkeypatch.setenv("QIPING_BASE_URL", "https://qiping.example.gov.cn")
    monkeypatch.delenv(reminders.WEBHOOK_ENV, raising=False)


def targets(demo_path):
    from conftest import ADMIN_ACTOR
    database = connect(demo_path)
    try:
        return reminders.reminder_targets(database, ADMIN_ACTOR), monitoring.non_responders(database, ADMIN_ACTOR)
    finally:
        database.close()


def test_the_administrator_makes_the_sms_file_and_the_call_list_shows_it(demo_path, monkeypatch):
    due, _ = targets(demo_path)
    with_phone = [row for row in due if row["phone"]]
    at = open_page(PAGE, demo_path, monkeypatch)
    assert "催报提醒" in [s.value for s in at.subheader]
    assert any(f"待提醒企业：{len(due)} 家" in m.value for m in at.markdown)
    button = at.button(key="send_reminders")
    assert button.disabled  # not before the administrator confirms that codes change
    at.checkbox(key="reminder_confirm").check().run()
    at.button(key="send_reminders").click().run()
    assert not at.exception
    assert any(f"已为 {len(with_phone)} 家企业生成短信" in s.value for s in at.success)
    assert "下载短信平台文件（CSV）" in [b.label for b in at.download_button]
    _, call_list = targets(demo_path)
    reminded = [row for row in call_list if row["reminder_channel"] == "sms_csv"]
    assert reminded and all(row["reminders"] == 1 for row in reminded)
    shown = at.dataframe[1].value  # the call list on the page
    assert (shown["提醒方式"] == "短信平台文件（CSV）").sum() == len(reminded)
    # the same day again: nobody twice (the letters too would skip them)
    at.radio(key="reminder_channel").set_value(reminders.LETTER).run()
    assert len(with_phone) == len(due)  # every demo enterprise has a phone: all were reminded
    assert at.button(key="send_reminders").disabled
    assert any("今天都已提醒过" in c.value for c in at.caption)


def test_without_a_gateway_the_page_says_how_to_configure_it(demo_path, monkeypatch):
    at = open_page(PAGE, demo_path, monkeypatch)
    at.radio(key="reminder_channel").set_value(reminders.WEBHOOK).run()
    assert any("QIPING\\_REMINDER\\_WEBHOOK" in i.value or "QIPING_REMINDER_WEBHOOK" in i.value for i in at.info)
    assert not [b for b in at.button if b.key == "send_reminders"]


def test_a_link_to_this_computer_is_a_trial_to_be_ticked_and_never_sent_by_gateway(demo_path, monkeypatch):
    monkeypatch.setenv("QIPING_BASE_URL", "http://localhost:8501")
    monkeypatch.setenv(reminders.WEBHOOK_ENV, "https://sms.example.gov.cn/send")
    at = open_page(PAGE, demo_path, monkeypatch)
    at.checkbox(key="reminder_confirm").check().run()
    assert at.error and at.button(key="send_reminders").disabled
    at.checkbox(key="reminder_trial").check().run()
    assert not at.button(key="send_reminders").disabled
    at.radio(key="reminder_channel").set_value(reminders.WEBHOOK).run()
    assert at.button(key="send_reminders").disabled


def test_other_roles_see_no_reminders(demo_path, monkeypatch):
    from streamlit.testing.v1 import AppTest
    monkeypatch.setenv("QIPING_DB", str(demo_path))
    at = AppTest.from_file(str(PAGE), default_timeout=30)
    at.session_state["actor"] = AGENCY_ACTOR
    at.run()
    assert "催报提醒" not in [s.value for s in at.subheader]


def test_sending_through_a_gateway_from_the_page_end_to_end(demo_path, monkeypatch):
    from gateway_support import Gateway
    due, _ = targets(demo_path)
    # the gateway accepts three messages, then fails: the page says so, and only three are recorded
    with Gateway(status=lambda n: 200 if n <= 3 else 502) as gateway:
        monkeypatch.setenv(reminders.WEBHOOK_ENV, gateway.url)
        at = open_page(PAGE, demo_path, monkeypatch)
        at.radio(key="reminder_channel").set_value(reminders.WEBHOOK).run()
        at.checkbox(key="reminder_confirm").check().run()
        at.button(key="send_reminders").click().run()
    assert not at.exception and len(gateway.received) == 4
    (shown,) = [e.value for e in at.error]
    assert "网关已接收 3 家企业的提醒" in shown and "网关返回错误 502" in shown
    assert f"1 家发送失败、{len(due) - 4} 家未尝试" in shown
    assert not [b for b in at.download_button if b.label.startswith("下载提醒函")]
    _, call_list = targets(demo_path)
    assert sorted(row["uscc"] for row in call_list if row["reminder_channel"] == "webhook") == \
        sorted(body["enterprise"] for body in gateway.received[:3])
