"""Staff accounts and enterprise access codes kept by the administrator, the
printable code slips, and the accounts page."""
import json
from pathlib import Path

import pytest

from conftest import ADMIN_ACTOR, AGENCY_ACTOR, DISCIPLINE_ACTOR, dump, enterprise_actor, open_page
from surveys.reports import access_slips
from surveys.participants import accounts
from surveys.participants import roster_admin
from surveys.reports.access_slips import IssuedCode
from surveys.core.actors import ADMIN, Actor
from surveys.core.errors import InvalidInput, NotFound, PermissionDenied, SignInRefused
from surveys.participants.uscc import make_uscc

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "admin" / "accounts_admin.py")
NOT_ADMIN = [AGENCY_ACTOR, DISCIPLINE_ACTOR, enterprise_actor(make_uscc("91511022MA0000001"))]
PASSWORD = "initial password"
HOSTILE = "<script>alert(1)</script>"


def actions(db):
    return [r[0] for r in db.execute("SELECT action FROM audit_log ORDER BY id")]


@pytest.fixture
def admins(db, world):
    """Two administrators, 'admin' and 'boss', and a discipline account."""
    accounts.create_staff(db, ADMIN_ACTOR, "admin", PASSWORD, "admin")
    accounts.create_staff(db, ADMIN_ACTOR, "boss", PASSWORD, "admin", display_name="Boss")
    accounts.create_staff(db, ADMIN_ACTOR, "jiwei", PASSWORD, "discipline")
    return Actor(role=ADMIN, id="boss", name="Boss")


# --- creating accounts ----------------------------------------------------------------

def test_admin_creates_an_agency_account_that_signs_in(db, world):
    accounts.create_staff(db, ADMIN_ACTOR, " Zhang.Wei ", PASSWORD, "agency", "FGW", "张伟")
    who = accounts.sign_in_staff(db, "zhang.wei", PASSWORD, "client-a")
    assert (who.role, who.agency_code, who.name) == ("agency", "FGW", "张伟")
    listed = accounts.list_staff(db, ADMIN_ACTOR)
    assert listed == [{"username": "zhang.wei", "display_name": "张伟", "role": "agency",
                       "agency_code": "FGW", "active": 1}]


@pytest.mark.parametrize("username, role, agency, display, key", [
    ("", "admin", None, "", "roster_admin.staff.bad_username"),
    ("zhang wei", "admin", None, "", "roster_admin.staff.bad_username"),
    ("张伟", "admin", None, "", "roster_admin.staff.bad_username"),
    ("x" * 33, "admin", None, "", "roster_admin.staff.bad_username"),
    ("fgw\n", "agency", "NOPE", "", "roster_admin.staff.agency_unknown"),
    ("fgw", "agency", None, "", "accounts.agency_needed"),
    ("jw", "discipline", "FGW", "", "accounts.agency_needed"),
    ("boss", "chief", None, "", "accounts.unknown_role"),
    ("boss", "admin", None, "a\tb", "roster_admin.control_character"),
])
def test_bad_account_input_is_refused_and_stores_nothing(db, world, username, role, agency, display, key):
    before = dump(db)
    with pytest.raises(InvalidInput) as caught:
        accounts.create_staff(db, ADMIN_ACTOR, username, PASSWORD, role, agency, display)
    assert caught.value.key == key
    assert dump(db) == before


def test_no_account_for_a_deactivated_agency(db, world):
    roster_admin.set_agency_active(db, ADMIN_ACTOR, "FGW", False)
    with pytest.raises(InvalidInput) as caught:
        accounts.create_staff(db, ADMIN_ACTOR, "fgw", PASSWORD, "agency", "FGW")
    assert "“所属部门”" in caught.value.message("zh")


def test_a_username_is_used_once(db, admins):
    with pytest.raises(InvalidInput) as caught:
        accounts.create_staff(db, ADMIN_ACTOR, "BOSS", PASSWORD, "discipline")
    assert caught.value.key == "accounts.username_taken"


# --- resetting a password --------------------------------------------------------------

def test_reset_password_replaces_the_old_one_and_lifts_a_lock(db, admins):
    for _ in range(5):
        with pytest.raises(SignInRefused):
            accounts.sign_in_staff(db, "jiwei", "wrong", "client-a")
    accounts.reset_password(db, admins, "jiwei", "a brand new password")
    assert accounts.sign_in_staff(db, "jiwei", "a brand new password", "client-a").role == "discipline"
    with pytest.raises(SignInRefused):
        accounts.sign_in_staff(db, "jiwei", PASSWORD, "client-a")
    assert "staff.password_reset" in actions(db)
    assert "a brand new password" not in "\n".join(dump(db))


