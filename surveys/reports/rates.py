"""The standard rates (参评率, 好评率, 差评率, 整改率, 按期整改率, 回访满意率) read from the database and
computed by scoring/rates.py, per agency, group and county, per round or month, with the change from
the previous period. Definitions: scoring/rates.py and docs/rates.md.

Who sees what. The administrator and the discipline office see every scope and every period. An
agency sees its own rates only; the response-based ones (participation, good, bad) only from finalised
rounds (as its dashboard: no numbers while a round is in progress) and only where enough responses
count (surveys/results/privacy.py, §6). The ticket-based rates are about tickets the agency already
sees one by one on its problems page, so the minimum does not blank them.

Groups (DESIGN §4.9): each agency counts in the group it belongs to now (``agencies.group_code``);
a round's results pin the group they were ranked in, but tickets and ratings run on after a round,
so the rates follow today's list of groups.
"""
from __future__ import annotations

import pandas as pd

import scoring
from scoring import rates as standard
from surveys.collection import questionnaire
from surveys.collection import rounds as rounds_lifecycle
from surveys.core import clock
from surveys.core.actors import Actor
from surveys.core.permissions import allowed, requires
from surveys.results import dashboards
from surveys.results import finalise
from surveys.results import open_round
from surveys.results import privacy
from surveys.results import rate_counts

ROUND, MONTH = "round", "month"
PERIOD_KINDS = (ROUND, MONTH)


def agency_groups(db) -> dict[str, str] | None:
    """Each agency's group (DESIGN §4.9): agency code -> group code; None when no agency has one."""
    mapping = {code: group for code, group in db.execute("SELECT code, group_code FROM agencies") if group}
    return mapping or None


def _month(stamp: str) -> str:
    return clock.county_date(stamp).strftime("%Y-%m")


def _period(frame: pd.DataFrame, kind: str, stamp_column: str) -> pd.DataFrame:
    if frame.empty:
        return frame.assign(period=pd.Series(dtype=object))
    period = frame["round"] if kind == ROUND else frame[stamp_column].map(_month)
    return frame.assign(period=period)


def _rounds_counted(db, finalised_only: bool) -> list[dict]:
    groups = rounds_lifecycle.FINALISED if finalised_only else rounds_lifecycle.STARTED
    return list(db.query(f"SELECT * FROM rounds WHERE {rounds_lifecycle.status_in(groups)} ORDER BY name"))


def _for_agency(agency: str | None, column: str) -> tuple[str, list]:
    """An SQL condition keeping one agency's rows (none: every agency's), with its parameters."""
    return (f" AND {column} = ?", [agency]) if agency else ("", [])


def _invitations(db, round_names: list[str], agency: str | None = None) -> pd.DataFrame:
    """Who was invited to rate which agency in each round: it chose the agency, or answered it (on paper too)."""
    if not round_names:
        return pd.DataFrame(columns=["round", "agency", "enterprise", "responded", "period"])
    counted = privacy.counted_condition("r")
    marks = ", ".join("?" for _ in round_names)
    mine, mine_params = _for_agency(agency, "agency")
    rows = db.execute(
        f"""SELECT i.round, i.agency, i.enterprise, EXISTS (
                SELECT 1 FROM responses r WHERE r.round = i.round AND r.enterprise = i.enterprise
                  AND r.agency = i.agency AND {counted}) AS responded
            FROM (SELECT round, enterprise, agency FROM survey_choices WHERE round IN ({marks}){mine}
                  UNION SELECT round, enterprise, agency FROM responses WHERE round IN ({marks}){mine}) i""",
        [*round_names, *mine_params, *round_names, *mine_params]).fetchall()
    frame = pd.DataFrame(rows, columns=["round", "agency", "enterprise", "responded"])
    return frame.assign(period=frame["round"], responded=frame["responded"].astype(bool))


