"""What the dashboards show, with who may see it (DESIGN §2, §6).

* An agency's page: agency staff only their own agency (refused otherwise, even
  when a page is tricked into asking); the administrator and the discipline
  office any agency.
* The county overview: administrator and discipline office.
* The published ranking: agencies only for published rounds; the
  administrator and discipline office for every finalised round.

Agencies see stored results of finalised rounds only. A round that is open or
closed but not finalised is "in progress": agencies see no numbers for it; the
administrator and discipline office see provisional figures, marked as such.
Comments are shown only for rounds with enough counted responses for the
agency (surveys/results/privacy.py decides both "counted" and "enough"), sorted by
their text (so their order says nothing about who wrote them or when) and with
nothing else about the rater. For the same reason an agency sees no item
breakdown, answer shares, score or interval of a round below that minimum —
its own or, in the published ranking, any other agency's: one or two raters'
answers would show through.

Every function returns plain data (dicts, DataFrames); the pages cache them
keyed on ``data_version`` so that any change of the data is seen at once.
"""
from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

import pandas as pd
import sqlite_utils

import scoring
from scoring import rates as standard_rates
from scoring.rounding import round_half_up
from surveys.casework import cases
from surveys.results import finalise
from surveys.results import open_round
from surveys.results import privacy
from surveys.results import rate_counts
from surveys.collection import rounds as rounds_lifecycle  # "rounds" names the rounds' frame here
from surveys.core.actors import Actor
from surveys.core.errors import NotFound, PermissionDenied
from surveys.core.permissions import allowed, require, requires
from surveys.participants import registry

FINALISED, IN_PROGRESS = rounds_lifecycle.FINALISED, rounds_lifecycle.IN_PROGRESS
CASE_DONE = cases.FINISHED
RESULT_COLUMNS = ["round", "agency", "n", "mean", "score", "ci_low", "ci_high", "grade", "uncertain",
                  "action", "flag", "rank", "agency_group"]
COUNTED = privacy.counted_condition("r")


# --- cache key ------------------------------------------------------------------

def results_version(db: sqlite_utils.Database) -> str:
    """A fingerprint of what the finalised figures rest on: finalisations and publications,
    the rounds' statuses and rules, exclusions, cases, the roster (names, groups, active),
    the groups, questionnaires and settings. A saved answer leaves it as it is, so pages and
    charts that show finalised results only (``finalised_only``) stay cached through the peak
    of a round (issue 16): at 300,000 answers a round, every save would otherwise empty them.
    The roster is counted per panel and active flag from their index (enterprises_panel), not row by row."""
    row = db.execute(
        """SELECT (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(sum(is_current), 0)
                   FROM finalisations),
                  (SELECT coalesce(group_concat(name || ':' || status || ':' || ranking_scope || ':'
                                                || coalesce(questionnaire_version, ''), ','), '') FROM rounds),
                  (SELECT count(*) || ':' || coalesce(max(response_id), 0) FROM exclusions),
                  (SELECT count(*) || ':' || count(closed_at) || ':' || coalesce(max(id), 0) FROM cases),
                  (SELECT coalesce(group_concat(code || ':' || name_zh || ':' || name_en || ':' || group_code
                                                || ':' || active, ','), '') FROM agencies),
                  (SELECT coalesce(group_concat(panel || ':' || active || ':' || n, ','), '') FROM (
                       SELECT panel, active, count(*) AS n FROM enterprises GROUP BY panel, active)),
                  (SELECT coalesce(group_concat(code || ':' || position || ':' || name_zh || ':' || name_en, ','), '')
                   FROM agency_groups),
                  (SELECT count(*) FROM questionnaires),
                  (SELECT coalesce(group_concat(name || '=' || value, ','), '') FROM settings),
                  (SELECT coalesce(group_concat(round || ':' || panel || ':' || weight, ','), '')
                   FROM round_panel_weights)"""
    ).fetchone()
    return hashlib.sha256("\x1f".join(str(part) for part in row).encode()).hexdigest()


FINALISED_ENTRIES = 64  # figures kept per process: a few kinds of figure for a few counties
_finalised: OrderedDict = OrderedDict()
_finalised_lock = threading.Lock()


