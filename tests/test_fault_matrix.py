"""The fault matrix (issue 9): what `get` and `watch` do when a server misbehaves, on both
clouds. ``MATRIX`` is the one table: each row is one test, and the README's
"## Reliability" table is generated from the same rows (``readme_table``), so the two
cannot drift (``test_readme_table_is_the_matrix``).

Every row ends one of two ways, as a user sees it:
- ``Recovers``: exit 0, the job's JSON on stdout, no error line; the emulator saw the
  failure and the retry (and, where the server asked for a wait, the wait was that);
- ``Fails``: the documented exit code and exactly one line naming the failure (``error:
  ...``; for a job the service does not know, watch's line says ``(not_found)``); stdout
  holds no job data (``get``), the job's last known state (``watch -o json``), or the
  not-found document.

A row marked ``bug`` states the promised behaviour and runs as a strict xfail until the
code keeps the promise. Result downloads (``get --download``) have their own rows,
``DOWNLOAD_MATRIX``: faults on the result file, the status answers clean.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest

from batchstat.emulator import AlibabaImage, AzureDocument, Fault, Stage
from batchstat.providers.alibaba import AlibabaProvider
from batchstat.providers.azure import AzureProvider
from batchstat.retry import MAX_RETRY_AFTER

NEXT_MINUTE = "the next minute"
EVERY = 50  # a fault "on every attempt": more hits than any retry budget
STALL_READ_TIMEOUT = 0.3  # seconds; the SDKs' own (10 s, 30 s) would stall the test
REDIRECT_PATH = "/elsewhere"


@dataclass(frozen=True)
class Recovers:
    """Exit 0 with the right document; ``requests`` status requests reached the emulator
    (None: at least two); ``wait`` is the first sleep: seconds (``exact``, or at least
    that long), or NEXT_MINUTE."""

    requests: int | None = 2
    wait: float | str | None = None
    exact: bool = True

    def cell(self) -> str:
        if self.wait == NEXT_MINUTE:
            return "waits for the next minute, recovers"
        if self.wait is not None:
            return f"waits {'' if self.exact else 'at least '}{self.wait:g} s, recovers"
        return "retried, recovers"


@dataclass(frozen=True)
class Fails:
    """Exit ``code`` with one error line containing ``words``; ``requests`` status
    requests reached the emulator (1: not retried; None: not checked)."""

    code: int
    words: str
    requests: int | None = None

    def cell(self) -> str:
        if self.requests == 1:
            return f"exit {self.code}, one line, not retried"
        if self.requests:
            return f"exit {self.code} after {self.requests} attempts, one line"
        return f"exit {self.code}, one line"


@dataclass(frozen=True)
class Row:
    fault: str  # the README's words
    command: str  # "get" or "watch"
    faults: tuple[Fault, ...]  # injected in order; each names its provider
    expect: Recovers | Fails
    bug: str | None = None  # the promise the code does not keep yet: a strict xfail

    @property
    def provider(self) -> str:
        [provider] = {fault.provider for fault in self.faults}
        return provider

    @property
    def blocked_until_next_minute(self) -> bool:
        """A fault on every request (rate 1) stands for Alibaba's block of a throttled
        account: the test lifts it when the clock reaches the next minute."""
        return any(fault.rate == 1.0 for fault in self.faults)


def ali(kind: str | int, **options: Any) -> tuple[Fault, ...]:
    """An Alibaba fault: ``ali(503)`` is an HTTP 503, ``ali("stall")`` a fault kind."""
    if isinstance(kind, int):
        return (Fault(provider="alibaba", kind="http", status=kind, **options),)
    return (Fault(provider="alibaba", kind=kind, **options),)


def az(kind: str | int, **options: Any) -> tuple[Fault, ...]:
    """An Azure fault, as ``ali``."""
    if isinstance(kind, int):
        return (Fault(provider="azure", kind="http", status=kind, **options),)
    return (Fault(provider="azure", kind=kind, **options),)


def ali_body(body: str, times: int = 1) -> tuple[Fault, ...]:
    return ali("body", body=body, times=times)


def az_body(body: str, times: int = 1) -> tuple[Fault, ...]:
    return az("body", body=body, times=times)


def business(code: int | str) -> tuple[Fault, ...]:
    return ali("business", code=code)


OK = Recovers()
AT_LEAST_7 = Recovers(wait=7, exact=False)
AT_LEAST_30 = Recovers(wait=30, exact=False)
WAITS_MAX = Recovers(wait=MAX_RETRY_AFTER)  # a Retry-After beyond it is clamped
MALFORMED = Fails(7, "malformed")
SKEW, NONCE = "InvalidTimeStamp.Expired", "SignatureNonceUsed"
INVALID_ARGUMENT = "InvalidArgument"
BAD_ARGUMENT = Fails(7, INVALID_ARGUMENT, 1)
# Placeholders filled in when a row runs: the HTTP date 30 s after the fake clock's "now",
# the emulator's port.
DATE = "{in_30_s}"
REDIRECT = {"status": 307, "location": "http://localhost:{port}" + REDIRECT_PATH}
ALI_ARRAY = '["finished"]'
ALI_TYPE = '{"RequestId": "r-1", "Code": 200, "Data": {"Status": ["finished"], "Result": []}}'
AZ_ARRAY = '["Succeeded"]'
AZ_TYPE = (  # a negative count
    '{"id": "x", "status": "Succeeded", "createdDateTimeUtc": "2026-03-26T00:00:00Z",'
    ' "lastActionDateTimeUtc": "2026-03-26T00:00:00Z", "summary": {"total": -1, "failed": 0,'
    ' "success": 0, "inProgress": 0, "notYetStarted": 0, "cancelled": 0,'
    ' "totalCharacterCharged": 0}}'
)
AZ_NON_JSON = az("body", body="<html><body>It works!</body></html>", content_type="text/html")
BLOCKED_ACCOUNT = "a throttled account (`Throttling.User` until the next minute)"
THROTTLED_ACCOUNT = ali(400, code="Throttling.User", rate=1.0)

REDIRECTED = Fails(7, "redirect", 1)

MATRIX: list[Row] = [
    # -- 429 and its Retry-After ------------------------------------------------------------
    Row("429, Retry-After: 7", "get", ali(429, retry_after="7"), AT_LEAST_7),
    Row("429, Retry-After: 7", "watch", ali(429, retry_after="7"), AT_LEAST_7),
    Row("429, Retry-After: 7", "get", az(429, retry_after="7"), Recovers(wait=7)),
    Row("429, Retry-After: 7", "watch", az(429, retry_after="7"), Recovers(wait=7)),
    Row("429, Retry-After: an HTTP date", "get", ali(429, retry_after=DATE), AT_LEAST_30),
    Row("429, Retry-After: an HTTP date", "watch", ali(429, retry_after=DATE), AT_LEAST_30),
    Row("429, Retry-After: an HTTP date", "get", az(429, retry_after=DATE), Recovers(wait=30)),
    Row("429, Retry-After: an HTTP date", "watch", az(429, retry_after=DATE), Recovers(wait=30)),
    Row("429, no Retry-After", "get", ali(429), OK),
    Row("429, no Retry-After", "watch", ali(429), OK),
    Row("429, no Retry-After", "get", az(429), OK),
    Row("429, no Retry-After", "watch", az(429), OK),
    Row("429, Retry-After: abc", "get", ali(429, retry_after="abc"), OK),
    Row("429, Retry-After: abc", "watch", ali(429, retry_after="abc"), OK),
    Row("429, Retry-After: abc", "get", az(429, retry_after="abc"), OK),
    Row("429, Retry-After: abc", "watch", az(429, retry_after="abc"), OK),
    Row("429, Retry-After: -5", "get", ali(429, retry_after="-5"), OK),
    Row("429, Retry-After: -5", "watch", ali(429, retry_after="-5"), OK),
    Row("429, Retry-After: -5", "get", az(429, retry_after="-5"), OK),
    Row("429, Retry-After: -5", "watch", az(429, retry_after="-5"), OK),
    Row("429, Retry-After: inf", "get", ali(429, retry_after="inf"), OK),
    Row("429, Retry-After: inf", "watch", ali(429, retry_after="inf"), OK),
    Row("429, Retry-After: inf", "get", az(429, retry_after="inf"), WAITS_MAX),
    Row("429, Retry-After: inf", "watch", az(429, retry_after="inf"), WAITS_MAX),
    Row("429, Retry-After: 1e309", "get", ali(429, retry_after="1e309"), OK),
    Row("429, Retry-After: 1e309", "watch", ali(429, retry_after="1e309"), OK),
    Row("429, Retry-After: 1e309", "get", az(429, retry_after="1e309"), WAITS_MAX),
    Row("429, Retry-After: 1e309", "watch", az(429, retry_after="1e309"), WAITS_MAX),
    Row("429, Retry-After: 86400", "get", ali(429, retry_after="86400"), OK),
    Row("429, Retry-After: 86400", "watch", ali(429, retry_after="86400"), OK),
    Row("429, Retry-After: 86400", "get", az(429, retry_after="86400"), WAITS_MAX),
    Row("429, Retry-After: 86400", "watch", az(429, retry_after="86400"), WAITS_MAX),
    # -- server errors -----------------------------------------------------------------------
    Row("500", "get", ali(500), OK),
    Row("500", "watch", ali(500), OK),
    Row("500", "get", az(500), OK),
    Row("500", "watch", az(500), OK),
    Row("502 with an HTML page", "get", ali("html", status=502), OK),
    Row("502 with an HTML page", "watch", ali("html", status=502), OK),
    Row("502 with an HTML page", "get", az("html", status=502), OK),
    Row("502 with an HTML page", "watch", az("html", status=502), OK),
    Row("502 with HTML labelled JSON", "get", az("bad_json"), OK),
    Row("502 with HTML labelled JSON", "watch", az("bad_json"), OK),
    Row("503", "get", ali(503), OK),
    Row("503", "watch", ali(503), OK),
    Row("503", "get", az(503), OK),
    Row("503", "watch", az(503), OK),
    Row("503 on every attempt", "get", ali(503, times=EVERY), Fails(7, "server error", 4)),
    Row("503 on every attempt", "watch", ali(503, times=EVERY), Fails(7, "server error", 11)),
    Row("503 on every attempt", "get", az(503, times=EVERY), Fails(7, "unavailable", 4)),
    Row("503 on every attempt", "watch", az(503, times=EVERY), Fails(7, "unavailable", 11)),
    # -- the connection ----------------------------------------------------------------------
    Row("a stalled read (the head, then silence)", "get", ali("stall"), OK),
    Row("a stalled read (the head, then silence)", "watch", ali("stall"), OK),
    Row("a stalled read (the head, then silence)", "get", az("stall"), OK),
    Row("a stalled read (the head, then silence)", "watch", az("stall"), OK),
    Row("a connection reset mid-body", "get", ali("reset"), OK),
    Row("a connection reset mid-body", "watch", ali("reset"), OK),
    Row("a connection reset mid-body", "get", az("reset"), OK),
    Row("a connection reset mid-body", "watch", az("reset"), OK),
    Row("a connection closed before any answer", "get", ali("drop"), OK),
    Row("a connection closed before any answer", "watch", ali("drop"), OK),
    Row("a connection closed before any answer", "get", az("drop"), OK),
    Row("a connection closed before any answer", "watch", az("drop"), OK),
    Row("a truncated body", "get", ali("truncate"), OK),
    Row("a truncated body", "watch", ali("truncate"), OK),
    Row("a truncated body", "get", az("truncate"), OK),
    Row("a truncated body", "watch", az("truncate"), OK),
    Row("a redirect to another host", "get", ali("redirect", **REDIRECT), REDIRECTED),
    Row("a redirect to another host", "watch", ali("redirect", **REDIRECT), REDIRECTED),
    Row("a redirect to another host", "get", az("redirect", **REDIRECT), REDIRECTED),
    Row("a redirect to another host", "watch", az("redirect", **REDIRECT), REDIRECTED),
    # -- bodies ------------------------------------------------------------------------------
    Row("200 with a body that is not JSON", "get", ali("bad_json"), OK),
    Row("200 with a body that is not JSON", "watch", ali("bad_json"), OK),
    Row("200 with a body that is not JSON", "get", AZ_NON_JSON, OK),
    Row("200 with a body that is not JSON", "watch", AZ_NON_JSON, OK),
    Row("a wrong shape once", "get", ali_body(ALI_ARRAY), OK),
    Row("a wrong shape once", "watch", ali_body(ALI_ARRAY), OK),
    Row("a wrong shape once", "get", az_body(AZ_ARRAY), OK),
    Row("a wrong shape once", "watch", az_body(AZ_ARRAY), OK),
    Row("always a wrong shape: an array", "get", ali_body(ALI_ARRAY, EVERY), MALFORMED),
    Row("always a wrong shape: an array", "watch", ali_body(ALI_ARRAY, EVERY), MALFORMED),
    Row("always a wrong shape: an array", "get", az_body(AZ_ARRAY, EVERY), MALFORMED),
    Row("always a wrong shape: an array", "watch", az_body(AZ_ARRAY, EVERY), MALFORMED),
    Row("always a wrong shape: null", "get", ali_body("null", EVERY), MALFORMED),
    Row("always a wrong shape: null", "watch", ali_body("null", EVERY), MALFORMED),
    Row("always a wrong shape: null", "get", az_body("null", EVERY), MALFORMED),
    Row("always a wrong shape: null", "watch", az_body("null", EVERY), MALFORMED),
    Row("always a wrong shape: a wrong type", "get", ali_body(ALI_TYPE, EVERY), MALFORMED),
    Row("always a wrong shape: a wrong type", "watch", ali_body(ALI_TYPE, EVERY), MALFORMED),
    Row("always a wrong shape: a wrong type", "get", az_body(AZ_TYPE, EVERY), MALFORMED),
    Row("always a wrong shape: a wrong type", "watch", az_body(AZ_TYPE, EVERY), MALFORMED),
    # -- Alibaba's gateway ---------------------------------------------------------------------
    Row("clock skew (`InvalidTimeStamp.Expired`)", "get", ali(400, code=SKEW), Fails(5, SKEW, 1)),
    Row("clock skew (`InvalidTimeStamp.Expired`)", "watch", ali(400, code=SKEW), Fails(5, SKEW, 1)),
    Row("`SignatureNonceUsed`", "get", ali(400, code=NONCE), OK),
    Row("`SignatureNonceUsed`", "watch", ali(400, code=NONCE), OK),
    Row(BLOCKED_ACCOUNT, "get", THROTTLED_ACCOUNT, Fails(7, "throttling", 4)),
    Row(BLOCKED_ACCOUNT, "watch", THROTTLED_ACCOUNT, Recovers(wait=NEXT_MINUTE)),
    # -- Alibaba's business codes (HTTP 200, Code other than 200) ----------------------------
    Row("business code 101 (request timed out)", "get", business(101), OK),
    Row("business code 101 (request timed out)", "watch", business(101), OK),
    Row("business code 102 (system error)", "get", business(102), OK),
    Row("business code 102 (system error)", "watch", business(102), OK),
    Row("business code 102 sent as a string", "get", business("102"), OK),
    Row("business code 102 sent as a string", "watch", business("102"), OK),
    Row("business code 103 (URL decoding error)", "get", business(103), Fails(7, "error 103", 1)),
    Row("business code 103 (URL decoding error)", "watch", business(103), Fails(7, "error 103", 1)),
    Row("business code 104 (parameters missing)", "get", business(104), Fails(7, "error 104", 1)),
    Row("business code 104 (parameters missing)", "watch", business(104), Fails(7, "error 104", 1)),
    Row("business code 105 (language pair)", "get", business(105), Fails(7, "error 105", 1)),
    Row("business code 105 (language pair)", "watch", business(105), Fails(7, "error 105", 1)),
    Row("business code 106 (language detection)", "get", business(106), Fails(7, "error 106", 1)),
    Row("business code 106 (language detection)", "watch", business(106), Fails(7, "error 106", 1)),
    Row("business code 107 (translation error)", "get", business(107), Fails(7, "error 107", 1)),
    Row("business code 107 (translation error)", "watch", business(107), Fails(7, "error 107", 1)),
    Row("business code 108 (string too long)", "get", business(108), Fails(7, "error 108", 1)),
    Row("business code 108 (string too long)", "watch", business(108), Fails(7, "error 108", 1)),
    Row("business code 110 (not activated)", "get", business(110), Fails(5, "error 110", 1)),
    Row("business code 110 (not activated)", "watch", business(110), Fails(5, "error 110", 1)),
    Row("business code 111 (sub-account failed)", "get", business(111), Fails(5, "error 111", 1)),
    Row("business code 111 (sub-account failed)", "watch", business(111), Fails(5, "error 111", 1)),
    Row("business code 112 (service call failed)", "get", business(112), OK),
    Row("business code 112 (service call failed)", "watch", business(112), OK),
    Row("business code 113 (in arrears)", "get", business(113), Fails(5, "error 113", 1)),
    Row("business code 113 (in arrears)", "watch", business(113), Fails(5, "error 113", 1)),
    Row("business code 10001 (request timed out)", "get", business(10001), OK),
    Row("business code 10001 (request timed out)", "watch", business(10001), OK),
    Row("business code 10002 (system error)", "get", business(10002), OK),
    Row("business code 10002 (system error)", "watch", business(10002), OK),
    Row("business code 10003 (URL decoding)", "get", business(10003), Fails(7, "10003", 1)),
    Row("business code 10003 (URL decoding)", "watch", business(10003), Fails(7, "10003", 1)),
    Row("business code 10004 (parameters missing)", "get", business(10004), Fails(7, "10004", 1)),
    Row("business code 10004 (parameters missing)", "watch", business(10004), Fails(7, "10004", 1)),
    Row("business code 10005 (language pair)", "get", business(10005), Fails(7, "10005", 1)),
    Row("business code 10005 (language pair)", "watch", business(10005), Fails(7, "10005", 1)),
    Row("business code 10006 (language detection)", "get", business(10006), Fails(7, "10006", 1)),
    Row("business code 10006 (language detection)", "watch", business(10006), Fails(7, "10006", 1)),
    Row("business code 10007 (translation error)", "get", business(10007), Fails(7, "10007", 1)),
    Row("business code 10007 (translation error)", "watch", business(10007), Fails(7, "10007", 1)),
    Row("business code 10008 (string too long)", "get", business(10008), Fails(7, "10008", 1)),
    Row("business code 10008 (string too long)", "watch", business(10008), Fails(7, "10008", 1)),
    Row("business code 10009 (no permission)", "get", business(10009), Fails(5, "10009", 1)),
    Row("business code 10009 (no permission)", "watch", business(10009), Fails(5, "10009", 1)),
    Row("business code 10010 (not activated)", "get", business(10010), Fails(5, "10010", 1)),
    Row("business code 10010 (not activated)", "watch", business(10010), Fails(5, "10010", 1)),
    Row("business code 10011 (sub-account failed)", "get", business(10011), Fails(5, "10011", 1)),
    Row("business code 10011 (sub-account failed)", "watch", business(10011), Fails(5, "10011", 1)),
    Row("business code 10012 (service call failed)", "get", business(10012), OK),
    Row("business code 10012 (service call failed)", "watch", business(10012), OK),
    Row("business code 10013 (in arrears)", "get", business(10013), Fails(5, "10013", 1)),
    Row("business code 10013 (in arrears)", "watch", business(10013), Fails(5, "10013", 1)),
    Row("business code 19999 (unknown error)", "get", business(19999), OK),
    Row("business code 19999 (unknown error)", "watch", business(19999), OK),
    # -- Azure's documented error codes --------------------------------------------------------
    Row("400 `InvalidRequest`", "get", az(400), Fails(7, "InvalidRequest", 1)),
    Row("400 `InvalidRequest`", "watch", az(400), Fails(7, "InvalidRequest", 1)),
    Row("400 `InvalidArgument`", "get", az(400, code=INVALID_ARGUMENT), BAD_ARGUMENT),
    Row("400 `InvalidArgument`", "watch", az(400, code=INVALID_ARGUMENT), BAD_ARGUMENT),
    Row("401 `Unauthorized`", "get", az(401), Fails(5, "refused the key", 1)),
    Row("401 `Unauthorized`", "watch", az(401), Fails(5, "refused the key", 1)),
    Row("403 `Forbidden`", "get", az(403, code="Forbidden"), Fails(5, "refused the key", 1)),
    Row("403 `Forbidden`", "watch", az(403, code="Forbidden"), Fails(5, "refused the key", 1)),
    Row("404 `ResourceNotFound`", "get", az(404), Fails(4, "not found", 1)),
    Row("404 `ResourceNotFound`", "watch", az(404), Fails(4, "(not_found)", 1)),
]  # fmt: skip


# -- running one row --------------------------------------------------------------------------


def seed_job(emulator, provider: str) -> str:
    """A finished job: whatever a fault does, the one right answer is "succeeded"."""
    if provider == "alibaba":
        return emulator.alibaba.add_job(
            images=[AlibabaImage("https://img.example.com/a.png")], stages=[Stage("finished")]
        )
    return emulator.azure.add_job(
        documents=[AzureDocument("https://store.example.com/src/a.docx")],
        stages=[Stage("Succeeded")],
    )


def status_requests(emulator, provider: str, job: str) -> list:
    if provider == "alibaba":
        return [r for r in emulator.requests if r.params.get("TaskId") == job]
    return [r for r in emulator.requests if r.provider == "azure" and r.path.endswith(job)]


def error_lines(stderr: str, target: str) -> list[str]:
    """The lines that report a failure: ``error: ...`` (get), ``TARGET error: ...`` (watch),
    and watch's line for a job the service does not know (its state, ``(not_found)``)."""
    return [
        line
        for line in stderr.splitlines()
        if line.startswith("error: ")
        or f"{target} error: " in line
        or (f"{target} " in line and "(not_found)" in line)
    ]