def _response_scores(db, round_rows: list[dict], kind: str, agency: str | None = None) -> pd.DataFrame:
    """Each counted response's §4.2 score, with its round and (by month) the county month of its last
    save. Each round's ratings come pivoted from the database (finalise.wide_ratings)."""
    frames = []
    for row in round_rows:
        if kind == ROUND and agency is None and row["status"] not in rounds_lifecycle.FINALISED:
            # a round in progress: its scores kept, only what was saved since is read (open_round.py)
            kept = open_round.counted_scores(db, row).assign(updated_at=None)
            frames.append(kept[["round", "agency", "score", "updated_at"]])
            continue
        form = questionnaire.get_questionnaire(db, row["questionnaire_version"] or 1)
        mine, mine_params = _for_agency(agency, "r.agency")
        wide = finalise.wide_ratings(db, privacy.counted_condition("r") + mine, [row["name"], *mine_params],
                                     form.item_codes, ["id", "round", "agency"])
        if wide.empty:
            continue
        ratings = wide[form.item_codes].apply(pd.to_numeric, errors="coerce").astype(float)
        wide = wide.assign(score=scoring.response_scores(ratings, form.item_codes, form.weights,
                                                         finalise.scoring_config(db, row)))
        saved = None
        if kind == MONTH:  # a month counts a response by its last save
            saved = wide["id"].map(dict(db.execute("SELECT id, updated_at FROM responses WHERE round = ?",
                                                   [row["name"]]).fetchall()))
        frames.append(wide.assign(updated_at=saved)[["round", "agency", "score", "updated_at"]])
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["round", "agency", "score", "updated_at"])
    return _period(frame.dropna(subset=["score"]), kind, "updated_at")


def _answer_counts(db, round_rows: list[dict], kind: str, groups: dict | None,
                   agency: str | None = None) -> pd.DataFrame:
    """The invitation and response counts (scoring/rates.py standard_counts) of ``round_rows``."""
    no_invitations, _, no_tickets, no_ratings = _empty_frames()
    responses = standard.standard_counts(no_invitations, _response_scores(db, round_rows, kind, agency), no_tickets,
                                         no_ratings, groups)
    if kind != ROUND:  # invitations are per round
        return responses
    kept = [r for r in round_rows if agency is None and r["status"] not in rounds_lifecycle.FINALISED]
    from_kept = [standard.standard_counts(open_round.invitations(db, row), *_empty_frames()[1:], groups)
                 for row in kept]  # a round in progress: from its responses kept (open_round.py)
    in_db = [r["name"] for r in round_rows if r not in kept]
    return standard.add_counts(_invitation_counts(db, in_db, agency), *from_kept, responses)


SCOPES = (standard.AGENCY, standard.GROUP, standard.COUNTY)


def _invitation_counts(db, round_names: list[str], agency: str | None = None) -> pd.DataFrame:
    """Invited and responded per (round, scope, unit), counted in the database: the counts
    scoring/rates.py standard_counts makes of ``_invitations`` (an enterprise counts once in a
    group or the county, as answered if it answered any of its agencies; groups are today's,
    as ``agency_groups``), without reading 300,000 invitations a round into pandas (issue 16)."""
    keys = ["period", "scope", "unit"]
    if not round_names:
        return pd.DataFrame(columns=keys + list(standard.COUNTS))
    counted = privacy.counted_condition("r")
    marks = ", ".join("?" for _ in round_names)
    mine_r, mine_params = _for_agency(agency, "r.agency")
    mine_c, _ = _for_agency(agency, "c.agency")
    rows = db.execute(
        f"""WITH invited AS MATERIALIZED (  -- every response, and each choice nobody answered
                SELECT r.round, r.agency, r.enterprise, ({counted}) AS responded FROM responses r
                WHERE r.round IN ({marks}){mine_r}
                UNION ALL
                SELECT c.round, c.agency, c.enterprise, 0 FROM survey_choices c WHERE c.round IN ({marks}){mine_c}
                  AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.round = c.round AND r.enterprise = c.enterprise
                                  AND r.agency = c.agency))
            SELECT round, '{standard.AGENCY}', agency, count(*), sum(responded) FROM invited GROUP BY round, agency
            UNION ALL
            SELECT round, '{standard.GROUP}', group_code, count(*), sum(responded) FROM (
                SELECT v.round, a.group_code, v.enterprise, max(v.responded) AS responded
                FROM invited v JOIN agencies a ON a.code = v.agency
                WHERE a.group_code IS NOT NULL AND a.group_code <> ''
                GROUP BY v.round, a.group_code, v.enterprise) GROUP BY round, group_code
            UNION ALL
            SELECT round, '{standard.COUNTY}', '{standard.COUNTY}', count(*), sum(responded) FROM (
                SELECT round, enterprise, max(responded) AS responded FROM invited GROUP BY round, enterprise)
            GROUP BY round""",
        [*round_names, *mine_params, *round_names, *mine_params]).fetchall()
    frame = pd.DataFrame(rows, columns=[*keys, "invited", "responded"])
    return frame.reindex(columns=keys + list(standard.COUNTS), fill_value=0)


