"""Where credentials come from besides the environment and batchstat's own profiles.

- Secret files: ``--key-file FILE``, ``--secret-file FILE`` (``-``: standard input) and
  the ``key_file`` / ``secret_file`` keys of a profile, so a secret never has to sit in
  shell history or a process listing.
- The Alibaba Cloud CLI's profiles (``~/.aliyun/config.json``, picked by
  ``ALIBABA_CLOUD_PROFILE``), in its AK and StsToken modes.
- Microsoft Entra ID through azure-identity's ``DefaultAzureCredential`` (the optional
  extra ``batchstat[entra]``), and the bearer-token policy that sends its tokens.

Every secret read here is registered with ``runtime.secret`` (scrubbed from all output).
Which source wins is the provider's ``from_env``'s business (see README, "Credentials
and endpoints"); this module only reads.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from batchstat.config import home_dir, load
from batchstat.errors import AuthError, BatchstatError, ConfigError
from batchstat.text import shorten

if TYPE_CHECKING:
    from batchstat.runtime import Runtime

MAX_SECRET_CHARS = 64 * 1024  # a key file is a line, not a disk image
MAX_CLI_CONFIG_CHARS = 1 << 20

# -- secret files -------------------------------------------------------------------------


def read_secret_file(runtime: Runtime, path: str, *, origin: str) -> str:
    """The secret in ``path`` (``-``: standard input, read once a run): one line,
    surrounding whitespace and the final newline dropped. ``origin`` names the option or
    key that gave the path, for messages. Any failure is a :class:`ConfigError`: exit 2,
    nothing sent."""
    if path == "-":
        config = load(runtime)
        if config.stdin_read_by not in (None, origin):
            raise ConfigError(
                f"{origin} -: standard input was already read for {config.stdin_read_by}.",
                "Standard input holds one secret: give the other one in a file.",
            )
        if config.stdin_secret is not None:
            return config.stdin_secret
        text = runtime.input_lines().read(MAX_SECRET_CHARS + 1)
        what = "standard input"
    else:
        try:
            with open(path, encoding="utf-8") as stream:
                text = stream.read(MAX_SECRET_CHARS + 1)
        except OSError as err:
            raise ConfigError(f"{origin}: cannot read {path!r}: {err.strerror or err}.") from None
        except UnicodeDecodeError:
            raise ConfigError(f"{origin}: {path!r} is not UTF-8 text.") from None
        what = repr(path)
    if len(text) > MAX_SECRET_CHARS:
        raise ConfigError(f"{origin}: {what} is too large to hold a secret.")
    value = text.strip()
    if not value:
        raise ConfigError(f"{origin}: {what} is empty.", "Put the secret in it, on one line.")
    runtime.secret(value)
    if "\n" in value or "\r" in value:
        raise ConfigError(
            f"{origin}: {what} holds more than one line.", "Put only the secret in it."
        )
    if path == "-":
        config.stdin_read_by, config.stdin_secret = origin, value
    return value


# -- the Alibaba Cloud CLI's profiles -------------------------------------------------------

ENV_CLI_PROFILE = "ALIBABA_CLOUD_PROFILE"
# Either, set to "true", turns the CLI's profiles off, as in Alibaba's own SDKs.
ENV_CLI_DISABLED = ("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "ALIBABA_CLOUD_IGNORE_PROFILE")
CLI_MODES = ("AK", "StsToken")


class CliProfile:
    """One profile of ``~/.aliyun/config.json`` (``aliyun configure``)."""

    __slots__ = ("access_key_id", "access_key_secret", "mode", "name", "path", "region_id", "token")

    def __init__(
        self,
        name: str,
        path: str,
        mode: str,
        access_key_id: str,
        access_key_secret: str,
        token: str | None,
        region_id: str | None,
    ) -> None:
        self.name = name
        self.path = path
        self.mode = mode
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.token = token
        self.region_id = region_id

    def __repr__(self) -> str:  # never the secret
        return f"CliProfile({self.name}, {self.mode}, {self.access_key_id})"

    @property
    def origin(self) -> str:
        return f"Alibaba Cloud CLI profile {self.name} ({self.path})"


def cli_config_path(runtime: Runtime) -> str | None:
    home = home_dir(runtime.env)
    return os.path.join(home, ".aliyun", "config.json") if home else None


def read_cli_profile(
    runtime: Runtime, name: str | None = None, name_origin: str | None = None
) -> CliProfile | None:
    """The Alibaba Cloud CLI's profile ``name`` (else the file's ``current``, else
    ``default``); None when there is no such file or profile, unless ``name_origin``
    (the variable or key that named it) says one was asked for."""
    env = runtime.env
    if any(env.get(name, "").strip().lower() == "true" for name in ENV_CLI_DISABLED):
        return None
    path = cli_config_path(runtime)
    if path is None or not os.path.isfile(path):
        if name_origin:
            raise ConfigError(
                f"{name_origin}: there is no Alibaba Cloud CLI profile {name!r}: "
                f"{path or '~/.aliyun/config.json'} does not exist.",
                f"Create it with 'aliyun configure --profile {name}', or unset {name_origin}.",
            )
        return None
    data = _read_cli_config(path)
    profiles = [p for p in data.get("profiles") or () if isinstance(p, dict)]
    for profile in profiles:  # every secret of the file, whichever profile is used
        for key in ("access_key_secret", "sts_token"):
            value = profile.get(key)
            if isinstance(value, str) and value.strip():
                runtime.secret(value.strip())
    wanted = name or _text(data.get("current")) or "default"
    chosen = next((p for p in profiles if p.get("name") == wanted), None)
    if chosen is None:
        if name_origin:
            names = ", ".join(str(p.get("name")) for p in profiles) or "none"
            raise ConfigError(
                f"{name_origin}: there is no profile {wanted!r} in {path}.",
                f"Its profiles: {names}.",
            )
        return None
    where = f"the Alibaba Cloud CLI profile {wanted!r} ({path})"
    mode = _text(chosen.get("mode")) or "AK"
    if mode not in CLI_MODES:
        raise ConfigError(
            f"{where} is in {mode} mode; batchstat reads AK and StsToken profiles.",
            f"Pick another profile with {ENV_CLI_PROFILE}, or export "
            "ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET and "
            "ALIBABA_CLOUD_SECURITY_TOKEN (e.g. from 'aliyun sts AssumeRole').",
        )
    key_id = _text(chosen.get("access_key_id"))
    secret = _text(chosen.get("access_key_secret"))
    token = _text(chosen.get("sts_token")) if mode == "StsToken" else None
    missing = [
        key
        for key, value in (
            ("access_key_id", key_id),
            ("access_key_secret", secret),
            ("sts_token", token if mode == "StsToken" else "-"),
        )
        if not value
    ]
    if missing:
        raise ConfigError(
            f"{where} has no {' and no '.join(missing)}.",
            f"Run 'aliyun configure --profile {wanted} --mode {mode}'.",
        )
    assert key_id is not None and secret is not None
    return CliProfile(wanted, path, mode, key_id, secret, token, _text(chosen.get("region_id")))


def _read_cli_config(path: str) -> dict[str, Any]:
    import json

    try:
        with open(path, encoding="utf-8") as stream:
            data = json.loads(stream.read(MAX_CLI_CONFIG_CHARS))
    except OSError as err:
        raise ConfigError(
            f"cannot read the Alibaba Cloud CLI config {path}: {err.strerror}."
        ) from None
    except ValueError:
        raise ConfigError(
            f"the Alibaba Cloud CLI config {path} is not valid JSON.",
            "Fix it with 'aliyun configure', or set ALIBABA_CLOUD_CLI_PROFILE_DISABLED=true.",
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("profiles", []), list):
        raise ConfigError(f"the Alibaba Cloud CLI config {path} is not of the expected shape.")
    return data


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


# -- Microsoft Entra ID -----------------------------------------------------------------

# The scope of Azure AI services tokens (what the Document Translation SDK asks for).
ENTRA_SCOPE = "https://cognitiveservices.azure.com/.default"


def entra_credential(runtime: Runtime, *, missing: str, hint: str, failed_hint: str) -> Any:
    """A token credential from azure-identity's ``DefaultAzureCredential`` (environment,
    workload identity, managed identity, Azure CLI login, ...), whose failures are
    :class:`AuthError` with ``failed_hint`` and whose tokens are secrets. Without
    azure-identity: a :class:`ConfigError` of ``missing`` and ``hint``.

    azure-identity reads its own variables (``AZURE_CLIENT_ID``...) from the process
    environment, not from the runtime's: it is the one credential source that does.
    """
    try:
        from azure.identity import DefaultAzureCredential
    except ImportError:
        raise ConfigError(missing, hint) from None
    return ScrubbedTokenCredential(DefaultAzureCredential(), runtime, failed_hint)


class SignInError(AuthError):
    """No token could be had (not signed in, no identity): nothing was sent (exit 5)."""


class ScrubbedTokenCredential:
    """A ``TokenCredential`` around another: each token it hands out is a secret of the
    run, and a failure to get one is an :class:`AuthError` (one line and a fix, exit 5)
    rather than azure-identity's page of attempts (azure-core lets it through: it is not
    an AzureError, so it is not retried either)."""

    def __init__(self, inner: Any, runtime: Runtime, failed_hint: str) -> None:
        self.inner = inner
        self.runtime = runtime
        self.failed_hint = failed_hint

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        try:
            token = self.inner.get_token(*scopes, **kwargs)
        except BatchstatError:
            raise
        except Exception as err:  # CredentialUnavailableError, ClientAuthenticationError...
            lines = str(err).strip().splitlines()
            why = lines[0].rstrip(".") if lines else type(err).__name__
            raise SignInError(
                f"Microsoft Entra ID sign-in failed: {shorten(why, 200)}.", self.failed_hint
            ) from None
        self.runtime.secret(token.token)
        return token

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            close()


def bearer_policy(credential: Any, *, allow_http: bool) -> Any:
    """azure-core's bearer-token policy for ``credential``.

    azure-core refuses to send a token over plain http (``enforce_https``). batchstat
    accepts http endpoints for loopback hosts only (``endpoints.parse_endpoint``), which
    is where the emulator runs: for those (``allow_http``) the check is turned off, for
    every request of the client, so the emulator can be used with a token credential too.
    A token never goes over http to another host.
    """
    from azure.core.pipeline.policies import BearerTokenCredentialPolicy

    if not allow_http:
        return BearerTokenCredentialPolicy(credential, ENTRA_SCOPE)

    class LoopbackBearerTokenPolicy(BearerTokenCredentialPolicy):
        def on_request(self, request: Any) -> None:
            request.context["enforce_https"] = False
            super().on_request(request)

    return LoopbackBearerTokenPolicy(credential, ENTRA_SCOPE)
