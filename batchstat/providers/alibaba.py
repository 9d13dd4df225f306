"""Alibaba Cloud machine translation: ``GetTranslateImageBatchResult`` (alimt 2018-10-12)
through aliyun-python-sdk-core (``AcsClient`` + ``CommonRequest``).

Facts this adapter is built on (see the project's API notes):
- business errors arrive as HTTP 200 with a numeric ``Code`` other than 200, so the SDK
  never raises for them and we inspect ``Code`` ourselves (as a string: it has been seen
  both as an int and as a string);
- the SDK never retries alimt calls, so retries are ours;
- an unknown or expired TaskId is a *successful* answer with ``Status: invalid``;
- the SDK ignores ``NO_PROXY``, so a loopback endpoint gets an explicit no-proxy setting.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from batchstat.bodies import array, bounded_body_hook, loads, malformed, mapping, text
from batchstat.endpoints import (
    Endpoint,
    ca_bundle,
    parse_endpoint,
    proxies_for,
    tls_error,
    tls_failure,
    unreachable,
)
from batchstat.errors import (
    AuthError,
    BatchstatError,
    ConfigError,
    TransientError,
    UnavailableError,
    UsageError,
)
from batchstat.model import Item, JobRecord, JobState, State, Summary
from batchstat.providers.base import ProviderBase
from batchstat.retry import call_with_retries, parse_retry_after
from batchstat.runtime import Runtime
from batchstat.text import printable, shorten

if TYPE_CHECKING:
    from batchstat.config import ProviderSettings
    from batchstat.credentials import CliProfile

API_VERSION = "2018-10-12"
DEFAULT_REGION = "cn-hangzhou"
ENV_KEY_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ENV_KEY_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
ENV_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN"
ENV_REGION = "ALIBABA_CLOUD_REGION_ID"
ENV_ENDPOINT = "BATCHSTAT_ALIBABA_ENDPOINT"
SERVICE = "Alibaba Cloud"

_REGION_RE = re.compile(r"^[a-zA-Z0-9_-]+$")
_TASK_ID_RE = re.compile(r"[\x21-\x7e]{1,256}")
# Regions with their own alimt host; every other region is served by mt.aliyuncs.com
# (the endpoint map of the alimt SDK).
_REGIONAL_HOSTS = {"cn-hangzhou", "ap-southeast-1"}
# The regions of that endpoint map: a region outside it is a typo (cn-hangzou), not a
# region to send to the global host.
KNOWN_REGIONS = (
    "cn-hangzhou",
    "cn-shanghai",
    "cn-beijing",
    "cn-shenzhen",
    "cn-qingdao",
    "cn-zhangjiakou",
    "cn-huhehaote",
    "cn-chengdu",
    "cn-hongkong",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-5",
    "ap-northeast-1",
    "ap-south-1",
    "us-west-1",
    "us-east-1",
    "eu-central-1",
    "eu-west-1",
    "me-east-1",
)

# Business codes (HTTP 200, Code != 200): (message, kind). Kinds: transient (retried),
# auth (exit 5), request (the request was rejected, exit 7).
_BUSINESS_CODES: dict[str, tuple[str, str]] = {
    "101": ("the request timed out (System.RequestTimeOut)", "transient"),
    "102": ("a system error occurred (System.Error)", "transient"),
    "103": ("the service could not decode a URL (System.UrlDecodingError)", "request"),
    "104": ("required parameters are missing (System.ParameterError)", "request"),
    "105": ("the language pair is not supported (System.LanguageNotSupported)", "request"),
    "106": ("language detection failed (System.LanguageDetectError)", "request"),
    "107": ("translation failed (System.TranslateError)", "request"),
    "108": ("a string is too long (System.StringTooLong)", "request"),
    "110": ("the account has not activated the service (System.AccountNotActivated)", "auth"),
    "111": ("the sub-account service failed (System.SubServiceFailed)", "auth"),
    "112": ("the translation service call failed (System.TranslateServiceCallFailed)", "transient"),
    "113": (
        "the service is not activated or the account is in arrears "
        "(System.AccountNotActivatedOrInArrears)",
        "auth",
    ),
    "10009": ("the RAM sub-account has no permission for this action", "auth"),
    "19999": ("an unknown error occurred", "transient"),
}
# The five-digit codes of the published errorCodes are the twins of the three-digit ones
# (1000N <-> 10N, 1001N <-> 11N), with the same meaning and handling.
_BUSINESS_CODES.update(
    {f"100{code[1:]}": entry for code, entry in list(_BUSINESS_CODES.items()) if len(code) == 3}
)

_AUTH_HINTS = {
    "SignatureDoesNotMatch": f"Check {ENV_KEY_SECRET}: the signature did not match.",
    "InvalidAccessKeySecret": f"Check {ENV_KEY_SECRET}: the signature did not match.",
    "IncompleteSignature": f"Check {ENV_KEY_SECRET}: the signature did not match.",
    "InvalidAccessKeyId.NotFound": f"Check {ENV_KEY_ID}: the access key is not known.",
    "InvalidAccessKeyId.Inactive": "The access key is disabled; enable it or use another.",
    "InvalidTimeStamp.Expired": "Your system clock is off by more than 15 minutes; fix it.",
}


_NO_PROXY: dict[str, str | None] = {"http": None, "https": None}


def default_host(region: str) -> str:
    return f"mt.{region}.aliyuncs.com" if region in _REGIONAL_HOSTS else "mt.aliyuncs.com"


class AlibabaConfig:
    __slots__ = ("access_key_id", "access_key_secret", "endpoint", "region", "security_token")

    def __init__(
        self,
        access_key_id: str,
        access_key_secret: str,
        security_token: str | None,
        region: str,
        endpoint: Endpoint,
    ) -> None:
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.security_token = security_token
        self.region = region
        self.endpoint = endpoint

    def __repr__(self) -> str:  # never the secret
        return f"AlibabaConfig({self.access_key_id}, {self.region}, {self.endpoint.base_url})"

    @classmethod
    def from_env(
        cls, runtime: Runtime, *, region: str | None = None, endpoint: str | None = None
    ) -> AlibabaConfig:
        """The settings from the flags, the environment, the batchstat profile and the
        Alibaba Cloud CLI's profile, in that order (README, "Credentials and endpoints")."""
        from batchstat.config import ProviderSettings

        settings = ProviderSettings(runtime, "alibaba")
        picked = settings.pick("region", flag=region, flag_name="--region", env=(ENV_REGION,))
        given = settings.pick(
            "endpoint", flag=endpoint, flag_name="--endpoint", env=(ENV_ENDPOINT,)
        )
        key_id, secret, token, cli = _access_key(runtime, settings)
        if picked is None and cli is not None and cli.region_id:
            picked = settings.record("region", cli.region_id, "cli", cli.origin)
        if picked is None:
            picked = settings.record("region", DEFAULT_REGION, "default", "default")
        settings.finish()
        region = picked.value
        if not _REGION_RE.match(region):
            raise UsageError(
                f"{picked.origin}: {region!r} is not a valid region id (e.g. cn-hangzhou)."
            )
        if region not in KNOWN_REGIONS and given is None:
            import difflib

            close = difflib.get_close_matches(region, KNOWN_REGIONS, n=1)
            raise UsageError(
                f"{picked.origin}: {shorten(region, 40)!r} is not a region of Alibaba Cloud "
                "machine translation" + (f"; did you mean {close[0]!r}?" if close else "."),
                f"Use one of: {', '.join(KNOWN_REGIONS)}; or give the host with --endpoint.",
            )
        if given is not None:
            parsed = parse_endpoint(given.value, source=given.origin)
        else:
            parsed = Endpoint("https", default_host(region), None)
            settings.record("endpoint", parsed.base_url, "derived", f"from the region {region}")
        settings.auth_hint = (
            f"Check the AccessKey ({settings.settings['access_key_id'].source}) and that "
            "it may call alimt:GetTranslateImageBatchResult."
        )
        return cls(key_id, secret, token, region, parsed)


