"""§4.9 agency groups and §4.10 rater panels: each rule on its own, then hypothesis properties."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scoring import (
    DEFAULT_CONFIG,
    PANELS,
    ConfigError,
    ScoringConfig,
    agency_round_scores,
    assign_flags,
    assign_ranks,
    grade_rounds,
    panel_scores,
)
from scoring.config import weights_from_toml
from scoring.rounding import tenths_half_up_exact

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
THREE_PANELS = ScoringConfig(panel_weights={"enterprise": 0.5, "representative": 0.25, "supervisor": 0.25})


def rows(agency: str, panel: str, ratings: list[int], round_="2026Q1", start=0) -> list[dict]:
    return [{"round": round_, "enterprise": f"{panel[0]}{start + i}", "agency": agency, "panel": panel, "q": r}
            for i, r in enumerate(ratings)]


def frame(*parts: list[dict]) -> pd.DataFrame:
    table = pd.DataFrame([row for part in parts for row in part])
    table["q"] = table["q"].astype(float)
    return table


def one(result: pd.DataFrame, agency="A") -> pd.Series:
    return result.set_index("agency").loc[agency]


# --- settings ------------------------------------------------------------------------


def test_defaults_are_enterprises_alone_county_wide_and_seventy_percent():
    assert DEFAULT_CONFIG.panel_weights == {"enterprise": 1.0}
    assert DEFAULT_CONFIG.weighted_panels == ("enterprise",)
    assert (DEFAULT_CONFIG.min_panel_responses, DEFAULT_CONFIG.ranking_scope) == (3, "county")
    assert DEFAULT_CONFIG.annual_survey_weight == 0.7
    assert PANELS == ("enterprise", "representative", "supervisor")


def test_an_old_pinned_config_gets_the_new_defaults_and_the_new_ones_round_trip():
    old = {k: v for k, v in DEFAULT_CONFIG.to_dict().items()
           if k not in ("panel_weights", "min_panel_responses", "ranking_scope", "annual_survey_weight")}
    assert ScoringConfig.from_dict(old) == DEFAULT_CONFIG
    pinned = THREE_PANELS.to_dict()
    assert pinned["panel_weights"] == {"enterprise": 0.5, "representative": 0.25, "supervisor": 0.25}
    assert ScoringConfig.from_dict(pinned) == THREE_PANELS
    assert hash(ScoringConfig.from_dict(pinned)) == hash(THREE_PANELS)


def test_the_config_keeps_its_own_copy_of_the_weights():
    weights = {"enterprise": 1, "supervisor": 2}
    config = ScoringConfig(panel_weights=weights)
    weights["enterprise"] = 100
    assert config.panel_weights == {"enterprise": 1.0, "supervisor": 2.0}


@pytest.mark.parametrize("values, code, setting", [
    ({"panel_weights": {"citizens": 1}}, "config_unknown_panel", None),
    ({"panel_weights": {"enterprise": -1}}, "config_bad_panel_weight", None),
    ({"panel_weights": {"enterprise": "half"}}, "config_bad_panel_weight", None),
    ({"panel_weights": {"enterprise": float("inf")}}, "config_bad_panel_weight", None),
    ({"panel_weights": {"enterprise": 0, "supervisor": 0}}, "config_no_panel_weight", None),
    ({"panel_weights": 1}, "config_bad_type", "panel_weights"),
    ({"min_panel_responses": 0}, "config_out_of_range", "min_panel_responses"),
    ({"min_panel_responses": 2.5}, "config_bad_type", "min_panel_responses"),
    ({"ranking_scope": "province"}, "config_out_of_range", "ranking_scope"),
    ({"ranking_scope": 1}, "config_bad_type", "ranking_scope"),
    ({"annual_survey_weight": 1.2}, "config_out_of_range", "annual_survey_weight"),
    ({"annual_survey_weight": float("nan")}, "config_out_of_range", "annual_survey_weight"),
])
def test_bad_new_settings_are_refused_with_a_problem(values, code, setting):
    with pytest.raises(ConfigError) as caught:
        ScoringConfig.from_dict(values)
    (problem,) = caught.value.problems
    assert problem.code == code
    if setting:
        assert problem.params["setting"] == setting


def test_toml_panel_weights_table_beside_or_inside_scoring(tmp_path):
    beside = tmp_path / "beside.toml"
    beside.write_text("[scoring]\nmin_panel_responses = 4\n[panel_weights]\nenterprise = 2\nsupervisor = 1\n"
                      "[weights]\nq = 1\n")
    config = ScoringConfig.from_toml(beside)
    assert config.panel_weights == {"enterprise": 2.0, "supervisor": 1.0} and config.min_panel_responses == 4
    assert weights_from_toml(beside) == {"q": 1.0}
    top_level = tmp_path / "top.toml"
    top_level.write_text('ranking_scope = "group"\nannual_survey_weight = 0.6\n[panel_weights]\nrepresentative = 1\n')
    config = ScoringConfig.from_toml(top_level)
    assert (config.ranking_scope, config.annual_survey_weight) == ("group", 0.6)
    assert config.weighted_panels == ("representative",)
    twice = tmp_path / "twice.toml"
    twice.write_text("[scoring.panel_weights]\nenterprise = 1\n[panel_weights]\nenterprise = 2\n")
    with pytest.raises(ConfigError) as caught:
        ScoringConfig.from_toml(twice)
    assert caught.value.problems[0].code == "config_twice"


# --- §4.10 panels ------------------------------------------------------------------------


def test_weighted_mean_of_panel_means_renormalised_over_panels_that_reach_the_minimum():
    responses = frame(rows("A", "enterprise", [5] * 6), rows("A", "representative", [1, 1, 1]),
                      rows("A", "supervisor", [3, 3]))
    result = one(agency_round_scores(responses, ["q"], config=THREE_PANELS))
    # supervisors (2 < 3) drop out: 100 × 0.5/0.75 + 0 × 0.25/0.75
    assert result["score"] == 66.7
    assert result["n"] == 11  # every weighted panel's responses count in n


def test_all_three_panels_counted():
    responses = frame(rows("A", "enterprise", [5, 4, 4, 4]), rows("A", "representative", [3, 3, 3]),
                      rows("A", "supervisor", [2, 2, 2]))
    result = one(grade_rounds(responses, ["q"], config=THREE_PANELS))
    assert result["mean"] == pytest.approx(0.5 * 81.25 + 0.25 * 50 + 0.25 * 25)
    assert result["score"] == 59.4 and result["grade"] == "poor"


def test_no_panel_reaching_the_minimum_means_no_score_and_insufficient():
    responses = frame(rows("A", "enterprise", [5, 5]), rows("A", "representative", [5, 5]),
                      rows("A", "supervisor", [5, 5]))
    result = one(grade_rounds(responses, ["q"], config=THREE_PANELS))
    assert result["n"] == 6 and np.isnan(result["score"])
    assert (result["grade"], result["action"], result["flag"], result["rank"]) == ("insufficient", "none", None, None)


def test_rule_4_minimum_counts_all_weighted_panels_together():
    responses = frame(rows("A", "enterprise", [5, 5, 5]), rows("A", "representative", [4, 4]))
    result = one(grade_rounds(responses, ["q"], config=THREE_PANELS))
    assert result["n"] == 5 and result["score"] == 100.0 and result["grade"] == "good"


def test_a_panel_without_weight_counts_nowhere():
    base = rows("A", "enterprise", [4, 4, 4, 4, 4])
    with_supervisors = frame(base, rows("A", "supervisor", [1] * 7))
    result = one(grade_rounds(with_supervisors, ["q"]))  # default: enterprises alone
    assert (result["n"], result["score"]) == (5, 75.0)
    only_supervisors = frame(rows("B", "supervisor", [1] * 7))
    result = one(grade_rounds(only_supervisors, ["q"]), "B")
    assert result["n"] == 0 and result["grade"] == "insufficient"


def test_single_weighted_panel_has_no_per_panel_minimum():
    config = ScoringConfig(panel_weights={"representative": 1.0}, min_responses=1)
    result = one(grade_rounds(frame(rows("A", "representative", [5])), ["q"], config=config))
    assert (result["n"], result["score"], result["grade"]) == (1, 100.0, "good")


def test_blank_or_missing_panel_is_an_enterprise_and_an_unknown_one_is_refused():
    responses = frame(rows("A", "enterprise", [4, 5, 3, 4, 5]))
    blank = responses.assign(panel=["", None, " ", np.nan, "enterprise"])
    expected = agency_round_scores(responses.drop(columns="panel"), ["q"])
    pd.testing.assert_frame_equal(agency_round_scores(blank, ["q"]), expected)
    with pytest.raises(ValueError, match="citizen"):
        agency_round_scores(responses.assign(panel="citizen"), ["q"])


def test_combined_score_is_rounded_half_up_exactly():
    # enterprise 12.5 (×1) and representatives 25.0 (×1) → 18.75 → 18.8
    responses = frame(rows("A", "enterprise", [1, 1, 1, 3]), rows("A", "representative", [2, 2, 2]))
    config = ScoringConfig(panel_weights={"enterprise": 1, "representative": 1})
    assert one(agency_round_scores(responses, ["q"], config=config))["score"] == 18.8


def test_interval_of_several_panels_contains_the_mean():
    responses = frame(rows("A", "enterprise", [5, 4, 3, 4, 2]), rows("A", "representative", [3, 4, 2]))
    config = ScoringConfig(panel_weights={"enterprise": 0.6, "representative": 0.4})
    result = one(agency_round_scores(responses, ["q"], config=config))
    assert result["ci_low"] < result["mean"] < result["ci_high"]


def test_panel_scores_give_every_panel_present():
    responses = frame(rows("A", "enterprise", [5, 4]), rows("A", "supervisor", [1, 2, 2]),
                      rows("B", "representative", [3]))
    table = panel_scores(responses, ["q"])
    assert table.columns.tolist() == ["round", "agency", "panel", "n", "score"]
    assert table[["agency", "panel", "n", "score"]].values.tolist() == [
        ["A", "enterprise", 2, 87.5], ["A", "supervisor", 3, 16.7], ["B", "representative", 1, 50.0]]
    assert panel_scores(responses.drop(columns="panel"), ["q"])["panel"].tolist() == ["enterprise"] * 2


# --- §4.9 groups ---------------------------------------------------------------------------


def grouped(scores: dict[str, tuple[str, list[int]]]) -> pd.DataFrame:
    parts = [[{**row, "group": group} for row in rows(agency, "enterprise", ratings)]
             for agency, (group, ratings) in scores.items()]
    return frame(*parts).drop(columns="panel")


def test_group_scope_ranks_and_flags_within_each_group():
    responses = grouped({"A": ("approval", [5] * 5), "B": ("approval", [4] * 5), "C": ("service", [3] * 5),
                         "D": ("service", [2] * 5)})
    county = grade_rounds(responses, ["q"]).set_index("agency")
    by_group = grade_rounds(responses, ["q"], config=ScoringConfig(ranking_scope="group")).set_index("agency")
    assert county["rank"].tolist() == [1, 2, 3, 4]
    assert by_group["rank"].tolist() == [1, 2, 1, 2]
    assert by_group["group"].tolist() == ["approval", "approval", "service", "service"]
    assert by_group.loc["C", "flag"] == "yellow"  # fair, and bottom of its group of two


def test_without_a_group_column_the_group_scope_is_county_wide():
    responses = grouped({"A": ("x", [5] * 5), "B": ("y", [4] * 5)}).drop(columns="group")
    result = grade_rounds(responses, ["q"], config=ScoringConfig(ranking_scope="group"))
    assert "group" not in result.columns and result["rank"].tolist() == [1, 2]


def test_an_agency_with_two_groups_is_refused():
    responses = grouped({"A": ("x", [5] * 5)})
    responses.loc[0, "group"] = "y"
    with pytest.raises(ValueError, match="more than one group"):
        grade_rounds(responses, ["q"])


def test_agencies_without_a_group_are_ranked_together():
    responses = grouped({"A": ("x", [5] * 5), "B": ("", [4] * 5), "C": ("", [3] * 5)})
    result = grade_rounds(responses, ["q"], config=ScoringConfig(ranking_scope="group")).set_index("agency")
    assert result["rank"].tolist() == [1, 1, 2]
    assert result.loc["B", "group"] is None


# --- properties -------------------------------------------------------------------------------

ROUNDS = ["2026Q1", "2026Q2"]
AGENCIES = ["FGW", "SCJG", "XZFW", "ZJW", "GAJ"]


@st.composite
def panel_tables(draw, panels=PANELS):
    """Responses with one item column, ratings 1..5 (some blank rows), spread over panels."""
    n_rows = draw(st.integers(1, 70))
    table = pd.DataFrame({
        "round": draw(st.lists(st.sampled_from(ROUNDS), min_size=n_rows, max_size=n_rows)),
        "enterprise": [f"R{i}" for i in range(n_rows)],
        "agency": draw(st.lists(st.sampled_from(AGENCIES), min_size=n_rows, max_size=n_rows)),
        "panel": draw(st.lists(st.sampled_from(panels), min_size=n_rows, max_size=n_rows)),
        "q": draw(st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=n_rows, max_size=n_rows)),
        "r": draw(st.lists(st.integers(1, 5), min_size=n_rows, max_size=n_rows)),
    })
    table[["q", "r"]] = table[["q", "r"]].astype(float)
    return table


weights_st = st.fixed_dictionaries({p: st.sampled_from([0.0, 0.25, 0.5, 1.0, 2.0, 3.0]) for p in PANELS}).filter(
    lambda w: any(v > 0 for v in w.values()))


def reference_score(table: pd.DataFrame, config: ScoringConfig) -> dict:
    """(round, agency) → (n, exact half-up score or None), from §4.10's words, with fractions."""
    weighted = [p for p, w in config.panel_weights.items() if w > 0]
    minimum = 1 if len(weighted) == 1 else config.min_panel_responses
    out = {}
    for key, rows_of in table.groupby(["round", "agency"]):
        means, n = {}, 0
        for panel in weighted:
            scores = [Fraction(int(sum(int(v) - 1 for v in row if not np.isnan(v))) * 25,
                               int(sum(1 for v in row if not np.isnan(v))))
                      for row in rows_of.loc[rows_of["panel"] == panel, ["q", "r"]].to_numpy()]
            n += len(scores)
            if len(scores) >= minimum:
                means[panel] = sum(scores, Fraction(0)) / len(scores)
        if means:
            total = sum(Fraction(repr(config.panel_weights[p])) for p in means)
            exact = sum(Fraction(repr(config.panel_weights[p])) * m for p, m in means.items()) / total
            out[key] = (n, tenths_half_up_exact(exact) / 10)
        else:
            out[key] = (n, None)
    return out