def test_reset_refuses_a_short_password_and_an_unknown_account(db, admins):
    before = dump(db)
    with pytest.raises(InvalidInput) as caught:
        accounts.reset_password(db, admins, "jiwei", "short")
    assert caught.value.key == "accounts.password_too_short"
    with pytest.raises(NotFound):
        accounts.reset_password(db, admins, "nobody", "long enough password")
    assert dump(db) == before


# --- deactivating accounts --------------------------------------------------------------

def test_a_deactivated_account_cannot_sign_in_until_reactivated(db, admins):
    accounts.set_staff_active(db, admins, "jiwei", False)
    with pytest.raises(SignInRefused):
        accounts.sign_in_staff(db, "jiwei", PASSWORD, "client-a")
    with pytest.raises(InvalidInput) as caught:
        accounts.set_staff_active(db, admins, "jiwei", False)
    assert caught.value.key == "roster_admin.staff.already_inactive"
    accounts.set_staff_active(db, admins, "jiwei", True)
    assert accounts.sign_in_staff(db, "jiwei", PASSWORD, "client-a").id == "jiwei"
    assert [a for a in actions(db) if a.startswith("staff.")][-2:] == ["staff.deactivated", "staff.reactivated"]


def test_an_administrator_cannot_deactivate_themself(db, admins):
    before = dump(db)
    with pytest.raises(InvalidInput) as caught:
        accounts.set_staff_active(db, admins, "boss", False)
    assert caught.value.key == "roster_admin.staff.cannot_deactivate_self"
    assert dump(db) == before


def test_the_last_active_administrator_is_never_deactivated(db, admins):
    accounts.set_staff_active(db, admins, "admin", False)  # one other remains: fine
    # a session of 'admin' still open from before tries to remove 'boss', the last one
    stale = Actor(role=ADMIN, id="admin")
    before = dump(db)
    with pytest.raises(InvalidInput) as caught:
        accounts.set_staff_active(db, stale, "boss", False)
    assert caught.value.key == "roster_admin.staff.last_admin"
    assert "最后一个在用的管理员" in caught.value.message("zh")
    assert dump(db) == before


STAFF_OPERATIONS = [
    (accounts.list_staff, ()),
    (accounts.create_staff, ("new", PASSWORD, "discipline")),
    (accounts.reset_password, ("jiwei", "long enough password")),
    (accounts.set_staff_active, ("jiwei", False)),
    (accounts.issue_access_code, (None,)),
    (access_slips.issue_access_codes, ("all",)),
    (access_slips.code_counts, ()),
]


@pytest.mark.parametrize("who", NOT_ADMIN, ids=lambda a: a.role)
@pytest.mark.parametrize("operation, args", STAFF_OPERATIONS, ids=lambda o: getattr(o, "__name__", ""))
def test_only_an_administrator_may_keep_accounts_and_codes(db, admins, world, who, operation, args):
    args = tuple(world[0].id if a is None else a for a in args)
    before = dump(db)
    with pytest.raises(PermissionDenied):
        operation(db, who, *args)
    assert dump(db) == before


# --- access codes ----------------------------------------------------------------------

def test_bulk_issue_for_those_without_a_code_leaves_the_others_alone(db, world):
    old = accounts.issue_access_code(db, ADMIN_ACTOR, world[0].id)
    roster_admin.set_enterprise_active(db, ADMIN_ACTOR, world[2].id, False)
    seen = []
    issued = access_slips.issue_access_codes(db, ADMIN_ACTOR, "missing", progress=lambda d, t: seen.append((d, t)))
    assert [i.uscc for i in issued] == [world[1].id]  # not the one with a code, not the deactivated one
    assert seen == [(1, 1)]
    assert accounts.sign_in_enterprise(db, old, "c").id == world[0].id
    assert accounts.sign_in_enterprise(db, issued[0].code, "c").id == world[1].id
    assert access_slips.code_counts(db, ADMIN_ACTOR) == {"active": 2, "with_code": 2, "without_code": 0}
    assert access_slips.issue_access_codes(db, ADMIN_ACTOR, "missing") == []


