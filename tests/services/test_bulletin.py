"""The quarterly bulletin PDF, its trend chart, and the reports page (AppTest)."""
from __future__ import annotations

import json
import re
from io import BytesIO
from pathlib import Path

import altair as alt
import pandas as pd
import pytest
from pypdf import PdfReader
from streamlit.testing.v1 import AppTest

import charts.bulletin
from charts.bulletin import trend_chart, trend_frame, trend_points
from charts.palette import GRADE_COLOURS, GRADE_ORDER
from surveys.reports import bulletin
from surveys.core.actors import Actor
from surveys.core.errors import PermissionDenied
from tests.conftest import ADMIN_ACTOR, AGENCY_ACTOR, dump, enterprise_actor

ROUND = "2026Q3"
PAGE = str(Path(__file__).resolve().parents[2] / "app_pages" / "shared" / "reports.py")


@pytest.fixture(scope="module")
def demo_copy(demo_copy):
    """The shared demo copy, with the county named as on a real bulletin."""
    demo_copy.execute("INSERT INTO settings (name, value) VALUES ('county_name', '青川县')"
                      " ON CONFLICT (name) DO UPDATE SET value = excluded.value")
    demo_copy.conn.commit()
    return demo_copy


@pytest.fixture(scope="module")
def zh_pdf(demo_copy) -> bytes:
    return bulletin.round_bulletin(demo_copy, ADMIN_ACTOR, ROUND, "zh")


def plain_text(data: bytes) -> str:
    """All the text of the PDF with whitespace removed. pypdf puts a NUL before each glyph of
    fpdf2's two-byte CID text (pdftotext reads the same file cleanly), so NULs go too."""
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)
    return re.sub(r"[\s\x00]+", "", text)


# --- the PDF ---------------------------------------------------------------------

def test_bulletin_is_a_pdf_with_pages(zh_pdf):
    assert zh_pdf.startswith(b"%PDF-")
    reader = PdfReader(BytesIO(zh_pdf))
    assert 2 <= len(reader.pages) <= 6
    assert reader.metadata.title == "青川县营商环境评议季度通报"


