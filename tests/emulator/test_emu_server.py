"""HTTP plumbing: keep-alive, framing, routing, the request log, start/stop, import cost."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading

import pytest
from emu_support import AZURE_KEY, make_azure_client, send_raw

from batchstat.emulator import Emulator, FakeClock, Stage


def test_keep_alive_answers_with_content_length(emu: Emulator) -> None:
    job_id = emu.azure.add_job(["https://a/b/c.docx"], stages=[Stage("Succeeded")])
    connection = http.client.HTTPConnection("127.0.0.1", int(emu.base_url.rsplit(":", 1)[1]))
    path = f"/translator/document/batches/{job_id}?api-version=2024-05-01"
    sockets = []
    try:
        for _ in range(3):
            connection.request("GET", path, headers={"Ocp-Apim-Subscription-Key": AZURE_KEY})
            response = connection.getresponse()
            body = response.read()
            assert response.status == 200 and response.version == 11
            assert int(response.headers["Content-Length"]) == len(body)
            assert response.headers["Connection"] is None  # stays open
            sockets.append(connection.sock)
        assert sockets[0] is sockets[1] is sockets[2]  # one connection served all three
    finally:
        connection.close()


def test_connection_close_is_honoured(emu: Emulator) -> None:
    status, headers, _ = send_raw(emu.base_url, "/nowhere", headers={"Connection": "close"})
    assert status == 404 and headers["Connection"] == "close"


def test_request_log_records_what_was_sent(emu: Emulator, clock: FakeClock) -> None:
    job_id = emu.azure.add_job(["https://a/b/c.docx"])
    clock.advance(5)
    make_azure_client(emu).get_translation_status(job_id)

    (record,) = emu.requests
    assert record.provider == "azure" and record.method == "GET"
    assert record.path == f"/translator/document/batches/{job_id}"
    assert record.query == record.params == {"api-version": "2026-03-01"}
    assert record.headers["OCP-APIM-SUBSCRIPTION-KEY"] == AZURE_KEY  # lookups ignore case
    assert "x-ms-client-request-id" in record.headers
    assert (record.status, record.fault, record.body, record.time) == (200, None, b"", clock())

    emu.requests_clear()
    assert emu.requests == []


def test_unknown_paths(emu: Emulator) -> None:
    assert (
        send_raw(
            emu.base_url,
            "/translator/other?api-version=2024-05-01",
            headers={"Ocp-Apim-Subscription-Key": AZURE_KEY},
        )[0]
        == 404
    )
    status, _, body = send_raw(emu.base_url, "/some/where")
    assert status == 404 and json.loads(body)["Code"] == "InvalidApi.NotFound"
    assert [r.provider for r in emu.requests] == ["azure", "alibaba"]
    assert send_raw(emu.base_url, "/files/azure/x/y.docx")[0] == 404


def test_method_not_allowed_on_azure_routes(emu: Emulator) -> None:
    status, headers, _ = send_raw(
        emu.base_url,
        "/translator/document/batches/abc/documents?api-version=2024-05-01",
        method="DELETE",
        headers={"Ocp-Apim-Subscription-Key": AZURE_KEY},
    )
    assert status == 405 and headers["Allow"] == "GET"


def test_base_url_binds_before_serving_and_stop_releases() -> None:
    emulator = Emulator()
    url = emulator.base_url  # bound, not yet serving: a CLI can print it first
    assert url.startswith("http://127.0.0.1:") and not url.endswith(":0")
    emulator.start()
    assert emulator.base_url == url
    assert send_raw(url, "/")[0] == 400  # an unsigned RPC call: MissingAction
    emulator.stop()
    with pytest.raises(OSError):
        send_raw(url, "/")


def test_serve_forever_blocks_until_stopped() -> None:
    emulator = Emulator()
    url = emulator.base_url
    server_thread = threading.Thread(target=emulator.serve_forever, daemon=True)
    server_thread.start()
    try:
        assert send_raw(url, "/")[0] == 400
    finally:
        emulator.stop()
        server_thread.join(timeout=5)
    assert not server_thread.is_alive()


def test_importing_the_emulator_loads_no_sdk() -> None:
    code = (
        "import sys, batchstat.emulator\n"
        "heavy = ('aliyunsdkcore', 'azure', 'requests', 'rich', 'typer')\n"
        "print([m for m in sys.modules if m.split('.')[0] in heavy])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_request_log_keeps_the_newest_requests() -> None:
    with Emulator(max_requests=3) as emulator:
        for number in range(5):
            send_raw(emulator.base_url, f"/nowhere/{number}")
        assert [r.path for r in emulator.requests] == [f"/nowhere/{n}" for n in (2, 3, 4)]


def test_request_log_keeps_a_prefix_of_each_body() -> None:
    with Emulator(max_logged_body=10) as emulator:
        form = "Action=GetTranslateImageBatchResult&TaskId=" + "T" * 90
        send_raw(
            emulator.base_url,
            "/",
            method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=form.encode(),
        )
        (record,) = emulator.requests
        assert (record.body, record.body_size) == (form.encode()[:10], len(form))
        assert record.params["TaskId"] == "T" * 10  # form params are capped alike
    with pytest.raises(ValueError):
        Emulator(max_requests=-1)