@SETTINGS
@given(panel_tables(), weights_st, st.integers(1, 4))
def test_scores_match_an_exact_reference_of_rule_10(table, weights, minimum):
    config = ScoringConfig(panel_weights=weights, min_panel_responses=minimum)
    result = agency_round_scores(table, ["q", "r"], config=config)
    expected = reference_score(table, config)
    assert len(result) == len(expected)
    for row in result.itertuples():
        n, score = expected[(row.round, row.agency)]
        assert row.n == n
        assert (np.isnan(row.score) if score is None else row.score == score)


@SETTINGS
@given(panel_tables(), weights_st, st.sampled_from([0.5, 3.0, 10.0]))
def test_scaling_every_weight_changes_nothing(table, weights, factor):
    config = ScoringConfig(panel_weights=weights)
    scaled = ScoringConfig(panel_weights={p: w * factor for p, w in weights.items()})
    before = grade_rounds(table, ["q", "r"], config=config)
    after = grade_rounds(table, ["q", "r"], config=scaled)
    for column in ("n", "score", "grade", "action", "flag", "rank"):
        assert before[column].tolist() == after[column].tolist() or before[column].equals(after[column])


@SETTINGS
@given(panel_tables(), st.sampled_from(PANELS))
def test_a_single_weighted_panel_is_rule_3_on_its_rows(table, panel):
    config = ScoringConfig(panel_weights={panel: 1.0})
    with_panels = grade_rounds(table, ["q", "r"], config=config)
    own = table.assign(q=table["q"].where(table["panel"] == panel), r=table["r"].where(table["panel"] == panel))
    alone = grade_rounds(own.drop(columns="panel"), ["q", "r"])  # other panels' rows become non-responses
    pd.testing.assert_frame_equal(with_panels, alone)


