"""Every rule of DESIGN §4 on its own, plus settings, intervals, flags and the safeguard."""
from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from scoring import (
    DEFAULT_CONFIG,
    ConfigError,
    ScoringConfig,
    agency_round_scores,
    assign_actions,
    assign_flags,
    assign_ranks,
    assign_grades,
    grade_rounds,
    poor_is_uncertain,
    response_scores,
    round_half_up,
)
from scoring.tdist import t_quantile

FIVE = [f"q{j}" for j in range(1, 6)]  # with five items one point of (r − 1) is worth 5 points


def responses_with_units(units: list[int], round_="2026Q1", agency="A", items=FIVE) -> pd.DataFrame:
    """One response per entry, each with the given total of (r − 1) over all items."""
    rows = []
    for number, total in enumerate(units):
        above = [min(4, max(0, total - 4 * j)) for j in range(len(items))]
        assert sum(above) == total
        rows.append({"round": round_, "enterprise": f"E{number}", "agency": agency,
                     **{item: a + 1 for item, a in zip(items, above)}})
    return pd.DataFrame(rows)


def score_of(responses: pd.DataFrame, items=FIVE, **kwargs) -> float:
    return agency_round_scores(responses, items, **kwargs)["score"].iloc[0]


# --- §4.1 points per level, §4.2 response scores ----------------------------------


def test_levels_are_worth_0_25_50_75_100_points():
    responses = pd.DataFrame({"round": ["2026Q1"] * 5, "enterprise": list("abcde"), "agency": ["A"] * 5,
                              "q": [1, 2, 3, 4, 5]})
    assert response_scores(responses, ["q"]).tolist() == [0.0, 25.0, 50.0, 75.0, 100.0]


def test_response_score_is_the_mean_of_answered_items_only():
    responses = pd.DataFrame({"round": ["2026Q1"] * 3, "enterprise": list("abc"), "agency": ["A"] * 3,
                              "q1": [4, 5, np.nan], "q2": [np.nan, 3, np.nan]})
    scores = response_scores(responses, ["q1", "q2"])
    assert scores.iloc[0] == 75.0
    assert scores.iloc[1] == 75.0
    assert math.isnan(scores.iloc[2])


def test_weights_make_a_weighted_mean_of_answered_items():
    responses = pd.DataFrame({"round": ["2026Q1"] * 2, "enterprise": list("ab"), "agency": ["A"] * 2,
                              "q1": [5, 5], "q2": [1, np.nan]})
    scores = response_scores(responses, ["q1", "q2"], weights={"q1": 3.0, "q2": 1.0})
    assert scores.tolist() == [75.0, 100.0]  # (3·100 + 1·0) / 4; the blank item's weight does not count


def test_bad_weights_and_ratings_are_refused():
    responses = responses_with_units([4])
    with pytest.raises(ValueError):
        response_scores(responses, FIVE, weights={"q1": 1.0})
    with pytest.raises(ValueError):
        response_scores(responses, FIVE, weights={item: 0.0 for item in FIVE})
    for bad in (0, 6, 4.5):
        broken = responses.assign(q1=bad)
        with pytest.raises(ValueError):
            response_scores(broken, FIVE)


def test_rows_with_no_answered_item_do_not_count_but_the_pair_appears():
    responses = responses_with_units([16] * 5)
    blank = pd.DataFrame([{"round": "2026Q1", "enterprise": "X", "agency": "A", **{i: np.nan for i in FIVE}},
                          {"round": "2026Q1", "enterprise": "Y", "agency": "B", **{i: np.nan for i in FIVE}}])
    result = grade_rounds(pd.concat([responses, blank], ignore_index=True), FIVE)
    a, b = result.iloc[0], result.iloc[1]
    assert (a["agency"], a["n"], a["score"], a["grade"]) == ("A", 5, 80.0, "good")
    assert b["agency"] == "B" and b["n"] == 0 and math.isnan(b["score"])
    assert b["grade"] == "insufficient" and b["action"] == "none" and b["flag"] is None


# --- §4.3 half-up rounding ------------------------------------------------------------


def test_41_25_rounds_up_to_41_3():
    # four items: units of 6.25 points; 37.5, 37.5, 43.75, 43.75, 43.75 → 41.25
    items = ["a", "b", "c", "d"]
    responses = responses_with_units([6, 6, 7, 7, 7], items=items)
    result = agency_round_scores(responses, items)
    assert result["mean"].iloc[0] == 41.25
    assert result["score"].iloc[0] == 41.3


