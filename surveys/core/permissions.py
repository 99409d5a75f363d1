"""Who may do what, as data: each role holds a set of capabilities, and every
service declares the one capability it needs (``@requires``).

DESIGN §2 is written down here once. The services check it (``require``), the
pages are listed by it (app_pages/navigation.py), the authorisation test is
generated from it and docs/permissions.md shows it. A new role is one entry in
ROLE_CAPABILITIES (plus its pages and its name in the locale catalogues).
"""
from __future__ import annotations

import functools

from surveys.core.actors import ADMIN, AGENCY, CITY, DISCIPLINE, ENTERPRISE, Actor
from surveys.core.errors import PermissionDenied

# capability -> what it lets its holder do (shown in docs/permissions.md)
CAPABILITIES = {
    "city.view": "see the published results of the counties a city office covers: counties ranked with their "
                 "standard rates, the city bulletin (PDF, Excel), "
                 "like agencies compared (never a response, a comment or a rater)",
    "responses.submit": "rate the agencies it dealt with in an open round; revise until the round closes",
    "responses.view_own": "see its own past ratings",
    "problems.raise": "raise a problem with an agency and rate its answer",
    "problems.answer": "answer the problems raised with its agency",
    "problems.view_all": "see every agency's problems",
    "results.view_agency": "open an agency's results page (only its own without agencies.all)",
    "results.view_all": "see the county overview, provisional results, unpublished ranks and "
                        "figures below the privacy minimum",
    "ranking.view": "see the ranking (published rounds only without results.view_all)",
    "agencies.all": "act on every agency; without it, an account acts on its own agency only",
    "notices.view": "print a case's notice (its own agency's only without agencies.all)",
    "cases.view_own": "see its own agency's cases",
    "cases.view_all": "see every case and its evidence",
    "cases.advance": "take a step on a case",
    "cases.answer": "take the agency's steps: acknowledge, send a rectification report or plan",
    "cases.review": "take the discipline office's steps: schedule, hold, refer, close",
    "appeals.lodge": "appeal a rating of its own agency",
    "appeals.view_all": "see every appeal and the rounds an upheld appeal leaves to re-finalise",
    "appeals.decide": "uphold or reject an appeal",
    "signals.review": "see coaching and stuffing signals with their anonymised evidence, and open an inquiry "
                      "from one (signals never exclude anything)",
    "rater.reveal": "link a response or a problem to the enterprise behind it, with a recorded reason",
    "responses.exclude": "exclude a response from every count, with a reason",
    "exclusions.manage": "choose responses to exclude and follow them to re-finalisation",
    "monthly.view": "see the monthly bulletin of casework (only its own agency's line, rank and overdue items "
                    "without agencies.all)",
    "reports.export": "download round reports, workbooks and bulletins",
    "calendar.view": "be warned about, and read, the working-day calendar",
    "calendar.manage": "enter a year's official working-day calendar",
    "deadlines.manage": "set the county's deadlines in working days (contact, fix, rating, escalation)",
    "rounds.manage": "create, open and close rounds",
    "rounds.finalise": "finalise and publish rounds",
    "annual.manage": "enter or import work-assessment scores; finalise and publish a year's assessment",
    "monitoring.view": "watch response rates and call non-responders",
    "reminders.send": "remind enterprises that have not answered the open round (SMS list, letters, gateway); "
                      "each reminder carries a new access code",
    "paper.import": "enter paper questionnaires",
    "roster.manage": "manage the agency and enterprise rosters",
    "groups.manage": "keep the list of agency groups (add, rename, reorder, delete an unused one)",
    "access_codes.issue": "issue enterprises' access codes",
    "accounts.manage": "manage staff accounts",
    "accounts.own_password": "change its own password",
    "questionnaires.manage": "write questionnaire versions",
    "audit.view": "read and export the audit log",
    "integrity.verify": "check the tamper-evident record: the audit chain and every finalisation's digests",
}

