"""``--download DIR`` (issue 11) on ``alibaba get``, ``azure get`` and ``watch``, end to end
on the emulator: the files it serves, the manifest's checksums, resume, hostile names,
expired results, no credential sent to a result host."""

from __future__ import annotations

import hashlib
import json
import os
import urllib.request
import uuid
from pathlib import Path

import pytest

from batchstat.download import safe_name, url_name
from batchstat.emulator import AlibabaImage, AzureDocument, Fault, Stage

FINISHED = [Stage("finished")]
SUCCEEDED = [Stage("Succeeded")]


def served(url: str) -> bytes:
    """The bytes the emulator serves at ``url`` (a plain client, not batchstat)."""
    with urllib.request.urlopen(url, timeout=10) as answer:
        return answer.read()


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def file_requests(emulator) -> list:
    return [r for r in emulator.requests if r.provider == "files"]


def alibaba_job(emulator, ok: int = 2, failed: int = 1) -> str:
    images = [AlibabaImage(f"https://img.example.com/ok-{n}.png") for n in range(ok)]
    images += [
        AlibabaImage(f"https://img.example.com/bad-{n}.png", success=False, code=107)
        for n in range(failed)
    ]
    return emulator.alibaba.add_job(images=images, stages=FINISHED)


def azure_docs(count: int) -> list[AzureDocument]:
    return [
        AzureDocument(f"https://store.example.com/src/doc-{n}.docx", id=str(uuid.uuid4()))
        for n in range(count)
    ]


def check_manifest_against_server(folder: Path, doc: dict) -> None:
    """Every saved file: the bytes the server serves, its size and SHA-256 in the manifest."""
    for entry in doc["files"]:
        if entry["error"] is not None:
            continue
        data = (folder / entry["file"]).read_bytes()
        if entry["result_url"] is not None:
            assert data == served(entry["result_url"])
        assert entry["size"] == len(data)
        assert entry["sha256"] == hashlib.sha256(data).hexdigest()


# -- each provider -----------------------------------------------------------------------------