@SETTINGS
@given(panel_tables(panels=("enterprise",)))
def test_one_panel_column_changes_nothing(table):
    pd.testing.assert_frame_equal(grade_rounds(table, ["q", "r"]), grade_rounds(table.drop(columns="panel"), ["q", "r"]))


@SETTINGS
@given(panel_tables(), weights_st)
def test_a_panel_below_the_minimum_is_ignored(table, weights):
    config = ScoringConfig(panel_weights=weights, min_panel_responses=3)
    if len(config.weighted_panels) < 2:
        return
    counts = table.groupby(["round", "agency", "panel"]).size()
    small = [key for key, size in counts.items() if size < 3]
    thinned = table[~table.set_index(["round", "agency", "panel"]).index.isin(small)]
    full = agency_round_scores(table, ["q", "r"], config=config).set_index(["round", "agency"])
    without = agency_round_scores(thinned, ["q", "r"], config=config).set_index(["round", "agency"])
    common = full.index.intersection(without.index)
    assert full.loc[common, "score"].equals(without.loc[common, "score"])
    lost = full.index.difference(without.index)
    assert full.loc[lost, "score"].isna().all()  # groups with only small panels have no score


@SETTINGS
@given(panel_tables(), weights_st, st.integers(0, 2**32 - 1))
def test_row_order_and_agency_codes_change_nothing(table, weights, seed):
    config = ScoringConfig(panel_weights=weights)
    result = grade_rounds(table, ["q", "r"], config=config).set_index(["round", "agency"])
    rng = np.random.default_rng(seed)
    renamed_codes = dict(zip(AGENCIES, rng.permutation([f"X{i}" for i in range(len(AGENCIES))])))
    moved = table.iloc[rng.permutation(len(table))].assign(agency=lambda t: t["agency"].map(renamed_codes))
    again = grade_rounds(moved, ["q", "r"], config=config)
    again = again.assign(agency=again["agency"].map({v: k for k, v in renamed_codes.items()}))
    again = again.set_index(["round", "agency"]).reindex(result.index)
    for column in ("n", "score", "grade", "flag", "rank"):
        assert again[column].tolist() == result[column].tolist() or again[column].equals(result[column])