def row_id(row: Row) -> str:
    words = re.sub(r"[^a-z0-9.]+", "-", row.fault.lower().replace(": -", ": minus ")).strip("-")
    return f"{row.provider}-{row.command}-{words}"


def as_param(row: Row):
    marks = [pytest.mark.xfail(strict=True, reason=row.bug)] if row.bug else []
    return pytest.param(row, id=row_id(row), marks=marks)


def test_matrix_ids_are_unique_and_every_fault_has_both_commands():
    ids = [row_id(row) for row in MATRIX]
    assert len(ids) == len(set(ids))
    pairs = {(row.fault, row.provider) for row in MATRIX}
    for fault, provider in pairs:
        commands = sorted(r.command for r in MATRIX if (r.fault, r.provider) == (fault, provider))
        assert commands == ["get", "watch"], (fault, provider)


@pytest.mark.parametrize("row", [as_param(row) for row in MATRIX])
def test_fault(row: Row, cli, emulator, clock, monkeypatch):
    job = seed_job(emulator, row.provider)
    target = f"{row.provider}:{job}"
    if row.provider == "alibaba":
        # 5 s into a minute: Alibaba's throttling waits for the next minute, 55 s away
        # whenever the test runs. (Not for Azure: its SDK reads an HTTP-date Retry-After
        # against the real clock.)
        clock.advance(65 - clock() % 60)
    start = clock()
    fill = {
        "port": emulator.base_url.rsplit(":", 1)[1],
        "in_30_s": formatdate(start + 30, usegmt=True),
    }
    for fault in row.faults:
        if fault.location is not None:
            fault = replace(fault, location=fault.location.format(**fill))
        if fault.retry_after is not None:
            fault = replace(fault, retry_after=fault.retry_after.format(**fill))
        emulator.faults.add(fault)
    if any(fault.kind == "stall" for fault in row.faults):
        for adapter in (AlibabaProvider, AzureProvider):
            monkeypatch.setattr(adapter, "default_read_timeout", STALL_READ_TIMEOUT)
    if row.blocked_until_next_minute:
        unblocked_at = start - start % 60 + 60

        def lift_block(seconds: float) -> None:
            if clock() + seconds >= unblocked_at:
                emulator.faults.clear()

        cli = cli.with_sleep(lift_block)

    if row.command == "get":
        result = cli(row.provider, "get", job, "-o", "json")
    else:
        result = cli("watch", target, "-o", "json")

    assert "Traceback" not in result.output and "internal error" not in result.output
    assert all(0 <= sleep <= MAX_RETRY_AFTER for sleep in result.sleeps), result.sleeps
    assert not [r for r in emulator.requests if r.path.startswith(REDIRECT_PATH)], (
        "a redirect was followed"
    )
    seen = status_requests(emulator, row.provider, job)
    assert any(r.fault for r in seen), "the fault was never served"
    stdout = json.loads(result.stdout) if result.stdout else None
    document = stdout[0] if isinstance(stdout, list) else stdout
    if row.command == "watch":
        assert isinstance(stdout, list) and len(stdout) == 1, result.stdout
    expect = row.expect

    if isinstance(expect, Recovers):
        assert result.code == 0, result.stderr
        assert error_lines(result.stderr, target) == [], result.stderr
        assert document is not None and document["id"] == job
        assert document["state"] == "succeeded"
        assert document["items"] and document["items"][0]["ok"] is True
        if expect.requests is None:
            assert len(seen) >= 2
        else:
            assert len(seen) == expect.requests, [(r.status, r.fault) for r in seen]
        if expect.wait == NEXT_MINUTE:
            assert result.sleeps[0] == pytest.approx(60 - start % 60)
        elif expect.wait is not None and expect.exact:  # an HTTP date: whole seconds
            assert result.sleeps[0] == pytest.approx(expect.wait, abs=1.0)
        elif expect.wait is not None:  # never sooner than the server asked
            assert result.sleeps[0] >= float(expect.wait) - 1.0, result.sleeps
        return

    assert result.code == expect.code, result.stderr
    lines = error_lines(result.stderr, target)
    assert len(lines) == 1, result.stderr
    assert expect.words.lower() in lines[0].lower(), lines[0]
    if expect.requests is not None:
        assert len(seen) == expect.requests, [(r.status, r.fault) for r in seen]
    if expect.code == 4:  # the job is not there: its document says so
        assert document is not None and document["state"] == "not_found"
    elif row.command == "get":
        assert result.stdout == ""
    else:  # watch -o json: the job's last known state, and why the watch gave up on it
        assert document["id"] == job and document["state"] == "unknown"
        assert document["watch_error"]["exit_code"] == expect.code


