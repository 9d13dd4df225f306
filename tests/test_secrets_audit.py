"""Secrets audit: every command and failure mode, run with sentinel secrets.

No sentinel secret (Alibaba AccessKey secret, STS secret and token, Azure key, and the
wrong ones a user may try), and no ``Signature`` value the emulator received, may appear
in stdout, stderr, the log records a user would see, or any file written: verbatim,
percent-encoded (once or twice: the string to sign encodes the encoded pairs), as
``+``-for-space form encoding, or inside the ``raw`` field of the JSON document. A
redirect to another server must carry no secret there.

The sentinels hold ``/``, ``+`` and ``=`` (as real STS tokens do), so each encoding is a
different string from the secret itself.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from batchstat.cli import run
from batchstat.emulator import AlibabaImage, AzureDocument, Emulator, FakeClock, Fault, Stage
from batchstat.emulator.server import ECHO_SIGNATURE
from batchstat.runtime import Runtime

KEY_ID = "LTAI5tAuditKeyId"
STS_KEY_ID = "STS.AuditKeyId"
ALI_SECRET = "SENTINEL-ali-secret-9f3/+="
STS_SECRET = "SENTINEL-sts-secret-5d1/+="
STS_TOKEN = "SENTINEL-sts-token-77a/+=="
AZ_KEY = "SENTINEL-az-key-41c"
WRONG_ALI_SECRET = "SENTINEL-wrong-ali-secret-3e8/+="
WRONG_STS_TOKEN = "SENTINEL-wrong-sts-token-1b2/+="
WRONG_AZ_KEY = "SENTINEL-wrong-az-key-6d0"
SENTINELS = {
    "alibaba secret": ALI_SECRET,
    "STS secret": STS_SECRET,
    "STS token": STS_TOKEN,
    "Azure key": AZ_KEY,
    "wrong Alibaba secret": WRONG_ALI_SECRET,
    "wrong STS token": WRONG_STS_TOKEN,
    "wrong Azure key": WRONG_AZ_KEY,
}
AZURE_KEY_HEADER = "ocp-apim-subscription-key"
TRACEBACK = "Traceback (most recent call last)"

PERMANENT = {
    "ALIBABA_CLOUD_ACCESS_KEY_ID": KEY_ID,
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": ALI_SECRET,
    "ALIBABA_CLOUD_SECURITY_TOKEN": None,
}
STS = {
    "ALIBABA_CLOUD_ACCESS_KEY_ID": STS_KEY_ID,
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET": STS_SECRET,
    "ALIBABA_CLOUD_SECURITY_TOKEN": STS_TOKEN,
}


def forms(secret: str) -> dict[str, str]:
    """The ways a secret can show: as is, percent-encoded (upper and lower hex), twice
    percent-encoded (the string to sign), form-encoded, and escaped inside JSON."""
    once = quote(secret, safe="")
    return {
        "verbatim": secret,
        "percent-encoded": once,
        "percent-encoded (lower hex)": re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), once),
        "percent-encoded twice": quote(once, safe=""),
        "form-encoded": quote_plus(secret),
        "JSON-escaped": json.dumps(secret)[1:-1],
    }


@dataclass
class Run:
    label: str
    argv: list[str]
    code: int
    stdout: str
    stderr: str


@dataclass
class Audit:
    """Two emulators (the second is where redirects point), the CLI, and every text it
    produced, to be searched for secrets at the end."""

    clock: FakeClock
    main: Emulator
    other: Emulator
    home: Path
    runs: list[Run] = field(default_factory=list)

    def env(self, **changes: str | None) -> dict[str, str]:
        base: dict[str, str | None] = {
            "BATCHSTAT_ALIBABA_ENDPOINT": self.main.base_url,
            "AZURE_DOCUMENT_TRANSLATION_ENDPOINT": self.main.base_url,
            "AZURE_DOCUMENT_TRANSLATION_KEY": AZ_KEY,
            **PERMANENT,
            **changes,
        }
        return {k: v for k, v in base.items() if v is not None}

    def __call__(self, *argv: str, env: dict[str, str] | None = None, label: str = "") -> Run:
        out, err = io.StringIO(), io.StringIO()
        runtime = Runtime(
            env=env if env is not None else self.env(),
            clock=self.clock,
            sleep=self.clock.advance,
            rng=random.Random(7),
            stdout=out,
            stderr=err,
            stdin=io.StringIO(""),
            stdout_tty=False,
            stderr_tty=False,
            watch_workers=0,
        )
        code = run(list(argv), runtime)
        result = Run(label or " ".join(argv), list(argv), code, out.getvalue(), err.getvalue())
        self.runs.append(result)
        return result

    def signatures(self) -> list[str]:
        """Every Signature either emulator received."""
        found = {
            request.params["Signature"]
            for emulator in (self.main, self.other)
            for request in emulator.requests
            if request.params.get("Signature")
        }
        return sorted(found)

    def leaks(self, capsys: pytest.CaptureFixture[str]) -> list[str]:
        """Every (where, what, encoding) a secret was found, as lines."""
        secrets = dict(SENTINELS)
        for number, signature in enumerate(self.signatures()):
            secrets[f"Signature #{number} ({signature})"] = signature
        process = capsys.readouterr()
        places: list[tuple[str, str]] = []
        for item in self.runs:
            places.append((f"stdout of `{item.label}` (exit {item.code})", item.stdout))
            places.append((f"stderr of `{item.label}` (exit {item.code})", item.stderr))
            for raw_label, raw in raw_fields(item.stdout):
                places.append((f"`raw` {raw_label} of `{item.label}`", raw))
        places.append(("the process's own stdout", process.out))
        places.append(("the process's own stderr", process.err))
        for path in sorted(self.home.rglob("*")):
            if path.is_file():
                places.append((f"file {path}", path.read_text("utf-8", errors="replace")))
        found = []
        for where, text in places:
            for name, secret in secrets.items():
                for encoding, form in forms(secret).items():
                    if form in text:
                        at = text.index(form)
                        context = text[max(0, at - 60) : at + len(form) + 20]
                        found.append(f"{name} ({encoding}) in {where}: ...{context!r}...")
                        break
        return found

    def assert_no_leaks(self, capsys: pytest.CaptureFixture[str]) -> None:
        found = self.leaks(capsys)
        shown = found[:12] + ([f"... and {len(found) - 12} more"] if len(found) > 12 else [])
        assert not found, f"{len(found)} leak(s):\n" + "\n".join(shown)

    def assert_no_tracebacks(self) -> None:
        for item in self.runs:
            assert TRACEBACK not in item.stderr or "--debug" in item.argv, item


def raw_fields(stdout: str) -> Iterator[tuple[str, str]]:
    """The ``raw`` field of every JSON document on stdout (a document, an array of them,
    or NDJSON), re-serialised as JSON."""
    documents: list[Any] = []
    try:
        documents.append(json.loads(stdout))
    except ValueError:
        for line in stdout.split("\n"):
            try:
                documents.append(json.loads(line))
            except ValueError:
                continue
    for document in documents:
        for index, item in enumerate(document if isinstance(document, list) else [document]):
            if isinstance(item, dict) and "raw" in item:
                yield f"#{index}", json.dumps(item["raw"])
            elif not isinstance(item, dict) and item is not None:
                yield f"#{index} (a --query result)", json.dumps(item)


@pytest.fixture
def audit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Audit]:
    """Both emulators, with the sentinels as their only valid credentials; the working
    directory, HOME and the temporary directory in tmp_path, so any file written is seen."""
    home = tmp_path / "home"
    for sub in ("cwd", "tmp", "config", "cache"):
        (home / sub).mkdir(parents=True)
    monkeypatch.chdir(home / "cwd")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("TMPDIR", str(home / "tmp"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setattr(tempfile, "tempdir", str(home / "tmp"))
    clock = FakeClock()
    emulators = [
        Emulator(
            clock=clock,
            alibaba_credentials={KEY_ID: ALI_SECRET},
            alibaba_sts={STS_KEY_ID: (STS_SECRET, STS_TOKEN)},
            azure_keys=(AZ_KEY,),
        )
        for _ in range(2)
    ]
    for emulator in emulators:
        emulator.alibaba.max_timestamp_skew = None  # the SDK signs with the real clock
        emulator.start()
    try:
        yield Audit(clock, emulators[0], emulators[1], home)
    finally:
        for emulator in emulators:
            emulator.stop()


def seed(emulator: Emulator) -> tuple[str, str]:
    task = emulator.alibaba.add_job(
        images=[
            "https://img.example.com/a.png",
            AlibabaImage("https://img.example.com/b.png", success=False, code=107, message="no"),
        ],
        stages=[Stage("running", polls=1), Stage("finished")],
    )
    job = emulator.azure.add_job(
        documents=[
            "https://s.example.com/a.docx",
            AzureDocument("https://s.example.com/b.docx", status="Failed"),
        ],
        stages=[Stage("Running", polls=1), Stage("Succeeded")],
    )
    return task, job


def every_command(audit: Audit, task: str, job: str, env: dict[str, str], tag: str) -> None:
    """get (table, json, ndjson, --query raw, --debug) on both clouds, and watch (table,
    json, ndjson, -q, --debug); with downloads and every CI report (files in the working
    directory, which the audit reads); config show and doctor."""
    reports = ["--download", "results", "--summary", "summary.md", "--junit", "junit.xml"]
    ci_env = {**env, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": "step-summary.md"}
    for argv in (["alibaba", "get", task], ["azure", "get", job]):
        audit(*argv, *reports, env=ci_env, label=f"{tag}: {' '.join(argv)} + reports")
    full = ["watch", f"alibaba:{task}=a", f"azure:{job}=b", *reports, "--interval", "1s"]
    audit(*full, env=ci_env, label=f"{tag}: {' '.join(full)}")
    for argv in (["config", "show"], ["config", "show", "-o", "json"], ["config", "doctor"]):
        audit(*argv, env=env, label=f"{tag}: {' '.join(argv)}")
    for debug in ([], ["--debug"]):
        for output in (["-o", "table"], ["-o", "json"], ["-o", "ndjson"], ["--query", "raw"]):
            for argv in (["alibaba", "get", task], ["azure", "get", job]):
                full = [*debug, *argv, *output, "--retries", "1"]
                audit(*full, env=env, label=f"{tag}: {' '.join(full)}")
        for output in (["-o", "table"], ["-o", "json"], ["-o", "ndjson"], ["-q"]):
            full = [*debug, "watch", f"alibaba:{task}", f"azure:{job}", *output, "--interval", "1s"]
            full += ["--timeout", "5m", "--max-errors", "2"]
            audit(*full, env=env, label=f"{tag}: {' '.join(full)}")


@pytest.mark.parametrize("credentials", ["permanent", "sts"])
def test_every_command_succeeds_without_leaking(
    audit: Audit, capsys: pytest.CaptureFixture[str], credentials: str
) -> None:
    task, job = seed(audit.main)
    env = audit.env(**(PERMANENT if credentials == "permanent" else STS))
    every_command(audit, task, job, env, credentials)
    assert {r.code for r in audit.runs} == {0, 3}, [(r.label, r.code, r.stderr) for r in audit.runs]
    written = {p.name for p in (audit.home / "cwd").rglob("*") if p.is_file()}
    assert {"summary.md", "junit.xml", "step-summary.md", "manifest.json"} <= written, written
    assert len([n for n in written if n.endswith((".png", ".docx"))]) >= 2  # the downloads
    assert audit.signatures(), "the emulator received no signed request"
    if credentials == "sts":
        assert any(r.params.get("SecurityToken") == STS_TOKEN for r in audit.main.requests)
    audit.assert_no_tracebacks()
    audit.assert_no_leaks(capsys)


WRONG = {
    "wrong secret (SignatureDoesNotMatch echoes the string to sign)": {
        **PERMANENT,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": WRONG_ALI_SECRET,
    },
    "STS token with a wrong secret (the string to sign holds the token)": {
        **STS,
        "ALIBABA_CLOUD_ACCESS_KEY_SECRET": WRONG_ALI_SECRET,
    },
    "wrong STS token": {**STS, "ALIBABA_CLOUD_SECURITY_TOKEN": WRONG_STS_TOKEN},
    "wrong Azure key": {**PERMANENT, "AZURE_DOCUMENT_TRANSLATION_KEY": WRONG_AZ_KEY},
}
DEBUG_SDK_LOG_LEAK = (
    "with --debug, aliyunsdkcore's own ERROR log line (ServerException ... server string to "
    "sign is: ...SecurityToken%253D<token>...) reaches the log / stderr unscrubbed: the STS "
    "token twice percent-encoded"
)


@pytest.mark.parametrize("case", list(WRONG))
def test_wrong_credentials_leak_nothing(
    audit: Audit, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    task, job = seed(audit.main)
    env = audit.env(**WRONG[case])
    target = ["azure", "get", job] if "Azure" in case else ["alibaba", "get", task]
    watch = f"azure:{job}" if "Azure" in case else f"alibaba:{task}"
    for debug in ([], ["--debug"]):
        for output in ([], ["-o", "json"]):
            audit(*debug, *target, *output, env=env)
        audit(*debug, "watch", watch, "-o", "ndjson", "--max-errors", "1", env=env)
    assert {r.code for r in audit.runs} == {5}, [(r.label, r.code, r.stderr) for r in audit.runs]
    if "string to sign" in case:  # the emulator answered SignatureDoesNotMatch (HTTP 400)
        assert any(r.status == 400 for r in audit.main.requests)
    audit.assert_no_tracebacks()
    audit.assert_no_leaks(capsys)


# --- a server that echoes what it was sent -------------------------------------------


def echo_bodies(job: str, signature: str) -> dict[str, tuple[str, int, dict[str, Any]]]:
    """Bodies of a server echoing the request back: (provider, status, body)."""
    token_twice = quote(quote(STS_TOKEN, safe=""), safe="")
    signed = (
        f"POST&%2F&AccessKeyId%3D{STS_KEY_ID}%26Action%3DGetTranslateImageBatchResult"
        f"%26SecurityToken%3D{token_twice}%26Signature%3D{quote(quote(signature, safe=''))}"
    )
    echo = {
        "SecurityToken": STS_TOKEN,
        "Signature": signature,
        "AccessKeySecret": STS_SECRET,
        "Ocp-Apim-Subscription-Key": AZ_KEY,
        "query": f"SecurityToken={quote(STS_TOKEN, safe='')}&Signature={quote(signature, safe='')}",
    }
    image = {
        "SourceImageUrl": f"https://img.example.com/a.png?Signature={quote(signature, safe='')}",
        "FinalImageUrl": "https://img.example.com/out/a.png",
        "Code": 200,
        "Message": f"echo SecurityToken={STS_TOKEN}",
        "Success": True,
    }
    return {
        "alibaba SignatureDoesNotMatch (HTTP 400) echoing the string to sign": (
            "alibaba",
            400,
            {
                "RequestId": "5B6C1792-6BC4-4AE2-A5FA-4C12472F5B6E",
                "HostId": "mt.cn-hangzhou.aliyuncs.com",
                "Code": "SignatureDoesNotMatch",
                "Message": "Specified signature is not matched with our calculation. "
                f"server string to sign is:{signed} Signature={signature}",
                "Recommend": "https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch",
                **echo,
            },
        ),
        "alibaba business error (HTTP 200, Code 999) echoing the request": (
            "alibaba",
            200,
            {
                "RequestId": "r",
                "Code": "999",
                "Message": f"bad request: SecurityToken={STS_TOKEN}&Signature={signature}"
                f" AccessKeySecret={STS_SECRET}",
                **echo,
            },
        ),
        "alibaba success (HTTP 200) echoing the request": (
            "alibaba",
            200,
            {
                "RequestId": f"r-{signature}",
                "Code": 200,
                "Message": "OK",
                "Data": {"Status": "finished", "Result": [image]},
                **echo,
            },
        ),
        "azure 401 echoing the key": (
            "azure",
            401,
            {"error": {"code": "401", "message": f"Invalid key {AZ_KEY} ({quote(AZ_KEY)})"}},
        ),
        "azure 400 echoing the key": (
            "azure",
            400,
            {
                "error": {
                    "code": "InvalidRequest",
                    "message": f"Ocp-Apim-Subscription-Key: {AZ_KEY}",
                }
            },
        ),
        "azure 500 echoing the key": (
            "azure",
            500,
            {"error": {"code": "InternalServerError", "message": f"key={AZ_KEY}"}},
        ),
        "azure success (HTTP 200) echoing the key": (
            "azure",
            200,
            {
                "id": job,
                "createdDateTimeUtc": "2026-03-26T00:00:00.0000000Z",
                "lastActionDateTimeUtc": "2026-03-26T01:00:00.0000000Z",
                "status": "Succeeded",
                "summary": {
                    "total": 1,
                    "failed": 0,
                    "success": 1,
                    "inProgress": 0,
                    "notYetStarted": 0,
                    "cancelled": 0,
                    "totalCharacterCharged": 1,
                },
                **echo,
            },
        ),
    }


ECHO_CASES = list(echo_bodies("job", "sig"))


@pytest.mark.parametrize("case", ECHO_CASES)
def test_echoing_server_leaks_nothing(
    audit: Audit, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    task, job = seed(audit.main)
    env = audit.env(**STS)
    # The emulator echoes each request's own Signature in place of the placeholder.
    provider, status, body = echo_bodies(job, ECHO_SIGNATURE)[case]
    audit.main.faults.add(
        Fault(provider=provider, kind="body", body=json.dumps(body), status=status, times=100)
    )
    target = ["alibaba", "get", task] if provider == "alibaba" else ["azure", "get", job]
    watch = f"{provider}:{task if provider == 'alibaba' else job}"
    for debug in ([], ["--debug"]):
        for output in (["-o", "table"], ["-o", "json"], ["--query", "raw"]):
            audit(*debug, *target, *output, "--retries", "0", env=env)
        for output in (["-o", "json"], ["-o", "ndjson"], ["-q"]):
            audit(*debug, "watch", watch, *output, "--max-errors", "1", "--timeout", "1m", env=env)
    audit.assert_no_tracebacks()
    audit.assert_no_leaks(capsys)


# --- redirects to another server -----------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@pytest.mark.parametrize("provider", ["alibaba", "azure"])
def test_redirect_carries_no_secret_elsewhere(
    audit: Audit, capsys: pytest.CaptureFixture[str], provider: str, status: int
) -> None:
    task, job = seed(audit.main)
    seed(audit.other)
    env = audit.env(**STS)
    if provider == "azure":
        location = (
            f"{audit.other.base_url}/translator/document/batches/{job}?api-version=2024-05-01"
        )
    else:
        location = f"{audit.other.base_url}/?from=redirect"
    audit.main.faults.add(
        Fault(provider=provider, kind="redirect", status=status, location=location, times=100)
    )
    target = ["alibaba", "get", task] if provider == "alibaba" else ["azure", "get", job]
    watch = f"{provider}:{task if provider == 'alibaba' else job}"
    audit(*target, "--retries", "0", env=env)
    audit("--debug", *target, "-o", "json", "--retries", "0", env=env)
    audit("watch", watch, "-o", "ndjson", "--max-errors", "1", "--timeout", "1m", env=env)
    audit.assert_no_tracebacks()
    sent_elsewhere = []
    for request in audit.other.requests:
        where = f"{request.method} {request.path} on the redirect target"
        if AZURE_KEY_HEADER in request.headers:
            sent_elsewhere.append(f"{where}: header {AZURE_KEY_HEADER} sent")
        texts = {
            "headers": json.dumps(dict(request.headers.items())),
            "params": json.dumps(request.params),
            "body": request.body.decode("utf-8", "replace"),
            "target": request.path + "?" + "&".join(f"{k}={v}" for k, v in request.query.items()),
        }
        for name, secret in SENTINELS.items():
            for part, text in texts.items():
                if any(form in text for form in forms(secret).values()):
                    sent_elsewhere.append(f"{where}: the {name} in its {part}")
    assert not sent_elsewhere, "\n".join(sent_elsewhere)
    audit.assert_no_leaks(capsys)


# --- missing credentials --------------------------------------------------------------

MISSING = {
    "Alibaba AccessKey id": (["alibaba"], {"ALIBABA_CLOUD_ACCESS_KEY_ID": None}),
    "Alibaba AccessKey secret": (["alibaba"], {"ALIBABA_CLOUD_ACCESS_KEY_SECRET": None}),
    "Alibaba secret, with an STS token": (
        ["alibaba"],
        {**STS, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": None},
    ),
    "Azure key": (["azure"], {"AZURE_DOCUMENT_TRANSLATION_KEY": None}),
    "Azure endpoint": (["azure"], {"AZURE_DOCUMENT_TRANSLATION_ENDPOINT": None}),
    "both clouds' keys": (
        ["alibaba", "azure"],
        {"ALIBABA_CLOUD_ACCESS_KEY_ID": None, "AZURE_DOCUMENT_TRANSLATION_KEY": None},
    ),
}


@pytest.mark.parametrize("case", list(MISSING))
def test_missing_credentials_send_and_print_nothing(
    audit: Audit, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    task, job = seed(audit.main)
    providers, changes = MISSING[case]
    env = audit.env(**{**STS, **changes})
    ids = {"alibaba": task, "azure": job}
    for provider in providers:
        for debug in ([], ["--debug"]):
            result = audit(*debug, provider, "get", ids[provider], "-o", "json", env=env)
            assert result.code == 2, (result.label, result.code, result.stderr)
            assert result.stderr.count("error:") == 1, result.stderr
    targets = [f"{p}:{ids[p]}" for p in providers]
    for debug in ([], ["--debug"]):
        result = audit(*debug, "watch", *targets, "-o", "json", env=env)
        assert result.code == 2, (result.label, result.code, result.stderr)
    assert audit.main.requests == [], "a request was sent without its credentials"
    audit.assert_no_tracebacks()
    audit.assert_no_leaks(capsys)


# --- the console script itself ---------------------------------------------------------


def test_console_script_with_debug_prints_no_secret(
    audit: Audit, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real process with --debug, where the SDKs' log lines are let through: what
    reaches its stdout and stderr (in-process runs cannot see logging's last resort)."""
    task, job = seed(audit.main)
    wrong = audit.env(**{**STS, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": WRONG_ALI_SECRET})
    runs = [
        (["--debug", "alibaba", "get", task, "--retries", "0"], wrong, 5),
        (["--debug", "watch", f"alibaba:{task}", "-o", "ndjson", "--max-errors", "1"], wrong, 5),
        (["--debug", "azure", "get", job, "-o", "json"], audit.env(**STS), 0),
    ]
    for argv, env, expected in runs:
        process = subprocess.run(
            [sys.executable, "-m", "batchstat", *argv],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=60,
        )
        audit.runs.append(
            Run(
                f"console: {' '.join(argv)}",
                argv,
                process.returncode,
                process.stdout,
                process.stderr,
            )
        )
        assert process.returncode == expected, (argv, process.stderr)
    audit.assert_no_tracebacks()
    audit.assert_no_leaks(capsys)
