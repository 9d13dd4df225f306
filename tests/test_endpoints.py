"""Which endpoints may use plain http: loopback only."""

from __future__ import annotations

import pytest

from batchstat.endpoints import is_loopback, parse_endpoint
from batchstat.errors import ConfigError


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.255.3.4", True),
        ("[::1]", True),
        ("::1", True),
        ("128.0.0.1", False),
        ("127.0.0.1.example.com", False),
        ("127.0.0.256", False),
        ("mt.aliyuncs.com", False),
        ("10.0.0.1", False),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_parse_endpoint_rules():
    assert parse_endpoint("http://127.0.0.1:8080", source="x").base_url == "http://127.0.0.1:8080"
    assert parse_endpoint("mt.aliyuncs.com", source="x").base_url == "https://mt.aliyuncs.com"
    assert parse_endpoint("http://[::1]:9", source="x").base_url == "http://[::1]:9"
    for bad in ("http://example.com", "ftp://x", "https://x/path", "https://u:p@x", "https://"):
        with pytest.raises(ConfigError):
            parse_endpoint(bad, source="--endpoint")