def test_rotating_every_code_stops_the_old_ones(db, world):
    first = {i.uscc: i.code for i in access_slips.issue_access_codes(db, ADMIN_ACTOR, "all")}
    second = {i.uscc: i.code for i in access_slips.issue_access_codes(db, ADMIN_ACTOR, "all")}
    assert set(first) == set(second) == {w.id for w in world}
    for uscc in first:
        assert first[uscc] != second[uscc]
        assert accounts.sign_in_enterprise(db, second[uscc], "c").id == uscc
        with pytest.raises(SignInRefused):
            accounts.sign_in_enterprise(db, first[uscc], "other-client-" + uscc)


def test_issuing_is_audited_without_any_code(db, world):
    accounts.issue_access_code(db, ADMIN_ACTOR, world[0].id)
    issued = access_slips.issue_access_codes(db, ADMIN_ACTOR, "all")
    log = list(db.query("SELECT action, target, detail FROM audit_log WHERE action LIKE '%access_code%'"))
    per_enterprise = [json.loads(r["detail"]) for r in log if r["action"] == "enterprise.access_code_issued"][1:]
    assert [d["replaced"] for d in per_enterprise] == [True, False, False]
    assert log[-1]["action"] == "enterprises.access_codes_issued" and json.loads(log[-1]["detail"]) == {"count": 3}
    everything = "\n".join(dump(db))
    assert not any(i.code in everything for i in issued)


def test_an_unknown_scope_is_refused(db, world):
    with pytest.raises(InvalidInput) as caught:
        access_slips.issue_access_codes(db, ADMIN_ACTOR, "some")
    assert "some" in caught.value.message("en")


def test_a_deactivated_enterprise_gets_no_code_and_cannot_sign_in(db, world):
    code = accounts.issue_access_code(db, ADMIN_ACTOR, world[0].id)
    roster_admin.set_enterprise_active(db, ADMIN_ACTOR, world[0].id, False)
    assert world[0].id not in [i.uscc for i in access_slips.issue_access_codes(db, ADMIN_ACTOR, "all")]
    with pytest.raises(SignInRefused):
        accounts.sign_in_enterprise(db, code, "c")


# --- the slips -------------------------------------------------------------------------

def test_slips_hold_each_code_and_link(monkeypatch):
    monkeypatch.setenv("QIPING_BASE_URL", "https://qiping.example.gov.cn/")
    issued = [IssuedCode(make_uscc("91511022MA0000001"), "青川县金山建材有限公司", "QP-AAAAA-BBBBB-CCCCC"),
              IssuedCode(make_uscc("91511022MA0000002"), "青川县白云食品有限公司", "QP-DDDDD-EEEEE-FFFFF")]
    sheet = access_slips.render_slips(issued, access_slips.LetterDetails(round_label="2026年第四季度"))
    assert sheet.count('<section class="slip"') == 2
    assert "size: A4" in sheet and '<meta charset="utf-8">' in sheet
    for entry in issued:
        assert entry.code in sheet and entry.uscc in sheet and entry.name in sheet
        assert f'href="https://qiping.example.gov.cn/?code={entry.code}"' in sheet
    assert "参加2026年第四季度的评议" in sheet and "访问码" in sheet


def test_default_link_points_at_the_local_app(monkeypatch):
    monkeypatch.delenv("QIPING_BASE_URL", raising=False)
    assert access_slips.sign_in_link("QP-A") == "http://localhost:8501/?code=QP-A"


def test_slips_escape_a_hostile_enterprise_name():
    sheet = access_slips.render_slips([IssuedCode(make_uscc("91511022MA0000001"), HOSTILE + '" onload="x', "QP-X")],
                                      None, "en", base="https://a.example")
    assert "<script>" not in sheet and HOSTILE not in sheet
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot; onload=&quot;x" in sheet
    assert "Round" not in sheet  # no round chosen: none named


# --- the page ----------------------------------------------------------------------------

@pytest.fixture
def page(demo_path, monkeypatch):
    return open_page(PAGE, demo_path, monkeypatch, timeout=60)


def test_page_creates_an_agency_account_that_signs_in(page, demo_db):
    assert page.title[0].value == "账户与访问码"
    page.radio(key="new_staff_role").set_value("agency").run()
    page.text_input(key="new_staff_username").input("fgw2")
    page.text_input(key="new_staff_display").input("发改委二号")
    page.selectbox(key="new_staff_agency").select("SCJG")
    page.text_input(key="new_staff_pw").input(PASSWORD)
    page.text_input(key="new_staff_pw2").input(PASSWORD)
    next(b for b in page.button if b.label == "新建账户").click().run()
    assert not page.exception and any("已新建账户 fgw2" in s.value for s in page.success)
    who = accounts.sign_in_staff(demo_db, "fgw2", PASSWORD, "client-a")
    assert (who.role, who.agency_code) == ("agency", "SCJG")