def database_file(db: sqlite_utils.Database) -> str | None:
    """The file the database lives in; None for one in memory."""
    for _number, name, file in db.execute("PRAGMA database_list").fetchall():
        if name == "main":
            return file or None
    return None


def kept_while_finalised(db: sqlite_utils.Database, name: str, key: tuple, compute: Callable[[], object]):
    """``compute()``, which must rest on finalised rounds only (their counted responses, results,
    rules, roster), kept in this process under the database file and ``results_version``: a saved
    answer in the round in progress leaves it kept, any finalisation, exclusion or roster change
    makes it computed afresh. Services use it for the finalised rounds' part of figures that also
    count the round in progress (the standard rates, panel scores, response counts), so that a view
    after a save recounts that round only (issue 16: 300,000 answers a round). A frame is handed
    out as a copy, so a caller cannot change what is kept."""
    path = database_file(db)
    if path is None:
        return compute()
    entry = (path, results_version(db), name, key)
    with _finalised_lock:
        if entry in _finalised:
            _finalised.move_to_end(entry)
            return _copied(_finalised[entry])
    value = compute()
    with _finalised_lock:
        _finalised[entry] = value
        while len(_finalised) > FINALISED_ENTRIES:
            _finalised.popitem(last=False)
    return _copied(value)


def forget_finalised() -> None:
    """Empty what ``kept_while_finalised`` keeps, and the rounds in progress' scores (open_round.py):
    a benchmark's cold run."""
    with _finalised_lock:
        _finalised.clear()
    open_round.forget()


def _copied(value):
    return value.copy() if isinstance(value, (pd.DataFrame, dict, list)) else value


def data_version(db: sqlite_utils.Database, results: str | None = None) -> tuple:
    """A fingerprint of everything the dashboards read: ``results_version`` (``results``, when the
    caller has it already) and the answers. Any finalisation, publication, response, exclusion,
    case step or roster change alters it (each of them writes the audit log; the other parts catch
    writes made without it, such as a demo build). The count and the largest id of the responses
    are asked apart: together they read every row (90 ms at a province's 900,000 responses), apart
    one reads an index and the other its last entry."""
    answers = db.execute("""SELECT (SELECT coalesce(max(id), 0) FROM audit_log),
                                   (SELECT count(*) FROM responses) || ':' ||
                                   (SELECT coalesce(max(id), 0) FROM responses)""").fetchone()
    return (results if results is not None else results_version(db), *answers)


def finalised_only(when: Callable[[Actor], bool] = lambda actor: True):
    """Marks a service whose answer, for an actor ``when`` holds, rests on finalised results only
    (nothing a saved answer changes): the pages cache it under ``results_version``."""
    def mark(service):
        service.finalised_only = when
        return service
    return mark


def reads_finalised_only(service: Callable, actor: Actor) -> bool:
    """Whether ``service``'s answer for ``actor`` can be cached under ``results_version``."""
    return getattr(service, "finalised_only", lambda actor: False)(actor)


def _sees_no_round_in_progress(actor: Actor) -> bool:
    return not allowed(actor, "results.view_all")


# --- permission -----------------------------------------------------------------

def check_agency_access(actor: Actor, code: str) -> None:
    """Agency staff may look at their own agency only. Checked before the agency
    is even looked up, so a refusal tells nothing about other agencies."""
    require(actor, "results.view_agency", resource=code, not_yours="dashboards.not_your_agency")


@finalised_only()
@requires("results.view_agency")
def agency_choices(db: sqlite_utils.Database, actor: Actor) -> list[dict]:
    """The agencies whose page ``actor`` may open: every one with agencies.all, else its own."""
    if not allowed(actor, "agencies.all"):
        return list(db.query("SELECT code, name_zh, name_en, group_code FROM agencies WHERE code = ?",
                             [actor.agency_code]))
    return list(db.query("SELECT code, name_zh, name_en, group_code FROM agencies ORDER BY active DESC, code"))


def groups_by_code(db: sqlite_utils.Database) -> dict[str, dict]:
    """The agency groups (DESIGN §4.9) in the administrator's order: code -> code, name_zh, name_en, position."""
    return {g["code"]: g for g in registry.list_groups(db)}


# --- shared readers -------------------------------------------------------------

