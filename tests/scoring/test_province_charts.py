"""Charts at province size (issue 16 item 5): with 2,200 agencies no chart carries more rows than
Altair allows (5,000 a dataset) or draws thousands of bars; the grade map sums up by group and the
ranking draws its two ends (and the reader's own agency), and each still renders."""
import random

import altair as alt
import pandas as pd
import pytest
import vl_convert

import charts
from charts import county
from scoring.grades import FAIR, GOOD, INSUFFICIENT, POOR

AGENCIES = 2200
ROUNDS = ["2026Q1", "2026Q2", "2026Q3"]
GROUPS = ["审批类", "执法类", "服务类", "公用事业"]
ROW_LIMIT = alt.data_transformers.options.get("max_rows", 5000)


def province_results(agencies: int = AGENCIES) -> pd.DataFrame:
    """Every agency in every round: score, grade (a few too thin to grade), rank, flag, group."""
    rng = random.Random(7)
    rows = []
    for round_name in ROUNDS:
        for i in range(agencies):
            score = rng.uniform(30, 99)
            grade = INSUFFICIENT if i % 97 == 0 else GOOD if score >= 80 else FAIR if score >= 60 else POOR
            rows.append({"round": round_name, "agency": f"P{i:04d}", "name_zh": f"部门{i:04d}",
                         "name_en": f"Agency {i:04d}", "n": 3 if grade == INSUFFICIENT else 130,
                         "score": score, "ci_low": score - 4, "ci_high": score + 4, "grade": grade,
                         "action": "none", "flag": None, "group_label": GROUPS[i % 4], "group_order": i % 4})
    frame = pd.DataFrame(rows)
    for round_name, part in frame.groupby("round"):
        graded = part[part["grade"] != INSUFFICIENT].sort_values("score", ascending=False)
        frame.loc[graded.index, "rank"] = range(1, len(graded) + 1)
    return frame


def dataset_sizes(spec: dict) -> list[int]:
    return [len(rows) for rows in spec.get("datasets", {}).values()]


def renders(chart) -> bool:
    return vl_convert.vegalite_to_svg(charts.common.static_spec(chart.to_dict())).startswith("<svg")


@pytest.fixture(scope="module")
def results() -> pd.DataFrame:
    return province_results()


def test_province_grade_map_sums_up_by_group_under_the_row_limit(results):
    spec = charts.grade_heatmap(results, "zh").to_dict()
    assert max(dataset_sizes(spec)) == len(GROUPS) * len(ROUNDS)
    assert max(dataset_sizes(spec)) < ROW_LIMIT


def test_group_cells_count_every_agency_and_take_the_most_common_grade(results):
    counts = county.group_grade_counts(results, "en")
    assert counts[[GOOD, FAIR, POOR, INSUFFICIENT]].to_numpy().sum() == len(results)
    row = counts.iloc[0]
    assert row[row["grade"]] == max(row[GOOD], row[FAIR], row[POOR])


def test_a_county_sized_grade_map_still_draws_every_agency(results):
    few = results[results["agency"].isin([f"P{i:04d}" for i in range(1, 23)])]
    spec = charts.grade_heatmap(few, "en").to_dict()
    assert max(dataset_sizes(spec)) == len(few)


def test_province_ranking_draws_its_two_ends_and_the_own_agency(results):
    latest = results[results["round"] == "2026Q3"]
    middle = latest.sort_values("rank").iloc[1000]["agency"]
    spec = charts.ranking_bars(latest, "en", highlight=middle).to_dict()
    drawn = spec["datasets"][next(iter(spec["datasets"]))]
    assert len(drawn) == county.TOP_BARS + county.BOTTOM_BARS + 1
    assert middle in {row["agency"] for row in drawn}
    assert {row["rank"] for row in drawn} >= {1.0, 2.0}
    graded = (latest["grade"] != INSUFFICIENT).sum()
    assert f"({graded})" in " ".join(spec["title"]["subtitle"])  # how many were graded, said in the subtitle


def test_province_charts_stay_under_the_row_limit_and_render(results):
    latest = results[results["round"] == "2026Q3"]
    built = [charts.grade_heatmap(results, "zh"), charts.ranking_bars(latest, "zh"),
             charts.grade_slope(results, "zh", "2026Q2", "2026Q3")]
    for chart in built:
        spec = chart.to_dict()  # validated: Altair raises past its row limit
        assert max(dataset_sizes(spec)) < ROW_LIMIT
    assert all(renders(chart) for chart in built[:2])


def test_province_slope_draws_the_agencies_that_moved_most(results):
    spec = charts.grade_slope(results, "en", "2026Q2", "2026Q3").to_dict()
    drawn = {row["agency"] for rows in spec["datasets"].values() for row in rows}
    assert len(drawn) == county.MAX_SLOPE_AGENCIES
    graded = results[results["grade"] != INSUFFICIENT]
    scores = graded.pivot_table(index="agency", columns="round", values="score").dropna()
    biggest = (scores["2026Q3"] - scores["2026Q2"]).abs().idxmax()
    assert biggest in drawn