@pytest.mark.parametrize(
    "units, mean, rounded",
    [
        ([13] * 3 + [14] * 1, 66.25, 66.3),  # 5 items: unit 5 points → 265 / 4
        ([9] * 1 + [8] * 3, 41.25, 41.3),
        ([9] * 3 + [8] * 1, 43.75, 43.8),
        ([3] * 49 + [2] * 51, 12.45, 12.5),  # the float 12.45 is slightly below 12.45
        ([16] * 99 + [15], 79.95, 80.0),
        ([12] * 99 + [11], 59.95, 60.0),
        ([1] * 3 + [0] * 97, 0.15, 0.2),
    ],
)
def test_half_up_is_exact_at_every_half(units, mean, rounded):
    responses = responses_with_units(units)
    result = agency_round_scores(responses, FIVE)
    assert result["mean"].iloc[0] == pytest.approx(mean, abs=1e-9)
    assert result["score"].iloc[0] == rounded


def test_python_round_would_get_these_wrong():
    # Why the rounding is special: round-half-even and float error.
    assert round(41.25, 1) == 41.2 and round(12.45, 1) == 12.4
    assert round_half_up(41.25) == 41.3 and round_half_up(12.45) == 12.5 and round_half_up(43.75) == 43.8


def test_weighted_mean_on_a_half_is_rounded_exactly():
    # weights 0.1 / 0.9 (not exact in binary): scores 2.5 and 90 → mean 46.25
    responses = pd.DataFrame({"round": ["2026Q1"] * 2, "enterprise": list("ab"), "agency": ["A"] * 2,
                              "q1": [2, 5], "q2": [1, 5]})
    result = agency_round_scores(responses, ["q1", "q2"], weights={"q1": 0.1, "q2": 0.9})
    assert result["mean"].iloc[0] == pytest.approx(51.25)
    assert result["score"].iloc[0] == 51.3


# --- §4.4 grades -------------------------------------------------------------------------


def graded(score: float, n: int = 5, ci_high: float = np.nan, config=DEFAULT_CONFIG) -> str:
    frame = pd.DataFrame({"n": [n], "score": [score], "ci_high": [ci_high]})
    return assign_grades(frame, config).iloc[0]


@pytest.mark.parametrize(
    "score, grade",
    [(100.0, "good"), (80.0, "good"), (79.9, "fair"), (60.0, "fair"), (59.9, "poor"), (0.0, "poor")],
)
def test_thresholds_at_exactly_80_and_60(score, grade):
    assert graded(score) == grade


def test_grade_uses_the_rounded_score():
    assert grade_rounds(responses_with_units([16] * 99 + [15]), FIVE)["grade"].iloc[0] == "good"  # 79.95
    assert grade_rounds(responses_with_units([12] * 99 + [11]), FIVE)["grade"].iloc[0] == "fair"  # 59.95
    assert grade_rounds(responses_with_units([16] * 98 + [15] * 2), FIVE)["grade"].iloc[0] == "fair"  # 79.90


def test_fewer_than_five_responses_is_insufficient():
    assert graded(95.0, n=4) == "insufficient"
    assert graded(10.0, n=0) == "insufficient"
    assert grade_rounds(responses_with_units([20] * 4), FIVE)["grade"].iloc[0] == "insufficient"
    assert grade_rounds(responses_with_units([20] * 5), FIVE)["grade"].iloc[0] == "good"


def test_min_responses_is_configurable():
    config = ScoringConfig(min_responses=2)
    assert grade_rounds(responses_with_units([20] * 2), FIVE, config=config)["grade"].iloc[0] == "good"


# --- §4.5 actions --------------------------------------------------------------------------


def actions_for(grades: list[str], rounds: list[str] | None = None) -> list[str]:
    rounds = rounds or [f"{2024 + i // 4}Q{i % 4 + 1}" for i in range(len(grades))]
    frame = pd.DataFrame({"round": rounds, "agency": "A", "grade": grades})
    return assign_actions(frame).tolist()


def test_each_grade_alone():
    assert actions_for(["good"]) == ["none"]
    assert actions_for(["fair"]) == ["reminder"]
    assert actions_for(["poor"]) == ["interview"]
    assert actions_for(["insufficient"]) == ["none"]


def test_second_and_third_poor_in_a_row_are_referrals():
    assert actions_for(["poor", "poor", "poor"]) == ["interview", "referral", "referral"]


def test_insufficient_round_between_two_poor_ones_does_not_break_the_streak():
    assert actions_for(["poor", "insufficient", "poor"]) == ["interview", "none", "referral"]


