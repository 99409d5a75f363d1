"""A case's evidence file (PDF), for the discipline office to hand on with a referral.

What the case inbox shows — the case, the stored result, the counted ratings under
opaque numbers, the comments and the timeline — and, so that the file can be
checked against the system later (docs/integrity.md), its place in the record:
the export is itself an audit entry, and the file prints that entry's id and hash
and the digests of the round's current finalisation (rules, the whole
finalisation, the agency's counted ratings and its result). No response id and no
enterprise appears in it.
"""
from __future__ import annotations

import labels
from i18n import t
from surveys.casework import views as casework
from surveys.core import audit
from surveys.core.actors import Actor
from surveys.core.permissions import requires
from surveys.reports.bulletin import FAMILY, BulletinPDF
from surveys.reports.round_report import date_text, datetime_text
from surveys.results import integrity
from surveys.storage.db import write_transaction

EXPORTED = "case.evidence_exported"
SEAL_HEIGHT_MM = 60


def evidence_filename(case: dict) -> str:
    return f"evidence-{case['round']}-{case['agency']}-{case['id']}.pdf"


def _lines(pdf: BulletinPDF, lines: list[str], size: float = 9) -> None:
    for line in lines:
        pdf.paragraph(line, size=size)


def _field(name: str, value, lang: str) -> str:
    return f"{t('integrity.evidence.' + name, lang)}: {value}"


def _case_part(pdf: BulletinPDF, evidence: dict, agency_name: str, lang: str) -> None:
    case, result = evidence["case"], evidence["result"] or {}
    pdf.set_font(FAMILY, "B", 16)
    pdf.cell(0, 10, t("integrity.evidence.title", lang), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.paragraph(t("integrity.evidence.subtitle", lang, agency=agency_name,
                    round=labels.round_label(case["round"], lang), action=t(f"actions.{case['action']}", lang)))
    pdf.heading(t("integrity.evidence.case_heading", lang))
    _lines(pdf, [_field("field_status", t("cases.status." + case["status"], lang), lang),
                 _field("field_opened", date_text(case["opened_at"], lang), lang),
                 _field("field_due", date_text(case["due_on"], lang), lang)])
    pdf.heading(t("integrity.evidence.result_heading", lang))
    if not result:
        _lines(pdf, [t("integrity.evidence.no_result", lang)])
        return
    interval = labels.interval_text(result.get("ci_low"), result.get("ci_high")) or "—"
    _lines(pdf, [_field("field_grade", t("grades." + result["grade"], lang), lang),
                 _field("field_score", labels.score_text(result.get("score")), lang),
                 _field("field_interval", interval, lang),
                 _field("field_n", result.get("n", 0), lang)])


def _responses_part(pdf: BulletinPDF, evidence: dict, lang: str) -> None:
    pdf.heading(t("integrity.evidence.responses_heading", lang))
    excluded = t("integrity.evidence.excluded", lang)
    rows = [f"{t('integrity.evidence.number', lang)} {r['number']}: {t('integrity.evidence.points', lang)} "
            f"{'—' if r['score'] is None else r['score']}{' ' + excluded if r['excluded'] else ''}"
            for r in evidence["responses"]]
    _lines(pdf, ["; ".join(rows) or "—"], size=8)
    if evidence["comments"]:
        pdf.heading(t("integrity.evidence.comments_heading", lang))
        _lines(pdf, [f"{c['number']}. {c['comment']}" for c in evidence["comments"]], size=8)
    pdf.heading(t("integrity.evidence.timeline_heading", lang))
    _lines(pdf, [f"{datetime_text(e['at'], lang)}  {t('cases.status.' + e['step'], lang)}  {e['note']}".rstrip()
                 for e in evidence["timeline"]], size=8)


def seal_lines(position: dict, seal: dict | None, lang: str) -> list[str]:
    """The lines that tie the file to the record: chain position and digests."""
    lines = [t("integrity.evidence.chain_position", lang, id=position["id"],
               at=datetime_text(position["at"], lang)),
             t("integrity.evidence.chain_hash", lang, hash=position["hash"])]
    if seal is None:
        return lines + [t("integrity.evidence.not_finalised", lang)]
    return lines + [t("integrity.evidence.finalisation", lang, id=seal["id"], at=datetime_text(seal["at"], lang)),
                    t("integrity.evidence.finalisation_digest", lang, digest=seal["digest"]),
                    t("integrity.evidence.rules_digest", lang, digest=seal["rules_digest"]),
                    t("integrity.evidence.inputs_digest", lang, digest=seal["inputs_digest"]),
                    t("integrity.evidence.results_digest", lang, digest=seal["results_digest"])]


@requires("cases.view_all")
def evidence_pdf(db, actor: Actor, case_id: int, lang: str = "zh") -> bytes:
    """The case's evidence file; exporting it is recorded, and the file carries that entry."""
    evidence = casework.case_evidence(db, actor, case_id)
    case = evidence["case"]
    with write_transaction(db):
        audit.record(db, actor, EXPORTED, f"case/{case_id}")
        position = integrity.chain_position(db)
    seal = integrity.finalisation_seal(db, case["round"], case["agency"])
    agency_row = next(db.query("SELECT * FROM agencies WHERE code = ?", [case["agency"]]))
    agency_name = labels.agency_name(agency_row, lang)
    pdf = BulletinPDF(lang, t("integrity.evidence.exported", lang, at=datetime_text(position["at"], lang),
                              actor=actor.name))
    pdf.set_title(t("integrity.evidence.title", lang))
    pdf.add_page()
    _case_part(pdf, evidence, agency_name, lang)
    _responses_part(pdf, evidence, lang)
    if pdf.get_y() + SEAL_HEIGHT_MM > pdf.page_break_trigger:  # the seal stays on one page
        pdf.add_page()
    pdf.heading(t("integrity.evidence.seal_heading", lang))
    pdf.paragraph(t("integrity.evidence.seal_explained", lang), size=8, grey=True)
    _lines(pdf, seal_lines(position, seal, lang), size=8)
    return bytes(pdf.output())
