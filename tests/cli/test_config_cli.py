"""``config show``, ``config doctor``, profiles, secret files, the Alibaba Cloud CLI's
profiles and Microsoft Entra ID, end to end: the real CLI in-process, the real SDKs,
the emulator checking signatures, keys and bearer tokens.

Entra ID runs through batchstat's own code path (``from azure.identity import
DefaultAzureCredential``, the token wrapper, the bearer policy) with a stand-in
``azure.identity`` module whose credential hands out a token the emulator accepts:
azure-identity itself is an optional extra, and its real credentials need Azure.
"""

from __future__ import annotations

import json
import os
import sys
import time
import types
import uuid
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from conftest import ALIBABA_KEY_ID, ALIBABA_SECRET, AZURE_KEY

from batchstat.emulator import Stage

PROBE = "00000000-0000-0000-0000-000000000000"
TOKEN = "entra-test-token-5f2/+=="
SCOPE = "https://cognitiveservices.azure.com/.default"
AZ_KEY = "AZURE_DOCUMENT_TRANSLATION_KEY"
ALI_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ALI_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
STS_ID, STS_SECRET, STS_TOKEN = "STS.TestKeyId", "sts-test-secret-value", "sts-token-value-xyz"
NO_ALIBABA = {ALI_ID: None, ALI_SECRET: None}
# Nothing at all for Alibaba: an endpoint alone counts as configuring it.
UNCONFIGURED_ALIBABA = {**NO_ALIBABA, "BATCHSTAT_ALIBABA_ENDPOINT": None}


def write_config(home: Path, text: str, mode: int = 0o600) -> Path:
    path = home / ".config" / "batchstat" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.chmod(path, mode)
    return path


def write_cli_profile(home: Path, *profiles: dict[str, str], current: str = "default") -> Path:
    path = home / ".aliyun" / "config.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"current": current, "profiles": list(profiles)}))
    return path


@pytest.fixture
def home(tmp_path: Path) -> Path:
    root = tmp_path / "home"
    root.mkdir()
    return root


def azure_requests(emulator, job: str | None = None):
    return [
        r for r in emulator.requests if r.provider == "azure" and (job is None or job in r.path)
    ]


def alibaba_requests(emulator):
    return [r for r in emulator.requests if r.provider == "alibaba"]


