"""The city office (issue 16 item 2; 市对县的通报排名): the published results of the counties it
covers, and nothing else — counties ranked, like agencies compared across counties.

Everything the city office sees is read by ``published_results`` from each county's own database,
read-only, by a query allowed to read only the published results' own tables (surveys/storage/db.py
``read_only_query``: SQLite's authoriser, or on PostgreSQL the query's tables checked before a
read-only transaction) (rounds, finalisations, results, agencies) and the counts behind the standard rates that
each finalisation stores (finalisation_rate_counts, surveys/results/rate_counts.py). A response, a
comment, a rater, an account or a case cannot be read through it, not even by a mistaken query:
SQLite refuses the statement. The rates themselves are scoring/rates.py's arithmetic on those counts.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from scoring import rates as standard
from surveys.core import counties as county_config
from surveys.core.permissions import requires
from surveys.storage import db as database

READABLE_TABLES = frozenset({"rounds", "finalisations", "results", "agencies", "current_results",
                             "finalisation_rate_counts"})
PUBLISHED_RESULTS = """
SELECT r.round, r.agency, a.name_zh, a.name_en, r.n, r.score, r.grade
FROM current_results r
JOIN rounds ON rounds.name = r.round
JOIN agencies a ON a.code = r.agency
WHERE rounds.status = 'published'
ORDER BY r.round, r.agency
"""
COLUMNS = ["county", "county_name", "round", "agency", "name_zh", "name_en", "n", "score", "grade"]
# each published round's county-wide counts, as its current finalisation stored them
PUBLISHED_RATE_COUNTS = f"""
SELECT f.round, {", ".join("c." + name for name in standard.RESPONSE_COUNTS)}
FROM finalisation_rate_counts c
JOIN finalisations f ON f.id = c.finalisation_id
JOIN rounds ON rounds.name = f.round
WHERE f.is_current = 1 AND rounds.status = 'published' AND c.scope = 'county'
ORDER BY f.round
"""
RATE_COLUMNS = ["county", "round", *standard.RESPONSE_COUNTS]


def read_published(path: Path, query: str = PUBLISHED_RESULTS) -> pd.DataFrame:
    """The rows ``query`` reads from the county at ``path``, read-only and reading the published
    results' tables only (a query touching any other table is refused with sqlite3.DatabaseError)."""
    columns, rows = database.read_only_query(path, query, READABLE_TABLES)
    return pd.DataFrame(rows, columns=columns)


def published_results(counties: list[county_config.County]) -> pd.DataFrame:
    """Every county's current results of its published rounds, one row per county, round and agency."""
    frames = []
    for county in counties:
        frame = read_published(county.db)
        frame.insert(0, "county_name", county.name)
        frame.insert(0, "county", county.slug)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


def published_rate_counts(counties: list[county_config.County]) -> pd.DataFrame:
    """Every county's stored rate counts (county-wide) of its published rounds, one row per county and round."""
    frames = [read_published(county.db, PUBLISHED_RATE_COUNTS).assign(county=county.slug) for county in counties]
    frames = [frame for frame in frames if len(frame)]
    return pd.concat(frames, ignore_index=True)[RATE_COLUMNS] if frames else pd.DataFrame(columns=RATE_COLUMNS)


@requires("city.view")
def city_results(db, actor, city: county_config.County) -> pd.DataFrame:
    """The published results of the counties ``city`` covers (from the deployment's counties file)."""
    return published_results(county_config.city_covering(city, county_config.load() or {}))


@requires("city.view")
def city_rate_counts(db, actor, city: county_config.County) -> pd.DataFrame:
    """The county-wide rate counts of the published rounds of the counties ``city`` covers."""
    return published_rate_counts(county_config.city_covering(city, county_config.load() or {}))


def county_rates(counts: pd.DataFrame, round_name: str) -> pd.DataFrame:
    """One round's response-based rates (参评率, 好评率, 差评率; shares 0–1, NaN without a denominator)
    per county, by scoring/rates.py's arithmetic on the stored counts."""
    chosen = counts[counts["round"] == round_name]
    return standard.rates_from_counts(chosen)[["county", *standard.RESPONSE_COUNTS, *standard.RESPONSE_RATES]]


# a rate's column in the ranking ("good" there counts the agencies graded good)
RATE_COLUMN = {rate: f"{rate}_rate" for rate in standard.RESPONSE_RATES}
RANKING_COLUMNS = ["rank", "county", "county_name", "graded", "good", "good_share", "poor_share", "average_score",
                   *RATE_COLUMN.values()]
