"""TLS: verification always on for both SDKs, a private CA trusted through --ca-bundle or
REQUESTS_CA_BUNDLE, and one clear line when a certificate cannot be verified. Against the
emulator serving https with trustme certificates."""

from __future__ import annotations

import datetime
import json
import ssl
from collections.abc import Iterator
from typing import Any

import pytest
import trustme
from conftest import ALIBABA_KEY_ID, ALIBABA_SECRET, AZURE_KEY

from batchstat.emulator import AzureDocument, Emulator, FakeClock, Stage
from batchstat.endpoints import ca_bundle, tls_failure
from batchstat.errors import ConfigError

PROVIDERS = ["alibaba", "azure"]
UNKNOWN_CA_HINT = (
    "Hint: If a corporate proxy or private CA signs it, pass --ca-bundle FILE or set "
    "REQUESTS_CA_BUNDLE."
)
CLEAN_ENV = {"REQUESTS_CA_BUNDLE": None, "CURL_CA_BUNDLE": None, "ALIBABA_CLOUD_CA_BUNDLE": None}


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("tls") / "private-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def certificate(ca: trustme.CA, request: pytest.FixtureRequest) -> trustme.LeafCert:
    """The server's certificate: for the loopback names, unless a test asks otherwise."""
    options: dict[str, Any] = dict(getattr(request, "param", {}))
    names = options.pop("names", ("127.0.0.1", "localhost"))
    return ca.issue_cert(*names, **options)


