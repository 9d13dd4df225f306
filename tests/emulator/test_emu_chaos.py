"""Chaos: a seeded fraction of answers turned into transient failures, counted per kind."""

from __future__ import annotations

import dataclasses
import math

import pytest
from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException
from azure.core.exceptions import AzureError, HttpResponseError
from emu_support import AlimtCall, error_response, make_azure_client, send_raw

from batchstat.emulator import Emulator, Fault, Stage
from batchstat.emulator.faults import CHAOS_KINDS, Chaos, FaultQueue

DOCS = "https://acct.blob.core.windows.net/src"
GET_RESULT = "GetTranslateImageBatchResult"
DRAWS = 10_000


def azure_job(emu: Emulator) -> str:
    return emu.azure.add_job([f"{DOCS}/a.docx"], stages=[Stage("Succeeded")])


def draws(queue: FaultQueue, provider: str = "azure", count: int = DRAWS) -> list[Fault | None]:
    return [queue.take(provider, "/translator/document/batches/x") for _ in range(count)]


def test_off_by_default(emu: Emulator) -> None:
    job_id = azure_job(emu)
    client = make_azure_client(emu, retry_total=0)
    for _ in range(50):
        assert client.get_translation_status(job_id).status == "Succeeded"
    assert emu.faults.chaos == []
    assert emu.faults.chaos_counts() == {}
    assert all(r.fault is None for r in emu.requests)
    assert FaultQueue().take("azure", "/translator") is None


@pytest.mark.parametrize("rate", [0.05, 0.2, 0.5])
def test_the_rate_is_respected(rate: float) -> None:
    queue = FaultQueue()
    queue.set_chaos(Chaos(rate=rate, seed=3))
    failed = sum(fault is not None for fault in draws(queue))
    # Binomial(DRAWS, rate): within 4 standard deviations (fixed seed: never flaky).
    assert abs(failed - DRAWS * rate) <= 4 * math.sqrt(DRAWS * rate * (1 - rate))
    counts = queue.chaos_counts()["azure"]
    assert counts["answers"] == DRAWS
    assert counts["injected"] == failed == sum(counts["kinds"].values())


def test_kinds_are_chosen_evenly_and_only_among_those_given() -> None:
    queue = FaultQueue()
    queue.set_chaos(Chaos(rate=1.0, seed=5, kinds=("503", "drop", "html")))
    faults = draws(queue, count=3000)
    assert {(f.kind, f.status) for f in faults if f} == {
        ("http", 503),
        ("drop", None),
        ("html", 502),
    }
    kinds = queue.chaos_counts()["azure"]["kinds"]
    assert list(kinds) == list(CHAOS_KINDS)  # every kind reported, zeros included
    assert kinds["500"] == kinds["429"] == kinds["reset"] == kinds["truncate"] == 0
    assert all(900 <= kinds[kind] <= 1100 for kind in ("503", "drop", "html"))


def test_the_same_seed_fails_the_same_answers() -> None:
    def pattern(seed: int) -> list[str | None]:
        queue = FaultQueue()
        queue.set_chaos(Chaos(rate=0.2, seed=seed))
        return [f and f"{f.kind}{f.status or ''}" for f in draws(queue, count=500)]

    assert pattern(11) == pattern(11)
    assert pattern(11) != pattern(12)


def test_rate_zero_and_one() -> None:
    never, always = FaultQueue(), FaultQueue()
    never.set_chaos(Chaos(rate=0.0))
    always.set_chaos(Chaos(rate=1.0))
    assert not any(draws(never, count=1000))
    assert all(draws(always, count=1000))
    assert never.chaos_counts()["azure"] == {
        "answers": 1000,
        "injected": 0,
        "kinds": dict.fromkeys(CHAOS_KINDS, 0),
    }


def test_a_providers_own_setting_wins_and_counts_are_per_provider() -> None:
    queue = FaultQueue()
    queue.set_chaos(Chaos(rate=1.0, kinds=("500",)))
    queue.set_chaos(Chaos(rate=1.0, kinds=("429",), provider="alibaba", retry_after="7"))
    fault = queue.take("alibaba", "/")
    assert fault is not None and (fault.status, fault.retry_after) == (429, "7")
    fault = queue.take("azure", "/translator")
    assert fault is not None and (fault.status, fault.retry_after) == (500, None)
    assert queue.take("files", "/files/azure/x/y.docx") is None  # never faulted
    counts = queue.chaos_counts()
    assert (counts["alibaba"]["kinds"]["429"], counts["azure"]["kinds"]["500"]) == (1, 1)
    assert "files" not in counts


def test_chaos_for_one_provider_leaves_the_other_alone() -> None:
    queue = FaultQueue()
    queue.set_chaos(Chaos(rate=1.0, provider="azure"))
    assert all(fault is None for fault in draws(queue, "alibaba", 100))
    assert queue.chaos_counts() == {}  # answers without chaos are not drawn for


