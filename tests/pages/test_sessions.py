"""Sessions through Streamlit's AppTest: the letter's link, the idle time-out,
credentials changed under an open session, and the demo banner."""
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import i18n
from surveys.core import clock

TIMEOUT = 60
APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")
T0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)
SIGN_IN_TITLE = "企评 · 营商环境评议"
SURVEY_TITLE = "2026年第四季度行政效能评议"


@pytest.fixture
def county(demo_path, monkeypatch):
    monkeypatch.setenv("QIPING_DB", str(demo_path))
    return demo_path


def texts(at) -> str:
    parts = [e.value for kind in ("title", "subheader", "markdown", "caption", "info", "success", "error",
                                  "warning", "text") for e in at.get(kind)]
    return "\n".join(str(p) for p in parts)


def signed_in(at) -> bool:
    return any(b.label == "退出登录" for b in at.sidebar.button)


def open_link(code: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["code"] = code
    at.run()
    assert not at.exception
    return at


# --- the letter's link ------------------------------------------------------------

def test_link_sign_in_takes_the_code_out_of_the_address(county):
    at = open_link("QP-DEMO-0011")
    assert SURVEY_TITLE in texts(at) and signed_in(at)
    assert "code" not in at.query_params


def test_sign_out_after_a_link_sign_in_stays_signed_out(county):
    at = open_link("QP-DEMO-0012")
    next(b for b in at.sidebar.button if b.label == "退出登录").click()
    at.run()
    at.run()  # another click on the sign-in page
    assert at.title[0].value == SIGN_IN_TITLE and not signed_in(at)
    assert SURVEY_TITLE not in texts(at)
    at.query_params["code"] = "QP-DEMO-0012"  # the browser's Back button: the letter's address again
    at.run()
    assert not signed_in(at) and "code" not in at.query_params


def test_idle_time_out_after_a_link_sign_in_is_for_good(county, monkeypatch):
    monkeypatch.setenv("QIPING_SESSION_MINUTES", "5")
    clock.freeze(T0)
    at = open_link("QP-DEMO-0013")
    assert signed_in(at)
    clock.freeze(T0 + timedelta(minutes=4))
    at.run()
    assert signed_in(at)  # four minutes idle: still signed in
    clock.freeze(T0 + timedelta(minutes=10))
    at.run()
    assert any("长时间未操作" in i.value for i in at.info)
    assert at.title[0].value == SIGN_IN_TITLE and not signed_in(at)
    at.run()
    assert not signed_in(at) and SURVEY_TITLE not in texts(at)


# --- a credential changed under an open session ----------------------------------

def sign_in_staff(username: str, password: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    at.text_input[1].input(username)
    at.text_input[2].input(password)
    [b for b in at.button if b.label == "登录"][1].click()
    at.run()
    assert signed_in(at)
    return at


def assert_signed_out_for_new_credential(at) -> None:
    assert any("密码或访问码已更换" in i.value for i in at.info), texts(at)
    assert at.title[0].value == SIGN_IN_TITLE and not signed_in(at)


def test_a_new_access_code_ends_the_session_opened_with_the_old_one(county):
    from conftest import ADMIN_ACTOR
    from surveys.participants import accounts
    from surveys.storage.db import connect

    at = open_link("QP-DEMO-0016")
    uscc = at.session_state["actor"].id
    at.run()
    assert signed_in(at)  # a click without a change: still signed in
    accounts.issue_access_code(connect(county), ADMIN_ACTOR, uscc)
    at.run()
    assert_signed_out_for_new_credential(at)


def test_a_password_reset_ends_the_staff_members_open_session(county):
    from conftest import ADMIN_ACTOR
    from surveys.participants import accounts
    from surveys.storage.db import connect

    at = sign_in_staff("fgw", "qiping-agency")
    accounts.reset_password(connect(county), ADMIN_ACTOR, "fgw", "a brand new password")
    at.run()
    assert_signed_out_for_new_credential(at)


def test_changing_ones_own_password_ends_the_other_sessions_only(county):
    here = sign_in_staff("scjg", "qiping-agency")
    elsewhere = sign_in_staff("scjg", "qiping-agency")
    here.switch_page("app_pages/shared/account.py").run()
    old, new, again = here.text_input[0], here.text_input[1], here.text_input[2]
    old.input("qiping-agency")
    new.input("another good password")
    again.input("another good password")
    next(b for b in here.button if b.label == "修改密码").click()
    here.run()
    assert any("密码已修改" in s.value for s in here.success), texts(here)
    here.run()
    assert signed_in(here)
    elsewhere.run()
    assert_signed_out_for_new_credential(elsewhere)


# --- demo mode ----------------------------------------------------------------------

@pytest.fixture
def listening_on():
    """Set Streamlit's server.address for one test, as `streamlit run --server.address` would."""
    from streamlit import config

    previous = config.get_option("server.address")
    yield lambda address: config.set_option("server.address", address)
    config.set_option("server.address", previous)


def demo_app(monkeypatch, county, public: str | None = None) -> AppTest:
    monkeypatch.setenv("QIPING_DEMO", "1")
    if public is None:
        monkeypatch.delenv("QIPING_DEMO_PUBLIC", raising=False)
    else:
        monkeypatch.setenv("QIPING_DEMO_PUBLIC", public)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.exception
    return at


def banner(at) -> list[str]:
    return [w.value for w in at.warning if w.value.startswith(("演示模式", "Demo mode"))]


def test_the_demo_says_so_on_every_page_in_both_languages(county, monkeypatch, listening_on):
    listening_on("127.0.0.1")
    at = demo_app(monkeypatch, county)
    assert banner(at) == [i18n.t("demo_mode.banner", "zh")]
    at.text_input[1].input("admin")
    at.text_input[2].input("qiping-admin")
    [b for b in at.button if b.label == "登录"][1].click()
    at.run()
    assert at.title[0].value == "评议轮次" and banner(at) == [i18n.t("demo_mode.banner", "zh")]
    at.switch_page("app_pages/admin/audit_log.py").run()
    assert banner(at) == [i18n.t("demo_mode.banner", "zh")]
    at.sidebar.get("button_group")[0].set_value("en").run()
    assert banner(at) == [i18n.t("demo_mode.banner", "en")]


def test_a_real_deployment_has_no_demo_banner(county, monkeypatch, listening_on):
    listening_on("0.0.0.0")
    monkeypatch.setenv("QIPING_DEMO", "0")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert banner(at) == [] and not at.error
    assert at.title[0].value == SIGN_IN_TITLE


def test_the_demo_on_every_interface_serves_nothing_unless_allowed(county, monkeypatch, listening_on):
    listening_on(None)  # streamlit's default: every interface
    at = demo_app(monkeypatch, county)
    assert banner(at) and any("不对网络开放" in e.value for e in at.error)
    assert not at.text_input and not at.dataframe and "qiping-admin" not in texts(at)
    assert not at.title  # no sign-in page at all

    at = demo_app(monkeypatch, county, public="1")  # the operator said so
    assert banner(at) and not at.error
    assert at.title[0].value == SIGN_IN_TITLE and "qiping-admin" in at.dataframe[0].value.to_string()


def test_a_save_pressed_after_the_idle_time_out_stores_nothing_and_signs_out(county, monkeypatch, loopback):
    # Streamlit runs a button's callback before the script (and before the survey's fragment),
    # so the save callback itself must check the session, or an idle session could still write.
    monkeypatch.setenv("QIPING_SESSION_MINUTES", "5")
    clock.freeze(T0)
    at = open_link("QP-DEMO-0001")
    at.pills(key="chosen_agencies").set_value(["FGW"]).run()
    at.button(key="start_rating").click().run()
    for radio in at.radio:
        radio.set_value(4)
    at.text_area[0].input("离开十分钟后才按保存")
    clock.freeze(T0 + timedelta(minutes=10))
    next(b for b in at.button if b.label == i18n.t("survey.save")).click().run()
    assert not at.exception
    assert not signed_in(at) and any("长时间未操作" in i.value for i in at.info)
    from surveys.storage.db import connect
    conn = connect(county)
    assert conn.execute("SELECT count(*) FROM responses WHERE comment = ?", ["离开十分钟后才按保存"]).fetchone()[0] == 0
