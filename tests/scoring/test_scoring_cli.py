"""``python -m scoring``: file formats, encodings, and every refusal (exit status, stderr, empty stdout)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from scoring.cli import main

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT.parent / "shared" / "fixtures"
EXAMPLE = FIXTURES / "scoring_example.csv"
EXPECTED = (FIXTURES / "scoring_example_expected.csv").read_text(encoding="utf-8")
HEADER = "round,enterprise,agency,efficiency,attitude,comment\n"


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setenv("QIPING_LANG", "en")


def write(tmp_path, text: str, name="responses.csv", encoding="utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def five_rows(agency="FGW", round_="2026Q1", start=1) -> str:
    return "".join(f"{round_},E{start + i},{agency},4,5,\n" for i in range(5))


# --- formats and encodings ------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_give_the_expected_output(capsys, tmp_path, encoding):
    text = EXAMPLE.read_text(encoding="utf-8")  # has Chinese comments
    code, out, err = run(capsys, "grade", write(tmp_path, text, encoding=encoding))
    assert (code, err) == (0, "")
    assert out == EXPECTED


def test_excel_style_csv_with_bom_and_crlf(capsys, tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8").replace("\n", "\r\n")
    code, out, _ = run(capsys, "grade", write(tmp_path, text, encoding="utf-8-sig"))
    assert (code, out) == (0, EXPECTED)
    bad = (HEADER + "2026Q1,E1,FGW,4,5,\n2026Q1,E2,FGW,7,5,\n").replace("\n", "\r\n")
    assert 'line 3, column "efficiency"' in refused(capsys, write(tmp_path, bad, encoding="utf-8-sig"))


def test_chinese_agency_names_survive_gb18030(capsys, tmp_path):
    text = HEADER + five_rows(agency="市场监管局")
    code, out, _ = run(capsys, "grade", write(tmp_path, text, encoding="gb18030"))
    assert code == 0
    assert "2026Q1,市场监管局,5,87.5,good,none" in out


def write_xlsx(tmp_path, rows: list[list]) -> Path:
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    path = tmp_path / "responses.xlsx"
    workbook.save(path)
    return path


def test_xlsx_gives_the_expected_output(capsys, tmp_path):
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    rows = [lines[0].split(",")]
    for line in lines[1:]:
        fields = line.split(",")
        rows.append(fields[:3] + [int(v) if v else None for v in fields[3:7]] + [fields[7] or None])
    code, out, err = run(capsys, "grade", write_xlsx(tmp_path, rows))
    assert (code, err) == (0, "")
    assert out == EXPECTED


def test_xlsx_refusal_names_the_sheet_row(capsys, tmp_path):
    rows = [["agency", "round", "enterprise", "q1"], ["A", "2026Q1", "E1", 4.0], ["A", "2026Q1", "E2", 4.5]]
    code, out, err = run(capsys, "grade", write_xlsx(tmp_path, rows))
    assert code == 1 and out == ""
    assert 'line 3, column "q1"' in err and "4.5" in err


def test_column_order_is_free_and_comment_is_optional(capsys, tmp_path):
    text = "attitude,agency,efficiency,enterprise,round\n" + "".join(f"5,FGW,4,E{i},2026Q1\n" for i in range(5))
    code, out, _ = run(capsys, "grade", write(tmp_path, text))
    assert code == 0
    assert out == "round,agency,n,score,grade,action\n2026Q1,FGW,5,87.5,good,none\n"


def test_detail_appends_columns_after_the_six(capsys):
    code, out, _ = run(capsys, "grade", EXAMPLE, "--detail")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "round,agency,n,score,grade,action,ci_low,ci_high,flag,rank,uncertain"
    assert lines[1].startswith("2026Q1,FGW,5,90.0,good,none,")
    assert lines[5] == "2026Q2,SCJG,2,12.5,insufficient,none,0.0,100.0,,,false"
    assert lines[8] == "2026Q3,XZFW,7,43.8,poor,referral,25.5,62.0,yellow,1,true"


def test_settings_file_changes_rules_and_weights(capsys, tmp_path):
    rules = write(tmp_path, "[scoring]\nmin_responses = 2\n[weights]\nefficiency = 3\nattitude = 1\n", "rules.toml")
    text = HEADER + "2026Q1,E1,FGW,5,1,\n2026Q1,E2,FGW,5,1,\n"
    code, out, _ = run(capsys, "grade", write(tmp_path, text), "--config", rules)
    assert code == 0
    assert out.splitlines()[1] == "2026Q1,FGW,2,75.0,fair,reminder"


def test_anomalies_command(capsys, tmp_path):
    text = "round,enterprise,agency,q1,q2\n" + "".join(f"2026Q1,E1,A{i},1,1\n" for i in range(3))
    code, out, _ = run(capsys, "anomalies", write(tmp_path, text))
    assert code == 0
    assert out.splitlines() == ["kind,round,enterprise,agency,count,total,answers", "all_lowest,2026Q1,E1,,3,3,"]


# --- refusals -----------------------------------------------------------------------------


def refused(capsys, path, *extra) -> str:
    code, out, err = run(capsys, "grade", path, *extra)
    assert code == 1
    assert out == ""
    assert "Traceback" not in err
    return err


@pytest.mark.parametrize("value", ["4.5", "abc", "0", "6", "-1", "nan"])
def test_bad_rating_names_line_and_column(capsys, tmp_path, value):
    text = HEADER + "2026Q1,E1,FGW,4,5,\n" + f"2026Q1,E2,FGW,4,{value},\n"
    err = refused(capsys, write(tmp_path, text))
    assert f'line 3, column "attitude": rating "{value}"' in err


def test_whole_numbers_written_as_decimals_are_accepted(capsys, tmp_path):
    text = HEADER + "".join(f"2026Q1,E{i},FGW,4.0, 5 ,\n" for i in range(5))
    code, out, _ = run(capsys, "grade", write(tmp_path, text))
    assert code == 0 and out.splitlines()[1] == "2026Q1,FGW,5,87.5,good,none"


@pytest.mark.parametrize("value", ["2026Q5", "2026-Q1", "26Q1", "2026q1", "Q1"])
def test_bad_round_names_line_and_column(capsys, tmp_path, value):
    err = refused(capsys, write(tmp_path, HEADER + f"{value},E1,FGW,4,5,\n"))
    assert f'line 2, column "round": round "{value}"' in err


@pytest.mark.parametrize("missing", ["round", "enterprise", "agency"])
def test_missing_required_column_is_named(capsys, tmp_path, missing):
    columns = ["round", "enterprise", "agency", "q1"]
    values = {"round": "2026Q1", "enterprise": "E1", "agency": "FGW", "q1": "4"}
    kept = [c for c in columns if c != missing]
    text = ",".join(kept) + "\n" + ",".join(values[c] for c in kept) + "\n"
    err = refused(capsys, write(tmp_path, text))
    assert f'required column "{missing}" is missing' in err and "line 1" in err


def test_duplicate_response_names_both_lines(capsys, tmp_path):
    text = HEADER + "2026Q1,E1,FGW,4,5,\n2026Q1,E2,FGW,4,5,\n2026Q1,E1,FGW,3,3,again\n"
    err = refused(capsys, write(tmp_path, text))
    assert "line 4 repeats line 2" in err


def test_every_problem_is_reported_not_just_the_first(capsys, tmp_path):
    text = HEADER + "2026Q1,E1,FGW,4.5,5,\n2026Q9,E2,FGW,4,5,\n2026Q1,,FGW,4,5,\n2026Q1,E4,FGW,4,5,\n2026Q1,E4,FGW,4,5,\n"
    err = refused(capsys, write(tmp_path, text))
    lines = err.strip().splitlines()
    assert len(lines) == 4
    assert ["line 2" in lines[0], "line 3" in lines[1], "line 4" in lines[2], "line 6 repeats line 5" in lines[3]] == [True] * 4


def test_line_numbers_count_physical_lines_across_quoted_newlines(capsys, tmp_path):
    text = HEADER + '2026Q1,E1,FGW,4,5,"two\nlines"\n2026Q1,E2,FGW,9,5,\n'
    err = refused(capsys, write(tmp_path, text))
    assert 'line 4, column "efficiency"' in err


def test_rows_with_the_wrong_number_of_fields(capsys, tmp_path):
    err = refused(capsys, write(tmp_path, HEADER + "2026Q1,E1,FGW,4\n"))
    assert "line 2: 4 fields, but the header has 6 columns" in err


def test_header_only_and_empty_files(capsys, tmp_path):
    assert "header but no responses" in refused(capsys, write(tmp_path, HEADER))
    assert "the file is empty" in refused(capsys, write(tmp_path, "", name="empty.csv"))
    assert "the file is empty" in refused(capsys, write(tmp_path, "\n\n  \n", name="blank.csv"))


def test_unreadable_encoding(capsys, tmp_path):
    path = tmp_path / "utf16.csv"
    path.write_bytes(EXAMPLE.read_text(encoding="utf-8").encode("utf-16"))
    assert "encoding is not recognised" in refused(capsys, path)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    assert "encoding is not recognised" in refused(capsys, binary)


def test_unknown_extension_missing_file_and_broken_workbook(capsys, tmp_path):
    assert 'unsupported file type ".txt"' in refused(capsys, write(tmp_path, HEADER, name="responses.txt"))
    assert "no such file" in refused(capsys, tmp_path / "absent.csv")
    assert "cannot be opened" in refused(capsys, write(tmp_path, "not a zip", name="broken.xlsx"))


def test_bad_settings_file(capsys, tmp_path):
    rules = write(tmp_path, "[scoring]\nmin_responces = 2\ngood_threshold = 'high'\n", "rules.toml")
    err = refused(capsys, EXAMPLE, "--config", rules)
    assert 'no scoring setting "min_responces"' in err
    weights = write(tmp_path, "[weights]\nefficiency = 1\n", "weights.toml")
    assert 'no weight for item "attitude"' in refused(capsys, EXAMPLE, "--config", weights)
    assert "cannot be opened" in refused(capsys, EXAMPLE, "--config", tmp_path / "absent.toml")


def test_too_many_problems_are_summarised(capsys, tmp_path):
    text = HEADER + "".join(f"2026Q1,E{i},FGW,9,9,\n" for i in range(150))
    lines = refused(capsys, write(tmp_path, text)).strip().splitlines()
    assert len(lines) == 201 and lines[-1] == "... and 100 more problems not shown"


def test_messages_are_chinese_by_default(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("QIPING_LANG")
    err = refused(capsys, write(tmp_path, HEADER + "2026Q1,E1,FGW,4.5,5,\n"))
    assert err.strip() == "responses.csv：第 2 行，“efficiency”列：评分“4.5”无效，应为 1–5 的整数，或留空"


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["grade"])
    assert caught.value.code == 2
    assert "usage" in capsys.readouterr().err


def test_refusal_through_a_real_process_has_no_traceback(tmp_path):
    path = write(tmp_path, HEADER + "2026Q1,E1,FGW,abc,5,\n")
    done = subprocess.run([sys.executable, "-m", "scoring", "grade", str(path)], cwd=ROOT, capture_output=True,
                          timeout=60, env={"QIPING_LANG": "en", "PATH": ""})
    assert done.returncode == 1
    assert done.stdout == b""
    assert done.stderr.decode("utf-8") == 'responses.csv: line 2, column "efficiency": rating "abc" is not a whole number from 1 to 5 (or blank)\n'


# --- rater panels (§4.10) ---------------------------------------------------------------------

PANEL_HEADER = "round,enterprise,agency,panel,efficiency,attitude\n"


def panel_rows(panel: str, count: int, rating: int, prefix: str) -> str:
    return "".join(f"2026Q1,{prefix}{i},FGW,{panel},{rating},{rating}\n" for i in range(count))


def test_panel_column_blank_means_enterprise_and_unweighted_panels_count_nowhere(capsys, tmp_path):
    text = PANEL_HEADER + panel_rows("", 3, 5, "E") + panel_rows("enterprise", 2, 5, "F") + panel_rows("supervisor", 4, 1, "S")
    code, out, _ = run(capsys, "grade", write(tmp_path, text))
    assert code == 0
    assert out == "round,agency,n,score,grade,action\n2026Q1,FGW,5,100.0,good,none\n"  # the contract columns stay


def test_panel_weights_table_combines_panels(capsys, tmp_path):
    text = PANEL_HEADER + panel_rows("enterprise", 5, 5, "E") + panel_rows("Representative", 3, 1, "R")
    rules = write(tmp_path, "[panel_weights]\nenterprise = 2\nrepresentative = 1\n", "rules.toml")
    code, out, _ = run(capsys, "grade", write(tmp_path, text), "--config", rules)
    assert code == 0
    assert out.splitlines()[1] == "2026Q1,FGW,8,66.7,fair,reminder"  # (2 × 100 + 1 × 0) / 3


def test_a_panel_below_its_minimum_is_left_out(capsys, tmp_path):
    text = PANEL_HEADER + panel_rows("enterprise", 5, 5, "E") + panel_rows("supervisor", 2, 1, "S")
    rules = write(tmp_path, "[scoring]\n[panel_weights]\nenterprise = 1\nsupervisor = 1\n", "rules.toml")
    code, out, _ = run(capsys, "grade", write(tmp_path, text), "--config", rules)
    assert code == 0 and out.splitlines()[1] == "2026Q1,FGW,7,100.0,good,none"


def test_unknown_panel_names_the_line(capsys, tmp_path):
    text = PANEL_HEADER + panel_rows("enterprise", 1, 5, "E") + "2026Q1,X1,FGW,citizen,4,4\n"
    err = refused(capsys, write(tmp_path, text))
    assert err.strip() == ('responses.csv: line 3, column "panel": "citizen" is not a rater panel: use one of '
                           'enterprise, representative, supervisor, or leave it blank (an enterprise)')


def test_the_same_rater_code_twice_for_an_agency_is_a_duplicate_whatever_the_panel(capsys, tmp_path):
    text = PANEL_HEADER + "2026Q1,R1,FGW,representative,4,4\n2026Q1,R1,FGW,supervisor,4,4\n"
    assert "line 3 repeats line 2" in refused(capsys, write(tmp_path, text))


@pytest.mark.parametrize("table, message", [
    ("[panel_weights]\ncitizens = 1\n", '[panel_weights] names "citizens", which is not a rater panel'),
    ("[panel_weights]\nenterprise = -1\n", 'the weight "-1" of panel "enterprise" is not a number of 0 or more'),
    ("[panel_weights]\nenterprise = 0\n", "gives no panel a weight above 0"),
    ("panel_weights = 1\n", 'scoring setting "panel_weights" is "1" but must be a table'),
    ('ranking_scope = "city"\n', 'scoring setting "ranking_scope" is city, out of range: must be county | group'),
    ("[scoring.panel_weights]\nenterprise = 1\n[panel_weights]\nenterprise = 1\n", 'is given twice'),
])
def test_bad_panel_settings_are_worded(capsys, tmp_path, table, message):
    assert message in refused(capsys, EXAMPLE, "--config", write(tmp_path, table, "rules.toml"))