# -- result downloads (`get --download DIR`) ------------------------------------------------------
#
# The fault is on the result file only (the emulator's `/files/...`, the blob or OSS host of a
# real cloud): the job's status answers are clean. "Recovers" here means exit 0, the file
# saved whole and matching the manifest's SHA-256; a failure is exit 7 with one line naming
# the file, and the manifest records it.


@dataclass(frozen=True)
class DownloadRow:
    fault: str  # the README's words
    provider: str
    faults: tuple[Fault, ...]  # `path` is filled with the result file's path
    expect: Recovers | Fails


def on_file(kind: str | int, times: int = 1, **options: Any) -> tuple[Fault, ...]:
    if isinstance(kind, int):
        return (Fault(kind="http", status=kind, times=times, path_contains="{path}", **options),)
    return (Fault(kind=kind, times=times, path_contains="{path}", **options),)


EXPIRED = Fails(7, "expired", 1)
DOWNLOAD_FAILS = Fails(7, "after 4 attempt(s)", 4)
DOWNLOAD_MATRIX: list[DownloadRow] = [
    DownloadRow(fault, provider, faults, expect)
    for provider in ("alibaba", "azure")
    for fault, faults, expect in [
        ("429, Retry-After: 7", on_file(429, retry_after="7"), Recovers(wait=7)),
        ("500", on_file(500), OK),
        ("502 with an HTML page", on_file("html", status=502), OK),
        ("503", on_file(503), OK),
        ("a connection reset mid-body", on_file("reset"), OK),
        ("a truncated body", on_file("truncate"), OK),
        ("a connection dropped", on_file("drop"), OK),
        ("503 on every attempt", on_file(503, times=EVERY), DOWNLOAD_FAILS),
        ("a reset on every attempt", on_file("reset", times=EVERY), DOWNLOAD_FAILS),
        (
            "403 (an expired or unsigned URL)",
            on_file(403, times=EVERY),
            EXPIRED if provider == "alibaba" else Fails(7, "refused the result URL", 1),
        ),
        (
            "404",
            on_file(404, times=EVERY),
            EXPIRED if provider == "alibaba" else Fails(7, "HTTP 404", 1),
        ),
    ]
]