def test_insufficient_round_does_not_start_a_streak():
    assert actions_for(["insufficient", "poor"]) == ["none", "interview"]


def test_fair_or_good_between_poors_breaks_the_streak():
    assert actions_for(["poor", "fair", "poor"]) == ["interview", "reminder", "interview"]
    assert actions_for(["poor", "good", "poor"]) == ["interview", "none", "interview"]


def test_rounds_are_taken_in_time_order_not_row_order():
    frame = pd.DataFrame({"round": ["2026Q1", "2025Q4", "2025Q3"], "agency": "A", "grade": ["poor", "poor", "fair"]})
    assert assign_actions(frame).tolist() == ["referral", "interview", "reminder"]


def test_streaks_are_per_agency():
    frame = pd.DataFrame({"round": ["2026Q1", "2026Q1", "2026Q2", "2026Q2"], "agency": ["A", "B", "A", "B"],
                          "grade": ["poor", "good", "good", "poor"]})
    assert assign_actions(frame).tolist() == ["interview", "none", "none", "interview"]


def test_bad_round_labels_and_duplicate_grades_are_refused():
    with pytest.raises(ValueError):
        assign_actions(pd.DataFrame({"round": ["2026-1"], "agency": ["A"], "grade": ["poor"]}))
    with pytest.raises(ValueError):
        assign_actions(pd.DataFrame({"round": ["2026Q1"] * 2, "agency": ["A"] * 2, "grade": ["poor"] * 2}))


def test_history_carries_a_poor_streak_into_the_round_being_finalised():
    poor_now = responses_with_units([4] * 5, round_="2026Q2")  # 20 points: poor
    alone = grade_rounds(poor_now, FIVE)
    assert alone["action"].iloc[0] == "interview"
    history = pd.DataFrame({"round": ["2025Q4", "2026Q1"], "agency": ["A", "A"], "grade": ["poor", "insufficient"]})
    with_history = grade_rounds(poor_now, FIVE, history=history)
    assert with_history["action"].iloc[0] == "referral"
    assert with_history["round"].tolist() == ["2026Q2"]  # history rows are not returned


def test_history_for_the_same_round_is_ignored():
    good_now = responses_with_units([18] * 5, round_="2026Q2")
    history = pd.DataFrame({"round": ["2026Q1", "2026Q2"], "agency": ["A", "A"], "grade": ["poor", "poor"]})
    result = grade_rounds(good_now, FIVE, history=history)
    assert result["grade"].iloc[0] == "good" and result["action"].iloc[0] == "none"


# --- §4.6 flags ------------------------------------------------------------------------------


def flag_frame(rows: list[tuple]) -> pd.DataFrame:
    """rows of (agency, score, n, grade[, ci_low, ci_high])"""
    frame = pd.DataFrame([r[:4] for r in rows], columns=["agency", "score", "n", "grade"]).assign(round="2026Q1")
    if len(rows[0]) > 4:
        frame["ci_low"] = [r[4] for r in rows]
        frame["ci_high"] = [r[5] for r in rows]
    return frame


def test_top_three_red_bottom_three_that_missed_the_bar_yellow():
    rows = [("A", 95.0, 9, "good"), ("B", 90.0, 9, "good"), ("C", 85.0, 9, "good"), ("D", 82.0, 9, "good"),
            ("E", 81.0, 9, "good"), ("F", 70.0, 9, "fair"), ("G", 50.0, 9, "poor"), ("H", 70.0, 3, "insufficient")]
    flags = assign_flags(flag_frame(rows)).tolist()
    # bottom three: G (poor), F (fair) yellow; E is good, so blue although it ranks third from the bottom
    assert flags == ["red", "red", "red", "blue", "blue", "yellow", "yellow", None]


def test_ties_on_score_go_to_more_responses_then_narrower_interval():
    rows = [("A", 90.0, 9, "good", 85.0, 95.0), ("B", 90.0, 9, "good", 88.0, 92.0), ("C", 90.0, 12, "good", 80, 99),
            ("D", 90.0, 9, "good", 80.0, 99.0), ("E", 70.0, 9, "fair", 60.0, 80.0)]
    flags = assign_flags(flag_frame(rows), ScoringConfig(flag_top_n=3, flag_bottom_n=1)).tolist()
    # ranking: C (12 responses), B (narrowest), A, D
    assert flags == ["red", "red", "red", "blue", "yellow"]