def _ticket_counts(db, kind: str, groups: dict | None, agency: str | None = None) -> pd.DataFrame:
    no_invitations, no_responses = _empty_frames()[:2]
    return standard.standard_counts(no_invitations, no_responses, _tickets(db, kind, agency),
                                    _ratings(db, kind, agency), groups)


def _tickets(db, kind: str, agency: str | None = None) -> pd.DataFrame:
    """Every ticket: rectified (closed by 满意, 基本满意 or 默认满意) and, if so, whether the answer that
    closed it came by its deadline."""
    mine, params = _for_agency(agency, "p.agency")
    rows = db.execute(
        f"""SELECT p.round, p.agency, p.raised_at, p.status = 'solved',
                  (SELECT 1 - g.answer_late FROM problem_ratings g WHERE g.problem_id = p.id
                   ORDER BY g.id DESC LIMIT 1)
           FROM problems p WHERE 1 = 1{mine}""", params).fetchall()
    frame = pd.DataFrame(rows, columns=["round", "agency", "raised_at", "rectified", "on_time"])
    frame = frame.assign(rectified=frame["rectified"].astype(bool), on_time=frame["on_time"].fillna(0).astype(bool))
    return _period(frame, kind, "raised_at")


def _ratings(db, kind: str, agency: str | None = None) -> pd.DataFrame:
    mine, params = _for_agency(agency, "agency")
    rows = db.execute(f"SELECT round, agency, rated_at, rating FROM problem_ratings WHERE 1 = 1{mine}",
                      params).fetchall()
    return _period(pd.DataFrame(rows, columns=["round", "agency", "rated_at", "rating"]), kind, "rated_at")


def rate_table(db, kind: str = ROUND, finalised_only: bool = False, agency: str | None = None,
               until: str | None = None) -> pd.DataFrame:
    """Every scope's rates for every period of ``kind``, with their change (no permission check: callers check).

    The finalised rounds' answers are counted once and kept (dashboards.kept_while_finalised): a
    saved answer makes only the round in progress counted again. ``agency``: that agency's rows
    only (the same figures, read from its rows alone). ``until`` (kind ROUND): rounds after it are
    left out — the rows of ``until`` and before are the same."""
    if kind not in PERIOD_KINDS:
        raise ValueError(f"period kind must be one of {PERIOD_KINDS}, not {kind!r}")
    groups = agency_groups(db)
    round_rows = [r for r in _rounds_counted(db, finalised_only) if until is None or r["name"] <= until]
    in_progress = [r for r in round_rows if r["status"] not in rounds_lifecycle.FINALISED]
    counts = standard.add_counts(finalised_answer_counts(db, kind, agency),
                                 _answer_counts(db, in_progress, kind, groups, agency),
                                 _ticket_counts(db, kind, groups, agency))
    if agency:  # the groups' and the county's rows were counted from this agency's rows alone
        counts = counts[(counts["scope"] == standard.AGENCY) & (counts["unit"] == agency)]
    return standard.with_change(standard.with_rates(counts))


def finalised_answer_counts(db, kind: str, agency: str | None = None) -> pd.DataFrame:
    """The invitation and response counts of every finalised round, kept while what they rest on
    stays the same (``dashboards.results_version``). By round, a round's agency and county rows are
    those its finalisation stored (surveys/results/rate_counts.py ``standing``) when they equal a
    recount, which they do unless an exclusion awaits a re-finalisation; the groups' rows (today's
    groups) add up its agencies' responses and take invitations from the finalisation. Only a round
    without such counts has its answers read and scored (issue 16: 300,000 a round). One agency's
    counts are read from its own rows, which cost less than checking that the stored ones stand."""
    def count() -> pd.DataFrame:
        rows, groups = _rounds_counted(db, finalised_only=True), agency_groups(db)
        if kind != ROUND or agency:  # months cut across rounds; one agency's own rows are few
            return _answer_counts(db, rows, kind, groups, agency)
        standing = {row["name"]: rate_counts.kept_standing(db, row) for row in rows}
        recount = [row for row in rows if standing[row["name"]] is None]
        stored = [found for found in standing.values() if found is not None]
        return standard.add_counts(_answer_counts(db, recount, kind, groups, agency),
                                   _stored_counts(db, stored, groups))
    return dashboards.kept_while_finalised(db, "rates.finalised_answer_counts", (kind, agency), count)


