"""Fixtures for the emulator's own tests: an emulator on a free port, driven by the real SDKs."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from aliyunsdkcore.client import AcsClient
from azure.ai.translation.document import DocumentTranslationClient
from emu_support import (
    STS_AK_ID,
    STS_SECRET,
    STS_TOKEN,
    AlimtCall,
    alimt_request,
    make_acs_client,
    make_azure_client,
)

from batchstat.emulator import Emulator, FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emu(clock: FakeClock) -> Iterator[Emulator]:
    emulator = Emulator(clock=clock, alibaba_sts={STS_AK_ID: (STS_SECRET, STS_TOKEN)})
    with emulator:
        yield emulator


@pytest.fixture
def acs() -> AcsClient:
    return make_acs_client()


@pytest.fixture
def alimt(emu: Emulator, acs: AcsClient) -> AlimtCall:
    """alimt(action, params, method="GET", client=acs) -> decoded JSON body."""

    def call(
        action: str,
        params: dict[str, str] | None = None,
        method: str = "GET",
        client: AcsClient | None = None,
    ) -> dict[str, Any]:
        body = (client or acs).do_action_with_exception(alimt_request(emu, action, params, method))
        return json.loads(body)

    return call


@pytest.fixture
def azure(emu: Emulator) -> DocumentTranslationClient:
    """A client that does not retry, so each call is exactly one request."""
    return make_azure_client(emu, retry_total=0)