# The keys of a profile's [profiles.NAME.alibaba] table that hold the AccessKey.
_PROFILE_KEY_NAMES = ("access_key_id", "access_key_secret", "secret_file", "security_token")
_ENV_KEY_NAMES = (
    ("access_key_id", ENV_KEY_ID),
    ("access_key_secret", ENV_KEY_SECRET),
    ("security_token", ENV_TOKEN),
)


def _access_key(
    runtime: Runtime, settings: ProviderSettings
) -> tuple[str, str, str | None, CliProfile | None]:
    """The AccessKey id, secret and STS token, all from the first source that has any of
    them: the environment, the batchstat profile, the Alibaba Cloud CLI's profile (also
    returned: its region applies when none is set). ``--secret-file`` (a flag) replaces
    the secret of whichever source gives the id. Never a mix of two sources' pairs."""
    settings.known(*_PROFILE_KEY_NAMES, "aliyun_profile")
    flag_file = runtime.secret_file
    env = {name: runtime.env.get(variable, "").strip() for name, variable in _ENV_KEY_NAMES}
    cli = None
    missing: list[str] = []
    if any(env.values()):
        for name, variable in _ENV_KEY_NAMES:
            if env[name]:
                settings.record(name, env[name], "env", variable)
        missing = [variable for name, variable in _ENV_KEY_NAMES[:2] if not env[name]]
    elif any(settings.table.get(name) for name in _PROFILE_KEY_NAMES):
        label = settings.config.profile_label
        for name in ("access_key_id", "security_token"):
            value = settings.from_profile(name)
            if value:
                settings.record(name, value, "profile", label)
        path = settings.profile_file("secret_file")
        if path and settings.table.get("access_key_secret"):
            raise ConfigError(
                f"{settings.config.where('secret_file', settings.section)}: give "
                "access_key_secret "
                "or secret_file, not both."
            )
        if flag_file is None and path:
            where = settings.config.where("secret_file", settings.section)
            settings.secret_file("access_key_secret", path, "file", where)
        elif flag_file is None:
            value = settings.from_profile("access_key_secret", file_key="secret_file")
            if value:
                settings.record("access_key_secret", value, "profile", label)
        missing = [
            settings.config.where(name, settings.section)
            for name in ("access_key_id", "access_key_secret")
            if name not in settings.settings and not (name == "access_key_secret" and flag_file)
        ]
    else:
        from batchstat import credentials

        named = settings.pick("aliyun_profile", env=(credentials.ENV_CLI_PROFILE,))
        origin = None
        if named is not None:
            origin = named.origin
            if named.kind == "profile":
                origin = settings.config.where("aliyun_profile", settings.section)
        cli = credentials.read_cli_profile(runtime, named.value if named else None, origin)
        if cli is not None:
            settings.record("access_key_id", cli.access_key_id, "cli", cli.origin)
            settings.record("access_key_secret", cli.access_key_secret, "cli", cli.origin)
            if cli.token:
                settings.record("security_token", cli.token, "cli", cli.origin)
        else:
            missing = [ENV_KEY_ID, ENV_KEY_SECRET]
    if flag_file:
        settings.secret_file("access_key_secret", flag_file, "flag", "--secret-file")
        missing = [name for name in missing if name != ENV_KEY_SECRET]
    if missing:
        raise ConfigError(
            f"missing Alibaba Cloud credentials: set {' and '.join(missing)}.",
            f"Export {ENV_KEY_ID} and {ENV_KEY_SECRET} (and {ENV_TOKEN} for STS), or give "
            "them in a batchstat profile, or configure the Alibaba Cloud CLI "
            "('aliyun configure'); 'batchstat config show' shows what is found.",
        )
    token = settings.settings.get("security_token")
    return (
        settings.settings["access_key_id"].value,
        settings.settings["access_key_secret"].value,
        token.value if token is not None else None,
        cli,
    )


