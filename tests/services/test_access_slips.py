"""The access slips of the letters: a QR code of each enterprise's own sign-in link that a
decoder reads back, the round's closing date, the county's contact, six slips to an A4 sheet,
and the loud warning (page and slip) while the configured link still leads to this computer.
The QR codes are decoded with zxing-cpp, as a phone camera would read them."""
from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
import vl_convert
import zxingcpp
from PIL import Image
from streamlit.testing.v1 import AppTest

from conftest import ADMIN_ACTOR, AGENCY_ACTOR
from surveys.reports import access_slips
from surveys.participants import accounts
from surveys.reports.access_slips import IssuedCode, LetterDetails
from surveys.storage.db import connect
from surveys.core.errors import InvalidInput, PermissionDenied
from surveys.participants.uscc import make_uscc

PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "admin" / "accounts_admin.py")
PUBLIC = "https://qiping.example.gov.cn"
HOSTILE = "<script>alert(1)</script>"
SLIP = re.compile(r'<section class="slip" data-uscc="([^"]+)">(.*?)</section>', re.S)


def issued(count: int) -> list[IssuedCode]:
    return [IssuedCode(make_uscc(f"91511022MA{n:07d}"), f"青川县第{n}建材有限公司", f"QP-AAAAA-BBBBB-{n:05d}")
            for n in range(1, count + 1)]


def slips_of(sheet: str) -> dict[str, str]:
    """Each slip's HTML by the credit code it is for."""
    return dict(SLIP.findall(sheet))


def decode_qr(svg: str) -> list[str]:
    """What a QR decoder reads from the slip's SVG drawn as a picture (inline in HTML the SVG
    needs no namespace; drawn on its own, it does)."""
    standalone = svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    picture = Image.open(io.BytesIO(vl_convert.svg_to_png(standalone, scale=6)))
    return [found.text for found in zxingcpp.read_barcodes(picture)]


def demo_letter(demo_path, lang: str) -> LetterDetails:
    database = connect(demo_path)
    try:
        return access_slips.letter_details(database, "2026Q4", lang)
    finally:
        database.close()


# --- the sheet ------------------------------------------------------------------------------

def test_each_slips_qr_code_decodes_to_that_enterprises_own_link():
    entries = issued(3)
    slips = slips_of(access_slips.render_slips(entries, LetterDetails(), "zh", base=PUBLIC))
    for entry in entries:
        svg = re.search(r"<svg.*?</svg>", slips[entry.uscc], re.S).group(0)
        assert decode_qr(svg) == [f"{PUBLIC}/?code={entry.code}"]


def test_slips_give_the_round_its_closing_date_the_county_and_its_contact(demo_path):
    sheet = access_slips.render_slips(issued(2), demo_letter(demo_path, "zh"), "zh", base=PUBLIC)
    for slip in slips_of(sheet).values():
        assert "评议轮次：2026年第四季度" in slip and "截止日期：2026年12月31日24时" in slip
        assert "青川县营商环境评议" in slip and "县经济信息委 企业服务科 0839-7200000" in slip
    english = access_slips.render_slips(issued(1), demo_letter(demo_path, "en"), "en", base=PUBLIC)
    assert "Closes: 2026-12-31, midnight China time" in english and "Round: 2026 Q4" in english


def test_six_slips_to_each_a4_sheet_with_dashed_cut_lines():
    sheet = access_slips.render_slips(issued(14), LetterDetails(round_label="2026年第四季度"), "zh", base=PUBLIC)
    pages = sheet.split('<div class="sheet">')[1:]
    assert [page.count('<section class="slip"') for page in pages] == [6, 6, 2]
    assert "@page { size: A4" in sheet and re.search(r"\.slip \{[^}]*dashed", sheet)


def test_without_a_round_or_contact_the_slips_name_neither():
    slip = next(iter(slips_of(access_slips.render_slips(issued(1), None, "zh", base=PUBLIC)).values()))
    assert "评议轮次" not in slip and "截止日期" not in slip and 'class="contact"' not in slip


def test_names_county_and_contact_are_drawn_as_text():
    entry = IssuedCode(make_uscc("91511022MA0000001"), HOSTILE, "QP-X")
    details = LetterDetails("2026 Q4", "2026-12-31", HOSTILE, HOSTILE + '" onload="x')
    sheet = access_slips.render_slips([entry], details, "en", base=PUBLIC)
    assert "<script>" not in sheet and '" onload="' not in sheet
    assert sheet.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 3


@pytest.mark.parametrize("base", ["http://localhost:8501", "http://127.0.0.1:8501", "http://[::1]:8501",
                                  "http://qiping.localhost", "http://0.0.0.0:8501", "localhost:8501"])
def test_a_link_back_to_this_computer_is_loopback(base):
    assert access_slips.is_loopback(base)


@pytest.mark.parametrize("base", [PUBLIC, "http://10.1.2.3:8501", "http://qiping.county.local"])
def test_a_link_others_can_reach_is_not_loopback(base):
    assert not access_slips.is_loopback(base)


def test_loopback_slips_say_they_are_a_trial_and_public_ones_do_not():
    trial = access_slips.render_slips(issued(2), None, "zh", base="http://localhost:8501")
    assert trial.count('<p class="trial">试用：此链接只在运行企评的电脑上有效') == 2
    assert 'class="trial"' not in access_slips.render_slips(issued(2), None, "zh", base=PUBLIC)


# --- the contact ------------------------------------------------------------------------------