def _rounds(db) -> pd.DataFrame:
    """Every round past draft, oldest first, with the grade thresholds that apply to it
    (pinned at finalisation, else the county's current rules)."""
    started = rounds_lifecycle.status_in(rounds_lifecycle.STARTED)
    rows = list(db.query(f"SELECT * FROM rounds WHERE {started} ORDER BY name"))
    for row in rows:
        config = finalise.scoring_config(db, row)
        row.update(good=config.good_threshold, fair=config.fair_threshold, top=config.max_score,
                   lowest_level=config.lowest_level, points_per_level=config.points_per_level,
                   in_progress=row["status"] in IN_PROGRESS,
                   ranking_scope=config.ranking_scope)
    columns = ["name", "status", "questionnaire_version", "good", "fair", "top", "lowest_level",
               "points_per_level", "in_progress", "ranking_scope"]
    return pd.DataFrame(rows, columns=None if rows else columns)[columns]


def _active_enterprises(db) -> int:
    return db.execute("SELECT count(*) FROM enterprises WHERE active = 1").fetchone()[0]


def _results(db, agency: str | None = None) -> pd.DataFrame:
    where, params = ("WHERE agency = ?", [agency]) if agency else ("", [])
    rows = db.execute(f"SELECT {', '.join(RESULT_COLUMNS)} FROM current_results {where} ORDER BY round, agency",
                      params).fetchall()
    frame = pd.DataFrame(rows, columns=RESULT_COLUMNS)
    frame["uncertain"] = frame["uncertain"].astype(bool)
    return frame


def _hide_unpublished_ranks(results: pd.DataFrame, rounds: pd.DataFrame, actor: Actor) -> pd.DataFrame:
    """Agencies learn rank and flag only once a round is published."""
    if allowed(actor, "results.view_all"):
        return results
    published = set(rounds.loc[rounds["status"] == rounds_lifecycle.Status.PUBLISHED, "name"])
    hidden = ~results["round"].isin(published)
    results = results.astype({"rank": object, "flag": object})
    results.loc[hidden, ["rank", "flag"]] = None
    return results


def _hide_thin_figures(db, results: pd.DataFrame, actor: Actor, agency: str | None = None) -> pd.DataFrame:
    """An agency sees no score or interval resting on too few counted responses (privacy.py),
    whichever agency they belong to. ``agency``: ``results`` are that agency's only, so only its
    responses are counted (not a province's 900,000)."""
    if allowed(actor, "results.view_all"):
        return results
    return privacy.hide_thin_figures(results, privacy.counted_per_round_agency(db, agency=agency))


def _visible_rounds(rounds: pd.DataFrame, actor: Actor) -> list[str]:
    """Rounds whose figures the actor may see: finalised ones; with results.view_all also those in progress."""
    statuses = FINALISED + (IN_PROGRESS if allowed(actor, "results.view_all") else ())
    return list(rounds.loc[rounds["status"].isin(statuses), "name"])


def provisional_results(db, round_row: dict) -> pd.DataFrame:
    """Scores a round in progress would get if it were finalised now (staff only)."""
    if not round_row.get("questionnaire_version"):
        return pd.DataFrame(columns=RESULT_COLUMNS)
    result, _config, _counted = finalise.compute_results(db, round_row)
    return result


# --- the agency's page ----------------------------------------------------------

@dataclass
class AgencyDashboard:
    agency: dict
    rounds: pd.DataFrame            # every round past draft (name, status, thresholds, in_progress)
    results: pd.DataFrame           # finalised rounds: RESULT_COLUMNS + response_rate
    provisional: pd.DataFrame       # staff only: rounds in progress, same columns; else empty
    items: pd.DataFrame             # round, item, mean_points, answers
    levels: pd.DataFrame            # round, level, count, share
    comments: pd.DataFrame          # round, comment — rounds with enough responses only
    counted: dict = field(default_factory=dict)  # round -> counted responses (visible rounds)
    open_cases: int = 0
    active_enterprises: int = 0
    ranked: dict = field(default_factory=dict)  # round -> agencies ranked with it (county, or its group)
    item_labels: dict = field(default_factory=dict)  # item code -> {"zh": short, "en": short}
    groups: dict = field(default_factory=dict)  # group code -> group row, in the administrator's order


