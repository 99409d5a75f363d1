"""Demo mode must not be mistaken for a deployment.

The demo county's passwords are printed on its sign-in page, so by default the
demo serves only this computer (the loopback address). Listening beyond it needs
QIPING_DEMO_PUBLIC=1; without it the app refuses to serve the demo at all.
"""
from __future__ import annotations

import ipaddress
import logging
import os
import threading

from i18n import t

NOT_DEMO = "not_demo"              # a real deployment: nothing to say
LOCAL = "local"                    # the demo, seen from this computer only
PUBLIC_ALLOWED = "public_allowed"  # the demo on the network, explicitly allowed
REFUSED = "refused"                # the demo on the network, not allowed: serve nothing
PUBLIC_SETTING = "QIPING_DEMO_PUBLIC"

log = logging.getLogger("qiping.demo")


def is_loopback(address: str | None) -> bool:
    """Whether a server listening on ``address`` (Streamlit's server.address) can be
    reached from this computer only. Unset means every interface."""
    if not address or not address.strip():
        return False
    text = address.strip().strip("[]")
    if text.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False  # a host name: it may well resolve to a public address


def public_allowed() -> bool:
    return os.environ.get(PUBLIC_SETTING) == "1"  # exactly as run.sh tests it


def exposure(demo_on: bool, address: str | None, allowed: bool) -> str:
    """How the demo is exposed: NOT_DEMO, LOCAL, PUBLIC_ALLOWED or REFUSED."""
    if not demo_on:
        return NOT_DEMO
    if is_loopback(address):
        return LOCAL
    return PUBLIC_ALLOWED if allowed else REFUSED


_said: set[str] = set()
_said_lock = threading.Lock()


def say_once(state: str, address: str | None) -> bool:
    """Name a public demo in the server's log, once per process and state; True when it did."""
    if state not in (PUBLIC_ALLOWED, REFUSED):
        return False
    with _said_lock:
        if state in _said:
            return False
        _said.add(state)
    lang = os.environ.get("QIPING_LANG", "zh")
    where = address.strip() if address and address.strip() else "0.0.0.0 / ::"
    if state == REFUSED:
        log.error(t("ops.demo_refused", lang, address=where))
    else:
        log.warning(t("ops.demo_public", lang, address=where))
    return True
