"""The locale catalogue: both languages complete, every key in code present."""
import re
import string
from pathlib import Path

import i18n

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "streamlit_app.py", *ROOT.glob("app_pages/**/*.py"), *ROOT.glob("surveys/**/*.py")]
# tr("x.y"), t("x.y", ...), and error keys passed to the refusal classes
KEY_CALL = re.compile(
    r"""(?:\btr|\bt|Error|Denied|NotFound|InvalidInput|RoundNotOpen|SignInRefused|Refused|Term|RowProblem)"""
    r"""\((?:[^()"]*?,\s*)?"([a-z_]+(?:\.[a-z0-9_]+)+)\"""")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_keys_and_placeholders():
    zh, en = i18n.catalogue("zh"), i18n.catalogue("en")
    assert set(zh) == set(en)
    for key in zh:
        assert placeholders(zh[key]) == placeholders(en[key]), key


def test_every_key_used_in_code_exists():
    used = set()
    for path in SOURCES:
        used |= set(KEY_CALL.findall(path.read_text(encoding="utf-8")))
    assert len(used) > 100
    missing = sorted(key for key in used if key not in i18n.catalogue("zh"))
    assert missing == []


def test_chinese_is_the_default_and_english_differs():
    assert i18n.t("nav.survey") == "本季度评议"
    assert i18n.t("nav.survey", "en") == "This quarter's survey"


def test_a_missing_key_shows_itself_rather_than_crashing():
    assert i18n.t("no.such.key", "en") == "no.such.key"


def test_no_chinese_text_in_code_outside_data():
    cjk = re.compile(r"[\u4e00-\u9fff]")
    offenders = []
    for path in SOURCES:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if cjk.search(code) and '"""' not in line:
                offenders.append(f"{path.name}:{number}")
    assert offenders == []