def test_a_full_tie_at_the_boundary_shares_the_flag():
    rows = [("A", 95.0, 9, "good"), ("B", 90.0, 9, "good"), ("C", 85.0, 9, "good"), ("D", 85.0, 9, "good"),
            ("E", 40.0, 9, "poor"), ("F", 40.0, 9, "poor"), ("G", 30.0, 9, "poor"), ("H", 30.0, 9, "poor"),
            ("I", 80.0, 9, "good")]
    flags = dict(zip("ABCDEFGHI", assign_flags(flag_frame(rows)).tolist()))
    assert [flags[a] for a in "ABCD"] == ["red"] * 4  # C and D tie for third: both red
    assert [flags[a] for a in "EFGH"] == ["yellow"] * 4  # E and F tie for third from the bottom
    assert flags["I"] == "blue"


def test_yellow_wins_over_red_when_top_and_bottom_overlap():
    rows = [("A", 90.0, 9, "good"), ("B", 70.0, 9, "fair"), ("C", 50.0, 9, "poor")]
    assert assign_flags(flag_frame(rows)).tolist() == ["red", "yellow", "yellow"]


def test_ranks_follow_the_flag_order_and_share_ties():
    rows = [("A", 95.0, 9, "good"), ("B", 85.0, 9, "good"), ("C", 85.0, 9, "good"), ("D", 70.0, 12, "fair"),
            ("E", 70.0, 9, "fair"), ("F", 99.0, 2, "insufficient")]
    ranks = assign_ranks(flag_frame(rows)).tolist()
    assert ranks == [1, 2, 2, 4, 5, None]
    assert all(type(r) is int for r in ranks[:5])  # stores as a whole number


def test_flags_are_per_round():
    frame = pd.concat([flag_frame([("A", 90.0, 9, "good"), ("B", 50.0, 9, "poor")]).assign(round="2026Q1"),
                       flag_frame([("A", 50.0, 9, "poor"), ("B", 90.0, 9, "good")]).assign(round="2026Q2")])
    config = ScoringConfig(flag_top_n=1, flag_bottom_n=1)
    assert assign_flags(frame, config).tolist() == ["red", "yellow", "yellow", "red"]


# --- §4.8 intervals --------------------------------------------------------------------------


def test_t_interval_matches_the_textbook_formula():
    units = [0, 4, 8, 12, 16, 20, 10]
    result = agency_round_scores(responses_with_units(units), FIVE).iloc[0]
    scores = np.array(units) * 5.0
    half = t_quantile(0.975, 6) * scores.std(ddof=1) / math.sqrt(7)
    assert result["ci_low"] == pytest.approx(scores.mean() - half)
    assert result["ci_high"] == pytest.approx(scores.mean() + half)


def test_interval_is_clipped_and_missing_below_two_responses():
    high = agency_round_scores(responses_with_units([20, 20, 19]), FIVE).iloc[0]
    assert high["ci_high"] == 100.0
    one = agency_round_scores(responses_with_units([10]), FIVE).iloc[0]
    assert math.isnan(one["ci_low"]) and math.isnan(one["ci_high"])
    same = agency_round_scores(responses_with_units([10] * 6), FIVE).iloc[0]
    assert same["ci_low"] == same["ci_high"] == 50.0


def test_t_quantiles_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    for df in [1, 2, 3, 4, 5, 9, 29, 99, 100, 101, 500, 5000]:
        for p in (0.9, 0.95, 0.975, 0.995):
            assert t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), rel=1e-8)


def test_t_quantiles_known_values():
    assert t_quantile(0.975, 4) == pytest.approx(2.776445, abs=1e-6)
    assert t_quantile(0.975, 1) == pytest.approx(12.706205, abs=1e-6)
    assert t_quantile(0.975, 10**6) == pytest.approx(1.959966, abs=1e-6)


# --- the optional safeguard ------------------------------------------------------------------


def test_safeguard_is_off_by_default_and_changes_nothing_then():
    assert DEFAULT_CONFIG.poor_only_if_interval_below_fair is False
    wide = pd.DataFrame({"n": [5], "score": [55.0], "ci_high": [70.0]})
    assert assign_grades(wide).iloc[0] == "poor"


def test_safeguard_grades_an_uncertain_poor_as_fair():
    on = ScoringConfig(poor_only_if_interval_below_fair=True)
    frame = pd.DataFrame({"n": [5, 5, 5, 5, 3], "score": [55.0, 40.0, 55.0, 85.0, 20.0],
                          "ci_high": [70.0, 59.9, 60.0, 90.0, 30.0]})
    assert assign_grades(frame, on).tolist() == ["fair", "poor", "fair", "good", "insufficient"]
    assert poor_is_uncertain(frame).tolist() == [True, False, True, False, False]