def validate_task_id(task_id: str) -> str:
    if not _TASK_ID_RE.fullmatch(task_id):  # not match: "$" would let a newline through
        raise UsageError(
            f"{shorten(task_id)!r} is not a valid Alibaba task id.",
            "Use the TaskId returned by TranslateImageBatch, "
            "e.g. EEA28E6D-4828-5031-BD8C-8FF1B3216842.",
        )
    return task_id


validate_id = validate_task_id


def build(runtime: Runtime, settings: Mapping[str, Any], *, retries: int) -> AlibabaProvider:
    """The adapter, from the environment and the flags' ``region`` and ``endpoint``."""
    config = AlibabaConfig.from_env(
        runtime, region=settings.get("region"), endpoint=settings.get("endpoint")
    )
    return AlibabaProvider(config, runtime, retries=retries)


class AlibabaProvider(ProviderBase):
    service = SERVICE
    default_connect_timeout = 5.0
    default_read_timeout = 10.0

    def __init__(self, config: AlibabaConfig, runtime: Runtime, **options: Any) -> None:
        super().__init__(runtime, **options)
        self.config = config
        import threading

        self._answer = threading.local()  # the headers of this thread's last answer

    # -- SDK plumbing -------------------------------------------------------------------

    def _acs_client(self) -> Any:
        if self._client is None:
            # First: a bad bundle is a usage error, with nothing sent. The SDK's own
            # variable comes after requests' ones.
            bundle = ca_bundle(
                self.runtime.ca_bundle, self.runtime.env, also=("ALIBABA_CLOUD_CA_BUNDLE",)
            )
            from aliyunsdkcore.auth.credentials import AccessKeyCredential, StsTokenCredential
            from aliyunsdkcore.client import AcsClient

            self.runtime.quiet_logger("aliyunsdkcore")
            cfg = self.config
            credential: Any
            if cfg.security_token:
                credential = StsTokenCredential(
                    cfg.access_key_id, cfg.access_key_secret, cfg.security_token
                )
            else:
                credential = AccessKeyCredential(cfg.access_key_id, cfg.access_key_secret)
            self._client = AcsClient(
                region_id=cfg.region,
                credential=credential,
                auto_retry=False,  # retries are ours: the SDK never retries alimt anyway
                connect_timeout=self._connect_timeout,
                timeout=self._read_timeout,
                # A truthy mapping, or aliyunsdkcore reads HTTP(S)_PROXY itself and
                # ignores NO_PROXY: the proxy for this host, or explicitly none.
                proxy=proxies_for(cfg.endpoint, self.runtime.env) or _NO_PROXY,
                # Always explicit: with None the SDK reads os.environ itself.
                verify=bundle or True,
            )
            # Read at most BATCHSTAT_MAX_BODY_MB of an answer (the client's own session).
            self._client.session.hooks["response"].append(
                bounded_body_hook(SERVICE, self.runtime.env, self._keep_headers)
            )
        return self._client

    def _call(self, action: str, params: dict[str, str], *, method: str = "POST") -> dict[str, Any]:
        """One signed RPC call; returns the decoded JSON body or raises a batchstat error."""
        from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException
        from aliyunsdkcore.request import CommonRequest

        request = CommonRequest(
            domain=self.config.endpoint.netloc, version=API_VERSION, action_name=action
        )
        request.set_protocol_type(self.config.endpoint.scheme)
        request.set_method(method)
        request.set_accept_format("json")
        for key, value in params.items():
            if method == "POST":
                request.add_body_params(key, value)
            else:
                request.add_query_param(key, value)
        self._answer.retry_after = self._answer.location = None
        try:
            try:
                body = self._acs_client().do_action_with_exception(request)
            finally:
                self._remember_signature(request)
        except ServerException as err:
            raise self._server_error(err) from None
        except ClientException as err:
            raise self._client_error(err) from None
        except IndexError:
            # aliyunsdkcore crashes this way on a SignatureDoesNotMatch without ':'.
            raise AuthError(
                "Alibaba Cloud rejected the request signature.",
                _AUTH_HINTS["SignatureDoesNotMatch"],
            ) from None
        except (TypeError, AttributeError):
            # aliyunsdkcore reads an error answer's body as a JSON object and crashes
            # this way when it is null, a number or a list.
            raise malformed(SERVICE, "an error answer that is not a JSON object") from None
        payload = mapping(loads(body, SERVICE), "the document", SERVICE)
        code = text(payload.get("Code"), "Code", SERVICE) or "200"
        if code != "200":
            raise self._business_error(code, payload)
        return payload

    def _keep_headers(self, headers: Any) -> None:
        """What aliyunsdkcore's ServerException drops: an error answer's Retry-After and
        Location (per thread: a watch polls on several)."""
        self._answer.retry_after = headers.get("Retry-After")
        self._answer.location = headers.get("Location")

    def _remember_signature(self, request: Any) -> None:
        """Count the request's signature as a secret: a server that echoes the request
        (as Alibaba's signature errors do) must not get it printed. aliyunsdkcore keeps
        the string it signed on the request (it compares it with the server's); the
        signature is HMAC-SHA1 of it with ``secret&``, as the RPC signing rules say."""
        signed = getattr(getattr(request, "request", None), "string_to_sign", None)
        if not signed:
            return
        import base64
        import hashlib
        import hmac

        key = (self.config.access_key_secret + "&").encode()
        digest = hmac.new(key, signed.encode(), hashlib.sha1).digest()
        self.runtime.ephemeral_secret(base64.b64encode(digest).decode())

    def _server_error(self, err: Any) -> BatchstatError:
        code = str(err.get_error_code() or "")
        status = err.get_http_status()
        request_id = err.get_request_id()
        suffix = f" (HTTP {status}, request id {request_id})" if request_id else f" (HTTP {status})"
        retry_after = parse_retry_after(
            getattr(self._answer, "retry_after", None), self.runtime.clock()
        )
        if code == "SignatureNonceUsed":
            # A nonce the gateway saw already (a collision, or a proxy replaying): the
            # next attempt signs with a fresh one.
            return TransientError(
                f"Alibaba Cloud saw this request's nonce already: {code}{suffix}.",
                retry_after=retry_after,
            )
        if code.startswith("Throttling"):
            return TransientError(
                f"Alibaba Cloud is throttling requests: {code}{suffix}.",
                throttled=True,
                retry_after=retry_after,
            )
        if status is not None and 300 <= int(status) < 400:
            location = printable(str(getattr(self._answer, "location", None) or "elsewhere"))
            return UnavailableError(
                f"{self.config.endpoint.base_url} redirected to {location} (HTTP {status}); "
                "batchstat does not follow redirects, so the request is never signed for "
                "another host.",
                "Point --endpoint (or --region) at the service's own endpoint.",
            )
        if code in _AUTH_HINTS or code.startswith(
            ("InvalidAccessKeyId", "InvalidSecurityToken", "Forbidden", "NoPermission")
        ):
            hint = _AUTH_HINTS.get(
                code,
                "Check the credentials and the RAM permission alimt:GetTranslateImageBatchResult.",
            )
            # Never echo the server message: for signature errors it holds the string
            # to sign, which carries the STS token.
            return AuthError(f"Alibaba Cloud refused the credentials: {code}{suffix}.", hint)
        if status is not None and int(status) >= 500:
            return TransientError(
                f"Alibaba Cloud had a server error: {code or 'unknown'}{suffix}.",
                retry_after=retry_after,
            )
        message = self._safe(err.get_error_msg() or "")
        if code == "SDK.UnknownServerError":
            message = "the answer was not JSON"
        return UnavailableError(
            f"Alibaba Cloud rejected the request: {code}: {message}{suffix}".rstrip(": ") + ".",
            "Check --endpoint and --region.",
        )

    def _client_error(self, err: Any) -> BatchstatError:
        code = str(err.get_error_code() or "")
        message = self._safe(str(err.get_error_msg() or ""))
        if code == "SDK.HttpError":
            reason = tls_failure(message)
            if reason is not None:  # not transient: asking again gets the same certificate
                return tls_error(self.config.endpoint, reason)
            lowered = message.lower()
            what = "timed out" if "timed out" in lowered else "failed"
            nobody = unreachable(message)
            if nobody:
                what = "was refused or its host is unknown"
            return TransientError(
                f"the connection to {self.config.endpoint.base_url} {what}.",
                f"Check the endpoint ({ENV_ENDPOINT}, --endpoint or --region), the network "
                "and any proxy settings.",
                unreachable=nobody,
            )
        return ConfigError(f"Alibaba Cloud SDK error: {code}: {message}")

    def _business_error(self, code: str, payload: dict[str, Any]) -> BatchstatError:
        text, kind = _BUSINESS_CODES.get(
            code, (str(payload.get("Message") or "unknown error"), "request")
        )
        from batchstat.hints import hint_for

        rid = payload.get("RequestId")
        message = f"Alibaba Cloud error {code}: {text}" + (f" (request id {rid})" if rid else "")
        hint = hint_for(code)
        if kind == "transient":
            return TransientError(message + ".", hint)
        if kind == "auth":
            return AuthError(
                message + ".",
                hint
                or "Activate Machine Translation for the account, "
                "check its balance, or check the RAM user's permissions.",
            )
        return UnavailableError(message + ".", hint)

    # -- public API ---------------------------------------------------------------------

    def fetch(self, task_id: str) -> JobRecord:
        """One attempt, no retry (the watch loop owns its own retry policy)."""
        payload = self._call("GetTranslateImageBatchResult", {"TaskId": task_id})
        return normalize(task_id, payload)

    # The watch loop's view of a provider: one attempt per poll, items come with the status.
    poll = fetch

    def complete(self, record: JobRecord) -> JobRecord:
        return record

    def get(self, task_id: str, *, items: bool = True) -> JobRecord:
        """The status with retries; the images always come with it (``items`` is moot)."""
        validate_task_id(task_id)
        return call_with_retries(
            lambda: self.fetch(task_id),
            retries=self.retries,
            sleep=self.runtime.sleep,
            rng=self.runtime.rng,
            on_retry=lambda _err, delay: self._announce_wait(delay),
        )

    def submit(self, image_urls: list[str], source_language: str, target_language: str) -> str:
        """``TranslateImageBatch``: start a job (used by ``demo``); returns its TaskId."""
        payload = self._call(
            "TranslateImageBatch",
            {
                "ImageUrls": ",".join(image_urls),
                "SourceLanguage": source_language,
                "TargetLanguage": target_language,
                "Field": "general",
            },
        )
        data = mapping(payload.get("Data"), "Data", SERVICE)
        task_id = text(data.get("TaskId"), "Data.TaskId", SERVICE)
        if task_id is None:
            raise malformed(SERVICE, "no Data.TaskId")
        return task_id