RANKING_HEADERS = {"rank": "city.rank", "county_name": "city.county", "graded": "city.graded", "good": "city.good",
                   "good_share": "city.good_share", "poor_share": "city.poor_share",
                   "average_score": "city.average_score",
                   **{column: f"loop.rates.{rate}" for rate, column in RATE_COLUMN.items()}}


def ranking_headers(lang: str) -> dict[str, str]:
    """The ranking's column headers in ``lang``, for the page and both bulletins."""
    from i18n import t
    return {column: t(key, lang) for column, key in RANKING_HEADERS.items()}


def county_ranking(results: pd.DataFrame, round_name: str, counts: pd.DataFrame | None = None) -> pd.DataFrame:
    """Counties ranked for one round: by the share of graded agencies graded good, then by their
    average score; agencies with too few responses to grade count in neither. With ``counts``
    (``city_rate_counts``), each county's standard rates beside (shares 0–1; NaN where none)."""
    graded = results[(results["round"] == round_name) & (results["grade"] != "insufficient")]
    rows = []
    for (slug, name), group in graded.groupby(["county", "county_name"], sort=False):
        rows.append({"county": slug, "county_name": name, "graded": len(group),
                     "good": int((group["grade"] == "good").sum()),
                     "good_share": round(100 * float((group["grade"] == "good").mean()), 1),
                     "poor_share": round(100 * float((group["grade"] == "poor").mean()), 1),
                     "average_score": round(float(group["score"].mean()), 1)})
    ranked = pd.DataFrame(rows, columns=["county", "county_name", "graded", "good", "good_share", "poor_share",
                                         "average_score"])
    ranked = ranked.sort_values(["good_share", "average_score", "county"], ascending=[False, False, True])
    ranked.insert(0, "rank", range(1, len(ranked) + 1))
    rates = county_rates(counts if counts is not None else pd.DataFrame(columns=RATE_COLUMNS), round_name)
    rates = rates[["county", *standard.RESPONSE_RATES]].rename(columns=RATE_COLUMN)
    ranked = ranked.merge(rates, on="county", how="left")
    return ranked[RANKING_COLUMNS].reset_index(drop=True)


def like_agencies(results: pd.DataFrame, round_name: str) -> pd.DataFrame:
    """Like agencies side by side: one row per agency code, one column of scores per county
    (blank where a county has no such agency or too few responses to grade it)."""
    chosen = results[results["round"] == round_name].copy()
    chosen.loc[chosen["grade"] == "insufficient", "score"] = None
    names = chosen.groupby("agency")["name_zh"].first()
    table = chosen.pivot_table(index="agency", columns="county_name", values="score", aggfunc="first",
                               dropna=False, sort=False)
    table = table.reindex(columns=list(dict.fromkeys(chosen["county_name"])))
    table.insert(0, "name_zh", names.reindex(table.index))
    table.columns.name = None
    return table.reset_index()


def _headed(frame: pd.DataFrame, headers: dict[str, str]) -> pd.DataFrame:
    return frame.rename(columns=headers)


@requires("city.view")
def city_workbook(db, actor, city: county_config.County, round_name: str, lang: str) -> bytes:
    """The city's bulletin as Excel: the counties ranked and like agencies compared, one sheet each."""
    import openpyxl

    from i18n import t
    from surveys.storage.export_safety import safe_frame, workbook_bytes

    from scoring.rounding import round_half_up

    results = city_results(db, actor, city)
    ranking = county_ranking(results, round_name, city_rate_counts(db, actor, city)).drop(columns=["county"])
    headers = ranking_headers(lang)
    for column in RATE_COLUMN.values():  # a percentage to one decimal, half up, as on the page
        ranking[column] = ranking[column].map(lambda share: None if pd.isna(share) else round_half_up(100 * share))
        headers[column] = t("city.rate_percent", lang, rate=headers[column])
    like = like_agencies(results, round_name)
    sheets = [
        (t("city.ranking", lang), _headed(ranking, headers)),
        (t("city.like_agencies", lang), _headed(like, {"agency": t("city.agency_code", lang),
                                                       "name_zh": t("city.agency", lang)})),
    ]
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, frame in sheets:
        sheet = book.create_sheet(title[:31])
        frame = safe_frame(frame)
        sheet.append([str(column) for column in frame.columns])
        for row in frame.itertuples(index=False):
            sheet.append([None if pd.isna(value) else value for value in row])
    return workbook_bytes(book)