@finalised_only(_sees_no_round_in_progress)  # staff also see provisional figures of a round in progress
@requires("results.view_agency")
def agency_dashboard(db: sqlite_utils.Database, actor: Actor, code: str) -> AgencyDashboard:
    check_agency_access(actor, code)
    agency = list(db.query("SELECT code, name_zh, name_en, group_code, active FROM agencies WHERE code = ?", [code]))
    if not agency:
        raise NotFound("errors.agency_not_found", code=code)
    rounds = _rounds(db)
    visible = _visible_rounds(rounds, actor)
    active = _active_enterprises(db)
    results = _hide_thin_figures(db, _hide_unpublished_ranks(_results(db, code), rounds, actor), actor, agency=code)
    results["response_rate"] = results["n"] / active if active else float("nan")
    counted = _counted_per_round(db, code, visible)
    detailed = [r for r in visible if allowed(actor, "results.view_all") or privacy.enough(counted.get(r, 0))]
    ratings = _rating_counts(db, code, detailed)
    return AgencyDashboard(
        agency=agency[0], rounds=rounds, results=results,
        provisional=_provisional_for(db, actor, rounds, code, active),
        items=item_means(ratings, rounds), levels=level_shares(ratings),
        comments=_comments(db, code, [r for r in visible if privacy.enough(counted.get(r, 0))]),
        counted=counted, open_cases=_open_cases(db, code), active_enterprises=active,
        ranked=_ranked(db, results[results["rank"].notna()], rounds),
        item_labels=_item_labels(db, rounds), groups=groups_by_code(db),
    )


def _provisional_for(db, actor: Actor, rounds: pd.DataFrame, code: str, active: int) -> pd.DataFrame:
    frames = []
    if allowed(actor, "results.view_all"):
        for row in rounds[rounds["in_progress"]].to_dict("records"):
            result = provisional_results(db, row)
            frames.append(result[result["agency"] == code])
    if not frames:
        return pd.DataFrame(columns=[*RESULT_COLUMNS, "response_rate"])
    provisional = pd.concat(frames, ignore_index=True)
    provisional["response_rate"] = provisional["n"] / active if active else float("nan")
    return provisional


def _counted_per_round(db, code: str, visible: list[str]) -> dict[str, int]:
    """Counted responses (privacy.py) per round."""
    counted = privacy.counted_per_round_agency(db, agency=code)
    return {name: n for (name, _), n in counted.items() if name in visible}


def _rating_counts(db, code: str, visible: list[str]) -> pd.DataFrame:
    rows = db.execute(
        f"""SELECT r.round, rr.item, rr.rating, count(*) FROM responses r
            JOIN response_ratings rr ON rr.response_id = r.id
            WHERE r.agency = ? AND {COUNTED}
            GROUP BY r.round, rr.item, rr.rating""", [code]).fetchall()
    frame = pd.DataFrame(rows, columns=["round", "item", "rating", "count"])
    return frame[frame["round"].isin(visible)].reset_index(drop=True)


def item_means(ratings: pd.DataFrame, rounds: pd.DataFrame) -> pd.DataFrame:
    """Mean points per item per round, each round's ratings turned into points by its own rules."""
    if ratings.empty:
        return pd.DataFrame(columns=["round", "item", "mean_points", "answers"])
    rules = rounds.set_index("name")[["lowest_level", "points_per_level"]]
    frame = ratings.join(rules, on="round")
    frame["points"] = (frame["rating"] - frame["lowest_level"]) * frame["points_per_level"] * frame["count"]
    grouped = frame.groupby(["round", "item"], as_index=False).agg(points=("points", "sum"),
                                                                    answers=("count", "sum"))
    grouped["mean_points"] = grouped["points"] / grouped["answers"]
    return grouped[["round", "item", "mean_points", "answers"]]


def level_shares(ratings: pd.DataFrame) -> pd.DataFrame:
    """Share of each answer level among all item ratings of a round."""
    if ratings.empty:
        return pd.DataFrame(columns=["round", "level", "count", "share"])
    grouped = ratings.groupby(["round", "rating"], as_index=False)["count"].sum()
    grouped = grouped.rename(columns={"rating": "level"})
    grouped["share"] = grouped["count"] / grouped.groupby("round")["count"].transform("sum")
    return grouped[["round", "level", "count", "share"]]


