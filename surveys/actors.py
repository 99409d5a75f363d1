"""Who is acting, and the one permission check every service starts with."""
from __future__ import annotations

from dataclasses import dataclass, field

from surveys.errors import PermissionDenied

ENTERPRISE = "enterprise"
AGENCY = "agency"
DISCIPLINE = "discipline"
ADMIN = "admin"
ROLES = (ENTERPRISE, AGENCY, DISCIPLINE, ADMIN)


@dataclass(frozen=True)
class Actor:
    role: str
    id: str  # USCC for an enterprise, username for staff
    name: str = ""
    agency_code: str | None = None  # set for agency staff only
    # A fingerprint of the password or access code the session was opened with
    # (surveys.accounts.credential_stamp); not part of who the actor is.
    credential_stamp: str | None = field(default=None, compare=False, repr=False)

    @property
    def audit_name(self) -> str:
        return f"{self.role}:{self.id}"


SYSTEM = Actor(role="system", id="qiping")


def require_role(actor: Actor, *roles: str) -> None:
    if actor.role not in roles:
        raise PermissionDenied("errors.permission_denied", role=actor.role)
