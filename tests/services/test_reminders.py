"""Reminders to enterprises that have not answered (or not finished) the open round: who is
reminded, at most once a county day, the new code each carries (the old one ends), the SMS
platform's CSV cell by cell, the printed letters (QR decoded), and the gateway webhook end to end
against a real HTTP server started here — accepting, failing with 5xx, refusing one message,
timing out, unreachable — with nothing recorded as sent for what failed."""
from __future__ import annotations

import csv
import io
import json
import re
import time
from datetime import datetime

import pytest

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, FULL, dump, enterprise_actor, make_world
from surveys.collection import monitoring, reminders, responses, rounds
from surveys.core import clock
from surveys.core.errors import InvalidInput, NotFound, PermissionDenied, SignInRefused
from surveys.participants import accounts
from gateway_support import Gateway
from test_access_slips import decode_qr

PUBLIC = "https://qiping.example.gov.cn"
LINK = re.compile(r"https://qiping\.example\.gov\.cn/\?code=(QP-[A-Z0-9-]+)")


@pytest.fixture(autouse=True)
def public_base(monkeypatch):
    monkeypatch.setenv("QIPING_BASE_URL", PUBLIC)
    monkeypatch.delenv(reminders.WEBHOOK_ENV, raising=False)
    monkeypatch.delenv(reminders.WEBHOOK_TOKEN_ENV, raising=False)


@pytest.fixture
def world(db):
    """Six enterprises: #1 finished (chose FGW, rated it), #2 unfinished (chose FGW and SCJG,
    rated FGW), #3 chose SCJG and rated nothing, #4 did nothing, #5 did nothing and has no phone,
    #6 is deactivated. Phones as a roster holds them."""
    e = make_world(db, enterprises=6)
    responses.choose_agencies(db, e[0], "2026Q4", ["FGW"])
    responses.save_response(db, e[0], "2026Q4", "FGW", FULL)
    responses.choose_agencies(db, e[1], "2026Q4", ["FGW", "SCJG"])
    responses.save_response(db, e[1], "2026Q4", "FGW", FULL, comment="窗口很慢")
    responses.choose_agencies(db, e[2], "2026Q4", ["SCJG"])
    for index, phone in enumerate(["13800000001", "+86 138-0000-0002", "0086 13800000003", "138 0000 0004", "",
                                   "13800000006"]):
        db["enterprises"].update(e[index].id, {"contact_phone": phone})
    db.execute("UPDATE enterprises SET active = 0 WHERE uscc = ?", [e[5].id])
    return [x.id for x in e]


def reminder_rows(db) -> list[dict]:
    return list(db.query("SELECT enterprise, county_day, channel, actor FROM reminders ORDER BY enterprise, id"))


def signs_in(db, code: str) -> bool:
    try:
        accounts.sign_in_enterprise(db, code, "test-client")
    except SignInRefused:
        return False
    return True


# --- who is reminded ------------------------------------------------------------------------

def test_those_who_have_not_answered_or_not_finished_are_reminded_and_nobody_else(db, world):
    targets = {row["uscc"]: row for row in reminders.reminder_targets(db, ADMIN_ACTOR)}
    assert set(targets) == {world[1], world[2], world[3], world[4]}  # not #1 (finished), not #6 (inactive)
    assert targets[world[1]]["status"] == reminders.UNFINISHED
    assert {targets[u]["status"] for u in world[2:5]} == {reminders.NOT_STARTED}
    assert targets[world[1]]["phone"] == "13800000002" and targets[world[2]]["phone"] == "13800000003"
    assert targets[world[3]]["phone"] == "13800000004" and targets[world[4]]["phone"] == ""
    assert not any(row["reminded_today"] or row["reminded_at"] for row in targets.values())


def test_without_an_open_round_there_is_nobody_to_remind(db, world):
    rounds.close_round(db, ADMIN_ACTOR, "2026Q4")
    before = dump(db)
    with pytest.raises(NotFound) as refused:
        reminders.send_reminders(db, ADMIN_ACTOR, reminders.SMS_CSV)
    assert "没有进行中的轮次" in refused.value.message("zh")
    assert dump(db) == before