def _comments(db, code: str, rounds: list[str]) -> pd.DataFrame:
    """Non-empty comments of counted responses, round and text only, sorted by round then text."""
    if not rounds:
        return pd.DataFrame(columns=["round", "comment"])
    marks = ", ".join("?" for _ in rounds)
    rows = db.execute(
        f"""SELECT r.round, r.comment FROM responses r
            WHERE r.agency = ? AND r.round IN ({marks}) AND {COUNTED} AND trim(r.comment) <> ''""",
        [code, *rounds]).fetchall()
    frame = pd.DataFrame(rows, columns=["round", "comment"])
    return frame.sort_values(["round", "comment"], ascending=[False, True]).reset_index(drop=True)


def _ranked(db, own: pd.DataFrame, rounds: pd.DataFrame) -> dict[str, int]:
    """How many agencies were ranked with this one in each round it has a rank in: the whole county,
    or its group (as pinned with the results) when the round ranked within groups (DESIGN §4.9)."""
    scope = dict(zip(rounds["name"], rounds["ranking_scope"]))
    ranked = {}
    for row in own.to_dict("records"):
        if scope.get(row["round"]) == "group":
            count = db.execute("SELECT count(rank) FROM current_results WHERE round = ? AND agency_group IS ?",
                               [row["round"], row["agency_group"]]).fetchone()[0]
        else:
            count = db.execute("SELECT count(rank) FROM current_results WHERE round = ?", [row["round"]]).fetchone()[0]
        ranked[row["round"]] = count
    return ranked


def _open_cases(db, code: str) -> int:
    return db.execute("SELECT count(*) FROM cases WHERE agency = ? AND status NOT IN (?, ?)",
                      [code, *CASE_DONE]).fetchone()[0]


