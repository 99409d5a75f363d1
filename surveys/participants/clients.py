"""Whom sign-in failures are counted against: the client's address, read from
X-Forwarded-For only as far as trusted reverse proxies wrote it.

Each proxy appends the address it was reached from to X-Forwarded-For, after
whatever the request already carried. With N trusted proxies in front of the
app, the right-most N hops were written by them; the N-th from the right is the
client as the outermost proxy saw it. Everything left of it was written by the
client and can say anything, so it never counts.
"""
from __future__ import annotations

import ipaddress
import logging
import os
import threading

from i18n import t

SETTING = "QIPING_TRUSTED_PROXY"
IPV6_PREFIX = 64  # one IPv6 subscriber gets a whole /64: count it as one client
MAX_HOP_LENGTH = 64

log = logging.getLogger("qiping.clients")


def trusted_proxies(setting: str | None = None) -> int:
    """How many reverse proxies in front of the app append to X-Forwarded-For
    (QIPING_TRUSTED_PROXY; unset or empty: none)."""
    value = os.environ.get(SETTING, "") if setting is None else setting
    value = value.strip()
    if not value:
        return 0
    if not value.isdigit():
        raise ValueError(f"{SETTING} must be the number of reverse proxies in front of Qiping "
                         f"(0, 1, 2 …), not {value!r}")
    return int(value)


def forwarded_hops(header_values: list[str]) -> list[str]:
    """The hops of every X-Forwarded-For header line, oldest first."""
    return [hop.strip() for value in header_values for hop in value.split(",") if hop.strip()]


def normalise(address: str) -> str:
    """One spelling per client: no port or brackets; an IPv6 address as its /64."""
    text = address.strip()
    if text.startswith("[") and "]" in text:  # [2001:db8::1]:443
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # 203.0.113.7:5123
        text = text.split(":")[0]
    try:
        parsed = ipaddress.ip_address(text)
    except ValueError:
        return text[:MAX_HOP_LENGTH]  # not an address (e.g. "unknown"): counted as written
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_PREFIX}", strict=False))
    return str(parsed)


def client_address(forwarded_for: list[str], peer: str | None, proxies: int) -> str | None:
    """The address sign-in failures are counted against, or None when unknown.

    ``forwarded_for``: the request's X-Forwarded-For header lines; ``peer``: the
    address the app's server saw; ``proxies``: how many proxies are trusted.
    """
    hops = forwarded_hops(forwarded_for) if proxies > 0 else []
    if hops:
        # fewer hops than proxies: the oldest one is still one a proxy of ours wrote
        return normalise(hops[-proxies] if len(hops) >= proxies else hops[0])
    return normalise(peer) if peer else None


def proxy_unconfigured(forwarded_for: list[str], proxies: int) -> bool:
    """Requests come through a reverse proxy (they carry X-Forwarded-For), but no
    proxy is trusted: failures would be counted per proxy, not per client."""
    return proxies == 0 and bool(forwarded_hops(forwarded_for))


class OnceWarning:
    """Logs its warning the first time it applies, then stays quiet (one per process)."""

    def __init__(self) -> None:
        self._given = False
        self._lock = threading.Lock()

    def check(self, forwarded_for: list[str], proxies: int) -> bool:
        """Warn if requests come through an untrusted proxy; True when it warned now."""
        if self._given or not proxy_unconfigured(forwarded_for, proxies):
            return False
        with self._lock:
            if self._given:
                return False
            self._given = True
        log.warning(t("ops.proxy_unconfigured", os.environ.get("QIPING_LANG", "zh")))
        return True


proxy_warning = OnceWarning()