@st.composite
def grouped_results(draw):
    """Graded agency-rounds with a group each: many ties."""
    records = []
    for round_ in ROUNDS[: draw(st.integers(1, 2))]:
        for number in range(draw(st.integers(1, 10))):
            score = draw(st.sampled_from([40.0, 59.9, 60.0, 72.5, 80.0, 91.0]))
            width = draw(st.sampled_from([5.0, 10.0]))
            records.append({"round": round_, "agency": f"A{number}", "n": draw(st.sampled_from([5, 8])),
                            "score": score, "ci_low": score - width / 2, "ci_high": score + width / 2,
                            "grade": draw(st.sampled_from(["good", "fair", "poor", "insufficient"])),
                            "group": draw(st.sampled_from(["approval", "service", None]))})
    return pd.DataFrame(records)


@SETTINGS
@given(grouped_results())
def test_group_ranking_equals_county_ranking_on_each_group_alone(table):
    config = ScoringConfig(ranking_scope="group")
    ranks, flags = assign_ranks(table, config), assign_flags(table, config)
    for _, members in table.groupby(table["group"].fillna("-"), sort=False):
        alone = members.drop(columns="group")
        assert assign_ranks(alone).tolist() == ranks[members.index].tolist()
        assert assign_flags(alone).tolist() == flags[members.index].tolist()


@SETTINGS
@given(grouped_results())
def test_county_scope_ignores_the_group_column(table):
    assert assign_ranks(table).tolist() == assign_ranks(table.drop(columns="group")).tolist()
    assert assign_flags(table).tolist() == assign_flags(table.drop(columns="group")).tolist()