@pytest.mark.parametrize("who", [AGENCY_ACTOR, DISCIPLINE_ACTOR, enterprise_actor("x")])
def test_only_the_administrator_sends_reminders(db, world, who):
    before = dump(db)
    for call in (reminders.reminder_targets, lambda d, a: reminders.send_reminders(d, a, reminders.LETTER)):
        with pytest.raises(PermissionDenied):
            call(db, who)
    assert dump(db) == before


def test_a_bad_channel_or_language_is_refused_by_name(db, world):
    with pytest.raises(InvalidInput) as refused:
        reminders.send_reminders(db, ADMIN_ACTOR, "fax")
    assert "fax" in refused.value.message("en")
    with pytest.raises(InvalidInput):
        reminders.send_reminders(db, ADMIN_ACTOR, reminders.LETTER, lang="fr")
    assert reminder_rows(db) == []


# --- once a county day, and the new code -------------------------------------------------------

def test_nobody_is_reminded_twice_in_one_county_day_and_the_next_day_again(db, world):
    # 07:00 and 23:30 on 20 November in the county: UTC dates 19 and 20 November, one county day
    clock.freeze(datetime(2026, 11, 20, 7, 0, tzinfo=clock.COUNTY_TIME))
    first = reminders.send_reminders(db, ADMIN_ACTOR, reminders.LETTER)
    assert {r.uscc for r in first.sent} == set(world[1:5])
    clock.freeze(datetime(2026, 11, 20, 23, 30, tzinfo=clock.COUNTY_TIME))
    second = reminders.send_reminders(db, ADMIN_ACTOR, reminders.SMS_CSV)
    assert second.sent == [] and second.skipped_today == 4
    assert "4 家企业今天已经提醒过" in second.message("zh")
    assert "4 enterprises were already reminded today" in second.message("en")
    assert all(row["reminded_today"] for row in reminders.reminder_targets(db, ADMIN_ACTOR))
    assert len(reminder_rows(db)) == 4
    clock.freeze(datetime(2026, 11, 21, 0, 10, tzinfo=clock.COUNTY_TIME))  # the next county day
    third = reminders.send_reminders(db, ADMIN_ACTOR, reminders.SMS_CSV)
    assert {r.uscc for r in third.sent} == set(world[1:4]) and third.no_phone == 1
    days = sorted({row["county_day"] for row in reminder_rows(db)})
    assert days == ["2026-11-20", "2026-11-21"]


def test_the_database_itself_refuses_a_second_reminder_the_same_day(db, world):
    reminders.send_reminders(db, ADMIN_ACTOR, reminders.LETTER, usccs=[world[3]])
    with pytest.raises(Exception, match="(?i)unique"):
        db.execute("INSERT INTO reminders (round, enterprise, county_day, channel, at, actor)"
                   " VALUES ('2026Q4', ?, '2026-11-20', 'letter', 'x', 'y')", [world[3]])


def test_a_reminder_made_meanwhile_by_another_administrator_is_skipped_and_its_code_kept(db, world, monkeypatch):
    first = reminders.send_reminders(db, ADMIN_ACTOR, reminders.LETTER, usccs=[world[3]])
    code = first.sent[0].code
    # a second administrator whose page was read before the first one's reminder was written
    monkeypatch.setattr(reminders, "_last_reminder", lambda *args: None)
    second = reminders.send_reminders(db, ADMIN_ACTOR, reminders.LETTER, usccs=[world[3]])
    assert second.sent == [] and second.skipped_today == 1
    assert signs_in(db, code) and len(reminder_rows(db)) == 1  # the code of the reminder sent still works


def test_a_reminder_carries_a_new_code_that_signs_in_and_the_old_one_stops(db, world):
    old = accounts.issue_access_code(db, ADMIN_ACTOR, world[3])
    assert signs_in(db, old)
    result = reminders.send_reminders(db, ADMIN_ACTOR, reminders.LETTER, usccs=[world[3]])
    (reminder,) = result.sent
    assert reminder.link == f"{PUBLIC}/?code={reminder.code}" and reminder.link in reminder.text
    assert signs_in(db, reminder.code) and not signs_in(db, old)
    assert "原信函或短信中的访问码已停用" in reminder.text


