"""Who is acting. What each role may do is in surveys/core/permissions.py."""
from __future__ import annotations

from dataclasses import dataclass, field

ENTERPRISE = "enterprise"
AGENCY = "agency"
DISCIPLINE = "discipline"
ADMIN = "admin"
CITY = "city"  # the city office: published results of the counties it covers (issue 16)
ROLES = (ENTERPRISE, AGENCY, DISCIPLINE, ADMIN, CITY)


@dataclass(frozen=True)
class Actor:
    role: str
    id: str  # USCC for an enterprise, username for staff
    name: str = ""
    agency_code: str | None = None  # set for agency staff only
    # A fingerprint of the password or access code the session was opened with
    # (surveys.participants.accounts.credential_stamp); not part of who the actor is.
    credential_stamp: str | None = field(default=None, compare=False, repr=False)

    @property
    def audit_name(self) -> str:
        return f"{self.role}:{self.id}"


SYSTEM = Actor(role="system", id="qiping")