@pytest.fixture
def emulator(certificate: trustme.LeafCert, clock: FakeClock) -> Iterator[Emulator]:
    """Overrides conftest's: the same emulator (so the ``cli`` fixture points at it),
    serving https."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    emu = Emulator(
        clock=clock,
        alibaba_credentials={ALIBABA_KEY_ID: ALIBABA_SECRET},
        azure_keys=(AZURE_KEY,),
        ssl_context=context,
    )
    emu.alibaba.max_timestamp_skew = None
    with emu:
        yield emu


def finished_job(emulator: Emulator, provider: str) -> str:
    if provider == "alibaba":
        return emulator.alibaba.add_job(
            images=["https://img.example.com/a.png"], stages=[Stage("finished")]
        )
    return emulator.azure.add_job(
        documents=[AzureDocument("https://store.example.com/src/a.docx")],
        stages=[Stage("Succeeded")],
    )


def assert_succeeded(result: Any, provider: str, job: str) -> None:
    assert result.code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["provider"], doc["id"], doc["state"]) == (provider, job, "succeeded")
    assert len(doc["items"]) == 1


def unknown_ca_line(emulator: Emulator) -> str:
    return (
        f"error: the TLS certificate of {emulator.base_url} could not be verified "
        f"(unknown certificate authority). {UNKNOWN_CA_HINT}\n"
    )


# --- a private CA, trusted on request -------------------------------------------------------


def test_the_emulator_serves_https(emulator):
    assert emulator.base_url.startswith("https://127.0.0.1:")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_ca_bundle_option_trusts_a_private_ca(cli, emulator, ca_file, provider):
    job = finished_job(emulator, provider)
    result = cli("--ca-bundle", ca_file, provider, "get", job, "-o", "json", env=CLEAN_ENV)
    assert_succeeded(result, provider, job)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_requests_variables_trust_a_private_ca(cli, emulator, ca_file, provider, variable):
    job = finished_job(emulator, provider)
    result = cli(provider, "get", job, "-o", "json", env={**CLEAN_ENV, variable: ca_file})
    assert_succeeded(result, provider, job)


def test_alibaba_also_honours_its_own_ca_variable(cli, emulator, ca_file):
    job = finished_job(emulator, "alibaba")
    env = {**CLEAN_ENV, "ALIBABA_CLOUD_CA_BUNDLE": ca_file}
    assert_succeeded(cli("alibaba", "get", job, "-o", "json", env=env), "alibaba", job)


def test_azure_ignores_the_alibaba_ca_variable(cli, emulator, ca_file):
    job = finished_job(emulator, "azure")
    env = {**CLEAN_ENV, "ALIBABA_CLOUD_CA_BUNDLE": ca_file}
    result = cli("azure", "get", job, env=env)
    assert (result.code, result.stderr) == (7, unknown_ca_line(emulator))


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_option_wins_over_the_variables(cli, emulator, ca_file, tmp_path, provider):
    job = finished_job(emulator, provider)
    missing = str(tmp_path / "missing.pem")
    env = {"REQUESTS_CA_BUNDLE": missing, "CURL_CA_BUNDLE": missing}
    result = cli("--ca-bundle", ca_file, provider, "get", job, "-o", "json", env=env)
    assert_succeeded(result, provider, job)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_only_the_runtime_environment_counts(cli, emulator, ca_file, monkeypatch, provider):
    # The process environment trusts the CA, the command's does not: verification fails
    # (aliyunsdkcore would read ALIBABA_CLOUD_CA_BUNDLE from os.environ if left to itself).
    for variable in CLEAN_ENV:
        monkeypatch.setenv(variable, ca_file)
    job = finished_job(emulator, provider)
    result = cli(provider, "get", job, env=CLEAN_ENV)
    assert (result.code, result.stderr) == (7, unknown_ca_line(emulator))


def test_watch_trusts_the_ca_bundle_for_both_clouds(cli, emulator, ca_file):
    task, job = finished_job(emulator, "alibaba"), finished_job(emulator, "azure")
    result = cli(
        "--ca-bundle", ca_file, "watch", f"alibaba:{task}", f"azure:{job}", "-o", "json", "-q"
    )
    assert result.code == 0, result.stderr
    states = {doc["provider"]: doc["state"] for doc in json.loads(result.stdout)}
    assert states == {"alibaba": "succeeded", "azure": "succeeded"}


# --- certificates that cannot be verified ---------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_unknown_ca_is_one_line_with_a_hint(cli, emulator, provider):
    job = finished_job(emulator, provider)
    result = cli(provider, "get", job, env=CLEAN_ENV)
    assert result.code == 7
    assert result.stdout == ""
    assert result.stderr == unknown_ca_line(emulator)
    assert emulator.requests == []  # the handshake failed: no request was ever read
    if provider == "alibaba":  # our retries: the same certificate would fail again
        assert result.sleeps == []


EXPIRED = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize(
    ("certificate", "reason", "hint"),
    [
        (
            {"names": ("example.org",)},
            "host name mismatch",
            "The certificate is for another host: check the endpoint.",
        ),
        (
            {"not_before": EXPIRED - datetime.timedelta(days=30), "not_after": EXPIRED},
            "certificate expired",
            "Check the system clock; otherwise the server's certificate has run out and "
            "needs renewing.",
        ),
    ],
    indirect=["certificate"],
    ids=["wrong-host", "expired"],
)
def test_other_certificate_failures_say_why(cli, emulator, ca_file, provider, reason, hint):
    job = finished_job(emulator, provider)
    result = cli("--ca-bundle", ca_file, provider, "get", job)
    assert (result.code, result.stdout) == (7, "")
    assert result.stderr == (
        f"error: the TLS certificate of {emulator.base_url} could not be verified "
        f"({reason}). Hint: {hint}\n"
    )


def test_watch_reports_an_unknown_ca_and_exits_7(cli, emulator):
    job = finished_job(emulator, "azure")
    result = cli("watch", f"azure:{job}", "-o", "json", "-q", env=CLEAN_ENV)
    assert result.code == 7
    assert "could not be verified (unknown certificate authority)" in result.output
    assert "Traceback" not in result.output


# --- bundles that are not there ---------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("source", ["--ca-bundle", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_a_missing_bundle_is_a_usage_error_before_any_request(
    cli, emulator, tmp_path, provider, source
):
    job = finished_job(emulator, provider)
    missing = str(tmp_path / "missing.pem")
    if source == "--ca-bundle":
        result = cli("--ca-bundle", missing, provider, "get", job, env=CLEAN_ENV)
    else:
        result = cli(provider, "get", job, env={**CLEAN_ENV, source: missing})
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr.startswith(f"error: {source}: the CA bundle '{missing}' does not exist.")
    assert emulator.requests == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_directory_is_not_a_bundle(cli, emulator, tmp_path, provider):
    job = finished_job(emulator, provider)
    result = cli("--ca-bundle", str(tmp_path), provider, "get", job, env=CLEAN_ENV)
    assert result.code == 2
    assert f"'{tmp_path}' is not a file." in result.stderr
    assert emulator.requests == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_bundle_without_certificates_says_so(cli, emulator, tmp_path, provider):
    job = finished_job(emulator, provider)
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    result = cli("--ca-bundle", str(junk), provider, "get", job, env=CLEAN_ENV)
    assert (result.code, result.stdout) == (7, "")
    assert result.stderr == (
        f"error: the TLS certificate of {emulator.base_url} could not be verified "
        "(the CA bundle holds no PEM certificate). Hint: Give --ca-bundle (or "
        "REQUESTS_CA_BUNDLE) a PEM file of CA certificates.\n"
    )


def test_watch_with_a_missing_bundle_sends_nothing(cli, emulator, tmp_path):
    task, job = finished_job(emulator, "alibaba"), finished_job(emulator, "azure")
    missing = str(tmp_path / "missing.pem")
    result = cli("--ca-bundle", missing, "watch", f"alibaba:{task}", f"azure:{job}", "-q")
    assert result.code == 2
    assert "--ca-bundle: the CA bundle" in result.stderr
    assert emulator.requests == []


def test_watch_with_a_missing_bundle_variable_sends_nothing(cli, emulator, tmp_path):
    job = finished_job(emulator, "azure")
    env = {**CLEAN_ENV, "REQUESTS_CA_BUNDLE": str(tmp_path / "missing.pem")}
    result = cli("watch", f"azure:{job}", "-q", env=env)
    assert emulator.requests == []
    assert result.code == 2


# --- plain http -------------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_plain_http_to_a_remote_host_is_refused(cli, emulator, provider):
    job = finished_job(emulator, provider)
    result = cli(provider, "get", job, "--endpoint", "http://translate.example.com")
    assert (result.code, result.stdout) == (2, "")
    assert "plain http is only allowed for loopback hosts" in result.stderr
    assert emulator.requests == []


# --- the shared rules -------------------------------------------------------------------------


def test_ca_bundle_precedence(tmp_path):
    files = {}
    for name in ("option", "requests", "curl", "sdk"):
        files[name] = str(tmp_path / f"{name}.pem")
        (tmp_path / f"{name}.pem").write_text("")
    env = {
        "REQUESTS_CA_BUNDLE": files["requests"],
        "CURL_CA_BUNDLE": files["curl"],
        "SDK_CA_BUNDLE": files["sdk"],
    }
    also = ("SDK_CA_BUNDLE",)
    assert ca_bundle(files["option"], env, also=also) == files["option"]
    assert ca_bundle(None, env, also=also) == files["requests"]
    assert ca_bundle(None, {**env, "REQUESTS_CA_BUNDLE": ""}, also=also) == files["curl"]
    assert ca_bundle(None, {"SDK_CA_BUNDLE": files["sdk"]}, also=also) == files["sdk"]
    assert ca_bundle(None, {"SDK_CA_BUNDLE": files["sdk"]}) is None
    assert ca_bundle(None, {}) is None
    with pytest.raises(ConfigError, match="--ca-bundle"):
        ca_bundle("", env)  # given but empty: not silently the default


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "HTTPSConnectionPool(host='127.0.0.1', port=1): Max retries exceeded with url: / "
            "(Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] "
            "certificate verify failed: unable to get local issuer certificate (_ssl.c:1006)')))",
            "unknown certificate authority",
        ),
        (
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed "
            "certificate in certificate chain (_ssl.c:1006)",
            "unknown certificate authority",
        ),
        (
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, "
            "certificate is not valid for 'localhost'. (_ssl.c:1006)",
            "host name mismatch",
        ),
        (
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has "
            "expired (_ssl.c:1006)",
            "certificate expired",
        ),
        (
            "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate is not "
            "yet valid (_ssl.c:1006)",
            "certificate not yet valid",
        ),
        (
            "SSLError(136, '[X509: NO_CERTIFICATE_OR_CRL_FOUND] no certificate or crl found')",
            "the CA bundle holds no PEM certificate",
        ),
        (
            "(Caused by SSLError(SSLCertVerificationError(\"hostname '127.0.0.1' doesn't "
            "match 'example.org'\")))",
            "host name mismatch",
        ),
        ("Read timed out. (read timeout=10.0)", None),
        ("the value doesn't match", None),
        ("Connection refused", None),
        ("[SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1006)", None),
    ],
)
def test_tls_failure_reasons(text, reason):
    assert tls_failure(text) == reason


def test_a_parsed_https_endpoint_is_https_to_the_alibaba_sdk():
    # aliyunsdkcore compares the protocol by identity; an equal but distinct "https"
    # string made it send plain http.
    from aliyunsdkcore.http import protocol_type

    from batchstat.endpoints import parse_endpoint

    assert parse_endpoint("HTTPS://mt.example.com", source="x").scheme is protocol_type.HTTPS