def test_each_reminder_is_audited_without_any_agency_or_rating(db, world):
    reminders.send_reminders(db, ADMIN_ACTOR, reminders.LETTER)
    entries = list(db.query("SELECT action, target, detail FROM audit_log WHERE action LIKE '%remind%'"))
    per_enterprise = [e for e in entries if e["action"] == "enterprise.reminded"]
    assert sorted(e["target"] for e in per_enterprise) == sorted(world[1:5])
    assert json.loads(per_enterprise[0]["detail"]) == {"round": "2026Q4", "channel": "letter", "code_replaced": True}
    summary = [json.loads(e["detail"]) for e in entries if e["action"] == "reminders.sent"]
    assert summary == [{"channel": "letter", "sent": 4, "skipped_today": 0, "no_phone": 0, "failed": 0,
                        "not_attempted": 0}]
    assert not any("FGW" in e["detail"] or "SCJG" in e["detail"] for e in entries)


def test_the_call_list_shows_who_was_reminded_when_and_how(db, world):
    clock.freeze(datetime(2026, 11, 20, 9, 5, tzinfo=clock.COUNTY_TIME))
    reminders.send_reminders(db, ADMIN_ACTOR, reminders.SMS_CSV, usccs=[world[3]])
    rows = {row["uscc"]: row for row in monitoring.non_responders(db, ADMIN_ACTOR)}
    assert rows[world[3]]["reminder_channel"] == "sms_csv" and rows[world[3]]["reminders"] == 1
    assert rows[world[2]]["reminded_at"] is None and rows[world[2]]["reminders"] == 0
    frame = monitoring.call_list_frame(list(rows.values()), "zh").set_index("统一社会信用代码")
    assert frame.loc[world[3], "最近提醒时间"] == "2026年11月20日 09:05"  # county time, not UTC 01:05
    assert frame.loc[world[3], "提醒方式"] == "短信平台文件（CSV）"
    assert frame.loc[world[2], "最近提醒时间"] == "" and frame.loc[world[2], "提醒次数"] == 0


# --- the SMS platform's CSV -----------------------------------------------------------------------

def test_the_sms_csv_has_phone_name_and_message_per_enterprise_formula_safe(db, world):
    db["enterprises"].update(world[2], {"name": "=HYPERLINK(\"http://evil\",\"点我\")"})
    result = reminders.send_reminders(db, ADMIN_ACTOR, reminders.SMS_CSV)
    assert result.no_phone == 1 and len(result.sent) == 3  # #5 has no phone
    assert result.file.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(result.file.decode("utf-8-sig"))))
    assert rows[0] == ["手机号码", "企业名称", "短信内容"]
    by_phone = {row[0]: row for row in rows[1:]}
    assert set(by_phone) == {"13800000002", "13800000003", "13800000004"}  # digits only, +86 dropped
    hostile = by_phone["13800000003"]
    assert hostile[1] == "'=HYPERLINK(\"http://evil\",\"点我\")"  # shown as text, never a formula
    assert hostile[2].startswith("【营商环境评议】")  # the message starts with its heading, not the name
    unfinished = by_phone["13800000002"][2]
    assert "2026年第四季度企业评议将于2099年12月31日24时截止" in unfinished and "还没有全部评价完" in unfinished
    assert "尚未填报" in by_phone["13800000004"][2]
    for row in rows[1:]:
        code = LINK.search(row[2]).group(1)
        assert signs_in(db, code)
        # nothing about ratings or agencies (DESIGN §6)
        assert not any(word in row[2] for word in ("FGW", "SCJG", "发展改革", "市场监管", "窗口很慢", "满意"))
    english = reminders.sms_csv(result.sent, "en").decode("utf-8-sig").splitlines()[0]
    assert english == "phone,name,message"
    assert "。" not in reminders.reminder_text("X", "not_started", PUBLIC, reminders.access_slips.LetterDetails(), "en")


