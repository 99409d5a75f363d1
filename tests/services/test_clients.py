"""Whom sign-in failures are counted against, behind trusted reverse proxies."""
import logging

import pytest

from surveys.participants import clients
from surveys.participants.clients import client_address


def test_the_hop_the_trusted_proxy_appended_counts_not_the_one_the_client_wrote():
    # the client wrote 10.9.9.9 itself; nginx appended the address it was reached from
    assert client_address(["10.9.9.9, 203.0.113.7"], "127.0.0.1", 1) == "203.0.113.7"
    assert client_address(["198.51.100.1, 10.9.9.9, 203.0.113.7"], "127.0.0.1", 1) == "203.0.113.7"


def test_a_different_fake_first_hop_per_try_is_still_one_client():
    seen = {client_address([f"192.0.2.{n}, 203.0.113.7"], "127.0.0.1", 1) for n in range(50)}
    assert seen == {"203.0.113.7"}


def test_with_two_proxies_the_second_hop_from_the_right_is_the_client():
    # a CDN edge appends the client, the local nginx appends the edge
    assert client_address(["10.9.9.9, 203.0.113.7, 198.51.100.40"], "127.0.0.1", 2) == "203.0.113.7"


def test_fewer_hops_than_proxies_takes_the_oldest_hop_a_proxy_wrote():
    assert client_address(["203.0.113.7"], "127.0.0.1", 2) == "203.0.113.7"


def test_header_lines_are_joined_in_order():
    assert client_address(["10.9.9.9", "203.0.113.7"], "127.0.0.1", 1) == "203.0.113.7"


def test_without_trusted_proxies_the_header_is_ignored():
    assert client_address(["10.9.9.9, 203.0.113.7"], "198.51.100.2", 0) == "198.51.100.2"
    assert client_address(["10.9.9.9"], None, 0) is None  # loopback: the browser session counts


def test_no_header_behind_a_proxy_falls_back_to_the_peer():
    assert client_address([], "198.51.100.2", 1) == "198.51.100.2"
    assert client_address([" , "], None, 1) is None


def test_addresses_are_spelt_one_way():
    assert client_address(["[2001:db8:1:2::5]:4431"], None, 1) == "2001:db8:1:2::/64"
    assert client_address(["2001:db8:1:2:aaaa::9"], None, 1) == "2001:db8:1:2::/64"
    assert client_address(["203.0.113.7:5123"], None, 1) == "203.0.113.7"
    assert client_address(["::ffff:203.0.113.7"], None, 1) == "203.0.113.7"
    assert client_address(["unknown"], None, 1) == "unknown"
    assert len(client_address(["x" * 5000], None, 1)) == clients.MAX_HOP_LENGTH


def test_the_setting_is_a_number_of_proxies(monkeypatch):
    monkeypatch.delenv("QIPING_TRUSTED_PROXY", raising=False)
    assert clients.trusted_proxies() == 0
    for value, proxies in (("", 0), ("0", 0), ("1", 1), (" 2 ", 2)):
        assert clients.trusted_proxies(value) == proxies
    for wrong in ("yes", "-1", "1.5"):
        with pytest.raises(ValueError, match="QIPING_TRUSTED_PROXY"):
            clients.trusted_proxies(wrong)


def test_a_proxy_without_the_setting_is_logged_once(caplog):
    warning = clients.OnceWarning()
    with caplog.at_level(logging.WARNING, logger="qiping"):
        assert not warning.check([], 0)  # a direct request: nothing to say
        assert not warning.check(["203.0.113.7"], 1)  # the proxy is trusted
        assert warning.check(["203.0.113.7"], 0)
        assert not warning.check(["203.0.113.8"], 0)  # once per process
    said = [r for r in caplog.records if r.name == "qiping.clients"]
    assert len(said) == 1 and said[0].levelno == logging.WARNING
    assert "QIPING_TRUSTED_PROXY" in said[0].getMessage()