def download_row_id(row: DownloadRow) -> str:
    words = re.sub(r"[^a-z0-9.]+", "-", row.fault.lower()).strip("-")
    return f"{row.provider}-download-{words}"


def result_path(cli, provider: str, job: str) -> str:
    """The path of the job's one result file on the emulator."""
    document = json.loads(cli(provider, "get", job, "-o", "json").stdout)
    url = document["items"][0]["result_url"]
    return "/" + url.split("://", 1)[1].split("/", 1)[1].split("?", 1)[0]


@pytest.mark.parametrize(
    "row", [pytest.param(row, id=download_row_id(row)) for row in DOWNLOAD_MATRIX]
)
def test_download_fault(row: DownloadRow, cli, emulator, tmp_path):
    import hashlib

    job = seed_job(emulator, row.provider)
    path = result_path(cli, row.provider, job)
    for fault in row.faults:
        emulator.faults.add(replace(fault, path_contains=path))
    folder = tmp_path / "results"
    result = cli(row.provider, "get", job, "--download", str(folder), "-o", "json")

    assert "Traceback" not in result.output and "internal error" not in result.output
    assert all(0 <= sleep <= MAX_RETRY_AFTER for sleep in result.sleeps), result.sleeps
    fetches = [r for r in emulator.requests if r.path == path]
    assert any(r.fault for r in fetches), "the fault was never served"
    [job_folder] = [p for p in (folder / row.provider).iterdir() if p.is_dir()]
    manifest = json.loads((job_folder / "manifest.json").read_text())
    [entry] = [e for e in manifest["files"] if e.get("result_url")]
    leftovers = [p.name for p in job_folder.iterdir() if p.name.startswith(".")]
    assert leftovers == [], leftovers  # never a partial file under any name
    expect = row.expect
    if isinstance(expect, Recovers):
        assert result.code == 0, result.stderr
        assert not [line for line in result.stderr.splitlines() if line.startswith("error:")]
        saved = job_folder / entry["file"]
        assert hashlib.sha256(saved.read_bytes()).hexdigest() == entry["sha256"]
        assert len(fetches) == expect.requests, [(r.status, r.fault) for r in fetches]
        if expect.wait is not None:
            assert result.sleeps[0] >= float(expect.wait) - 1.0, result.sleeps
        return
    assert result.code == expect.code, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and expect.words.lower() in lines[0].lower(), result.stderr
    assert len(fetches) == expect.requests, [(r.status, r.fault) for r in fetches]
    assert entry.get("error") and entry.get("file") is None
    assert [p.name for p in job_folder.iterdir()] == ["manifest.json"]  # nothing half-saved