def test_alibaba_get_saves_the_final_images_with_a_manifest(cli, emulator, tmp_path):
    task = alibaba_job(emulator)
    result = cli("alibaba", "get", task, "-o", "json", "--download", str(tmp_path))
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["id"] == task  # the document on stdout as usual
    folder = tmp_path / "alibaba" / task
    assert files_in(folder) == ["1.png", "2.png", "manifest.json"]
    assert (folder / "1.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    doc = manifest(folder)
    assert (doc["provider"], doc["id"], doc["state"]) == ("alibaba", task, "partially_succeeded")
    ok = [e for e in doc["files"] if e["error"] is None]
    assert [(e["item"], e["kind"], e["file"]) for e in ok] == [
        ("1", "result", "1.png"),
        ("2", "result", "2.png"),
    ]
    assert ok[0]["source_url"] == "https://img.example.com/ok-0.png"
    check_manifest_against_server(folder, doc)
    [failed] = [e for e in doc["files"] if e["error"] is not None]
    assert failed["item"] == "3" and failed["file"] is None
    assert failed["error"]["during"] == "translation" and failed["error"]["code"] == 107
    assert f"downloaded alibaba:{task}: 2 saved" in result.stderr


def test_with_inpainting_saves_backgrounds_and_templates(cli, emulator, tmp_path):
    task = alibaba_job(emulator, ok=1, failed=0)
    result = cli("alibaba", "get", task, "--download", str(tmp_path), "--with-inpainting")
    assert result.code == 0, result.stderr
    folder = tmp_path / "alibaba" / task
    assert files_in(folder) == ["1-inpainting.png", "1.png", "1.template.json", "manifest.json"]
    template = json.loads((folder / "1.template.json").read_text())
    assert template == {"TemplateJson": "emulator template for image 1"}
    doc = manifest(folder)
    assert [e["kind"] for e in doc["files"]] == ["result", "inpainting", "template"]
    check_manifest_against_server(folder, doc)


def test_with_inpainting_needs_download(cli, emulator):
    task = alibaba_job(emulator)
    result = cli("alibaba", "get", task, "--with-inpainting")
    assert result.code == 2
    assert "--download" in result.stderr
    assert emulator.requests == []


def test_azure_get_saves_the_documents_and_sends_no_credential(cli, emulator, tmp_path):
    docs = azure_docs(3)
    docs.append(
        AzureDocument(
            "https://store.example.com/src/bad.docx",
            status="Failed",
            error={"code": "InvalidRequest", "message": "Target exists.", "target": "Document"},
        )
    )
    job = emulator.azure.add_job(documents=docs, stages=SUCCEEDED)
    result = cli("azure", "get", job, "--download", str(tmp_path))
    assert result.code == 0, result.stderr
    folder = tmp_path / "azure" / job
    assert files_in(folder) == sorted([f"{d.id}.docx" for d in docs[:3]] + ["manifest.json"])
    # Result hosts get no key, no token, no cookie of ours.
    fetched = file_requests(emulator)
    assert len(fetched) == 3
    for request in fetched:
        for header in ("ocp-apim-subscription-key", "authorization", "cookie"):
            assert header not in request.headers
        assert request.headers["user-agent"].startswith("batchstat/")
    doc = manifest(folder)
    assert len(doc["files"]) == 4
    check_manifest_against_server(folder, doc)


def test_several_ids_download_each_job(cli, emulator, tmp_path):
    first = emulator.azure.add_job(documents=azure_docs(1), stages=SUCCEEDED)
    second = emulator.azure.add_job(documents=azure_docs(2), stages=SUCCEEDED)
    result = cli("azure", "get", first, second, "-o", "json", "--download", str(tmp_path))
    assert result.code == 0, result.stderr
    assert len(files_in(tmp_path / "azure" / first)) == 2
    assert len(files_in(tmp_path / "azure" / second)) == 3


def test_an_unfinished_job_downloads_nothing(cli, emulator, tmp_path):
    job = emulator.azure.add_job(documents=azure_docs(1), stages=[Stage("Running")])
    result = cli("azure", "get", job, "--download", str(tmp_path))
    assert result.code == 0
    assert "has not finished (Running): nothing to download yet" in result.stderr
    assert not (tmp_path / "azure").exists()


def test_download_needs_the_documents(cli, emulator, tmp_path):
    job = emulator.azure.add_job(documents=azure_docs(1), stages=SUCCEEDED)
    result = cli("azure", "get", job, "--no-documents", "--download", str(tmp_path))
    assert result.code == 2
    assert "--no-documents" in result.stderr
    assert emulator.requests == []


def test_a_directory_that_cannot_be_made_fails_before_any_request(cli, emulator, tmp_path):
    job = emulator.azure.add_job(documents=azure_docs(1), stages=SUCCEEDED)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = cli("azure", "get", job, "--download", str(blocker / "sub"))
    assert result.code == 74
    assert "cannot create the download directory" in result.stderr
    assert emulator.requests == []


def test_a_progress_bar_on_a_terminal(cli, emulator, tmp_path):
    job = emulator.azure.add_job(documents=azure_docs(2), stages=SUCCEEDED)
    result = cli(
        "azure", "get", job, "--download", str(tmp_path), stderr_tty=True,
        env={"COLUMNS": "160", "NO_COLOR": "1"},
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert "2/2" in result.stderr and "files" in result.stderr
    assert f"downloaded azure:{job}: 2 saved" in result.stderr


# -- watch ----------------------------------------------------------------------------------


def test_watch_downloads_each_job_the_moment_it_ends(cli, emulator, tmp_path):
    # Alibaba keeps results an hour; the other job runs three more hours: downloading at
    # the end of the watch would find the images gone.
    task = alibaba_job(emulator, ok=2, failed=0)
    job = emulator.azure.add_job(
        documents=azure_docs(1), stages=[Stage("Running", polls=3), Stage("Succeeded")]
    )
    result = cli(
        "watch", f"alibaba:{task}", f"azure:{job}", "--interval", "1h",
        "--download", str(tmp_path), "-o", "json",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert sum(result.sleeps) >= 3 * 3600
    assert emulator.alibaba.status(task) == "invalid"  # expired by the end of the watch
    assert files_in(tmp_path / "alibaba" / task) == ["1.png", "2.png", "manifest.json"]
    assert len(files_in(tmp_path / "azure" / job)) == 2
    check_manifest_against_server(tmp_path / "azure" / job, manifest(tmp_path / "azure" / job))
    assert f"downloaded alibaba:{task}: 2 saved" in result.stderr


def test_watch_with_worker_threads_downloads_too(cli, emulator, tmp_path):
    jobs = [emulator.azure.add_job(documents=azure_docs(3), stages=SUCCEEDED) for _ in range(3)]
    result = cli.with_workers(4)(
        "watch", *(f"azure:{job}" for job in jobs), "--download", str(tmp_path), "-q",
    )  # fmt: skip
    assert result.code == 0, result.stderr
    assert result.stderr == ""  # -q: nothing but errors
    for job in jobs:
        folder = tmp_path / "azure" / job
        assert len(files_in(folder)) == 4
        check_manifest_against_server(folder, manifest(folder))


def test_watch_download_failure_turns_success_into_7(cli, emulator, tmp_path):
    docs = azure_docs(2)
    job = emulator.azure.add_job(documents=docs, stages=SUCCEEDED)
    emulator.faults.add(
        Fault(kind="http", status=500, times=10, path_contains=f"/files/azure/{job}/{docs[0].id}")
    )
    result = cli("watch", f"azure:{job}", "--download", str(tmp_path), "-q")
    assert result.code == 7
    assert f"error: azure:{job}: {docs[0].id}.docx not saved" in result.stderr
    assert "after 4 attempt(s)" in result.stderr


# -- safety -------------------------------------------------------------------------------------


def test_result_urls_with_a_sas_are_never_printed(cli, emulator, tmp_path):
    doc = AzureDocument(
        "https://store.example.com/src/a.docx",
        id=str(uuid.uuid4()),
        path="http://127.0.0.1:1/target/a.docx?sv=2024&sig=SECRETSAS",  # nothing listens
    )
    job = emulator.azure.add_job(documents=[doc], stages=SUCCEEDED)
    result = cli("azure", "get", job, "--download", str(tmp_path))
    assert result.code == 7
    assert "a.docx not saved" in result.stderr and "127.0.0.1" in result.stderr
    assert "SECRETSAS" not in result.stderr
    assert len(result.sleeps) == 3  # retried as a transient failure
    [entry] = manifest(tmp_path / "azure" / job)["files"]
    assert entry["result_url"] == doc.path  # the manifest keeps it, as the JSON does


def test_plain_http_to_another_host_is_refused(cli, emulator, tmp_path):
    doc = AzureDocument(
        "https://store.example.com/src/a.docx",
        id=str(uuid.uuid4()),
        path="http://example.com/a.docx",
    )
    job = emulator.azure.add_job(documents=[doc], stages=SUCCEEDED)
    result = cli("azure", "get", job, "--download", str(tmp_path))
    assert result.code == 7
    assert "plain http to example.com is refused" in result.stderr
    assert result.sleeps == []


def test_hostile_result_urls_stay_inside_the_directory(cli, emulator, tmp_path):
    base = emulator.base_url
    job_id = str(uuid.uuid4())
    names = {
        "traversal": ".%2F..%2F..%2F..%2Fetc%2Fpasswd",
        "backslashes": ".%5C..%5C..%5Cwindows%5Cwin.ini",
        "dots": ".%2F..",
        "long": "." + "a" * 300 + ".txt",
        "unicode": ".%E6%96%87%E4%BB%B6%E2%80%AE.txt",
        "control": ".a%0Ab%1B%5B31m.txt",
        "same-1": ".%2Fsame.txt",
        "same-2": ".%2FSAME.txt",
        "device": ".%2FCON.txt",
    }
    docs = [
        AzureDocument(
            f"https://store.example.com/src/{key}.docx",
            id=(doc_id := str(uuid.uuid4())),
            path=f"{base}/files/azure/{job_id}/{doc_id}{suffix}",
        )
        for key, suffix in names.items()
    ]
    job = emulator.azure.add_job(documents=docs, stages=SUCCEEDED, job_id=job_id)
    downloads = tmp_path / "downloads"
    result = cli("azure", "get", job, "--download", str(downloads))
    assert result.code == 0, result.stderr
    folder = downloads / "azure" / job
    saved = {entry["source_url"].rsplit("/", 1)[1][:-5]: entry["file"]
             for entry in manifest(folder)["files"]}  # fmt: skip
    assert saved["traversal"] == "passwd"
    assert saved["backslashes"] == "win.ini"
    assert saved["dots"] == docs[2].id  # nothing usable left: the item's id
    assert saved["long"].endswith(".txt") and len(saved["long"].encode()) <= 120
    assert saved["unicode"] == f"{docs[4].id}.文件_.txt"  # kept, but the bidi override
    assert saved["control"] == f"{docs[5].id}.a_b_[31m.txt"
    assert {saved["same-1"], saved["same-2"]} == {"same.txt", "SAME-2.txt"}
    assert saved["device"] == "_CON.txt"
    # Every file is in the job's folder, and nothing was written anywhere else.
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert all(p.parent == folder for p in written)
    assert len(written) == len(names) + 1
    check_manifest_against_server(folder, manifest(folder))


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("../../etc/passwd", "_.._etc_passwd"),  # one name: no separator left
        ("..", ""),
        (".bashrc", "bashrc"),
        ("-rf", "rf"),
        ("a/b\\c:d", "a_b_c_d"),
        ("nul", "_nul"),
        ("x\u202etxt.exe", "x_txt.exe"),
        ("e\u0301.png", "\u00e9.png"),  # NFC
        ("trailing. . ", "trailing"),
    ],
)
def test_safe_name(raw, name):
    assert safe_name(raw) == name


def test_url_name_ignores_the_query():
    assert url_name("https://a.blob.core.windows.net/c/dir/r%C3%A9sum%C3%A9.pdf?sig=x/y") == (
        "résumé.pdf"
    )
    assert url_name("https://a.example.com/") == ""


# -- expiry, resume -----------------------------------------------------------------------------


def test_an_expired_alibaba_result_is_reported_as_expired(cli, emulator, tmp_path):
    task = alibaba_job(emulator, ok=2, failed=0)
    emulator.faults.add(
        Fault(kind="http", status=403, times=5, path_contains=f"/files/alibaba/{task}/1.png")
    )
    result = cli("alibaba", "get", task, "--download", str(tmp_path), "--exit-status")
    assert result.code == 7
    assert result.sleeps == []  # not retried: it will not come back
    assert f"error: alibaba:{task}: 1.png not saved: the result URL has expired" in result.stderr
    assert "1 hour after a job ends" in result.stderr
    assert "watch --download DIR" in result.stderr
    folder = tmp_path / "alibaba" / task
    assert files_in(folder) == ["2.png", "manifest.json"]
    [entry] = [e for e in manifest(folder)["files"] if e["error"] is not None]
    assert entry["item"] == "1" and entry["error"]["expired"] is True


def test_a_result_url_that_points_nowhere_reads_as_expired(cli, emulator, tmp_path):
    gone = f"{emulator.base_url}/files/alibaba/NO-SUCH-TASK/1.png"
    task = emulator.alibaba.add_job(
        images=[AlibabaImage("https://img.example.com/a.png", final_url=gone)], stages=FINISHED
    )
    result = cli("alibaba", "get", task, "--download", str(tmp_path))
    assert result.code == 7
    assert "has expired (HTTP 404" in result.stderr


def test_a_cut_transfer_is_retried(cli, emulator, tmp_path):
    docs = azure_docs(2)
    job = emulator.azure.add_job(documents=docs, stages=SUCCEEDED)
    emulator.faults.add(
        Fault(kind="truncate", times=1, path_contains=f"/files/azure/{job}/{docs[1].id}")
    )
    result = cli("azure", "get", job, "--download", str(tmp_path))
    assert result.code == 0, result.stderr
    assert len(result.sleeps) == 1
    assert f"{docs[1].id}.docx: " in result.stderr and "Retrying in" in result.stderr
    folder = tmp_path / "azure" / job
    check_manifest_against_server(folder, manifest(folder))


def test_resume_after_a_partial_run_fetches_only_what_is_missing(cli, emulator, tmp_path):
    docs = azure_docs(3)
    job = emulator.azure.add_job(documents=docs, stages=SUCCEEDED)
    broken = f"/files/azure/{job}/{docs[1].id}"
    emulator.faults.add(Fault(kind="reset", times=4, path_contains=broken))  # beyond retries
    first = cli("azure", "get", job, "--download", str(tmp_path), "--exit-status")
    assert first.code == 7
    assert f"{docs[1].id}.docx not saved" in first.stderr
    folder = tmp_path / "azure" / job
    # No partial file under its final name, and no temporary file left either.
    assert files_in(folder) == sorted([f"{docs[0].id}.docx", f"{docs[2].id}.docx", "manifest.json"])
    entries = {e["item"]: e for e in manifest(folder)["files"]}
    assert entries[docs[1].id]["error"]["during"] == "download"
    assert entries[docs[1].id]["file"] is None

    emulator.requests_clear()
    second = cli("azure", "get", job, "--download", str(tmp_path), "--exit-status")
    assert second.code == 0, second.stderr
    assert [r.path for r in file_requests(emulator)] == [f"{broken}.docx"]
    assert "1 saved" in second.stderr and "2 already there" in second.stderr
    doc = manifest(folder)
    assert all(e["error"] is None for e in doc["files"])
    check_manifest_against_server(folder, doc)


def test_an_interrupted_download_leaves_no_partial_file(cli, emulator, tmp_path):
    docs = azure_docs(3)
    job = emulator.azure.add_job(documents=docs, stages=SUCCEEDED)
    broken = f"/files/azure/{job}/{docs[1].id}"
    emulator.faults.add(Fault(kind="reset", times=1, path_contains=broken))

    def interrupt(seconds: float) -> None:  # Ctrl-C while it waits to retry
        raise KeyboardInterrupt

    result = cli.with_sleep(interrupt)("azure", "get", job, "--download", str(tmp_path))
    assert result.code == 130
    folder = tmp_path / "azure" / job
    names = files_in(folder)
    assert f"{docs[1].id}.docx" not in names
    assert not [n for n in names if n.endswith(".part")]
    entries = {e["item"]: e for e in manifest(folder)["files"]}
    assert entries[docs[1].id]["error"]["message"].startswith("interrupted")

    emulator.requests_clear()
    again = cli("azure", "get", job, "--download", str(tmp_path))
    assert again.code == 0, again.stderr
    fetched = [r.path for r in file_requests(emulator)]
    assert f"{broken}.docx" in fetched and len(fetched) == 3 - (len(names) - 1)
    check_manifest_against_server(folder, manifest(folder))


def test_a_changed_file_is_fetched_again(cli, emulator, tmp_path):
    docs = azure_docs(2)
    job = emulator.azure.add_job(documents=docs, stages=SUCCEEDED)
    assert cli("azure", "get", job, "--download", str(tmp_path)).code == 0
    folder = tmp_path / "azure" / job
    tampered = folder / f"{docs[0].id}.docx"
    tampered.write_bytes(b"x" * len(tampered.read_bytes()))  # same size, other bytes
    emulator.requests_clear()
    result = cli("azure", "get", job, "--download", str(tmp_path))
    assert result.code == 0
    assert [r.path.rsplit("/", 1)[1] for r in file_requests(emulator)] == [tampered.name]
    check_manifest_against_server(folder, manifest(folder))


def test_stale_temporary_files_are_removed(cli, emulator, tmp_path):
    job = emulator.azure.add_job(documents=azure_docs(1), stages=SUCCEEDED)
    folder = tmp_path / "azure" / job
    folder.mkdir(parents=True)
    (folder / ".x.docx.123-0.part").write_bytes(b"half")
    assert cli("azure", "get", job, "--download", str(tmp_path)).code == 0
    assert not [n for n in os.listdir(folder) if n.endswith(".part")]


# -- the process ----------------------------------------------------------------------------------


def test_proxies_come_from_the_runtime_environment_only(monkeypatch, tmp_path):
    from batchstat.download import Fetcher, prepare
    from batchstat.runtime import Runtime

    monkeypatch.setenv("HTTPS_PROXY", "http://from-os-environ.example:3128")
    env = {"http_proxy": "http://proxy.example:3128", "no_proxy": "localhost"}
    runtime = Runtime(env=env)
    options = prepare(str(tmp_path), runtime, extras=False, items=True, retries=0)
    fetcher = Fetcher(runtime, options)
    try:
        assert fetcher.proxies("http://127.0.0.1:9/x") == {"http": "http://proxy.example:3128"}
        assert fetcher.proxies("http://localhost:9/x") == {}
        assert fetcher.proxies("https://blob.example.com/x") == {}  # not os.environ's
        assert fetcher.session.trust_env is False  # nor its .netrc
    finally:
        fetcher.close()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_no_file_is_left_open(cli, emulator, tmp_path):
    def open_files() -> set[str]:
        found = set()
        for fd in os.listdir("/proc/self/fd"):
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                continue
            if target.startswith(str(tmp_path)):
                found.add(target)
        return found

    docs = azure_docs(3)
    job = emulator.azure.add_job(documents=docs, stages=SUCCEEDED)
    emulator.faults.add(
        Fault(kind="reset", times=4, path_contains=f"/files/azure/{job}/{docs[0].id}")
    )
    assert cli("azure", "get", job, "--download", str(tmp_path)).code == 7
    assert open_files() == set()
    assert cli("azure", "get", job, "--download", str(tmp_path)).code == 0
    assert open_files() == set()


def test_a_result_file_larger_than_the_bound_is_not_saved(cli, emulator, tmp_path):
    docs = azure_docs(2)
    job = emulator.azure.add_job(documents=docs, stages=SUCCEEDED)
    path = f"/files/azure/{job}/{docs[1].id}"
    # 3 MiB against a bound of 1 MiB: refused from its Content-Length, never read
    emulator.faults.add(Fault(kind="huge", size=3 * 1024 * 1024, times=5, path_contains=path))
    result = cli(
        "azure", "get", job, "--download", str(tmp_path), env={"BATCHSTAT_MAX_FILE_MB": "1"}
    )
    assert result.code == 7, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and docs[1].id in errors[0]
    assert "Traceback" not in result.stderr
    folder = tmp_path / "azure" / job
    assert files_in(folder) == [f"{docs[0].id}.docx", "manifest.json"]  # nothing partial