def forms(secret: str) -> set[str]:
    once = quote(secret, safe="")
    return {secret, once, quote(once, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}


def assert_no_secret(result, *secrets: str) -> None:
    for secret in secrets:
        for form in forms(secret):
            assert form not in result.output, f"{secret!r} leaked as {form!r}"


# -- config show ---------------------------------------------------------------------------


def test_show_says_where_each_setting_came_from(cli, home, emulator):
    key_file = home / "azure.key"
    key_file.write_text(AZURE_KEY + "\n")
    write_config(
        home,
        '[profiles.prod]\noutput = "json"\n\n'
        '[profiles.prod.alibaba]\nregion = "cn-beijing"\n\n'
        f'[profiles.prod.azure]\nregion = "westeurope"\nkey_file = "{key_file}"\n',
    )
    env = {"HOME": str(home), AZ_KEY: None, "ALIBABA_CLOUD_REGION_ID": "cn-shanghai"}
    result = cli("config", "show", "--profile", "prod", "-o", "json", env=env)
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["profile"] == {
        "name": "prod",
        "source": "--profile",
        "applied": True,
        "profiles": ["prod"],
    }
    assert doc["config_file"]["found"] and doc["config_file"]["mode"] == "0600"
    got = {s["name"]: (s["value"], s["source"]) for s in doc["settings"]}
    assert got["output"] == ("json", "profile prod")
    assert got["alibaba.region"] == ("cn-shanghai", "env ALIBABA_CLOUD_REGION_ID")
    assert got["alibaba.access_key_id"] == (ALIBABA_KEY_ID, f"env {ALI_ID}")
    assert got["alibaba.access_key_secret"] == ("****alue", f"env {ALI_SECRET}")
    assert got["alibaba.endpoint"] == (emulator.base_url, "env BATCHSTAT_ALIBABA_ENDPOINT")
    assert got["azure.key"] == ("****6789", f"file {key_file}")
    assert got["azure.region"] == ("westeurope", "profile prod")
    assert got["azure.api_version"] == ("2024-05-01", "default")
    assert doc["problems"] == []
    assert emulator.requests == []  # show sends nothing


def test_show_table_and_problems(cli, home):
    result = cli("config", "show", env={"HOME": str(home), **UNCONFIGURED_ALIBABA})
    assert result.code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("config file  ") and "(not found)" in lines[0]
    assert lines[1].startswith("profile      none")
    assert any(line.split()[:3] == ["azure.key", "****6789", "env"] for line in lines)
    assert any(line.startswith("alibaba (not configured): missing") for line in lines)


def test_show_explains_a_config_file_others_can_read(cli, home):
    write_config(home, '[profiles.default.azure]\nkey = "' + AZURE_KEY + '"\n', mode=0o644)
    result = cli("config", "show", env={"HOME": str(home), AZ_KEY: None})
    assert result.code == 0
    assert "secrets in it are not read: other users can read or change it (mode 0644" in (
        result.stdout
    )
    assert "azure: not reading the secret key in [profiles.default.azure]" in result.stdout
    assert "chmod 600" in result.stdout
    assert_no_secret(result, AZURE_KEY)


def test_the_profile_after_the_command_and_from_the_environment(cli, home):
    write_config(home, '[profiles.a.alibaba]\nregion = "cn-beijing"\n')
    for argv, env in (
        (["config", "show", "--profile", "a"], {}),
        (["--profile=a", "config", "show"], {}),
        (["config", "show"], {"BATCHSTAT_PROFILE": "a"}),
    ):
        result = cli(*argv, "-o", "json", env={"HOME": str(home), **env})
        assert result.code == 0, result.stderr
        settings = {s["name"]: s["value"] for s in json.loads(result.stdout)["settings"]}
        assert settings["alibaba.region"] == "cn-beijing"


def test_an_unknown_profile_is_a_usage_error_for_any_command(cli, home, emulator):
    write_config(home, "[profiles.prod]\n")
    result = cli("--profile", "prdo", "azure", "get", str(uuid.uuid4()), env={"HOME": str(home)})
    assert result.code == 2
    assert "no profile 'prdo'" in result.stderr and "prod" in result.stderr
    assert emulator.requests == []


# -- profile defaults of the commands --------------------------------------------------------


def test_the_profile_output_is_the_default_and_the_flag_wins(cli, home, emulator):
    write_config(home, '[profiles.default]\noutput = "json"\n')
    job = emulator.azure.add_job(["https://s.example.com/a.docx"], stages=[Stage("Succeeded")])
    result = cli("azure", "get", job, env={"HOME": str(home)})
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["id"] == job
    result = cli("azure", "get", job, "-o", "table", env={"HOME": str(home)})
    assert result.code == 0 and not result.stdout.startswith("{")


def test_the_profile_interval_and_timeout_drive_watch(cli, home, emulator):
    write_config(home, '[profiles.default]\ninterval = 7\ntimeout = "20s"\n')
    stages = [Stage("NotStarted", polls=1), Stage("Running", polls=1), Stage("Succeeded")]
    job = emulator.azure.add_job(["https://s.example.com/a.docx"], stages=stages)
    result = cli("watch", f"azure:{job}", "-q", env={"HOME": str(home)})
    assert result.code == 0, result.stderr
    assert result.sleeps == [7.0, 7.0]
    stuck = emulator.azure.add_job(["https://s.example.com/b.docx"], stages=[Stage("Running")])
    result = cli("watch", f"azure:{stuck}", "-q", "--interval", "5s", env={"HOME": str(home)})
    assert result.code == 6  # the profile's 20s timeout
    assert set(result.sleeps) == {5.0}


# -- secret files and stdin -------------------------------------------------------------------


def test_key_file_before_or_after_the_command(cli, home, emulator):
    job = emulator.azure.add_job(["https://s.example.com/a.docx"], stages=[Stage("Succeeded")])
    key_file = home / "k"
    key_file.write_text(AZURE_KEY + "\n")
    for argv in (
        ["--key-file", str(key_file), "azure", "get", job],
        ["azure", "get", job, "--key-file", str(key_file)],
    ):
        result = cli(*argv, "-o", "json", env={AZ_KEY: "not-the-key-0000000"})
        assert result.code == 0, result.stderr
    assert {r.headers.get("ocp-apim-subscription-key") for r in azure_requests(emulator)} == {
        AZURE_KEY
    }


def test_key_and_secret_from_stdin(cli, emulator):
    job = emulator.azure.add_job(["https://s.example.com/a.docx"], stages=[Stage("Succeeded")])
    result = cli("azure", "get", job, "--key-file", "-", env={AZ_KEY: None}, stdin=AZURE_KEY + "\n")
    assert result.code == 0, result.stderr
    task = emulator.alibaba.add_job(images=["https://i.example.com/a.png"])
    result = cli(
        "alibaba", "get", task, "--secret-file", "-", env={ALI_SECRET: None}, stdin=ALIBABA_SECRET
    )
    assert result.code == 0, result.stderr


def test_an_unreadable_secret_file_is_a_usage_error_before_any_request(cli, home, emulator):
    result = cli("azure", "get", PROBE, "--key-file", str(home / "missing"))
    assert result.code == 2 and "--key-file: cannot read" in result.stderr
    empty = home / "empty"
    empty.write_text("\n")
    result = cli("alibaba", "get", "T1", "--secret-file", str(empty))
    assert result.code == 2 and "--secret-file" in result.stderr and "is empty" in result.stderr
    assert emulator.requests == []


# -- the Alibaba Cloud CLI's profiles -----------------------------------------------------------


def test_alibaba_cli_sts_profile_signs_with_its_token(cli, home, emulator):
    write_cli_profile(
        home,
        {"name": "default", "mode": "AK", "access_key_id": "LTAIother", "access_key_secret": "x"},
        {
            "name": "ci",
            "mode": "StsToken",
            "access_key_id": STS_ID,
            "access_key_secret": STS_SECRET,
            "sts_token": STS_TOKEN,
            "region_id": "cn-hangzhou",
        },
    )
    task = emulator.alibaba.add_job(images=["https://i.example.com/a.png"])
    env = {"HOME": str(home), "ALIBABA_CLOUD_PROFILE": "ci", **NO_ALIBABA}
    result = cli("alibaba", "get", task, "--debug", env=env)
    assert result.code == 0, result.stderr
    [request] = alibaba_requests(emulator)
    assert request.params["AccessKeyId"] == STS_ID
    assert request.params["SecurityToken"] == STS_TOKEN
    assert_no_secret(result, STS_SECRET, STS_TOKEN)
    shown = cli("config", "show", env=env)
    assert f"Alibaba Cloud CLI profile ci ({home / '.aliyun' / 'config.json'})" in shown.stdout
    assert_no_secret(shown, STS_SECRET, STS_TOKEN)


def test_alibaba_cli_ak_profile_is_used_only_without_other_credentials(cli, home, emulator):
    write_cli_profile(
        home,
        {
            "name": "default",
            "mode": "AK",
            "access_key_id": "LTAIcli",
            "access_key_secret": "cli-secret-wrong",
        },
    )
    task = emulator.alibaba.add_job(images=["https://i.example.com/a.png"])
    assert cli("alibaba", "get", task, env={"HOME": str(home)}).code == 0  # env wins
    result = cli("alibaba", "get", task, env={"HOME": str(home), **NO_ALIBABA})
    assert result.code == 5  # the CLI profile's key, unknown to the emulator
    assert alibaba_requests(emulator)[-1].params["AccessKeyId"] == "LTAIcli"


def test_alibaba_cli_profile_in_an_unsupported_mode(cli, home, emulator):
    write_cli_profile(
        home, {"name": "default", "mode": "EcsRamRole", "ram_role_name": "r"}, current="default"
    )
    result = cli("alibaba", "get", "T1", env={"HOME": str(home), **NO_ALIBABA})
    assert result.code == 2 and "EcsRamRole mode" in result.stderr
    assert emulator.requests == []


# -- Azure region ---------------------------------------------------------------------------


def test_azure_region_is_sent_as_the_subscription_region(cli, home, emulator):
    job = emulator.azure.add_job(["https://s.example.com/a.docx"], stages=[Stage("Succeeded")])
    write_config(home, '[profiles.default.azure]\nregion = "westeurope"\n')
    env = {"HOME": str(home)}
    cases = (
        (["azure", "get", job, "--region", "westus2"], "westus2"),
        (["azure", "get", job], "westeurope"),
        (["watch", f"azure:{job}", "--azure-region", "eastus", "-q"], "eastus"),
    )
    for argv, region in cases:
        emulator.requests_clear()
        result = cli(*argv, env=env)
        assert result.code == 0, result.stderr
        sent = {r.headers.get("ocp-apim-subscription-region") for r in azure_requests(emulator)}
        assert sent == {region}


# -- config doctor ----------------------------------------------------------------------------


def doctor(cli, *argv, **kwargs):
    result = cli("config", "doctor", "-o", "json", *argv, **kwargs)
    checks = {(c["provider"], c["check"]): c for c in json.loads(result.stdout)["checks"]}
    return result, {key: c["result"] for key, c in checks.items()}, checks


def test_doctor_with_good_credentials(cli, emulator):
    result, results, checks = doctor(cli)
    assert result.code == 0, result.output
    assert set(results.values()) == {"ok"}
    assert "access_key_secret ****alue from env" in checks["alibaba", "credentials"]["detail"]
    # One cheap authenticated request per cloud: the status of a job that does not exist.
    [ali] = alibaba_requests(emulator)
    assert ali.params["Action"] == "GetTranslateImageBatchResult"
    assert ali.params["TaskId"] == PROBE
    assert [r.path for r in azure_requests(emulator)] == [f"/translator/document/batches/{PROBE}"]
    table = cli("config", "doctor")
    assert table.code == 0
    assert table.stdout.splitlines()[0].split() == ["CLOUD", "CHECK", "RESULT", "DETAIL"]


@pytest.mark.parametrize(
    ("env", "provider", "fix"),
    [
        ({ALI_SECRET: "wrong-alibaba-secret-0001"}, "alibaba", "Check the AccessKey (env "),
        ({ALI_ID: "LTAIunknown"}, "alibaba", "Check the AccessKey (env "),
        ({AZ_KEY: "wrong-azure-key-000001"}, "azure", f"Check the key (env {AZ_KEY})"),
    ],
)
def test_doctor_with_bad_credentials(cli, emulator, env, provider, fix):
    result, results, checks = doctor(cli, env=env)
    assert result.code == 5
    assert results[provider, "endpoint"] == "ok"
    assert results[provider, "authentication"] == "failing"
    assert checks[provider, "authentication"]["fix"].startswith(fix)
    other = "azure" if provider == "alibaba" else "alibaba"
    assert results[other, "authentication"] == "ok"
    wrong = [value for name, value in env.items() if name != ALI_ID]
    assert_no_secret(result, *wrong, ALIBABA_SECRET, AZURE_KEY)


def test_doctor_with_an_unreachable_endpoint(cli):
    env = {"AZURE_DOCUMENT_TRANSLATION_ENDPOINT": "http://127.0.0.1:1"}
    result, results, checks = doctor(cli, env=env)
    assert result.code == 7
    assert results["azure", "endpoint"] == "failing"
    assert results["azure", "authentication"] == "skipped"
    assert "refused" in checks["azure", "endpoint"]["detail"]


def test_doctor_with_missing_credentials(cli, home, emulator):
    result, results, checks = doctor(cli, env={ALI_SECRET: None})
    assert result.code == 2
    assert results["alibaba", "credentials"] == "failing"
    assert ALI_SECRET in checks["alibaba", "credentials"]["detail"]
    assert results["alibaba", "endpoint"] == "skipped"
    assert results["azure", "authentication"] == "ok"


def test_doctor_skips_a_cloud_that_is_not_configured(cli, emulator):
    result, results, _ = doctor(cli, env=UNCONFIGURED_ALIBABA)
    assert result.code == 0
    assert results == {
        ("alibaba", "credentials"): "skipped",
        ("azure", "credentials"): "ok",
        ("azure", "endpoint"): "ok",
        ("azure", "authentication"): "ok",
    }


def test_doctor_with_nothing_configured(cli, emulator):
    env = {**UNCONFIGURED_ALIBABA, AZ_KEY: None, "AZURE_DOCUMENT_TRANSLATION_ENDPOINT": None}
    result, results, _ = doctor(cli, env=env)
    assert result.code == 2 and "no cloud is configured" in result.stderr
    assert set(results.values()) == {"skipped"}
    assert emulator.requests == []


# -- Microsoft Entra ID -------------------------------------------------------------------------


class FakeIdentity:
    """Stands in for ``azure.identity``: its DefaultAzureCredential hands out ``token``,
    or raises ``error``."""

    def __init__(self) -> None:
        self.token = TOKEN
        self.error: Exception | None = None
        self.scopes: list[tuple[str, ...]] = []
        identity = self

        class DefaultAzureCredential:
            def __init__(self, **kwargs: object) -> None:
                pass

            def get_token(self, *scopes: str, **kwargs: object):
                from azure.core.credentials import AccessToken

                identity.scopes.append(scopes)
                if identity.error is not None:
                    raise identity.error
                return AccessToken(identity.token, int(time.time()) + 3600)

        self.module = types.ModuleType("azure.identity")
        self.module.DefaultAzureCredential = DefaultAzureCredential  # type: ignore[attr-defined]


@pytest.fixture
def entra(monkeypatch, emulator) -> FakeIdentity:
    identity = FakeIdentity()
    monkeypatch.setitem(sys.modules, "azure.identity", identity.module)
    emulator.azure.bearer_tokens = (TOKEN,)
    return identity


def test_entra_id_bearer_token_against_the_emulator(cli, emulator, entra):
    job = emulator.azure.add_job(["https://s.example.com/a.docx"], stages=[Stage("Succeeded")])
    result = cli("azure", "get", job, "-o", "json", env={AZ_KEY: None})
    assert result.code == 0, result.stderr
    assert json.loads(result.stdout)["status"] == "Succeeded"
    sent = azure_requests(emulator, job)
    assert sent and all(r.headers.get("authorization") == f"Bearer {TOKEN}" for r in sent)
    assert all(r.headers.get("ocp-apim-subscription-key") is None for r in sent)
    assert entra.scopes[0] == (SCOPE,)
    assert_no_secret(result, TOKEN)


def test_entra_id_in_show_and_doctor(cli, emulator, entra):
    result = cli("config", "show", "-o", "json", env={AZ_KEY: None})
    settings = {s["name"]: s for s in json.loads(result.stdout)["settings"]}
    assert settings["azure.auth"]["value"] == "Microsoft Entra ID (DefaultAzureCredential)"
    assert "azure.key" not in settings
    result, results, _ = doctor(cli, env={AZ_KEY: None})
    assert result.code == 0, result.output
    assert results["azure", "authentication"] == "ok"
    assert_no_secret(result, TOKEN)


def test_entra_id_token_refused_by_the_service(cli, emulator, entra):
    entra.token = "a-token-the-emulator-does-not-know"
    result, results, checks = doctor(cli, env={AZ_KEY: None})
    assert result.code == 5
    assert results["azure", "authentication"] == "failing"
    assert "Cognitive Services User" in checks["azure", "authentication"]["fix"]


def test_entra_id_sign_in_failure_is_one_line_and_sends_nothing(cli, emulator, entra):
    from azure.core.exceptions import ClientAuthenticationError

    entra.error = ClientAuthenticationError(
        "DefaultAzureCredential failed to retrieve a token from the included credentials.\n"
        "Attempted credentials:\n\tEnvironmentCredential: not configured"
    )
    result = cli("azure", "get", str(uuid.uuid4()), env={AZ_KEY: None})
    assert result.code == 5
    [line] = result.stderr.splitlines()
    assert line.startswith("error: Microsoft Entra ID sign-in failed: DefaultAzureCredential")
    assert "az login" in line
    assert azure_requests(emulator) == [] and result.sleeps == []
    _, results, _ = doctor(cli, env={AZ_KEY: None})
    assert results["azure", "credentials"] == "failing"
    assert results["azure", "endpoint"] == "skipped"


def test_without_azure_identity_a_missing_key_says_how_to_get_entra(cli, emulator, monkeypatch):
    monkeypatch.setitem(sys.modules, "azure.identity", None)
    result = cli("azure", "get", str(uuid.uuid4()), env={AZ_KEY: None})
    assert result.code == 2
    assert AZ_KEY in result.stderr and "pip install 'batchstat[entra]'" in result.stderr
    assert emulator.requests == []


def test_the_bearer_policy_and_enforce_https():
    """azure-core refuses a bearer token over http; batchstat lifts that only for the
    clients of loopback http endpoints (the only http endpoints it accepts)."""
    from azure.core.credentials import AccessToken
    from azure.core.exceptions import ServiceRequestError
    from azure.core.pipeline import PipelineContext, PipelineRequest
    from azure.core.rest import HttpRequest

    from batchstat.credentials import bearer_policy

    class Credential:
        def get_token(self, *scopes, **kwargs):
            return AccessToken(TOKEN, int(time.time()) + 3600)

    def request() -> PipelineRequest:
        return PipelineRequest(HttpRequest("GET", "http://127.0.0.1:1/x"), PipelineContext(None))

    with pytest.raises(ServiceRequestError, match="non-TLS"):
        bearer_policy(Credential(), allow_http=False).on_request(request())
    sent = request()
    bearer_policy(Credential(), allow_http=True).on_request(sent)
    assert sent.http_request.headers["Authorization"] == f"Bearer {TOKEN}"


# -- secrets stay masked in every output ----------------------------------------------------


def test_no_secret_from_any_source_reaches_any_output(cli, home, emulator, entra):
    profile_secret = "SENTINEL-profile-ali-secret/+="
    profile_key = "SENTINEL-profile-az-key-77/+="
    file_key = "SENTINEL-file-az-key-12/+="
    cli_secret, cli_token = "SENTINEL-cli-secret-9/+=", "SENTINEL-cli-token-3/+=="
    (home / "az.key").write_text(file_key)
    write_config(
        home,
        "[profiles.default.alibaba]\n"
        f'access_key_id = "LTAIprofile"\naccess_key_secret = "{profile_secret}"\n'
        f'[profiles.default.azure]\nkey = "{profile_key}"\n'
        '[profiles.other.azure]\nkey_file = "~/az.key"\n',
    )
    write_cli_profile(
        home,
        {
            "name": "default",
            "mode": "StsToken",
            "access_key_id": "STS.cli",
            "access_key_secret": cli_secret,
            "sts_token": cli_token,
        },
    )
    secrets = (profile_secret, profile_key, file_key, cli_secret, cli_token, TOKEN)
    base = {"HOME": str(home), **NO_ALIBABA, AZ_KEY: None}
    runs = [
        cli("config", "show", env=base),
        cli("config", "show", "-o", "json", env=base),
        cli("config", "doctor", env=base),
        cli("config", "doctor", "-o", "json", "--debug", env=base),
        cli("--profile", "other", "config", "show", env=base),
        cli("--profile", "other", "config", "doctor", env=base),
        cli("azure", "get", str(uuid.uuid4()), "--debug", env=base),
        cli("alibaba", "get", "T1", "--debug", env=base),
    ]
    os.remove(home / ".config" / "batchstat" / "config.toml")
    runs += [
        cli("config", "show", env=base),  # the CLI profile, then Entra ID
        cli("config", "doctor", "--debug", env=base),
        cli("alibaba", "get", "T1", "--debug", env=base),
        cli("azure", "get", str(uuid.uuid4()), env=base),
    ]
    assert any("****" in r.stdout for r in runs)
    for result in runs:
        assert_no_secret(result, *secrets)


def test_a_refused_entra_token_says_what_to_fix(cli, emulator, entra):
    job = emulator.azure.add_job(["https://s.example.com/a.docx"], stages=[Stage("Succeeded")])
    entra.token = "a-token-the-resource-does-not-accept"
    result = cli("azure", "get", job, "--retries", "0", env={AZ_KEY: None})
    assert result.code == 5
    [line] = result.stderr.splitlines()
    assert "refused the Microsoft Entra ID token" in line and "Cognitive Services User" in line
    assert AZ_KEY not in line


@pytest.mark.parametrize("command", ["show", "doctor"])
def test_config_fits_an_80_column_terminal(cli, emulator, command):
    result = cli("config", command, stdout_tty=True, env={"COLUMNS": "80", "NO_COLOR": "1"})
    assert result.code == 0, result.output
    assert result.stdout and all(len(line) <= 80 for line in result.stdout.splitlines())
    piped = cli("config", command)  # a pipe keeps one line a row, for scripts
    rows = [line for line in piped.stdout.splitlines() if line.startswith(("alibaba", "azure"))]
    assert rows and any(len(line) > 80 for line in rows)