def test_sms_phone_numbers_are_what_an_sms_platform_takes():
    assert reminders.sms_phone("+86 138-0000-0000") == "13800000000"
    assert reminders.sms_phone("008613800000000") == "13800000000"
    assert reminders.sms_phone("0839-7200000") == "08397200000"
    assert reminders.sms_phone(None) == "" and reminders.sms_phone("无") == ""


# --- the letters ------------------------------------------------------------------------------

def test_letters_six_to_a_sheet_each_with_its_own_link_as_a_qr_code(db):
    enterprises = make_world(db, enterprises=8)
    result = reminders.send_reminders(db, ADMIN_ACTOR, reminders.LETTER)  # letters need no phone
    assert len(result.sent) == 8
    sheets = result.file.split('<div class="sheet">')[1:]
    assert [sheet.count('<section class="slip reminder"') for sheet in sheets] == [6, 2]
    letters = dict(re.findall(r'<section class="slip reminder" data-uscc="([^"]+)">(.*?)</section>', result.file, re.S))
    assert set(letters) == {e.id for e in enterprises}
    for reminder in result.sent[:2]:  # decoding is slow: two are enough
        letter = letters[reminder.uscc]
        svg = re.search(r"<svg.*?</svg>", letter, re.S).group(0)
        assert decode_qr(svg) == [reminder.link]
        assert reminder.code in letter and "原信函或短信中的访问码已停用" in letter
        assert "评议轮次：2026年第四季度" in letter and "截止日期：2099年12月31日24时" in letter
        assert "试用" not in letter


def test_letters_escape_names_and_say_trial_while_the_link_leads_here(db, monkeypatch):
    enterprises = make_world(db, enterprises=1)
    db["enterprises"].update(enterprises[0].id, {"name": "<script>alert(1)</script>"})
    monkeypatch.setenv("QIPING_BASE_URL", "http://localhost:8501")
    result = reminders.send_reminders(db, ADMIN_ACTOR, reminders.LETTER, lang="en")
    assert "<script>alert" not in result.file and "&lt;script&gt;" in result.file
    assert "Trial" in result.file or "TRIAL" in result.file.upper()


# --- the gateway, end to end against a local HTTP server -------------------------------------------

def test_the_gateway_gets_one_json_post_per_enterprise_and_each_is_recorded(db, world, monkeypatch):
    with Gateway() as gateway:
        monkeypatch.setenv(reminders.WEBHOOK_ENV, gateway.url)
        monkeypatch.setenv(reminders.WEBHOOK_TOKEN_ENV, "s3cret")
        steps = []
        result = reminders.send_reminders(db, ADMIN_ACTOR, reminders.WEBHOOK,
                                          progress=lambda done, total: steps.append((done, total)))
    assert result.ok and len(result.sent) == 3 and result.no_phone == 1
    assert steps == [(n, 6) for n in range(1, 7)]  # three codes made, then three messages sent
    assert result.message("zh").startswith("网关已接收 3 家企业的提醒。")
    assert sorted(body["to"] for body in gateway.received) == ["13800000002", "13800000003", "13800000004"]
    for body, headers in zip(gateway.received, gateway.headers):
        assert set(body) == {"to", "name", "text", "link", "round", "enterprise", "kind"}
        assert body["round"] == "2026Q4" and body["link"] in body["text"]
        assert headers["Authorization"] == "Bearer s3cret"
        assert headers["Content-Type"].startswith("application/json")
        assert signs_in(db, LINK.search(body["link"]).group(1))  # the code it carries is in force
    assert [row["channel"] for row in reminder_rows(db)] == ["webhook"] * 3