def test_page_resets_a_password_and_deactivates_an_account(page, demo_db):
    page.selectbox(key="staff_chosen").select("fgw").run()
    page.text_input(key="reset_fgw_pw").input("another password")
    page.text_input(key="reset_fgw_pw2").input("another password")
    next(b for b in page.button if b.label == "重设密码").click().run()
    assert accounts.sign_in_staff(demo_db, "fgw", "another password", "client-a").id == "fgw"
    page.checkbox(key="confirm_off_staff_fgw").check().run()
    page.button(key="off_staff_fgw").click().run()
    with pytest.raises(SignInRefused):
        accounts.sign_in_staff(demo_db, "fgw", "another password", "client-a")


def test_page_never_offers_to_deactivate_yourself(page):
    page.selectbox(key="staff_chosen").select("admin").run()
    assert any("您自己正在使用的账户" in c.value for c in page.caption)
    assert not any(b.key == "off_staff_admin" for b in page.button)


def test_page_rotates_all_codes_and_offers_the_sheet_once(page, demo_db):
    page.radio(key="code_scope").set_value("all").run()
    assert not any(b.key == "issue_many" for b in page.button)  # not before the confirmation
    page.checkbox(key="confirm_rotate_all").check().run()
    page.button(key="issue_many").click().run()
    assert not page.exception
    assert "已发放 320 个访问码。" in [s.value for s in page.success]  # deputies and supervisors get slips too
    assert any("无法再次显示" in w.value for w in page.warning)
    sheet = page.session_state["issued_sheet"]["html"]
    assert sheet.count('<section class="slip"') == 320 and "2026年第四季度" in sheet
    with pytest.raises(SignInRefused):
        accounts.sign_in_enterprise(demo_db, "QP-DEMO-0001", "c")
    first_code = sheet.split('<span class="code">')[1].split("<")[0]
    assert accounts.sign_in_enterprise(demo_db, first_code, "c").role == "enterprise"
    page.button(key="clear_sheet").click().run()
    assert "issued_sheet" not in page.session_state


def test_page_issues_one_code_and_shows_it_with_its_link(page, demo_db):
    uscc, name = demo_db.execute("SELECT uscc, name FROM enterprises ORDER BY uscc LIMIT 1").fetchone()
    page.text_input(key="code_query").input(name).run()
    assert page.selectbox(key="code_enterprise").value == uscc
    page.checkbox(key=f"confirm_rotate_{uscc}").check().run()
    page.button(key="issue_one").click().run()
    code = page.code[0].value
    assert page.code[1].value == f"http://localhost:8501/?code={code}"
    assert accounts.sign_in_enterprise(demo_db, code, "c").id == uscc


def test_page_issues_codes_only_to_enterprises_without_one(page, demo_db):
    assert page.button(key="issue_many").disabled  # every demo enterprise has a code
    roster_admin.add_enterprise(demo_db, ADMIN_ACTOR, make_uscc("91511022MA9999991"), HOSTILE)
    page.run()
    page.button(key="issue_many").click().run()
    sheet = page.session_state["issued_sheet"]["html"]
    assert sheet.count('<section class="slip"') == 1 and HOSTILE not in sheet
    assert accounts.sign_in_enterprise(demo_db, "QP-DEMO-0001", "c").role == "enterprise"  # others untouched


def test_page_in_english_shows_no_raw_catalogue_keys(demo_path, monkeypatch):
    at = open_page(PAGE, demo_path, monkeypatch, timeout=60, lang="en")
    shown = [e.value for kind in ("title", "caption", "info", "markdown") for e in at.get(kind)]
    shown += [w.label for w in (*at.button, *at.checkbox, *at.text_input, *at.selectbox, *at.radio)]
    assert at.title[0].value == "Accounts and access codes"
    assert not [s for s in shown if "roster_admin." in str(s)]


def test_still_active_tells_an_open_session_its_account_was_deactivated(db, admins, world):
    jiwei = accounts.sign_in_staff(db, "jiwei", PASSWORD, "client-a")
    assert accounts.still_active(db, jiwei) and accounts.still_active(db, world[0])
    accounts.set_staff_active(db, admins, "jiwei", False)
    roster_admin.set_enterprise_active(db, admins, world[0].id, False)
    assert not accounts.still_active(db, jiwei) and not accounts.still_active(db, world[0])
    assert not accounts.still_active(db, Actor(role=ADMIN, id="nobody"))