def test_bulletin_embeds_a_cjk_font(zh_pdf):
    fonts = {}
    for page in PdfReader(BytesIO(zh_pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            fonts[str(font["/BaseFont"])] = [k for k in descriptor if k.startswith("/FontFile")]
    assert any("CJK" in name for name in fonts), fonts
    assert all(files for files in fonts.values()), "every font is embedded"


def test_chinese_text_is_extractable(demo_copy, zh_pdf):
    text = plain_text(zh_pdf)
    assert "青川县营商环境评议季度通报" in text
    assert "2026年第三季度" in text
    for heading in ("一、总体情况", "二、排名与等次", "三、处理措施", "四、各部门得分走势"):
        assert heading in text
    assert "县市场监管局" in text and "县发展改革委" in text
    assert "移交纪委监委" in text and "红旗" in text and "黄旗" in text
    answered = demo_copy.execute("SELECT count(DISTINCT enterprise) FROM responses WHERE round = ?",
                                 [ROUND]).fetchone()[0]
    assert f"其中{answered}家参加评议" in text


def test_a_round_ranked_per_group_has_one_ranking_section_per_group(zh_pdf):
    # the demo's 2026Q3 ranks within groups (DESIGN §4.9): a section per group, in the administrator's order
    text = plain_text(zh_pdf)
    assert "本轮在各部门分组内分别排名和评旗" in text and "组内排名" in text
    headings = [text.index(f"{group}（{count}个部门）")
                for group, count in (("审批类", 12), ("执法类", 4), ("服务类", 3), ("公用事业", 3))]
    assert headings == sorted(headings)
    assert text.index("县市场监管局") > headings[1]  # listed in its group's section


def test_a_county_wide_round_has_one_ranking_with_the_group_column(demo_copy):
    text = plain_text(bulletin.round_bulletin(demo_copy, ADMIN_ACTOR, "2026Q2", "zh"))
    assert "本轮全县统一排名" in text and "审批类" in text and "执法类" in text
    assert "（12个部门）" not in text


def test_every_agency_has_a_trend_chart_on_one_frame_rendered_once(demo_copy, zh_pdf):
    pages = PdfReader(BytesIO(zh_pdf)).pages
    placed = sum(len(re.findall(rb"/I\d+ Do", page.get_contents().get_data())) for page in pages)
    assert placed == demo_copy.execute("SELECT count(*) FROM agencies").fetchone()[0]
    frames = {image.data for page in pages for image in page.images}
    assert len(frames) == 1  # the same frame under every agency's points (issue 16)


def test_no_enterprise_is_named(demo_copy, zh_pdf):
    text = plain_text(zh_pdf)
    for uscc, name in demo_copy.execute("SELECT uscc, name FROM enterprises").fetchall():
        assert uscc not in text and name not in text


def test_english_bulletin(demo_copy):
    text = plain_text(bulletin.round_bulletin(demo_copy, ADMIN_ACTOR, ROUND, "en"))
    assert "QuarterlyBulletin" in text and "CountyMarketSupervisionBureau" in text


@pytest.mark.parametrize("who", [AGENCY_ACTOR, enterprise_actor("91511022MA0000001X")])
def test_agency_and_enterprise_may_not_export_the_bulletin(demo_db, who):
    before = dump(demo_db)
    with pytest.raises(PermissionDenied):
        bulletin.round_bulletin(demo_db, who, ROUND, "zh")
    assert dump(demo_db) == before


def test_a_missing_font_is_named_with_the_fix(demo_copy, monkeypatch, tmp_path):
    missing = tmp_path / "no-such-font.ttf"
    monkeypatch.setenv(bulletin.FONT_ENV, str(missing))
    with pytest.raises(bulletin.FontNotFound) as refusal:
        bulletin.round_bulletin(demo_copy, ADMIN_ACTOR, ROUND, "zh")
    message = refusal.value.message("zh")
    assert str(missing) in message and "fonts-noto-cjk" in message and "QIPING_CJK_FONT" in message


def test_the_simplified_chinese_face_is_chosen_from_a_collection():
    path = bulletin.font_path()
    if path.suffix.lower() == ".ttc":
        from fontTools.ttLib import TTCollection

        face = TTCollection(str(path), lazy=True).fonts[bulletin.collection_index(path)]
        assert face["name"].getDebugName(1).endswith(" SC")


# --- the trend chart ---------------------------------------------------------------

def test_trend_chart_colours_points_by_grade_from_the_palette():
    data = pd.DataFrame({"round": ["2025Q4", "2026Q1", "2026Q2"], "score": [55.0, 72.5, None],
                         "grade": ["poor", "fair", "insufficient"]})
    chart = trend_chart(data)
    assert isinstance(chart, alt.LayerChart)
    spec = chart.to_dict()  # validates against the Vega-Lite schema
    points = spec["layer"][2]
    assert points["encoding"]["color"]["scale"] == {"domain": GRADE_ORDER,
                                                    "range": [GRADE_COLOURS[g] for g in GRADE_ORDER]}
    values = spec["datasets"][points["data"]["name"]]
    assert [v["round"] for v in values] == ["2025Q4", "2026Q1"]  # a missing score is not drawn as zero
    assert not re.search(r"[\u4e00-\u9fff]", json.dumps(spec))  # renders without a CJK font


def test_trend_points_fall_where_the_whole_chart_draws_them():
    rounds = ["2025Q4", "2026Q1", "2026Q2"]
    data = pd.DataFrame({"round": ["2026Q2", "2025Q4"], "score": [91.0, 55.0], "grade": ["good", "poor"]})
    points = trend_points(data, rounds)
    # round order along the axis; a round without a score is left out; a higher score sits higher
    assert [colour for _, _, colour in points] == [GRADE_COLOURS["poor"], GRADE_COLOURS["good"]]
    (x1, y1, _), (x3, y3, _) = points
    assert x1 < x3 and y3 < y1
    step = charts.bulletin.WIDTH / len(rounds)
    assert x3 - x1 == pytest.approx(2 * step)
    assert y1 == pytest.approx(charts.bulletin.PADDING["top"] + charts.bulletin.HEIGHT * 0.45)
    frame = trend_frame(rounds).to_dict()
    assert all(not values for name, values in frame["datasets"].items()
               if name != frame["layer"][0]["data"]["name"])  # the frame has no agency's points
    assert frame["autosize"] == {"type": "none"}  # the plot area stays where trend_points puts it


def test_drawing_an_agencys_points_leaves_the_pen_as_it_was():
    pdf = bulletin.BulletinPDF("zh", "")
    pdf.add_page()
    before = (pdf.fill_color, pdf.draw_color, pdf.line_width)
    bulletin._draw_points(pdf, 20, 20, 50, [(40, 30, GRADE_COLOURS["poor"]), (120, 20, GRADE_COLOURS["good"])])
    assert (pdf.fill_color, pdf.draw_color, pdf.line_width) == before  # else the next table is filled red


# --- the page ------------------------------------------------------------------------

def page(demo_path, monkeypatch, who: Actor, lang: str = "zh") -> AppTest:
    monkeypatch.setenv("QIPING_DB", str(demo_path))
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["actor"] = who
    at.session_state["lang"] = lang
    return at.run()


def test_page_offers_both_downloads_for_a_finalised_round(demo_path, monkeypatch):
    at = page(demo_path, monkeypatch, ADMIN_ACTOR)
    assert not at.exception
    assert at.title[0].value == "报表与通报"
    assert at.selectbox[0].value == ROUND
    assert "2026Q4" not in at.selectbox[0].options[0] and len(at.selectbox[0].options) == 8
    buttons = at.get("download_button")
    labels = [b.proto.label for b in buttons]
    assert labels == ["下载 Excel 工作簿", "下载季度通报 PDF"]
    assert not at.error


def test_page_refuses_an_agency(demo_path, monkeypatch):
    at = page(demo_path, monkeypatch, AGENCY_ACTOR)
    assert not at.exception
    assert at.error and "无权" in at.error[0].value
    assert not at.get("download_button")


def test_page_says_what_to_do_when_no_round_is_finalised(db, tmp_path, monkeypatch):
    at = page(tmp_path / "test.db", monkeypatch, ADMIN_ACTOR, lang="en")
    assert not at.exception
    assert at.title[0].value == "Reports and bulletin"
    assert "Finalise a closed round" in at.info[0].value
    assert not at.get("download_button")

# --- in a real browser: close, finalise, publish, download (issue 4, "done when") -----

@pytest.mark.browser
def test_admin_closes_finalises_publishes_and_downloads_both_reports(tmp_path_factory):
    """The administrator runs the quarter's end in Chromium and downloads the workbook and
    the bulletin of the round just published; the bulletin's first page, turned into an
    image, shows Chinese text (tests/artifacts/bulletin_2026Q4-1.png)."""
    import os
    import shutil
    import subprocess

    from openpyxl import load_workbook
    from PIL import Image

    playwright_api = pytest.importorskip("playwright.sync_api")
    from tests import browser_support as bs

    if not os.path.exists(bs.CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"CI needs Debian's Chromium at {bs.CHROMIUM}")
        pytest.skip(f"needs Debian's Chromium at {bs.CHROMIUM}")
    zh = bs.catalogue("zh")
    work = tmp_path_factory.mktemp("reports_browser")
    server = bs.start_server(work)
    try:
        with playwright_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=bs.CHROMIUM, headless=True, args=bs.CHROMIUM_ARGS)
            context = bs.new_context(browser, accept_downloads=True)
            page = context.new_page()
            bs.open_app(page, server.url)
            bs.sign_in_staff(page, "admin", "qiping-admin")
            _end_the_open_round(page, bs, zh)
            files = _download_reports(page, bs, work)
            bs.screenshot(page, "reports_page_zh.png")
            context.close()
            browser.close()
    finally:
        server.stop()

    book = load_workbook(files["xlsx"])
    assert book.sheetnames == ["封面", "结果", "排名", "处理", "参评率", "标准指标"]
    cover = {r[0]: r[1] for r in book["封面"].iter_rows(values_only=True) if r and r[0]}
    assert cover["评议轮次"] == "2026年第四季度 (2026Q4)" and cover["状态"] == "已发布"
    text = plain_text(files["pdf"].read_bytes())
    assert "营商环境评议季度通报" in text and "2026年第四季度" in text and "县发展改革委" in text

    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs pdftoppm (Debian poppler-utils) to look at the bulletin")
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    bs.ARTIFACTS.mkdir(exist_ok=True)
    prefix = bs.ARTIFACTS / "bulletin_2026Q4"
    subprocess.run([pdftoppm, "-r", "80", "-png", "-f", "1", "-l", "1", str(files["pdf"]), str(prefix)],
                   check=True, timeout=60)
    image = Image.open(f"{prefix}-1.png").convert("L")
    dark = sum(image.histogram()[:128])
    assert dark > 0.01 * image.width * image.height, "the first page shows text and a table"


def _end_the_open_round(page, bs, zh) -> None:
    from playwright.sync_api import expect

    rounds_text, finalise_text = zh["rounds"], zh["finalise"]
    bs.sidebar(page).get_by_role("link", name=zh["nav"]["rounds"]).click()
    bs.wait_for(page, bs.main(page).get_by_role("heading", name=rounds_text["title"]))
    # the demo's open round closes at the quarter's end: closing now is early, and the page says so
    expect(bs.main(page).get_by_text(rounds_text["close_check"]["early"].split("{")[0])).to_be_visible()
    steps = [(rounds_text["close_check"]["confirm_early"], rounds_text["close_button"], rounds_text["closed"]),
             (finalise_text["confirm"], finalise_text["button"], finalise_text["done"]),
             (finalise_text["publish_confirm"], finalise_text["publish_button"], finalise_text["published"])]
    for confirm, button, done in steps:
        bs.wait_until_idle(page)
        bs.main(page).locator('[data-testid="stCheckbox"]').filter(has_text=confirm).first.click()
        bs.wait_for(page, bs.main(page).get_by_role("button", name=button, exact=True).first)
        bs.main(page).get_by_role("button", name=button, exact=True).first.click()
        bs.wait_for(page, bs.main(page).get_by_text(done, exact=True))
    expect(bs.main(page).get_by_text(f"2026年第四季度（{zh['rounds']['status']['published']}）")).to_be_visible()


def _download_reports(page, bs, work) -> dict:
    text = _reports_catalogue("zh")
    bs.sidebar(page).get_by_role("link", name=bs.catalogue("zh")["nav"]["reports"]).click()
    bs.wait_for(page, bs.main(page).get_by_role("heading", name=text["title"]))
    files = {}
    for suffix, label in (("xlsx", text["workbook_button"]), ("pdf", text["bulletin_button"])):
        button = bs.main(page).get_by_role("button", name=label)
        bs.wait_for(page, button)
        with page.expect_download(timeout=60_000) as download:
            button.click()
        files[suffix] = work / f"downloaded.{suffix}"
        download.value.save_as(files[suffix])
        assert download.value.suggested_filename.endswith(f"2026Q4.{suffix}")
    return files


def _reports_catalogue(lang: str) -> dict:
    import tomllib

    with (Path(__file__).resolve().parents[2] / "data" / "locales" / lang / "reports.toml").open("rb") as f:
        return tomllib.load(f)["reports"]