def test_a_failing_gateway_is_named_and_nothing_is_recorded_for_what_failed(db, world, monkeypatch):
    old_codes = {uscc: accounts.issue_access_code(db, ADMIN_ACTOR, uscc) for uscc in world[1:4]}
    # accepts the first message, then fails with 503
    with Gateway(status=lambda n: 200 if n == 1 else 503) as gateway:
        monkeypatch.setenv(reminders.WEBHOOK_ENV, gateway.url)
        result = reminders.send_reminders(db, ADMIN_ACTOR, reminders.WEBHOOK)
    assert len(gateway.received) == 2  # it stopped at the fault, not trying the third
    assert not result.ok and len(result.sent) == 1 and result.failed == 1 and result.not_attempted == 1
    message = result.message("zh")
    assert "网关返回错误 503" in message and "1 家发送失败、1 家未尝试" in message and "原访问码仍然有效" in message
    assert "error 503" in result.message("en")
    (sent,) = result.sent
    assert [row["enterprise"] for row in reminder_rows(db)] == [sent.uscc]
    for uscc, old in old_codes.items():
        assert signs_in(db, old) == (uscc != sent.uscc)  # the failed ones keep their working code
    summary = json.loads(db.execute("SELECT detail FROM audit_log WHERE action = 'reminders.sent'").fetchone()[0])
    assert (summary["sent"], summary["failed"], summary["not_attempted"]) == (1, 1, 1)
    # the failed ones are not "reminded today": tried again once the gateway works
    with Gateway() as gateway:
        monkeypatch.setenv(reminders.WEBHOOK_ENV, gateway.url)
        again = reminders.send_reminders(db, ADMIN_ACTOR, reminders.WEBHOOK)
    assert len(again.sent) == 2 and again.skipped_today == 1 and again.ok


def test_a_gateway_that_does_not_answer_in_time_stops_the_batch(db, world, monkeypatch):
    monkeypatch.setenv(reminders.WEBHOOK_TIMEOUT_ENV, "0.3")
    with Gateway(delay=1.5) as gateway:
        monkeypatch.setenv(reminders.WEBHOOK_ENV, gateway.url)
        started = time.monotonic()
        result = reminders.send_reminders(db, ADMIN_ACTOR, reminders.WEBHOOK)
        elapsed = time.monotonic() - started
    assert elapsed < 1.4  # one timeout, not one per enterprise
    assert result.sent == [] and result.failed == 1 and result.not_attempted == 2
    assert "网关 0.3 秒内没有应答" in result.message("zh")
    assert reminder_rows(db) == []


def test_an_unreachable_gateway_is_named(db, world, monkeypatch):
    gateway = Gateway()  # bound, never served, then closed: nothing listens on its port
    gateway.server.server_close()
    monkeypatch.setenv(reminders.WEBHOOK_ENV, gateway.url)
    result = reminders.send_reminders(db, ADMIN_ACTOR, reminders.WEBHOOK)
    assert result.sent == [] and result.failed + result.not_attempted == 3
    assert "无法连接网关" in result.message("zh") and reminder_rows(db) == []


def test_a_message_the_gateway_refuses_is_counted_and_the_rest_go_on(db, world, monkeypatch):
    with Gateway(status=lambda n: 422 if n == 2 else 200) as gateway:
        monkeypatch.setenv(reminders.WEBHOOK_ENV, gateway.url)
        result = reminders.send_reminders(db, ADMIN_ACTOR, reminders.WEBHOOK)
    refused = gateway.received[1]["name"]
    assert len(result.sent) == 2 and result.failed == 1 and result.not_attempted == 0
    assert f"网关拒收了发给“{refused}”的提醒（422）" in result.message("zh")
    assert refused not in {r.name for r in result.sent} and len(reminder_rows(db)) == 2


def test_the_gateway_must_be_configured_and_links_must_lead_out(db, world, monkeypatch):
    before = dump(db)
    with pytest.raises(InvalidInput) as missing:
        reminders.send_reminders(db, ADMIN_ACTOR, reminders.WEBHOOK)
    assert "QIPING_REMINDER_WEBHOOK" in missing.value.message("en")
    monkeypatch.setenv(reminders.WEBHOOK_ENV, "ftp://gateway")
    with pytest.raises(InvalidInput, match="ftp://gateway"):
        reminders.send_reminders(db, ADMIN_ACTOR, reminders.WEBHOOK)
    monkeypatch.setenv(reminders.WEBHOOK_ENV, "https://sms.example.gov.cn/send")
    monkeypatch.setenv("QIPING_BASE_URL", "http://127.0.0.1:8501")
    with pytest.raises(InvalidInput) as loopback:
        reminders.send_reminders(db, ADMIN_ACTOR, reminders.WEBHOOK)
    assert "127.0.0.1:8501" in loopback.value.message("zh")
    assert dump(db) == before
