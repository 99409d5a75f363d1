"""§4.11 the year: grade_year rule by rule, hypothesis properties, and ``python -m scoring annual``."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import YEAR_COLUMNS, ScoringConfig, grade_year
from scoring.cli import main
from scoring.rounding import tenths_half_up_exact

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def quarterly(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["round", "agency", "score", "grade"])


def by_agency(result: pd.DataFrame) -> pd.DataFrame:
    return result.set_index("agency")


# --- rules ---------------------------------------------------------------------------------


def test_survey_score_is_the_half_up_mean_of_graded_quarters():
    result = by_agency(grade_year(quarterly(
        ("2025Q1", "A", 80.1, "good"), ("2025Q2", "A", 80.2, "good"), ("2025Q3", "A", 70.0, "fair"),
        ("2025Q4", "A", 12.5, "insufficient"),  # not a graded quarter: left out
        ("2025Q1", "B", 85.0, "good"), ("2025Q2", "B", 85.5, "good"))))
    assert result.columns.tolist() == [c for c in YEAR_COLUMNS if c != "agency"]
    assert result.loc["A", ["quarters", "survey_score", "score", "grade", "rank"]].tolist() == [3, 76.8, 76.8, "fair", 2]
    assert result.loc["B", ["survey_score", "grade", "rank"]].tolist() == [85.3, "good", 1]  # 85.25 → 85.3


def test_fewer_than_two_graded_quarters_is_insufficient_and_unranked():
    result = by_agency(grade_year(quarterly(("2025Q1", "A", 90.0, "good"), ("2025Q2", "A", 10.0, "insufficient"))))
    assert result.loc["A", "quarters"] == 1 and np.isnan(result.loc["A", "survey_score"])
    assert (result.loc["A", "grade"], result.loc["A", "rank"]) == ("insufficient", None)


def test_each_calendar_year_is_graded_and_ranked_on_its_own():
    result = grade_year(quarterly(("2025Q3", "A", 90.0, "good"), ("2025Q4", "A", 90.0, "good"),
                                  ("2026Q1", "A", 50.0, "poor"), ("2026Q2", "A", 50.0, "poor"),
                                  ("2026Q1", "B", 60.0, "fair"), ("2026Q2", "B", 60.0, "fair")))
    assert result[["year", "agency", "score", "grade", "rank"]].values.tolist() == [
        [2025, "A", 90.0, "good", 1], [2026, "A", 50.0, "poor", 2], [2026, "B", 60.0, "fair", 1]]


def test_composite_with_the_work_score():
    work = pd.DataFrame({"year": [2025], "agency": ["A"], "work_score": [95.0]})
    result = by_agency(grade_year(quarterly(("2025Q1", "A", 76.8, "fair"), ("2025Q2", "A", 76.8, "fair")), work))
    # 0.7 × 76.8 + 0.3 × 95 = 82.26 → 82.3: good although the survey alone is fair
    assert result.loc["A", ["survey_score", "work_score", "score", "grade"]].tolist() == [76.8, 95.0, 82.3, "good"]
    half = ScoringConfig(annual_survey_weight=0.5)
    result = by_agency(grade_year(quarterly(("2025Q1", "A", 70.1, "fair"), ("2025Q2", "A", 70.1, "fair")),
                                  work.assign(work_score=80.0), config=half))
    assert result.loc["A", "score"] == 75.1  # 75.05 exactly, rounded half up


def test_veto_grades_poor_and_ranks_after_everyone():
    veto = pd.DataFrame({"year": [2025, 2025], "agency": ["A", "C"]})
    result = by_agency(grade_year(quarterly(
        ("2025Q1", "A", 95.0, "good"), ("2025Q2", "A", 95.0, "good"),
        ("2025Q1", "B", 40.0, "poor"), ("2025Q2", "B", 40.0, "poor"),
        ("2025Q1", "C", 99.0, "good")), veto=veto))
    assert result.loc["A", ["grade", "rank"]].tolist() == ["poor", 2]
    assert result.loc["B", ["grade", "rank"]].tolist() == ["poor", 1]
    assert result.loc["C", ["grade", "rank"]].tolist() == ["poor", 3]  # vetoed without a score: last of all


def test_equal_scores_share_the_better_rank():
    rows = [(f"2025Q{q}", agency, score, "good") for agency, score in zip("ABCD", [90.0, 85.0, 85.0, 81.0])
            for q in (1, 2)]
    assert by_agency(grade_year(quarterly(*rows)))["rank"].tolist() == [1, 2, 2, 4]


def test_groups_get_their_own_ranking():
    table = quarterly(*[(f"2025Q{q}", a, s, "good") for a, s in zip("ABC", [90.0, 85.0, 80.0]) for q in (1, 2)])
    table["group"] = ["x", "x", "y", "y", "x", "x"]
    result = by_agency(grade_year(table))
    assert result["rank"].tolist() == [1, 2, 3]
    assert result["group"].tolist() == ["x", "y", "x"] and result["group_rank"].tolist() == [1, 1, 2]


def test_bad_quarterly_input_is_refused():
    with pytest.raises(ValueError, match="YYYYQn"):
        grade_year(quarterly(("2025", "A", 90.0, "good")))
    with pytest.raises(ValueError, match="unknown grade"):
        grade_year(quarterly(("2025Q1", "A", 90.0, "great")))
    with pytest.raises(ValueError, match="two results"):
        grade_year(quarterly(("2025Q1", "A", 90.0, "good"), ("2025Q1", "A", 80.0, "good")))
    with pytest.raises(ValueError, match="without a score"):
        grade_year(quarterly(("2025Q1", "A", None, "good")))


# --- properties ---------------------------------------------------------------------------------

AGENCIES = ["FGW", "SCJG", "XZFW", "ZJW", "GAJ", "JTJ"]
SCORES = [55.0, 60.0, 72.4, 72.5, 80.0, 80.1, 91.3]


@st.composite
def years(draw):
    rows = []
    for agency in AGENCIES[: draw(st.integers(1, len(AGENCIES)))]:
        for year in (2025, 2026):
            for quarter in draw(st.sets(st.integers(1, 4))):
                graded = draw(st.booleans()) or draw(st.booleans())
                score = draw(st.sampled_from(SCORES))
                grade = ("good" if score >= 80 else "fair" if score >= 60 else "poor") if graded else "insufficient"
                rows.append((f"{year}Q{quarter}", agency, score if graded or draw(st.booleans()) else None, grade))
    table = quarterly(*rows) if rows else quarterly(("2025Q1", "FGW", 80.0, "good"))
    pairs = sorted({(int(r[:4]), a) for r, a in zip(table["round"], table["agency"])})
    work = pd.DataFrame([(y, a, float(draw(st.sampled_from([0, 59.5, 77, 88.8, 100])))) for y, a in pairs
                         if draw(st.booleans())], columns=["year", "agency", "work_score"])
    veto = pd.DataFrame([(y, a) for y, a in pairs if draw(st.integers(0, 4)) == 0], columns=["year", "agency"])
    return table, work, veto


@SETTINGS
@given(years())
def test_ranks_are_competition_ranks_with_vetoed_agencies_last_and_poor(data):
    table, work, veto = data
    result = grade_year(table, work, veto)
    vetoed = pd.MultiIndex.from_frame(result[["year", "agency"]]).isin(pd.MultiIndex.from_frame(veto))
    assert (result.loc[vetoed, "grade"] == "poor").all()
    for _, year in result.assign(vetoed=vetoed).groupby("year"):
        ranked = year[year["rank"].notna()]
        assert ranked.index.tolist() == year[year["vetoed"] | year["score"].notna()].index.tolist()
        unvetoed = ranked[~ranked["vetoed"]]
        if len(unvetoed) and ranked["vetoed"].any():
            assert ranked.loc[ranked["vetoed"], "rank"].min() > unvetoed["rank"].max()
        for row in unvetoed.itertuples():  # 1 + the number of strictly better unvetoed scores
            assert row.rank == 1 + int((unvetoed["score"] > row.score).sum())


@SETTINGS
@given(years())
def test_a_equal_to_one_gives_the_survey_score_and_zero_the_work_score(data):
    table, work, _ = data
    survey_only = grade_year(table, work, config=ScoringConfig(annual_survey_weight=1.0))
    assert survey_only["score"].equals(survey_only["survey_score"])
    work_only = grade_year(table, work, config=ScoringConfig(annual_survey_weight=0.0))
    with_work = work_only["survey_score"].notna() & work_only["work_score"].notna()
    expected = [tenths_half_up_exact(Fraction(repr(w))) / 10 for w in work_only.loc[with_work, "work_score"]]
    assert work_only.loc[with_work, "score"].tolist() == expected


@SETTINGS
@given(years())
def test_survey_score_is_the_exact_half_up_mean_and_insufficient_below_two_quarters(data):
    table, _, _ = data
    result = grade_year(table).set_index(["year", "agency"])
    graded = table[table["grade"] != "insufficient"]
    for (year, agency), row in result.iterrows():
        scores = graded.loc[(graded["round"].str[:4] == str(year)) & (graded["agency"] == agency), "score"]
        assert row["quarters"] == len(scores)
        if len(scores) < 2:
            assert np.isnan(row["survey_score"]) and row["grade"] == "insufficient"
        else:
            exact = sum(Fraction(repr(s)) for s in scores) / len(scores)
            assert row["survey_score"] == tenths_half_up_exact(exact) / 10


@SETTINGS
@given(years(), st.integers(0, 2**32 - 1))
def test_row_order_changes_nothing(data, seed):
    table, work, veto = data
    rng = np.random.default_rng(seed)
    shuffle = lambda t: t.iloc[rng.permutation(len(t))].reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(grade_year(table, work, veto), grade_year(shuffle(table), shuffle(work), shuffle(veto)))


# --- command line ------------------------------------------------------------------------------

RESULTS = """round,agency,n,score,grade,action
2025Q1,A,5,80.1,good,none
2025Q2,A,5,80.2,good,none
2025Q3,A,6,70.0,fair,reminder
2025Q1,B,9,90.0,good,none
2025Q2,B,7,91.0,good,none
2025Q1,C,7,50.0,poor,interview
2025Q2,C,2,12.5,insufficient,none
2025Q1,D,5,85.0,good,none
2025Q2,D,5,85.5,good,none
2025Q3,D,2,,insufficient,none
"""


@pytest.fixture(autouse=True)
def english(monkeypatch):
    monkeypatch.setenv("QIPING_LANG", "en")


def write(tmp_path, name: str, text: str, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_annual_command_without_work_or_veto(capsys, tmp_path):
    code, out, err = run(capsys, "annual", write(tmp_path, "results.csv", RESULTS))
    assert (code, err) == (0, "")
    assert out == ("year,agency,quarters,survey_score,work_score,score,grade,rank\n"
                   "2025,A,3,76.8,,76.8,fair,3\n"
                   "2025,B,2,90.5,,90.5,good,1\n"
                   "2025,C,1,,,,insufficient,\n"
                   "2025,D,2,85.3,,85.3,good,2\n")


def test_annual_command_with_work_veto_and_config(capsys, tmp_path):
    work = write(tmp_path, "work.csv", "year,agency,work_score\n2025,A,95\n2025,D,88.25\n")
    veto = write(tmp_path, "veto.csv", "year,agency\n2025,B\n")
    config = write(tmp_path, "rules.toml", "[scoring]\nannual_survey_weight = 0.5\n")
    code, out, _ = run(capsys, "annual", write(tmp_path, "results.csv", RESULTS), "--work", work, "--veto", veto,
                       "--config", config)
    assert code == 0
    assert out.splitlines()[1:] == ["2025,A,3,76.8,95.0,85.9,good,2",  # 85.9 = (76.8 + 95) / 2
                                    "2025,B,2,90.5,,90.5,poor,3",
                                    "2025,C,1,,,,insufficient,",
                                    "2025,D,2,85.3,88.25,86.8,good,1"]  # 86.775 → 86.8


def test_annual_command_reads_gb18030_and_an_empty_veto_list(capsys, tmp_path):
    results = write(tmp_path, "results.csv", RESULTS.replace(",A,", ",市场监管局,"), encoding="gb18030")
    veto = write(tmp_path, "veto.csv", "year,agency\n")
    code, out, _ = run(capsys, "annual", results, "--veto", veto)
    assert code == 0 and "2025,市场监管局,3,76.8,,76.8,fair,3" in out


def refused(capsys, *argv) -> list[str]:
    code, out, err = run(capsys, "annual", *argv)
    assert (code, out) == (1, "")
    assert "Traceback" not in err
    return err.strip().splitlines()


def test_bad_results_file_names_file_line_and_column(capsys, tmp_path):
    results = write(tmp_path, "results.csv",
                    "round,agency,score,grade\n2025Q5,A,80,good\n2025Q1,,101,great\n2025Q1,B,,fair\n2025Q1,B,,fair\n")
    lines = refused(capsys, results)
    assert lines == [
        'results.csv: line 2, column "round": round "2025Q5" is not in YYYYQn form (e.g. 2026Q1, n from 1 to 4)',
        'results.csv: line 3, column "agency": must not be blank',
        'results.csv: line 3, column "grade": grade "great" is not one of good, fair, poor, insufficient',
        'results.csv: line 3, column "score": score "101" is not a number from 0 to 100 (or blank)',
        'results.csv: line 4, column "score": a quarter graded fair needs its score',
        'results.csv: line 5, column "score": a quarter graded fair needs its score',
        "results.csv: line 5 repeats line 4 (columns round, agency): agency B may have only one result in round 2025Q1",
    ]


def test_missing_columns_and_empty_results(capsys, tmp_path):
    lines = refused(capsys, write(tmp_path, "results.csv", "round,agency,n,grade\n2025Q1,A,5,good\n"))
    assert lines == ['results.csv: line 1 (header): required column "score" is missing']
    assert refused(capsys, write(tmp_path, "header.csv", "round,agency,score,grade\n")) == [
        "header.csv: the file has a header but no responses"]
    assert refused(capsys, tmp_path / "absent.csv") == ["absent.csv: no such file"]


def test_bad_work_and_veto_files_are_all_reported(capsys, tmp_path):
    work = write(tmp_path, "work.csv", "year,agency,work_score\n2025,A,95\n2025,A,90\n2025,Z,9\n25,B,1\n2025,C,9x\n"
                                       "2025,D,\n")
    veto = write(tmp_path, "veto.csv", "year,agency\n2025,B\n2025,B\n2024,C\n")
    lines = refused(capsys, write(tmp_path, "results.csv", RESULTS), "--work", work, "--veto", veto)
    assert lines == [
        "work.csv: line 3 repeats line 2 (columns year, agency): agency A may have only one work-assessment score in 2025",
        "work.csv: line 4: agency Z has no quarterly results in 2025 (a typo in the agency code or the year?)",
        'work.csv: line 5, column "year": year "25" is not a four-digit year (e.g. 2026)',
        'work.csv: line 6, column "work_score": work-assessment score "9x" is not a number from 0 to 100',
        'work.csv: line 7, column "work_score": must not be blank',
        "veto.csv: line 3 repeats line 2 (columns year, agency): the veto of agency B in 2025 is given twice",
        "veto.csv: line 4: agency C has no quarterly results in 2024 (a typo in the agency code or the year?)",
    ]


def test_annual_messages_are_chinese_by_default(capsys, tmp_path, monkeypatch):
    monkeypatch.delenv("QIPING_LANG")
    veto = write(tmp_path, "veto.csv", "year,agency\n2025,Z\n")
    assert refused(capsys, write(tmp_path, "results.csv", RESULTS), "--veto", veto) == [
        "veto.csv：第 2 行：部门 Z 在 2025 年没有任何季度结果（部门代码或年度是否有误？）"]


def test_annual_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["annual"])
    assert caught.value.code == 2
    assert "annual" in capsys.readouterr().err