def _stored_counts(db, stored: list[tuple[dict, pd.DataFrame]], groups: dict | None) -> pd.DataFrame:
    """``standard_counts`` rows of finalised rounds from their stored counts (rate_counts.standing:
    finalisation, rows): their agency and county rows, and each group's row — responses, good and bad summed over its
    agencies; invited and responded counted (an enterprise once in a group) from the finalisations'
    invitations (rate_counts.invitations: no rating read)."""
    keys = ["period", "scope", "unit"]
    if not stored:
        return pd.DataFrame(columns=keys + list(standard.COUNTS))
    rows = pd.concat([counts.assign(period=finalisation["round"]) for finalisation, counts in stored],
                     ignore_index=True)
    frames = [rows]
    if groups:
        summed = list(standard.RESPONSE_COUNTS[2:])  # responses, good and bad add up over agencies
        agencies = rows[rows["scope"] == standard.AGENCY]
        in_groups = agencies.assign(unit=agencies["unit"].map(groups), scope=standard.GROUP).dropna(subset=["unit"])
        frames.append(in_groups.groupby(keys, as_index=False)[summed].sum())
        invited = standard.standard_counts(rate_counts.invitations(db, [f for f, _ in stored]),
                                           *_empty_frames()[1:], groups)
        frames.append(invited[invited["scope"] == standard.GROUP])
    present = [f for f in frames if len(f)]
    table = pd.concat(present, ignore_index=True) if present else rows
    table = table.reindex(columns=keys + list(standard.COUNTS)).fillna({c: 0 for c in standard.COUNTS})
    return table.groupby(keys, sort=False, dropna=False)[list(standard.COUNTS)].sum().astype(int).reset_index()


@requires("results.view_all")
def county_rates(db, actor: Actor, kind: str = ROUND) -> pd.DataFrame:
    """Every agency's, group's and the county's rates, every period: for the overview and the bulletins."""
    return rate_table(db, kind)


@requires("results.view_agency")
def agency_rates(db, actor: Actor, code: str, kind: str = ROUND) -> pd.DataFrame:
    """One agency's rates, every period, as the actor may see them (see the module's note)."""
    dashboards.check_agency_access(actor, code)
    return _one_agency(db, code, kind, sees_all=allowed(actor, "results.view_all"))


def _one_agency(db, code: str, kind: str, sees_all: bool, until: str | None = None) -> pd.DataFrame:
    table = rate_table(db, kind, finalised_only=not sees_all, agency=code, until=until)
    mine = table[(table["scope"] == standard.AGENCY) & (table["unit"] == code)].reset_index(drop=True)
    if sees_all:
        return mine
    base = mine[[c for c in mine.columns if not c.endswith("_change")]]
    return standard.with_change(privacy.hide_thin_rates(base))


SCOPE_ORDER = {standard.COUNTY: 0, standard.GROUP: 1, standard.AGENCY: 2}


@requires("results.view_agency")
def rates_for_reader(db, actor: Actor, kind: str, period: str) -> pd.DataFrame:
    """One period's rates as a bulletin's reader may see them, the county first, then groups, then
    agencies: everything for those who see all results, else the reader's own agency's line (as
    ``agency_rates``). For the bulletins; every reader of one may open an agency's results."""
    until = period if kind == ROUND else None  # later rounds change nothing of this one's rows
    if allowed(actor, "results.view_all"):
        table = rate_table(db, kind, until=until)
    elif actor.agency_code:
        table = _one_agency(db, actor.agency_code, kind, sees_all=False, until=until)
    else:
        return standard.with_change(standard.standard_rates(*_empty_frames()))
    table = table[table["period"] == period]
    order = table["scope"].map(SCOPE_ORDER)
    return table.assign(_order=order).sort_values(["_order", "unit"]).drop(columns="_order").reset_index(drop=True)


def _empty_frames() -> tuple[pd.DataFrame, ...]:
    return (pd.DataFrame(columns=["period", "agency", "enterprise", "responded"]),
            pd.DataFrame(columns=["period", "agency", "score"]),
            pd.DataFrame(columns=["period", "agency", "rectified", "on_time"]),
            pd.DataFrame(columns=["period", "agency", "rating"]))
