"""Every problem, grade, action, flag and anomaly has words in both languages; the engine stays pure."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from i18n import catalogue
from scoring import ACTIONS, GRADES

ROOT = Path(__file__).resolve().parents[2]
PROBLEM_CODES = sorted({code for path in (ROOT / "scoring").glob("*.py")
                        for code in re.findall(r'Problem\(\s*"(\w+)"', path.read_text(encoding="utf-8"))})


def test_problem_codes_were_found():
    assert {"bad_rating", "bad_round", "missing_column", "duplicate_response", "encoding"} <= set(PROBLEM_CODES)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_key_exists(lang):
    words = catalogue(lang)
    keys = [f"scoring.problem.{code}" for code in PROBLEM_CODES]
    keys += [f"scoring.grade.{g}" for g in GRADES] + [f"scoring.action.{a}" for a in ACTIONS]
    keys += [f"scoring.flag.{f}" for f in ("red", "yellow", "blue")]
    keys += [f"scoring.anomaly.{k}" for k in ("all_lowest", "all_highest", "identical_answers", "burst")]
    keys += [f"scoring.type.{t}" for t in ("int", "float", "bool")]
    keys += ["scoring.cli.usage", "scoring.cli.help", "scoring.cli.problem_line", "scoring.cli.more_problems"]
    assert [k for k in keys if k not in words] == []


def test_both_languages_use_the_same_placeholders():
    zh, en = catalogue("zh"), catalogue("en")
    for key in (k for k in en if k.startswith("scoring.")):
        assert set(re.findall(r"{(\w+)}", zh[key])) == set(re.findall(r"{(\w+)}", en[key])), key


def test_importing_the_engine_loads_no_app_layers():
    code = ("import sys, scoring; bad = [m for m in sys.modules if m.split('.')[0] in "
            "('streamlit', 'sqlite_utils', 'sqlite3', 'duckdb', 'i18n', 'openpyxl', 'scipy')]; print(bad)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[]", done.stderr
