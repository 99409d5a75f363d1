"""Whether the demo may be served: only on this computer, unless explicitly allowed."""
import logging

import pytest

from surveys.demo import guard as demo_guard
from surveys.demo.guard import LOCAL, NOT_DEMO, PUBLIC_ALLOWED, REFUSED, exposure


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.1.1", "localhost", "LOCALHOST", "::1", "[::1]"])
def test_the_loopback_address_keeps_the_demo_on_this_computer(address):
    assert demo_guard.is_loopback(address)
    assert exposure(True, address, allowed=False) == LOCAL


@pytest.mark.parametrize("address", [None, "", "  ", "0.0.0.0", "::", "192.168.1.20", "qiping.example.gov.cn"])
def test_any_other_address_is_the_network(address):
    assert not demo_guard.is_loopback(address)
    assert exposure(True, address, allowed=False) == REFUSED
    assert exposure(True, address, allowed=True) == PUBLIC_ALLOWED


def test_a_real_deployment_is_never_refused():
    for address in (None, "0.0.0.0", "127.0.0.1"):
        assert exposure(False, address, allowed=False) == NOT_DEMO


def test_only_qiping_demo_public_1_allows_it(monkeypatch):
    for value, allowed in (("1", True), (" 1 ", False), ("0", False), ("yes", False), ("", False)):
        monkeypatch.setenv("QIPING_DEMO_PUBLIC", value)
        assert demo_guard.public_allowed() is allowed
    monkeypatch.delenv("QIPING_DEMO_PUBLIC")
    assert demo_guard.public_allowed() is False


def test_a_public_demo_is_named_in_the_log_once(caplog, monkeypatch):
    monkeypatch.setattr(demo_guard, "_said", set())
    with caplog.at_level(logging.WARNING, logger="qiping"):
        assert not demo_guard.say_once(LOCAL, "127.0.0.1")
        assert demo_guard.say_once(REFUSED, None)
        assert not demo_guard.say_once(REFUSED, None)
        assert demo_guard.say_once(PUBLIC_ALLOWED, "0.0.0.0")
    said = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "qiping.demo"]
    assert [level for level, _ in said] == [logging.ERROR, logging.WARNING]
    assert "QIPING_DEMO_PUBLIC" in said[0][1] and "0.0.0.0" in said[1][1]