def _item_labels(db, rounds: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Short item names (the part before the colon), from the newest questionnaire using the item."""
    labels: dict[str, dict[str, str]] = {}
    versions = sorted({int(v) for v in rounds["questionnaire_version"].dropna()})
    for version in versions:
        row = db.execute("SELECT definition FROM questionnaires WHERE version = ?", [version]).fetchone()
        for item in json.loads(row[0]) if row else []:
            labels[item["code"]] = {lang: _short(item[lang]) for lang in ("zh", "en")}
    return labels


def _short(text: str) -> str:
    for colon in ("：", ":"):
        if colon in text:
            return text.split(colon, 1)[0].strip()
    return text.strip()


def latest_summary(board: AgencyDashboard) -> dict | None:
    """The latest finalised round at a glance, with the change since the previous graded round."""
    if board.results.empty:
        return None
    results = board.results.sort_values("round")
    latest = results.iloc[-1].to_dict()
    earlier = results[(results["round"] < latest["round"]) & (results["grade"] != scoring.INSUFFICIENT)]
    previous = earlier.iloc[-1].to_dict() if len(earlier) else None
    graded = latest["grade"] != scoring.INSUFFICIENT
    change = latest["score"] - previous["score"] if graded and previous else None
    return {**latest, "previous_round": previous["round"] if previous else None,
            "change": None if change is None else round_half_up(change)}


def trend_frame(board: AgencyDashboard) -> pd.DataFrame:
    """One row per round for the score chart: the round's thresholds and the agency's
    result; for staff, provisional figures of a round in progress (``provisional``)."""
    rounds = board.rounds.rename(columns={"name": "round"})[["round", "status", "in_progress", "good", "fair", "top"]]
    final = board.results.assign(provisional=False)
    extra = board.provisional.assign(provisional=True)
    figures = pd.concat([f for f in (final, extra) if len(f)], ignore_index=True) if len(final) + len(extra) \
        else final
    columns = ["round", "n", "score", "ci_low", "ci_high", "grade", "action", "provisional"]
    return rounds.merge(figures[columns], on="round", how="left")


def item_frame(board: AgencyDashboard, lang: str) -> pd.DataFrame:
    """Mean points per item and round, with the item's short name in ``lang`` and its questionnaire order."""
    items = board.items.merge(board.rounds[["name", "in_progress"]].rename(columns={"name": "round"}), on="round")
    order = list(board.item_labels)
    items["item_label"] = [board.item_labels.get(code, {}).get(lang, code) for code in items["item"]]
    items["item_order"] = [order.index(code) if code in order else len(order) for code in items["item"]]
    return items


def level_frame(board: AgencyDashboard) -> pd.DataFrame:
    return board.levels.merge(board.rounds[["name", "in_progress"]].rename(columns={"name": "round"}), on="round")


# --- the county overview --------------------------------------------------------

@dataclass
class CountyOverview:
    agencies: pd.DataFrame        # code, name_zh, name_en, group_code, active, open_cases
    rounds: pd.DataFrame          # as in AgencyDashboard (with each round's ranking_scope)
    results: pd.DataFrame         # every finalised round's results, RESULT_COLUMNS (agency_group: as pinned)
    active_enterprises: int = 0
    groups: dict = field(default_factory=dict)  # group code -> group row, in the administrator's order


@finalised_only()  # the response rates, which every answer moves, are county_response_rates
@requires("results.view_all")
def county_overview(db: sqlite_utils.Database, actor: Actor) -> CountyOverview:
    return CountyOverview(agencies=_agencies_with_cases(db), rounds=_rounds(db), results=_results(db),
                          active_enterprises=_active_enterprises(db), groups=groups_by_code(db))


@requires("results.view_all")
def county_response_rates(db: sqlite_utils.Database, actor: Actor) -> pd.DataFrame:
    """Per round past draft: round, status, in_progress, responses, enterprises, active, rate."""
    return _response_rates(db, _rounds(db), _active_enterprises(db))


def _agencies_with_cases(db) -> pd.DataFrame:
    rows = db.execute(
        """SELECT a.code, a.name_zh, a.name_en, a.group_code, a.active,
                  (SELECT count(*) FROM cases c WHERE c.agency = a.code AND c.status NOT IN (?, ?))
           FROM agencies a ORDER BY a.code""", list(CASE_DONE)).fetchall()
    return pd.DataFrame(rows, columns=["code", "name_zh", "name_en", "group_code", "active", "open_cases"])


def _response_rates(db, rounds: pd.DataFrame, active: int) -> pd.DataFrame:
    """Per round: counted responses, and the share of active enterprises that answered at all.
    The denominator is today's roster (the roster is not kept per round). The finalised rounds'
    counts are kept (``kept_while_finalised``): a saved answer recounts the round in progress only."""
    finalised = list(rounds.loc[~rounds["in_progress"], "name"])
    in_progress = list(rounds.loc[rounds["in_progress"], "name"])
    rows = kept_while_finalised(db, "dashboards.response_counts", (tuple(finalised),),
                                lambda: _finalised_counts(db, finalised)) + _in_progress_counts(db, in_progress)
    counts = pd.DataFrame(rows, columns=["round", "responses", "enterprises"]).set_index("round")
    frame = rounds[["name", "status", "in_progress"]].rename(columns={"name": "round"}).join(counts, on="round")
    frame[["responses", "enterprises"]] = frame[["responses", "enterprises"]].fillna(0).astype(int)
    frame["active"] = active
    frame["rate"] = frame["enterprises"] / active if active else float("nan")
    return frame.reset_index(drop=True)


def _finalised_counts(db, round_names: list[str]) -> list[tuple]:
    """``_response_counts`` of finalised rounds: from the county's counts stored with the finalisation
    (rate_counts.standing) where every counted response had a score, so that its responses are the
    counted ones and its enterprises that answered those that gave them; the others counted here."""
    rows, counted_here = [], []
    for name in round_names:
        found = rate_counts.kept_standing(db, rounds_lifecycle.get_round(db, name))
        county = found[1][found[1]["scope"] == standard_rates.COUNTY] if found else None
        if county is not None and len(county) and int(county.iloc[0]["responses"]) == found[0]["counted"]:
            rows.append((name, int(county.iloc[0]["responses"]), int(county.iloc[0]["responded"])))
        elif found is None or found[0]["counted"]:
            counted_here.append(name)
    return rows + _response_counts(db, counted_here)


def _in_progress_counts(db, round_names: list[str]) -> list[tuple]:
    """``_response_counts`` of rounds in progress, from their counted responses kept in the process
    (open_round.py: a view after a save reads what was saved since, not the round's every answer)."""
    rows = []
    for name in round_names:
        counted = open_round.counted_scores(db, rounds_lifecycle.get_round(db, name))
        if len(counted):
            rows.append((name, len(counted), counted["enterprise"].nunique()))
    return rows


def _response_counts(db, round_names: list[str]) -> list[tuple]:
    """(round, counted responses, enterprises that gave them) for each of ``round_names`` with any."""
    if not round_names:
        return []
    marks = ", ".join("?" for _ in round_names)
    return db.execute(
        f"""SELECT r.round, count(*), count(DISTINCT r.enterprise) FROM responses r
            WHERE r.round IN ({marks}) AND {COUNTED} GROUP BY r.round""", round_names).fetchall()


def grade_transitions(results: pd.DataFrame, from_round: str, to_round: str) -> pd.DataFrame:
    """How many agencies moved from each grade in ``from_round`` to each grade in ``to_round``
    (rows: from, columns: to, both in scoring.GRADES order). Agencies missing in either round are left out."""
    before = results.loc[results["round"] == from_round, ["agency", "grade"]]
    after = results.loc[results["round"] == to_round, ["agency", "grade"]]
    pairs = before.merge(after, on="agency", suffixes=("_from", "_to"))
    table = pd.crosstab(pd.Categorical(pairs["grade_from"], categories=scoring.GRADES),
                        pd.Categorical(pairs["grade_to"], categories=scoring.GRADES), dropna=False)
    table.index.name, table.columns.name = "from", "to"
    return table.reindex(index=list(scoring.GRADES), columns=list(scoring.GRADES), fill_value=0)


# --- the published ranking ------------------------------------------------------

@finalised_only()
@requires("ranking.view")
def ranking_rounds(db: sqlite_utils.Database, actor: Actor) -> list[str]:
    """Rounds whose ranking ``actor`` may see, newest first."""
    statuses = FINALISED if allowed(actor, "results.view_all") else (rounds_lifecycle.Status.PUBLISHED,)
    marks = ", ".join("?" for _ in statuses)
    return [r[0] for r in db.execute(f"SELECT name FROM rounds WHERE status IN ({marks}) ORDER BY name DESC",
                                     list(statuses))]


@finalised_only()
@requires("ranking.view")
def published_ranking(db: sqlite_utils.Database, actor: Actor, round_name: str) -> pd.DataFrame:
    """One round's ranking (rank, agency and its names, n, score, interval, grade, flag), best first.
    Agencies may see it only once the round is published, and without the figures of any
    agency below the privacy minimum."""
    if round_name not in ranking_rounds(db, actor):
        raise PermissionDenied("dashboards.not_published", round=round_name)
    results = _results(db)
    results = results[results["round"] == round_name]
    agencies = pd.DataFrame(db.execute("SELECT code, name_zh, name_en FROM agencies").fetchall(),
                            columns=["agency", "name_zh", "name_en"])
    table = results.merge(agencies, on="agency", how="left")
    if not allowed(actor, "results.view_all"):  # what publication makes public: no actions of other agencies
        table = _hide_thin_figures(db, table, actor).drop(columns=["action", "uncertain", "mean"])
    return best_first(table)


def round_scope(db: sqlite_utils.Database, round_name: str) -> str:
    """'county' or 'group': whether a round ranks and flags county-wide or within each group (DESIGN §4.9)."""
    return finalise.ranking_scope(db, rounds_lifecycle.get_round(db, round_name))


def by_group(ranking: pd.DataFrame, groups: dict[str, dict]) -> list[tuple[str | None, pd.DataFrame]]:
    """A ranking split by the group pinned with each result, groups in the administrator's order
    (a group no longer on the list after them), each part best first."""
    order = list(groups)
    present = list(dict.fromkeys(ranking["agency_group"]))
    ordered = sorted(present, key=lambda g: (g not in order, order.index(g) if g in order else 0, str(g)))
    return [(group, best_first(ranking[ranking["agency_group"] == group])) for group in ordered]


def best_first(results: pd.DataFrame) -> pd.DataFrame:
    """Rows by rank (1 first), agencies without a rank (too few responses) last, then by code."""
    order = results.assign(_unranked=results["rank"].isna(), _rank=pd.to_numeric(results["rank"]).fillna(0))
    return order.sort_values(["_unranked", "_rank", "agency"]).drop(columns=["_unranked", "_rank"]) \
        .reset_index(drop=True)