def test_scripted_faults_come_first_and_are_not_counted() -> None:
    queue = FaultQueue()
    queue.set_chaos(Chaos(rate=1.0, kinds=("500",)))
    queue.add(Fault(kind="http", status=404, times=2))
    assert [f.status for f in draws(queue, count=3) if f] == [404, 404, 500]
    assert queue.chaos_counts()["azure"]["answers"] == 1


def test_clear_stops_chaos_and_keeps_its_counts() -> None:
    queue = FaultQueue()
    queue.set_chaos(Chaos(rate=1.0))
    queue.take("azure", "/translator")
    queue.clear()
    assert queue.chaos == [] and queue.take("azure", "/translator") is None
    assert queue.chaos_counts()["azure"]["injected"] == 1
    queue.set_chaos(Chaos(rate=1.0))
    queue.clear_chaos()
    assert queue.take("azure", "/translator") is None


@pytest.mark.parametrize(
    "settings",
    [
        {"rate": 1.5},
        {"rate": -0.1},
        {"rate": "0.2"},
        {"rate": 0.2, "kinds": ()},
        {"rate": 0.2, "kinds": "500"},
        {"rate": 0.2, "kinds": ("500", "401")},  # only transient kinds
        {"rate": 0.2, "kinds": ("stall",)},
        {"rate": 0.2, "provider": "aws"},
    ],
)
def test_bad_settings_are_refused(settings: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Chaos(**settings)  # type: ignore[arg-type]


def test_settings_from_json_are_read_as_text() -> None:
    chaos = Chaos(rate=0.2, kinds=[500, "drop"], retry_after=2)  # type: ignore[arg-type]
    assert (chaos.kinds, chaos.retry_after) == (("500", "drop"), "2")
    assert dataclasses.asdict(chaos)["provider"] == "any"


# --- over HTTP, as the SDKs meet it ---


@pytest.mark.parametrize(
    ("kind", "status", "retry_after"),
    [("500", 500, None), ("503", 503, "1"), ("429", 429, "1"), ("html", 502, None)],
)
def test_azure_error_answers(
    emu: Emulator, kind: str, status: int, retry_after: str | None
) -> None:
    emu.faults.set_chaos(Chaos(rate=1.0, kinds=(kind,)))
    with pytest.raises(HttpResponseError) as caught:
        make_azure_client(emu, retry_total=0).get_translation_status(azure_job(emu))
    assert caught.value.status_code == status
    assert error_response(caught.value).headers.get("Retry-After") == retry_after
    assert emu.faults.chaos_counts()["azure"]["kinds"][kind] == 1


@pytest.mark.parametrize("kind", ["reset", "truncate", "drop"])
def test_azure_broken_connections(emu: Emulator, kind: str) -> None:
    job_id = azure_job(emu)
    emu.faults.set_chaos(Chaos(rate=1.0, kinds=(kind,)))
    with pytest.raises(AzureError):
        make_azure_client(emu, retry_total=0).get_translation_status(job_id)
    assert emu.requests[-1].fault == kind
    emu.faults.clear()
    assert make_azure_client(emu, retry_total=0).get_translation_status(job_id)


@pytest.mark.parametrize("kind", CHAOS_KINDS)
def test_alibaba_answers_fail_as_the_sdk_expects(
    emu: Emulator, alimt: AlimtCall, kind: str
) -> None:
    emu.faults.set_chaos(Chaos(rate=1.0, kinds=(kind,), provider="alibaba"))
    expected: type[Exception] = ClientException  # reset, drop: SDK.HttpError
    if kind in ("500", "503", "429", "html"):
        expected = ServerException
    elif kind == "truncate":
        expected = ValueError  # aliyunsdkcore's vendored requests returns the half body
    with pytest.raises(expected):
        alimt(GET_RESULT, {"TaskId": "T"})
    assert emu.faults.chaos_counts()["alibaba"]["injected"] == 1


def test_a_fifth_of_real_answers_fail_and_the_log_agrees(emu: Emulator) -> None:
    job_id = azure_job(emu)
    emu.faults.set_chaos(Chaos(rate=0.2, seed=1, kinds=("500", "503", "429", "html")))
    statuses = [
        send_raw(
            emu.base_url,
            f"/translator/document/batches/{job_id}?api-version=2024-05-01",
            headers={"Ocp-Apim-Subscription-Key": "emulator-key"},
        )[0]
        for _ in range(400)
    ]
    failed = sum(status != 200 for status in statuses)
    assert 40 <= failed <= 120  # 80 expected
    counts = emu.faults.chaos_counts()["azure"]
    assert counts["injected"] == failed == sum(1 for r in emu.requests if r.fault)
    assert counts["kinds"]["503"] == statuses.count(503)
    assert counts["kinds"]["html"] == statuses.count(502)


def test_a_retry_after_with_a_line_break_is_refused() -> None:
    with pytest.raises(ValueError, match="CR or LF"):
        Chaos(rate=0.2, kinds=("503",), retry_after="1\r\nX-Injected: yes")
