"""The pages through Streamlit's AppTest: sign-in, navigation by role, the survey."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from surveys.participants import accounts
from surveys.core import clock
from surveys.storage.db import connect

TIMEOUT = 60
APP = str(Path(__file__).resolve().parents[2] / "streamlit_app.py")


@pytest.fixture
def app(demo_path, monkeypatch, loopback):
    monkeypatch.setenv("QIPING_DB", str(demo_path))
    monkeypatch.setenv("QIPING_DEMO", "1")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception
    return at


def texts(at) -> str:
    parts = [e.value for kind in ("title", "subheader", "markdown", "caption", "info", "success", "error",
                                  "warning", "text") for e in at.get(kind)]
    return "\n".join(str(p) for p in parts)


def button(at, label):
    return next(b for b in at.button if b.label == label)


def sign_in_enterprise(at, code):
    at.text_input[0].input(code)
    button(at, "登录").click()
    at.run()


def sign_in_staff(at, username, password):
    at.text_input[1].input(username)
    at.text_input[2].input(password)
    [b for b in at.button if b.label == "登录"][1].click()
    at.run()


def test_sign_in_page_explains_and_shows_demo_accounts(app):
    assert app.title[0].value == "企评 · 营商环境评议"
    demo_table = app.dataframe[0].value
    assert "qiping-admin" in demo_table.to_string()


def test_demo_accounts_are_hidden_outside_demo_mode(demo_path, monkeypatch):
    monkeypatch.setenv("QIPING_DB", str(demo_path))
    monkeypatch.setenv("QIPING_DEMO", "0")
    at = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    assert not at.dataframe and "qiping-admin" not in texts(at)


def test_enterprise_rates_an_agency_and_revises_it(app, demo_path):
    sign_in_enterprise(app, "QP-DEMO-0001")
    assert "2026年第四季度行政效能评议" in texts(app)
    assert "被评部门永远看不到是哪家企业作出的评价" in texts(app)
    app.pills(key="chosen_agencies").set_value(["FGW", "SCJG"]).run()
    app.button(key="start_rating").click().run()
    assert app.progress[0].value == 0
    for radio in app.radio:
        radio.set_value(4)
    app.text_area[0].input("办事快")
    button(app, "保存此部门的评价").click()
    app.run()
    assert not app.exception
    assert any("已保存" in s.value for s in app.success)
    assert "已评价 1 / 已选择 2" in app.progress[0].proto.text

    db = connect(demo_path)
    uscc = db.execute("SELECT enterprise FROM responses WHERE round='2026Q4' AND comment='办事快'").fetchone()[0]
    saved_agency = db.execute("SELECT agency FROM responses WHERE enterprise = ? AND round='2026Q4'",
                              [uscc]).fetchone()[0]
    # the form moves on to the agency still to do; going back shows the saved answer for revision
    app.selectbox[0].set_value(saved_agency).run()
    assert all(r.value == 4 for r in app.radio)
    app.radio[0].set_value(1)
    button(app, "保存修改").click()
    app.run()
    assert any("已修改" in s.value for s in app.success)
    row = db.execute("SELECT revision FROM responses WHERE round = '2026Q4' AND enterprise = ? AND agency = ?",
                     [uscc, saved_agency])
    assert row.fetchone()[0] == 2
    ratings = dict(db.execute("SELECT item, rating FROM response_ratings rr JOIN responses r ON r.id = rr.response_id"
                              " WHERE r.round = '2026Q4' AND r.enterprise = ? AND r.agency = ?",
                              [uscc, saved_agency]))
    assert ratings["efficiency"] == 1 and ratings["attitude"] == 4


def test_incomplete_form_is_not_saved(app, demo_path):
    sign_in_enterprise(app, "QP-DEMO-0002")
    app.pills(key="chosen_agencies").set_value(["FGW"]).run()
    app.button(key="start_rating").click().run()
    app.radio[0].set_value(5)
    button(app, "保存此部门的评价").click()
    app.run()
    assert any("还有指标未评价" in e.value for e in app.error)
    db = connect(demo_path)
    uscc = accounts.sign_in_enterprise(db, "QP-DEMO-0002", "test").id
    assert db.execute("SELECT count(*) FROM responses WHERE round = '2026Q4' AND enterprise = ?",
                      [uscc]).fetchone()[0] == 0


def test_code_in_the_link_signs_in(demo_path, monkeypatch):
    monkeypatch.setenv("QIPING_DB", str(demo_path))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.query_params["code"] = "QP-DEMO-0005"
    at.run()
    assert "2026年第四季度行政效能评议" in texts(at)


def test_english_is_one_click_away(app):
    app.sidebar.get("button_group")[0].set_value("en").run()
    assert app.title[0].value == "Qiping · business environment evaluation"
    sign_in_enterprise_en = next(b for b in app.button if b.label == "Sign in")
    app.text_input[0].input("QP-DEMO-0006")
    sign_in_enterprise_en.click()
    app.run()
    assert "2026 Q4 administrative efficiency evaluation" in texts(app)
    assert "never learns which enterprise rated it" in texts(app)


def test_sixth_wrong_code_is_refused_with_the_lock_message(app):
    for attempt in range(5):
        sign_in_enterprise(app, f"QP-WRONG-{attempt}")
    sign_in_enterprise(app, "QP-DEMO-0007")
    assert any("锁定 15 分钟" in e.value for e in app.error)
    assert "行政效能评议" not in texts(app)


def test_each_role_gets_its_own_pages(app, demo_path, monkeypatch):
    sign_in_staff(app, "admin", "qiping-admin")
    assert app.title[0].value == "评议轮次"
    agency = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    sign_in_staff(agency, "fgw", "qiping-agency")
    assert agency.title[0].value == "部门评议结果"  # an agency lands on its own results
    with pytest.raises(ValueError, match="Could not find a navigation page") as refused:
        agency.switch_page("app_pages/admin/rounds_admin.py")  # not in an agency's navigation at all
    assert "agency_dashboard.py" in str(refused.value) and "rounds_admin" not in str(refused.value).split("Known")[1]


def test_administrator_closes_the_round_and_the_survey_says_so(app, demo_path):
    sign_in_staff(app, "admin", "qiping-admin")
    app.checkbox[0].check().run()
    button(app, "截止评议").click()
    app.run()
    assert any("已截止" in s.value for s in app.success)
    enterprise = AppTest.from_file(APP, default_timeout=TIMEOUT).run()
    sign_in_enterprise(enterprise, "QP-DEMO-0008")
    assert any("没有正在进行的评议" in i.value for i in enterprise.info)


def test_idle_session_is_signed_out(app):
    sign_in_enterprise(app, "QP-DEMO-0009")
    app.session_state["last_seen"] = clock.now().timestamp() - 31 * 60  # the clock the app reads
    app.run()
    assert any("长时间未操作" in i.value for i in app.info)
    assert app.title[0].value == "企评 · 营商环境评议"


def test_sign_out(app):
    sign_in_enterprise(app, "QP-DEMO-0010")
    button(app, "退出登录").click()
    app.run()
    assert app.title[0].value == "企评 · 营商环境评议"


def test_a_deactivated_account_is_signed_out_at_its_next_click(app, demo_path):
    sign_in_staff(app, "fgw", "qiping-agency")
    assert app.title[0].value != "企评 · 营商环境评议"
    connect(demo_path).execute("UPDATE staff SET active = 0 WHERE username = 'fgw'")
    app.run()
    assert any("已被停用" in i.value for i in app.info)
    assert app.title[0].value == "企评 · 营商环境评议"


def test_last_save_reaches_the_done_state_and_a_problem_opens_with_its_agency(app, demo_path):
    sign_in_enterprise(app, "QP-DEMO-0003")
    app.pills(key="chosen_agencies").set_value(["FGW"]).run()
    assert not app.radio  # the picker stays until the enterprise says it has chosen
    app.button(key="start_rating").click().run()
    for radio in app.radio:
        radio.set_value(4)
    button(app, "保存此部门的评价").click()
    app.run()
    assert [s.value for s in app.success] == ["已保存对“县发展改革委”的评价。", "全部完成，谢谢！"]
    assert not app.radio  # the done state: a summary, no form
    assert "办理时效 满意" in texts(app)
    app.button(key="revise_FGW").click().run()
    assert [r.value for r in app.radio] == [4] * len(app.radio)
    app.button(key="problem_FGW").click().run()
    assert app.title[0].value == "问题反映"
    assert app.selectbox(key="problem_agency").value == "FGW"  # the agency the survey named


def test_history_is_one_card_per_agency_not_a_wide_table(app, demo_path):
    sign_in_enterprise(app, "QP-DEMO-0011")
    app.switch_page("app_pages/enterprise/my_history.py").run()
    assert app.title[0].value == "我的历史评价"
    assert not app.dataframe  # seven columns showed two on a phone
    lines = [t.value for t in app.text]
    assert any(line.startswith("办理时效: ") and "便利程度: " in line for line in lines)
    import labels
    from surveys.collection import responses

    past = responses.my_past_ratings(connect(demo_path), app.session_state["actor"])
    latest_first = sorted({p["round"] for p in past}, reverse=True)
    count = {name: sum(p["round"] == name for p in past) for name in latest_first}
    assert [e.label for e in app.expander] == [f"{labels.round_label(name, 'zh')} · {count[name]} 个部门"
                                               for name in latest_first]  # one per round, the latest first