def normalize(task_id: str, payload: dict[str, Any]) -> JobRecord:
    """The record of task ``task_id`` (the id asked for, whatever the body says). A body
    not of the documented shape raises :class:`MalformedError`."""
    data = payload.get("Data")
    if not isinstance(data, dict) or "Status" not in data:
        raise malformed(SERVICE, "no job status (Data.Status)")
    status = text(data.get("Status"), "Data.Status", SERVICE)
    if status is None:
        raise malformed(SERVICE, "Data.Status is empty")
    results = array(data.get("Result"), "Data.Result", SERVICE)
    items = [_image_item(index, entry) for index, entry in enumerate(results, start=1)]
    summary = Summary()
    state: State
    if status == "finished":
        failed = sum(1 for item in items if not item.ok)
        summary = Summary(
            total=len(items),
            succeeded=len(items) - failed,
            failed=failed,
            running=0,
            pending=0,
            cancelled=0,
        )
        if failed == 0:
            state = JobState.SUCCEEDED
        elif failed == len(items):
            state = JobState.FAILED
        else:
            state = JobState.PARTIALLY_SUCCEEDED
    elif status == "created":
        state = JobState.PENDING
    elif status == "running":
        state = JobState.RUNNING
    elif status == "invalid":
        state = JobState.NOT_FOUND
    else:
        # An unknown word from the service: keep watching rather than guess an outcome.
        state = JobState.RUNNING
    return JobRecord(
        provider="alibaba",
        id=task_id,
        status=status,
        state=state,
        summary=summary,
        items=items,
        request_id=text(payload.get("RequestId"), "RequestId", SERVICE),
        raw=payload,
    )


def _image_item(index: int, entry: Any) -> Item:
    where = f"Data.Result[{index - 1}]"
    entry = mapping(entry, where, SERVICE)
    ok = entry.get("Success")
    ok = ok if isinstance(ok, bool) else str(ok).lower() == "true"
    code = entry.get("Code")  # kept as sent: an integer, or a string in the wild
    if code is not None and (isinstance(code, bool) or not isinstance(code, int | str)):
        raise malformed(SERVICE, f"{where}.Code is not a number")
    message = text(entry.get("Message"), f"{where}.Message", SERVICE)
    error = None
    if not ok:
        error = {"code": code, "message": message}
    return Item(
        id=str(index),
        status="succeeded" if ok else "failed",
        ok=ok,
        source_url=text(entry.get("SourceImageUrl"), f"{where}.SourceImageUrl", SERVICE),
        result_url=text(entry.get("FinalImageUrl"), f"{where}.FinalImageUrl", SERVICE),
        error=error,
        extra={
            "inpainting_url": text(entry.get("InPaintingUrl"), f"{where}.InPaintingUrl", SERVICE),
            "template_json": text(entry.get("TemplateJson"), f"{where}.TemplateJson", SERVICE),
            "code": code,
            "message": message,
        },
    )