def test_safeguard_through_grade_rounds():
    spread = responses_with_units([0, 20, 4, 16, 8])  # mean 48: poor, but a very wide interval
    default = grade_rounds(spread, FIVE)
    guarded = grade_rounds(spread, FIVE, config=ScoringConfig(poor_only_if_interval_below_fair=True))
    assert default["grade"].iloc[0] == "poor" and bool(default["uncertain"].iloc[0])
    assert guarded["grade"].iloc[0] == "fair" and guarded["action"].iloc[0] == "reminder"
    firm = responses_with_units([4, 5, 4, 5, 4, 5])
    assert grade_rounds(firm, FIVE, config=ScoringConfig(poor_only_if_interval_below_fair=True))["grade"].iloc[0] == "poor"


# --- settings ------------------------------------------------------------------------------------


def test_config_defaults_follow_the_design():
    c = DEFAULT_CONFIG
    assert (c.points_per_level, c.lowest_level, c.highest_level) == (25.0, 1, 5)
    assert (c.min_responses, c.good_threshold, c.fair_threshold) == (5, 80.0, 60.0)
    assert (c.flag_top_n, c.flag_bottom_n, c.confidence) == (3, 3, 0.95)


def test_config_round_trips_through_json_and_old_pins_still_load():
    config = ScoringConfig(min_responses=8, poor_only_if_interval_below_fair=True)
    assert ScoringConfig.from_dict(json.loads(json.dumps(config.to_dict()))) == config
    old_pin = {k: v for k, v in DEFAULT_CONFIG.to_dict().items() if k != "poor_only_if_interval_below_fair"}
    assert ScoringConfig.from_dict(old_pin) == DEFAULT_CONFIG


def test_config_from_toml(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text("[scoring]\nmin_responses = 3\ngood_threshold = 85\n\n[weights]\nq1 = 2.0\n", encoding="utf-8")
    config = ScoringConfig.from_toml(path)
    assert config.min_responses == 3 and config.good_threshold == 85.0
    flat = tmp_path / "flat.toml"
    flat.write_text("fair_threshold = 55.5\n", encoding="utf-8")
    assert ScoringConfig.from_toml(flat).fair_threshold == 55.5


def test_bad_settings_are_refused_with_every_problem():
    with pytest.raises(ConfigError) as caught:
        ScoringConfig.from_dict({"min_responce": 3, "typo": 1})
    assert [p.params["setting"] for p in caught.value.problems] == ["min_responce", "typo"]
    with pytest.raises(ConfigError):
        ScoringConfig(fair_threshold=90.0)
    with pytest.raises(ConfigError):
        ScoringConfig(min_responses="5")
    with pytest.raises(ConfigError):
        ScoringConfig(confidence=1.0)


# --- big inputs: chunked and two-threaded paths agree with plain pandas ------------------


@pytest.mark.parametrize("rows", [70_000, 210_000])
def test_big_inputs_match_a_plain_pandas_computation(rows):
    rng = np.random.default_rng(rows)
    ratings = rng.integers(1, 6, size=(rows, 3)).astype(float)
    ratings[rng.random((rows, 3)) < 0.2] = np.nan
    frame = pd.DataFrame({"round": rng.choice(["2026Q1", "2026Q2"], rows), "enterprise": np.arange(rows),
                          "agency": rng.choice(["A", "B", "C"], rows), "x": ratings[:, 0], "y": ratings[:, 1],
                          "z": ratings[:, 2]})
    weights = {"x": 1.0, "y": 2.0, "z": 0.5}
    result = agency_round_scores(frame, ["x", "y", "z"], weights)
    answered = frame[["x", "y", "z"]].notna()
    points = ((frame[["x", "y", "z"]] - 1) * 25).fillna(0)
    w = pd.Series(weights)
    frame["s"] = (points * w).sum(axis=1) / (answered * w).sum(axis=1).replace(0, np.nan)
    plain = frame.groupby(["round", "agency"])["s"].agg(["count", "mean", "std"]).reset_index()
    assert result["n"].tolist() == plain["count"].tolist()
    np.testing.assert_allclose(result["mean"], plain["mean"], rtol=1e-12)
    half = (result["ci_high"] - result["ci_low"]) / 2
    np.testing.assert_allclose(half, 1.96 * plain["std"] / np.sqrt(plain["count"]), rtol=1e-3)
