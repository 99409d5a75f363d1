"""The tamper-evident record (issue 15 item 5; the exact recipe: docs/integrity.md).

Every finalisation is sealed when it is stored (``seal_finalisation``, called once
from surveys/results/finalise.py): the responses it counted are kept in
``finalisation_inputs`` (per agency; later exclusions never touch them), and
sha256 digests are stored of the pinned rules, of each agency's counted ratings
and stored result, and one over all of them — which also goes into the
finalisation's audit entry, so it is covered by the audit hash chain
(surveys/core/audit.py).

``verify`` checks the chain and, for every finalisation in history, recomputes
the digests from the stored rows and the results themselves from the stored
responses with the same function finalisation uses (``finalise.compute_results``
``as_of`` that finalisation), naming the first audit entry and every
(round, agency) that does not match. ``python -m surveys verify`` runs it.

What it cannot see: someone who rewrites every hash after a change with this
recipe, or removes the newest entries, leaves a chain that is consistent with
itself. The chain position an evidence file carries (``chain_position``) is the
anchor against that: an entry id and its hash kept outside the database.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import pandas as pd
import sqlite_utils

from i18n import t
from surveys.core import audit
from surveys.core.actors import Actor
from surveys.core.permissions import requires

AT_FINALISATION, AT_MIGRATION = "at_finalisation", "at_migration"
STORED_ACTION = "round.results_stored"
# what each check means to a reader: catalogue key integrity.check.<name>
CHECKS = ("unsealed", "rules", "pinned_rules", "inputs", "results", "agencies", "digest", "audit", "recomputed",
          "rate_counts", "missing")


def _finalise():
    from surveys.results import finalise  # finalise calls this module: import when used
    return finalise


# --- digests -----------------------------------------------------------------------

def rules_digest(config_text: str) -> str:
    """sha256 of the canonical JSON of the rules (a finalisation's ``config``)."""
    return audit.sha256_hex(json.loads(config_text))


def _result_fields() -> list[str]:
    return _finalise().RESULT_FIELDS


def agency_digests(db: sqlite_utils.Database, finalisation: dict) -> dict[str, tuple[str, str]]:
    """Per agency: (digest of the ratings it counted, digest of its stored result), from the
    rows as they are stored now."""
    fid, round_name = finalisation["id"], finalisation["round"]
    counted: dict[str, dict[int, list]] = {}
    for agency, response_id, answered_for, item, rating in db.execute(
            """SELECT fi.agency, fi.response_id, r.agency, rr.item, rr.rating
               FROM finalisation_inputs fi
               LEFT JOIN responses r ON r.id = fi.response_id
               LEFT JOIN response_ratings rr ON rr.response_id = fi.response_id
               WHERE fi.finalisation_id = ? ORDER BY fi.agency, fi.response_id, rr.item""", [fid]):
        responses = counted.setdefault(agency, {})
        if response_id is not None:
            entry = responses.setdefault(response_id, [response_id, answered_for, []])
            if item is not None:
                entry[2].append([item, rating])
    fields = _result_fields()
    stored = {row["agency"]: row for row in db.query(
        f"SELECT agency, {', '.join(fields)} FROM results WHERE finalisation_id = ?", [fid])}
    digests = {}
    for agency in sorted(set(counted) | set(stored)):
        inputs = audit.sha256_hex({"finalisation": fid, "round": round_name, "agency": agency,
                                   "responses": list(counted.get(agency, {}).values())})
        result = stored.get(agency)
        results = audit.sha256_hex({"finalisation": fid, "round": round_name, "agency": agency,
                                    "result": None if result is None else {f: result[f] for f in fields}})
        digests[agency] = (inputs, results)
    return digests


def finalisation_digest(finalisation: dict, rules: str, digests: dict[str, tuple[str, str]]) -> str:
    """One digest over the rules' and every agency's digests: what the audit entry carries."""
    return audit.sha256_hex({"finalisation": finalisation["id"], "round": finalisation["round"], "rules": rules,
                             "agencies": [[agency, *pair] for agency, pair in sorted(digests.items())]})


# --- sealing -----------------------------------------------------------------------

def _finalisation(db, finalisation_id: int) -> dict:
    return next(db.query("SELECT * FROM finalisations WHERE id = ?", [finalisation_id]))


def _counted_now(db, finalisation: dict) -> list[tuple[str, int | None]]:
    """(agency, response id) for every counted response, (agency, None) for an agency graded
    without any: read with finalisation's own function, in the same transaction."""
    from surveys.collection import questionnaire
    form = questionnaire.get_questionnaire(db, finalisation["questionnaire_version"])
    frame = _finalise().counted_responses(db, finalisation["round"], form.item_codes)
    return [(row["agency"], None if pd.isna(row["id"]) else int(row["id"])) for row in frame.to_dict("records")]


def _store_seal(db, finalisation: dict, inputs: list[tuple[str, int | None]], sealed: str) -> str:
    db["finalisation_inputs"].insert_all(
        [{"finalisation_id": finalisation["id"], "agency": a, "response_id": r} for a, r in inputs])
    digests = agency_digests(db, finalisation)
    db["finalisation_digests"].insert_all(
        [{"finalisation_id": finalisation["id"], "agency": agency, "inputs_digest": pair[0],
          "results_digest": pair[1]} for agency, pair in digests.items()])
    rules = rules_digest(finalisation["config"])
    digest = finalisation_digest(finalisation, rules, digests)
    db.execute("UPDATE finalisations SET rules_digest = ?, digest = ?, sealed = ? WHERE id = ?",
               [rules, digest, sealed, finalisation["id"]])
    return digest


def seal_finalisation(db: sqlite_utils.Database, finalisation_id: int) -> str:
    """Seal a finalisation just stored (inside its transaction); returns its digest."""
    finalisation = _finalisation(db, finalisation_id)
    return _store_seal(db, finalisation, _counted_now(db, finalisation), AT_FINALISATION)


def _counted_then(db, finalisation: dict) -> list[tuple[str, int | None]]:
    """For a finalisation made before the seal existed: the round's rated responses not
    excluded before it, and the agencies it graded without any (best knowledge: not
    recomputed by verify, only its digests are kept from now on)."""
    rows = db.execute(
        """SELECT r.agency, r.id FROM responses r
           WHERE r.round = ? AND EXISTS (SELECT 1 FROM response_ratings rr WHERE rr.response_id = r.id)
             AND NOT EXISTS (SELECT 1 FROM exclusions x WHERE x.response_id = r.id AND x.at < ?)
           ORDER BY r.id""", [finalisation["round"], finalisation["at"]]).fetchall()
    empty = db.execute("SELECT agency FROM results WHERE finalisation_id = ? AND n = 0 ORDER BY agency",
                       [finalisation["id"]]).fetchall()
    return [(agency, response_id) for agency, response_id in rows] + [(agency, None) for (agency,) in empty]


def seal_existing(db: sqlite_utils.Database) -> None:
    """Migration 12's Python step: chain the audit entries already there and seal the
    finalisations already there (``at_migration``)."""
    audit.chain_existing(db)
    for finalisation in list(db.query("SELECT * FROM finalisations WHERE digest IS NULL ORDER BY id")):
        _store_seal(db, finalisation, _counted_then(db, finalisation), AT_MIGRATION)


# --- verifying ---------------------------------------------------------------------

@dataclass
class Mismatch:
    """One thing that does not match: a finalisation (and agency, when it is one agency's)."""
    check: str
    round: str
    finalisation_id: int
    agency: str | None = None


@dataclass
class Verification:
    entries: int = 0                       # audit entries whose hash matched
    head: tuple = (0, "", audit.GENESIS)   # the last matching entry: id, at, hash
    broken_entry: dict | None = None       # the first entry that does not match
    finalisations: int = 0
    recomputed: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.broken_entry is None and not self.mismatches


def _audited_digests(db) -> dict[int, tuple[str, str | None]]:
    """Finalisation id → (its round, the digest its audit entry carries)."""
    found = {}
    for target, detail in db.execute("SELECT target, detail FROM audit_log WHERE action = ? ORDER BY id",
                                     [STORED_ACTION]):
        try:
            parsed = json.loads(detail)
        except ValueError:
            continue
        if isinstance(parsed, dict) and isinstance(parsed.get("finalisation"), int):
            found[parsed["finalisation"]] = (target, parsed.get("digest"))
    return found


def _recomputation_differs(db, finalisation: dict, round_row: dict) -> list[str]:
    """The agencies whose stored result differs from scoring the stored responses again
    exactly as the finalisation did (its rules, questionnaire, counted responses, history)."""
    finalise = _finalise()
    as_then = {**round_row, "scoring_config": finalisation["config"],
               "questionnaire_version": finalisation["questionnaire_version"]}
    result, _, _ = finalise.compute_results(db, as_then, as_of=finalisation["id"])
    fresh = finalise._result_map(result.to_dict("records"))
    stored = finalise._result_map(list(db.query("SELECT * FROM results WHERE finalisation_id = ?",
                                                [finalisation["id"]])))
    return sorted(a for a in set(fresh) | set(stored) if fresh.get(a) != stored.get(a))


def verify_finalisation(db, finalisation: dict,
                        audited: dict[int, tuple[str, str | None]]) -> tuple[list[Mismatch], bool]:
    """Every check of one finalisation; and whether it was recomputed."""
    fid, round_name = finalisation["id"], finalisation["round"]

    def mismatch(check: str, agency: str | None = None) -> Mismatch:
        return Mismatch(check, round_name, fid, agency)

    if finalisation["digest"] is None:
        return [mismatch("unsealed")], False
    found = []
    if rules_digest(finalisation["config"]) != finalisation["rules_digest"]:
        found.append(mismatch("rules"))
    round_row = next(db.query("SELECT * FROM rounds WHERE name = ?", [round_name]), None)
    if round_row is None or not round_row["scoring_config"] or \
            rules_digest(round_row["scoring_config"]) != finalisation["rules_digest"]:
        found.append(mismatch("pinned_rules"))
    sealed = {r["agency"]: (r["inputs_digest"], r["results_digest"]) for r in db.query(
        "SELECT * FROM finalisation_digests WHERE finalisation_id = ?", [fid])}
    now = agency_digests(db, finalisation)
    for agency in sorted(set(sealed) | set(now)):
        if agency not in sealed or agency not in now:
            found.append(mismatch("agencies", agency))
            continue
        if now[agency][0] != sealed[agency][0]:
            found.append(mismatch("inputs", agency))
        if now[agency][1] != sealed[agency][1]:
            found.append(mismatch("results", agency))
    if finalisation_digest(finalisation, finalisation["rules_digest"], sealed) != finalisation["digest"]:
        found.append(mismatch("digest"))
    # the stored rate counts are a function of the sealed inputs and rules: recomputed, not sealed
    # themselves (the seal's recipe stays as it was for every finalisation already made)
    from surveys.results import rate_counts
    found.extend(mismatch("rate_counts", None if unit == "county" else unit)
                 for unit in rate_counts.differing_units(db, finalisation))
    if finalisation["sealed"] != AT_FINALISATION:
        return found, False
    if audited.get(fid, ("", None))[1] != finalisation["digest"]:
        found.append(mismatch("audit"))
    if round_row is not None:
        found.extend(mismatch("recomputed", agency) for agency in _recomputation_differs(db, finalisation, round_row))
    return found, True


def verify(db: sqlite_utils.Database) -> Verification:
    """Check the audit chain and every finalisation (read only), in one snapshot of the
    database: the app may go on writing meanwhile (WAL), unseen and unblocked."""
    if db.conn.in_transaction:
        return _verify(db)
    db.conn.execute("BEGIN")
    try:
        return _verify(db)
    finally:
        db.conn.execute("ROLLBACK")


def _verify(db: sqlite_utils.Database) -> Verification:
    report = Verification()
    report.broken_entry, report.entries, report.head = audit.first_broken_entry(db)
    audited = _audited_digests(db)
    finalisations = list(db.query("SELECT * FROM finalisations ORDER BY id"))
    for finalisation in finalisations:
        found, recomputed = verify_finalisation(db, finalisation, audited)
        report.mismatches.extend(found)
        report.recomputed += recomputed
    report.finalisations = len(finalisations)
    known = {f["id"] for f in finalisations}
    for fid in sorted(set(audited) - known):
        report.mismatches.append(Mismatch("missing", audited[fid][0], fid))
    return report


def anchor_holds(db: sqlite_utils.Database, entry_id: int, entry_hash: str) -> bool:
    """Whether audit entry ``entry_id`` still has the hash written down outside the database (an
    evidence file's chain position). With a whole chain, every entry up to it is then untouched."""
    row = db.execute("SELECT hash FROM audit_log WHERE id = ?", [entry_id]).fetchone()
    return row is not None and row[0] == entry_hash.strip().lower()


# --- what an evidence file carries ---------------------------------------------------

def chain_position(db: sqlite_utils.Database) -> dict:
    """The newest audit entry: its id, time and hash (the anchor an evidence file carries)."""
    row = db.execute("SELECT id, at, hash FROM audit_log ORDER BY id DESC LIMIT 1").fetchone()
    return {"id": row[0], "at": row[1], "hash": row[2]} if row else {"id": 0, "at": "", "hash": audit.GENESIS}


def finalisation_seal(db: sqlite_utils.Database, round_name: str, agency: str) -> dict | None:
    """The round's current finalisation's digests, with the agency's own."""
    row = next(db.query(
        """SELECT f.id, f.at, f.rules_digest, f.digest, d.inputs_digest, d.results_digest
           FROM finalisations f LEFT JOIN finalisation_digests d ON d.finalisation_id = f.id AND d.agency = ?
           WHERE f.round = ? AND f.is_current = 1""", [agency, round_name]), None)
    return row


@requires("integrity.verify")
def verification_summary(db: sqlite_utils.Database, actor: Actor) -> Verification:
    """``verify`` for the discipline office's page."""
    return verify(db)


# --- in words ----------------------------------------------------------------------

def _entry_line(entry: dict, lang: str) -> str:
    if entry["missing"]:
        return t("integrity.entries_missing", lang, first=entry["missing"][0], last=entry["missing"][-1],
                 id=entry["id"], at=entry["at"], action=entry["action"])
    return t("integrity.entry_broken", lang, id=entry["id"], at=entry["at"], action=entry["action"])


def mismatch_line(mismatch: Mismatch, lang: str) -> str:
    agency = t("integrity.mismatch_agency", lang, agency=mismatch.agency) if mismatch.agency else ""
    return t("integrity.mismatch", lang, round=mismatch.round or "?", agency=agency,
             finalisation=mismatch.finalisation_id, problem=t(f"integrity.check.{mismatch.check}", lang))


def report_lines(report: Verification, lang: str) -> list[str]:
    """What ``python -m surveys verify`` prints: a summary, or every mismatch then the count."""
    head_id, head_at, head_hash = report.head
    if report.ok:
        return [t("integrity.verified", lang, entries=report.entries, id=head_id, at=head_at, hash=head_hash,
                  finalisations=report.finalisations, recomputed=report.recomputed)]
    lines = []
    if report.broken_entry is not None:
        lines += [t("integrity.chain_ok_until", lang, entries=report.entries, id=head_id),
                  _entry_line(report.broken_entry, lang)]
    lines += [mismatch_line(m, lang) for m in report.mismatches]
    count = len(report.mismatches) + (report.broken_entry is not None)
    return lines + [t("integrity.failed", lang, count=count)]