def test_the_contact_is_one_line_of_plain_text_on_record(db):
    assert access_slips.letter_contact(db) == ""
    saved = access_slips.set_letter_contact(db, ADMIN_ACTOR, "  县经济信息委\n张科长\t0839-1234567 <b>\x07 ")
    assert saved == "县经济信息委 张科长 0839-1234567 <b>" == access_slips.letter_contact(db)
    action, detail = db.execute("SELECT action, detail FROM audit_log ORDER BY id DESC").fetchone()
    assert action == "letters.contact_set" and json.loads(detail) == {"contact": saved}


def test_a_too_long_contact_is_refused_and_the_old_one_kept(db):
    access_slips.set_letter_contact(db, ADMIN_ACTOR, "0839-1234567")
    with pytest.raises(InvalidInput) as refused:
        access_slips.set_letter_contact(db, ADMIN_ACTOR, "电" * (access_slips.MAX_CONTACT + 1))
    assert "最多 200 个字符" in refused.value.message("zh")
    assert access_slips.letter_contact(db) == "0839-1234567"


def test_only_the_administrator_sets_the_contact(db):
    with pytest.raises(PermissionDenied):
        access_slips.set_letter_contact(db, AGENCY_ACTOR, "0839-1234567")


# --- the page ------------------------------------------------------------------------------

@pytest.fixture
def page(demo_path, monkeypatch):
    def open_page(base: str | None) -> AppTest:
        if base is None:
            monkeypatch.delenv("QIPING_BASE_URL", raising=False)
        else:
            monkeypatch.setenv("QIPING_BASE_URL", base)
        monkeypatch.setenv("QIPING_DB", str(demo_path))
        at = AppTest.from_file(PAGE, default_timeout=60)
        at.session_state["actor"] = ADMIN_ACTOR
        at.run()
        assert not at.exception
        return at
    return open_page


def issue_one_code(at: AppTest, demo_db) -> str:
    uscc, name = demo_db.execute("SELECT uscc, name FROM enterprises ORDER BY uscc LIMIT 1").fetchone()
    at.text_input(key="code_query").input(name).run()
    at.checkbox(key=f"confirm_rotate_{uscc}").check().run()
    at.button(key="issue_one").click().run()
    assert not at.exception
    return uscc


def sheet_download(at: AppTest):
    return next(b for b in at.download_button if b.proto.label == "下载访问码条（HTML，可打印）")


def test_page_warns_of_a_localhost_link_and_holds_the_slips_until_confirmed(page, demo_db):
    at = page(None)  # QIPING_BASE_URL unset: the links lead to http://localhost:8501
    # (a bare address carries an invisible word joiner in Markdown, so that it forms no link)
    assert any("登录链接现在指向本机（http://localhost:8501）" in e.value.replace("\u2060", "") for e in at.error)
    issue_one_code(at, demo_db)
    assert any("指向本机" in e.value for e in at.error)
    assert sheet_download(at).proto.disabled  # not before the tick
    at.checkbox(key="confirm_loopback_sheet").check().run()
    assert not sheet_download(at).proto.disabled
    assert 'class="trial"' in at.session_state["issued_sheet"]["html"]


def test_page_offers_slips_with_a_public_link_at_once(page, demo_db):
    at = page(PUBLIC + "/")
    assert not at.error
    issue_one_code(at, demo_db)
    assert not any(c.key == "confirm_loopback_sheet" for c in at.checkbox)
    assert not sheet_download(at).proto.disabled
    sheet = at.session_state["issued_sheet"]["html"]
    code = at.code[0].value
    assert at.code[1].value == f"{PUBLIC}/?code={code}"
    (slip,) = slips_of(sheet).values()
    assert decode_qr(re.search(r"<svg.*?</svg>", slip, re.S).group(0)) == [f"{PUBLIC}/?code={code}"]
    assert 'class="trial"' not in sheet and "截止日期：2026年12月31日24时" in sheet


def test_page_keeps_the_contact_and_the_next_slips_print_it(page, demo_db):
    at = page(PUBLIC)
    assert at.text_input(key="letter_contact").value == "县经济信息委 企业服务科 0839-7200000（工作日 9:00–17:00）"
    at.text_input(key="letter_contact").input("县营商办 李主任 0839-5550000")
    next(b for b in at.button if b.label == "保存联系方式").click().run()
    assert "已保存访问码条上的联系方式。" in [s.value for s in at.success]
    assert access_slips.letter_contact(demo_db) == "县营商办 李主任 0839-5550000"
    issue_one_code(at, demo_db)
    assert "咨询与补发访问码：县营商办 李主任 0839-5550000" in at.session_state["issued_sheet"]["html"]


def test_page_says_when_no_contact_is_set(page, demo_db):
    demo_db.execute("DELETE FROM settings WHERE name = ?", [access_slips.CONTACT_SETTING])
    demo_db.conn.commit()
    at = page(PUBLIC)
    assert any("还没有设置联系方式" in w.value for w in at.warning)


def test_a_code_issued_from_the_page_signs_in_through_its_slip(page, demo_db):
    at = page(PUBLIC)
    uscc = issue_one_code(at, demo_db)
    (slip,) = slips_of(at.session_state["issued_sheet"]["html"]).values()
    (link,) = decode_qr(re.search(r"<svg.*?</svg>", slip, re.S).group(0))
    code = link.split("?code=", 1)[1]
    assert accounts.sign_in_enterprise(demo_db, code, "c").id == uscc
