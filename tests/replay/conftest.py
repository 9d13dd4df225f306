"""Fixtures of the replay tests: a loopback server answering with published bodies."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from server import ReplayServer

AZURE_KEY = "replay-azure-key-0123456789"


@pytest.fixture
def replay() -> Iterator[ReplayServer]:
    server = ReplayServer(azure_key=AZURE_KEY)
    server.start()
    try:
        yield server
    finally:
        server.stop()