# DESIGN §2, role by role. Role names are the values stored in accounts and sessions.
ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    ENTERPRISE: frozenset({"responses.submit", "responses.view_own", "problems.raise"}),
    AGENCY: frozenset({
        "results.view_agency", "ranking.view", "notices.view", "cases.view_own", "cases.advance",
        "cases.answer", "monthly.view", "appeals.lodge", "problems.answer", "accounts.own_password",
    }),
    DISCIPLINE: frozenset({
        "results.view_agency", "results.view_all", "ranking.view", "agencies.all", "notices.view",
        "cases.view_all", "cases.advance", "cases.review", "appeals.view_all", "appeals.decide",
        "rater.reveal", "responses.exclude", "problems.view_all", "monthly.view", "reports.export", "calendar.view",
        "accounts.own_password", "signals.review", "integrity.verify",
    }),
    ADMIN: frozenset({
        "results.view_agency", "results.view_all", "ranking.view", "agencies.all", "notices.view",
        "cases.view_all", "appeals.view_all", "responses.exclude", "exclusions.manage", "problems.view_all",
        "monthly.view", "reports.export", "calendar.view", "calendar.manage", "deadlines.manage", "rounds.manage", "rounds.finalise",
        "annual.manage", "monitoring.view", "reminders.send", "paper.import", "roster.manage", "groups.manage",
        "access_codes.issue", "accounts.manage",
        "questionnaires.manage", "audit.view", "accounts.own_password", "integrity.verify",
    }),
    CITY: frozenset({"city.view", "accounts.own_password"}),
}


def allowed(actor: Actor, capability: str, resource: str | None = None) -> bool:
    """Whether ``actor`` holds ``capability`` — for ``resource`` (an agency code) when given."""
    return _holds(actor, capability) and (resource is None or covers_agency(actor, resource))


def require(actor: Actor, capability: str, resource: str | None = None,
            not_yours: str = "errors.permission_denied") -> None:
    """Refuse unless ``actor`` holds ``capability``; with ``resource`` (an agency code),
    also unless it covers that agency — refused then with the caller's ``not_yours`` key."""
    if not _holds(actor, capability):
        raise PermissionDenied("errors.permission_denied", role=actor.role)
    if resource is not None and not covers_agency(actor, resource):
        raise PermissionDenied(not_yours)


def covers_agency(actor: Actor, agency_code: str) -> bool:
    """The per-agency rule: an account without ``agencies.all`` acts on its own agency only."""
    if _holds(actor, "agencies.all"):
        return True
    return actor.agency_code is not None and actor.agency_code == agency_code


def _holds(actor: Actor, capability: str) -> bool:
    _known(capability)
    return capability in ROLE_CAPABILITIES.get(actor.role, ())


def meets(actor: Actor, condition: str | tuple[str, ...]) -> bool:
    """Whether ``actor`` meets a page's condition (app_pages/navigation.py): a capability, or a
    tuple of them, all held — except those marked "!", which must not be held."""
    names = (condition,) if isinstance(condition, str) else condition
    return all(_meets_one(actor, name) for name in names)


def _meets_one(actor: Actor, name: str) -> bool:
    if name.startswith("!"):
        return not allowed(actor, name[1:])
    return allowed(actor, name)


def requires(capability: str):
    """Decorate a service ``(db, actor, ...)``: ``require(actor, capability)`` before its
    body runs, so a refusal comes before anything is read or written. The capability
    is recorded on the function, for the authorisation test and the docs."""
    _known(capability)

    def decorate(service):
        @functools.wraps(service)
        def checked(db, actor, *args, **kwargs):
            require(actor, capability)
            return service(db, actor, *args, **kwargs)
        checked.capability = capability
        return checked
    return decorate


def roles_meeting(condition: str | tuple[str, ...]) -> list[str]:
    """The roles whose accounts meet a page's condition, in table order."""
    return [role for role in ROLE_CAPABILITIES if meets(Actor(role=role, id=role), condition)]


def roles_holding(capability: str) -> list[str]:
    """The roles that hold ``capability``, in table order."""
    return [role for role, held in ROLE_CAPABILITIES.items() if capability in held]


def _known(capability: str) -> None:
    # a misspelt capability would silently refuse everyone: fail loudly instead
    if capability not in CAPABILITIES:
        raise KeyError(f"unknown capability {capability!r}: add it to permissions.CAPABILITIES")


def markdown_table() -> str:
    """The table as docs/permissions.md shows it (a test keeps the two equal)."""
    roles = list(ROLE_CAPABILITIES)
    lines = ["| capability | " + " | ".join(roles) + " | lets its holder |",
             "|---|" + "---|" * len(roles) + "---|"]
    for capability, meaning in CAPABILITIES.items():
        marks = ["✓" if capability in ROLE_CAPABILITIES[role] else "" for role in roles]
        lines.append(f"| `{capability}` | " + " | ".join(marks) + f" | {meaning} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # python -m surveys.core.permissions: the table for docs/permissions.md
    print(markdown_table(), end="")