# -- the README table ---------------------------------------------------------------------------

README = Path(__file__).resolve().parent.parent / "README.md"
PROVIDER_TITLES = {"alibaba": "Alibaba", "azure": "Azure"}


def readme_table() -> str:
    """The Markdown table of the README's "## Reliability" section, from ``MATRIX``."""
    cells: dict[tuple[str, str], dict[str, str]] = {}
    for row in MATRIX:
        cells.setdefault((row.fault, row.provider), {})[row.command] = row.expect.cell()
    lines = ["| fault | provider | get | watch |", "| --- | --- | --- | --- |"]
    for (fault, provider), by_command in cells.items():
        title = PROVIDER_TITLES[provider]
        lines.append(f"| {fault} | {title} | {by_command['get']} | {by_command['watch']} |")
    downloads: dict[str, dict[str, str]] = {}
    for drow in DOWNLOAD_MATRIX:
        downloads.setdefault(drow.fault, {})[drow.provider] = drow.expect.cell()
    lines += ["| fault on a result file | Alibaba (`--download`) | Azure (`--download`) |"]
    lines += ["| --- | --- | --- |"]
    for fault, by_provider in downloads.items():
        lines.append(f"| {fault} | {by_provider['alibaba']} | {by_provider['azure']} |")
    return "\n".join(lines) + "\n"


def test_readme_table_is_the_matrix():
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## Reliability\n", 1)[1].split("\n## ", 1)[0]
    table = "".join(line + "\n" for line in section.splitlines() if line.startswith("|"))
    assert table == readme_table(), "regenerate the README table:\n" + readme_table()
