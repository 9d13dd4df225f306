"""Azure AI Translator, Document Translation: *get translation status* and the
per-document statuses, through azure-ai-translation-document (``DocumentTranslationClient``).

Facts this adapter is built on (see the project's API notes):
- the models rewrite ``error.code`` with the inner code and rename ``Cancelled``, so the
  record is built from the raw JSON of each answer, which the SDK hands us through ``cls``
  and ``raw_response_hook``;
- the SDK follows only ``nextLink``, while the 2024-05-01 reference names it ``@nextLink``:
  we read the first page through the SDK and follow either link ourselves with the
  client's own pipeline (``send_request``: same auth, same retries), never to another host;
- ``Retry-After`` on a 200 is not acted on by the SDK; we return it for the watch loop.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from batchstat.bodies import (
    ENV_MAX_PAGES,
    MalformedError,
    array,
    bounded_body_hook,
    count,
    loads,
    malformed,
    mapping,
    max_pages,
    text,
)
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
    NotFoundError,
    TransientError,
    UnavailableError,
    UsageError,
)
from batchstat.model import Item, JobRecord, JobState, State, Summary
from batchstat.providers.base import ProviderBase
from batchstat.retry import after_attempts, call_with_retries, parse_retry_after
from batchstat.runtime import Runtime
from batchstat.text import printable, shorten

if TYPE_CHECKING:
    from batchstat.config import ProviderSettings

T = TypeVar("T")
ENV_ENDPOINT = "AZURE_DOCUMENT_TRANSLATION_ENDPOINT"
ENV_KEY = "AZURE_DOCUMENT_TRANSLATION_KEY"
ENV_REGION = "AZURE_DOCUMENT_TRANSLATION_REGION"
ENTRA_EXTRA = "pip install 'batchstat[entra]'"  # the optional extra with azure-identity
SERVICE = "Azure"
DEFAULT_API_VERSION = "2024-05-01"
API_VERSIONS = ("2024-05-01", "2026-03-01")
PAGE_SIZE = 100  # the service's maximum: fewer round trips for large jobs

_STATES: dict[str, State] = {
    "notstarted": JobState.PENDING,
    "running": JobState.RUNNING,
    "cancelling": JobState.RUNNING,
    "canceling": JobState.RUNNING,
    "succeeded": JobState.SUCCEEDED,
    "failed": JobState.FAILED,
    "validationfailed": JobState.FAILED,
    "cancelled": JobState.CANCELLED,
    "canceled": JobState.CANCELLED,
}
_ITEM_OK = {
    "succeeded": True,
    "failed": False,
    "validationfailed": False,
    "cancelled": False,
    "canceled": False,
}
_TIMESTAMP_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)?$")


class AzureConfig:
    __slots__ = ("api_version", "endpoint", "key", "region", "token_credential")

    def __init__(
        self,
        endpoint: Endpoint,
        key: str,
        region: str | None,
        api_version: str,
        token_credential: Any = None,
    ) -> None:
        self.endpoint = endpoint
        self.key = key  # "": Microsoft Entra ID, through token_credential
        self.region = region
        self.api_version = api_version
        self.token_credential = token_credential

    def __repr__(self) -> str:  # never the key
        return f"AzureConfig({self.endpoint.base_url}, {self.api_version})"

    @classmethod
    def from_env(
        cls,
        runtime: Runtime,
        *,
        endpoint: str | None = None,
        api_version: str | None = None,
        reference_endpoint: str | None = None,
        region: str | None = None,
    ) -> AzureConfig:
        """The settings from the flags, the environment and the batchstat profile, in
        that order (README, "Credentials and endpoints"); without a key, Microsoft Entra
        ID. ``reference_endpoint``: the endpoint of a job URL given as the target; used
        when none is configured, refused when the configured one is another host (the
        key goes only where the user pointed it)."""
        from batchstat.config import ProviderSettings

        settings = ProviderSettings(runtime, "azure")
        version = settings.pick(
            "api_version", flag=api_version, flag_name="--api-version", default=DEFAULT_API_VERSION
        )
        assert version is not None
        if version.value not in API_VERSIONS:
            raise UsageError(
                f"{version.origin}: {version.value!r} is not supported.",
                f"Use one of: {', '.join(API_VERSIONS)}.",
            )
        given = settings.pick(
            "endpoint", flag=endpoint, flag_name="--endpoint", env=(ENV_ENDPOINT,)
        )
        if given is None and reference_endpoint:
            given = settings.record("endpoint", reference_endpoint, "derived", "the job URL")
        key = _key(runtime, settings)
        picked_region = settings.pick(
            "region", flag=region, flag_name="--region", env=(ENV_REGION,)
        )
        settings.finish()
        entra = f"without a key, sign in with Microsoft Entra ID ({ENTRA_EXTRA})"
        if given is None:
            raise ConfigError(
                f"missing Azure Document Translation settings: set {ENV_ENDPOINT}"
                + ("" if key else f" and {ENV_KEY}")
                + ".",
                f"Export {ENV_ENDPOINT} (your resource's custom-domain endpoint, or use "
                f"--endpoint) and {ENV_KEY} (or --key-file; {entra}).",
            )
        # The SDK appends /translator itself; a copied ".../translator" would double it.
        trimmed = given.value.strip().rstrip("/")
        if trimmed.lower().endswith("/translator"):
            trimmed = trimmed[: -len("/translator")]
        parsed = parse_endpoint(trimmed, source=given.origin)
        if reference_endpoint:
            ref = parse_endpoint(reference_endpoint, source="the job URL")
            if ref.netloc.lower() != parsed.netloc.lower() or ref.scheme != parsed.scheme:
                raise ConfigError(
                    f"the job URL is on {ref.base_url}, but the endpoint from {given.origin} is "
                    f"{parsed.base_url}; batchstat sends the key only to the endpoint "
                    "you configured.",
                    f"Give the job id instead, or point {given.origin} at {ref.base_url}.",
                )
        token_credential = None
        if key is None:
            from batchstat import credentials

            settings.auth_hint = (
                "Sign in ('az login'), or set AZURE_TENANT_ID, AZURE_CLIENT_ID and "
                "AZURE_CLIENT_SECRET, or use a managed identity; the identity needs the "
                "'Cognitive Services User' role on the resource. Or give a key: "
                f"{ENV_KEY} or --key-file."
            )
            token_credential = credentials.entra_credential(
                runtime,
                missing=f"missing Azure Document Translation key: set {ENV_KEY}.",
                hint=f"Or give the key with --key-file, or a profile; {entra}.",
                failed_hint=settings.auth_hint,
            )
            settings.record(
                "auth", "Microsoft Entra ID (DefaultAzureCredential)", "derived", "no key given"
            )
        else:
            source = settings.settings["key"].source
            settings.auth_hint = (
                f"Check the key ({source}) and that it belongs to {parsed.base_url}."
            )
        return cls(
            parsed,
            key or "",
            picked_region.value if picked_region else None,
            version.value,
            token_credential,
        )


def _key(runtime: Runtime, settings: ProviderSettings) -> str | None:
    """The key: --key-file, the environment, the profile's key_file or key; else None."""
    settings.known("key", "key_file")
    if runtime.key_file:
        return settings.secret_file("key", runtime.key_file, "flag", "--key-file").value
    value = runtime.env.get(ENV_KEY, "").strip()
    if value:
        return settings.record("key", value, "env", ENV_KEY).value
    path = settings.profile_file("key_file")
    if path and settings.table.get("key"):
        raise ConfigError(
            f"{settings.config.where('key_file', settings.section)}: give key or key_file, "
            "not both."
        )
    if path:
        where = settings.config.where("key_file", settings.section)
        return settings.secret_file("key", path, "file", where).value
    inline = settings.from_profile("key", file_key="key_file")
    if inline:
        return settings.record("key", inline, "profile", settings.config.profile_label).value
    return None


def validate_job_id(job_id: str) -> str:
    try:
        return str(uuid.UUID(job_id.strip()))
    except ValueError:
        raise UsageError(
            f"{shorten(job_id)!r} is not a valid Azure translation job id (a UUID).",
            "Use the id after /batches/ in the Operation-Location header, "
            "e.g. 727bf148-f327-47a0-9481-abae6362f11e.",
        ) from None


validate_id = validate_job_id

_OPERATION_PATH = re.compile(r"/translator/document/batches/([^/?#]+)/?$", re.IGNORECASE)


def parse_reference(text: str) -> tuple[str, dict[str, str]]:
    """The job id and endpoint of an ``Operation-Location`` URL, as submission returns it:
    ``https://<resource>.cognitiveservices.azure.com/translator/document/batches/<id>?...``
    (the query, its api-version included, is not used)."""
    parts = urlsplit(text.strip())
    match = _OPERATION_PATH.search(parts.path)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or not match:
        raise UsageError(
            f"{shorten(text)!r} is not an Azure translation job URL.",
            "Give the job id, or the Operation-Location URL the submission returned "
            "(.../translator/document/batches/JOB_ID).",
        )
    endpoint = parse_endpoint(f"{parts.scheme}://{parts.netloc}", source="the job URL")
    return validate_job_id(match.group(1)), {"reference_endpoint": endpoint.base_url}


def build(runtime: Runtime, settings: Mapping[str, Any], *, retries: int) -> AzureProvider:
    """The adapter, from the environment and the flags' ``endpoint`` and ``api_version``."""
    config = AzureConfig.from_env(
        runtime,
        endpoint=settings.get("endpoint"),
        api_version=settings.get("api_version"),
        reference_endpoint=settings.get("reference_endpoint"),
        region=settings.get("region"),
    )
    return AzureProvider(config, runtime, retries=retries)


class AzureProvider(ProviderBase):
    service = SERVICE
    default_connect_timeout = 10.0
    default_read_timeout = 30.0

    def __init__(self, config: AzureConfig, runtime: Runtime, **options: Any) -> None:
        super().__init__(runtime, **options)
        self.config = config

    # -- SDK plumbing -------------------------------------------------------------------

    def _translation_client(self) -> Any:
        if self._client is None:
            from azure.ai.translation.document import DocumentTranslationClient
            from azure.core.credentials import AzureKeyCredential

            from batchstat.providers.azure_retry import JitteredRetryPolicy

            self.runtime.quiet_logger("azure")
            policy = JitteredRetryPolicy(
                sleep=self.runtime.sleep,
                rng=self.runtime.rng,
                on_long_wait=self._announce_wait,
                retry_total=self.retries,
                retry_connect=self.retries,
                retry_read=self.retries,
                retry_status=self.retries,
                retry_backoff_factor=0.8,
                retry_backoff_max=30,
            )
            credential: Any
            auth: dict[str, Any] = {}
            if self.config.key:
                credential = AzureKeyCredential(self.config.key)
            else:  # Microsoft Entra ID: a bearer token (over http only to loopback hosts)
                from batchstat.credentials import bearer_policy

                credential = self.config.token_credential
                auth["authentication_policy"] = bearer_policy(
                    credential, allow_http=self.config.endpoint.scheme == "http"
                )
            self._client = DocumentTranslationClient(
                self.config.endpoint.base_url,
                credential,
                api_version=self.config.api_version,
                retry_policy=policy,
                # Never follow a redirect: azure-core would resend the key to its target.
                permit_redirects=False,
                **auth,
                **self._transport_settings(),
            )
        return self._client

    def _transport_settings(self) -> dict[str, Any]:
        """The HTTP transport, with the environment read once instead of on every request.

        By default requests looks up the proxy variables, ``NO_PROXY``, the CA bundle
        variables and ``~/.netrc`` on every request: a quarter of a status poll (5.1 M
        instructions before, 3.8 M now), paid 800 times in a watch of 200 jobs. The client only ever
        talks to its endpoint's host (next links are pinned to it), so the proxies for
        that host and the CA bundle are resolved here, once, the way requests resolves
        them; ``~/.netrc`` is not read (the key header is the credential).
        """
        env = self.runtime.env
        bundle = ca_bundle(self.runtime.ca_bundle, env)  # a bad one: ConfigError, nothing sent
        import requests
        from azure.core.pipeline.transport import RequestsTransport

        # Read at most BATCHSTAT_MAX_BODY_MB of an answer.
        session = requests.Session()
        session.trust_env = False  # the environment is the runtime's, read above
        session.hooks["response"].append(bounded_body_hook(SERVICE, env))
        settings: dict[str, Any] = {
            "transport": RequestsTransport(
                session=session,
                session_owner=True,
                use_env_settings=False,
                connection_timeout=self._connect_timeout,
                read_timeout=self._read_timeout,
                connection_verify=bundle or True,
            )
        }
        proxies = proxies_for(self.config.endpoint, env)
        if proxies:
            settings["proxies"] = proxies
        return settings

    def _call_kwargs(self) -> dict[str, Any]:
        if self.config.region:
            return {"headers": {"Ocp-Apim-Subscription-Region": self.config.region}}
        return {}

    def _translate_errors(self, err: Exception, job_id: str) -> BatchstatError:
        from azure.core.exceptions import (
            ClientAuthenticationError,
            DecodeError,
            HttpResponseError,
            IncompleteReadError,
            ResourceNotFoundError,
            ServiceRequestError,
            ServiceResponseError,
        )

        base = self.config.endpoint.base_url
        if isinstance(err, ClientAuthenticationError) or (
            isinstance(err, HttpResponseError) and err.status_code in (401, 403)
        ):
            if self.config.key:
                what, hint = (
                    "key",
                    (f"Check {ENV_KEY} and that it belongs to the resource at this endpoint."),
                )
            else:
                what, hint = (
                    "Microsoft Entra ID token",
                    (
                        "Give the signed-in identity the 'Cognitive Services User' role on the "
                        "resource, and check that the endpoint is its custom-domain endpoint."
                    ),
                )
            return AuthError(
                f"Azure refused the {what} for {base} (HTTP {getattr(err, 'status_code', 401)}).",
                hint,
            )
        if isinstance(err, ResourceNotFoundError) or (
            isinstance(err, HttpResponseError) and err.status_code == 404
        ):
            return NotFoundError(
                f"Azure has no translation job {job_id} at {base}.",
                "Check the job id and that the endpoint is the resource's custom-domain endpoint.",
            )
        if isinstance(err, IncompleteReadError):
            return MalformedError(f"Azure at {base} cut its answer short.")
        if isinstance(err, DecodeError) and (err.status_code or 200) < 400:
            # A success whose body is not JSON. (An error status whose body is not JSON,
            # a proxy's 502 page, is that error status: handled below.)
            return MalformedError("Azure answered with a body that is not JSON.")
        if isinstance(err, HttpResponseError) and err.status_code is None:
            # The answer broke off (a reset mid-body): as transient as a failed connection.
            return TransientError(
                after_attempts(f"the answer from {base} broke off", self.retries + 1),
                "Check the network and any proxy settings.",
            )
        if isinstance(err, HttpResponseError) and err.status_code is not None:
            status = err.status_code
            code, message = _error_fields(err)
            detail = f"{code}: {message}" if code else (message or err.reason or "")
            detail = self._safe(detail)
            if status >= 500 or status in (408, 429):
                # Transient: a watch loop retries it (honouring Retry-After); for a
                # one-off get it is final (the SDK already retried) and exits 7.
                headers: Any = getattr(err.response, "headers", None) or {}
                what = "is throttling requests" if status == 429 else "is unavailable"
                return TransientError(
                    after_attempts(
                        f"Azure Document Translation {what} (HTTP {status}"
                        + (f", {code}" if code else "")
                        + ")",
                        self.retries + 1,
                    ),
                    "Try again later.",
                    retry_after=parse_retry_after(headers.get("Retry-After"), self.runtime.clock()),
                    throttled=status == 429,
                )
            if 300 <= status < 400:
                redirect_headers: Any = getattr(err.response, "headers", None) or {}
                location = printable(str(redirect_headers.get("Location") or "elsewhere"))
                return UnavailableError(
                    f"{base} redirected to {location} (HTTP {status}); batchstat does not "
                    "follow redirects, so the key is never sent to another host.",
                    "Point --endpoint at the resource's own custom-domain endpoint.",
                )
            # A request was sent, so even a 400 (SASTokenInvalid on the documents list, an
            # invalid job id for this api-version) is the service's answer: exit 7.
            return UnavailableError(f"Azure answered HTTP {status}: {detail}")
        if isinstance(err, ServiceRequestError | ServiceResponseError):
            reason = tls_failure(str(err))  # azure-core wraps requests' SSLError
            if reason is not None:  # not transient: asking again gets the same certificate
                return tls_error(self.config.endpoint, reason)
            what = "timed out" if "timed out" in str(err).lower() else "failed"
            nobody = unreachable(str(err))
            return TransientError(
                after_attempts(
                    f"the connection to {base} "
                    + ("was refused or its host is unknown" if nobody else what),
                    self.retries + 1,
                ),
                f"Check the endpoint ({ENV_ENDPOINT} or --endpoint), the network and any "
                "proxy settings.",
                unreachable=nobody,
            )
        return UnavailableError(f"Azure request failed: {self._safe(str(err)).splitlines()[0]}")

    # -- public API ---------------------------------------------------------------------

    def fetch(self, job_id: str, *, documents: bool = True) -> JobRecord:
        """The job's status (and, by default, all its document statuses)."""
        from azure.core.exceptions import AzureError

        client = self._translation_client()
        try:
            response = client.get_translation_status(
                job_id,
                cls=lambda pipeline_response, _model, _headers: pipeline_response.http_response,
                **self._call_kwargs(),
            )
            # Parse the text ourselves: the SDK's models rewrite the dict that
            # response.json() caches (Cancelled -> Canceled, error.code -> inner code).
            raw = loads(response.text(), SERVICE)
            items = list(self._documents(job_id)) if documents else None
        except AzureError as err:
            failure = self._translate_errors(err, job_id)
            if isinstance(failure, NotFoundError):
                # Not an error of the request: the answer is "no such job", as Alibaba
                # says with its status "invalid". One shape for both clouds.
                return not_found(job_id, err)
            raise failure from None
        except ValueError:  # the SDK parses the body before handing it over: not JSON
            raise MalformedError("Azure answered with a body that is not JSON.") from None
        record = normalize(raw, items, job_id)
        record.request_id = _request_id(response.headers)
        record.retry_after = parse_retry_after(
            response.headers.get("Retry-After"), self.runtime.clock()
        )
        return record

    def poll(self, job_id: str) -> JobRecord:
        """The watch loop's poll: the status only; documents once, at the end."""
        return self.fetch(job_id, documents=False)

    def complete(self, record: JobRecord) -> JobRecord:
        if record.state == JobState.NOT_FOUND:  # no job, no documents to list
            return record
        return self.attach_documents(record)

    def attach_documents(self, record: JobRecord) -> JobRecord:
        """List the documents of a job already fetched (once, at its terminal state)."""
        from azure.core.exceptions import AzureError

        try:
            items = list(self._documents(record.id))
        except AzureError as err:
            raise self._translate_errors(err, record.id) from None
        updated = normalize(record.raw, items, record.id)
        updated.request_id, updated.retry_after = record.request_id, record.retry_after
        return updated

    def get(self, job_id: str, *, items: bool = True) -> JobRecord:
        """The status and, with ``items``, every document. HTTP and transport failures are
        retried inside the SDK pipeline (JitteredRetryPolicy); an answer that is malformed
        (which the pipeline cannot know) is retried here, as many times."""
        job_id = validate_job_id(job_id)

        def attempt() -> JobRecord:
            return self.fetch(job_id, documents=items)

        return self._retry_malformed(attempt)

    def _retry_malformed(self, attempt: Callable[[], T]) -> T:
        """``attempt()``, retried when an answer is malformed: HTTP and transport failures
        the SDK pipeline has retried already (JitteredRetryPolicy), so they are final
        here; a malformed answer, which the pipeline cannot see, gets as many retries."""

        def once() -> T:
            try:
                return attempt()
            except MalformedError:
                raise
            except TransientError as err:
                raise UnavailableError(err.message, err.hint) from None

        return call_with_retries(
            once,
            retries=self.retries,
            sleep=self.runtime.sleep,
            rng=self.runtime.rng,
            on_retry=lambda _err, delay: self._announce_wait(delay),
        )

    def _documents(self, job_id: str) -> Iterator[Item]:

        client = self._translation_client()
        # The hook sees every attempt (retried ones too): keep the responses, read the last.
        responses: list[Any] = []
        pager = client.list_document_statuses(
            job_id,
            maxpagesize=PAGE_SIZE,
            raw_response_hook=lambda pipeline_response: responses.append(
                pipeline_response.http_response
            ),
            **self._call_kwargs(),
        )
        # Only the first page through the SDK pager; we follow the links ourselves.
        try:
            for _ in next(pager.by_page(), iter(())):
                pass
        except (AttributeError, TypeError, KeyError, ValueError):
            # The SDK's models read the page as an object with a list: not this one.
            raise malformed(SERVICE, "the documents page is not of the documented shape") from None
        page: Any = loads(responses[-1].text(), SERVICE) if responses else {"value": []}
        hint = (
            f"Raise the bound with {ENV_MAX_PAGES} if the job is that large, or use --no-documents."
        )
        for doc in self._follow(page, "documents", hint):
            yield document_item(doc)

    def _follow(self, page: Any, what: str, hint: str) -> Iterator[Any]:
        """Every entry of ``value`` on ``page`` and on the pages its next links name, each
        link pinned to our endpoint and api-version; a loop, or more pages than the bound
        (``BATCHSTAT_MAX_PAGES``), stops it."""
        from azure.core.rest import HttpRequest

        client = self._translation_client()
        seen: set[str] = set()
        limit = max_pages(self.runtime.env)
        while True:
            page = mapping(page, f"the {what} page", SERVICE)
            yield from array(page.get("value"), "value", SERVICE)
            link = text(page.get("nextLink") or page.get("@nextLink"), "nextLink", SERVICE)
            if not link:
                return
            url = self._safe_next_link(link)
            if url in seen:
                raise UnavailableError("Azure returned a next-page link that loops; stopping.")
            if len(seen) + 1 >= limit:
                raise UnavailableError(
                    f"Azure listed more than {limit:,} pages of {what}; stopped following "
                    "its next links.",
                    hint,
                )
            seen.add(url)
            response = client.send_request(HttpRequest("GET", url), **self._call_kwargs())
            if response.status_code != 200:
                response.raise_for_status()
            page = loads(response.text(), SERVICE)

    def _safe_next_link(self, link: str) -> str:
        """Resolve a next-page link, pin it to our endpoint and our api-version."""
        base = self.config.endpoint
        parts = urlsplit(link)
        foreign = (parts.scheme.lower(), parts.netloc.lower()) != (base.scheme, base.netloc.lower())
        if (parts.scheme or parts.netloc) and foreign:
            raise UnavailableError(
                f"Azure returned a next-page link to another host ({parts.netloc}); "
                "refusing to send the key there."
            )
        path = parts.path if parts.path.startswith("/") else "/translator/" + parts.path
        query = [
            (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "api-version"
        ]
        query.append(("api-version", self.config.api_version))
        return urlunsplit((base.scheme, base.netloc, path, urlencode(query), ""))

    def submit(self, source_url: str, target_url: str, language: str) -> str:
        """Start a batch with ``begin_translation`` (used by ``demo``); returns its id."""
        from azure.core.exceptions import AzureError

        try:
            poller = self._translation_client().begin_translation(source_url, target_url, language)
            return str(poller.id)
        except AzureError as err:
            raise self._translate_errors(err, "(new)") from None

    # -- listing jobs (``batchstat azure list``) ----------------------------------------

    def list_jobs(
        self,
        *,
        statuses: list[str] | None = None,
        created_after: float | None = None,
        created_before: float | None = None,
        top: int | None = None,
    ) -> list[JobRecord]:
        """The resource's jobs, newest first, every page (``GET /document/batches``),
        filtered by the service: ``statuses`` (status words, any case, commas allowed),
        created between ``created_after`` and ``created_before`` (epoch seconds), at
        most ``top``. Records without documents. Retried as :meth:`get` is."""
        wanted = job_statuses(statuses or [])  # a usage error before any request

        def attempt() -> list[JobRecord]:
            from azure.core.exceptions import AzureError

            records: list[JobRecord] = []
            try:
                for record in self._listed_jobs(wanted, created_after, created_before, top):
                    records.append(record)
                    if top is not None and len(records) >= top:  # whatever the server does
                        break
            except AzureError as err:
                failure = self._translate_errors(err, "(list)")
                if isinstance(failure, NotFoundError):
                    raise NotFoundError(
                        f"Azure has no translation jobs to list at {self.config.endpoint.base_url} "
                        "(HTTP 404).",
                        "Check that the endpoint is the resource's custom-domain endpoint.",
                    ) from None
                raise failure from None
            except ValueError:  # the SDK parses the body before handing it over: not JSON
                raise MalformedError("Azure answered with a body that is not JSON.") from None
            return records

        return self._retry_malformed(attempt)

    def _listed_jobs(
        self,
        statuses: list[str],
        created_after: float | None,
        created_before: float | None,
        top: int | None,
    ) -> Iterator[JobRecord]:
        """The jobs page by page: the first page through the SDK (its filters and
        order), the next ones by their links, pinned to our host and api-version."""
        from datetime import datetime, timezone

        def moment(epoch: float | None) -> datetime | None:
            return None if epoch is None else datetime.fromtimestamp(epoch, tz=timezone.utc)

        client = self._translation_client()
        responses: list[Any] = []  # every attempt's answer (retried ones too): read the last
        pager = client.list_translation_statuses(
            statuses=statuses or None,
            created_after=moment(created_after),
            created_before=moment(created_before),
            top=top,
            order_by=["createdDateTimeUtc desc"],
            maxpagesize=min(PAGE_SIZE, top) if top else PAGE_SIZE,
            raw_response_hook=lambda pipeline_response: responses.append(
                pipeline_response.http_response
            ),
            **self._call_kwargs(),
        )
        try:
            for _ in next(pager.by_page(), iter(())):
                pass
        except (AttributeError, TypeError, KeyError):
            # The SDK's models read the page as an object with a list: not this one.
            raise malformed(SERVICE, "the jobs page is not of the documented shape") from None
        page: Any = loads(responses[-1].text(), SERVICE) if responses else {"value": []}
        hint = f"List fewer (--top, --since, --status), or raise the bound with {ENV_MAX_PAGES}."
        for raw in self._follow(page, "jobs", hint):
            raw = mapping(raw, "a job status", SERVICE)
            # "translationId" in the published examples; "id" in the schema.
            job_id = text(raw.get("id") or raw.get("translationId"), "a job's id", SERVICE)
            if job_id is None:
                raise malformed(SERVICE, "a listed job has no id")
            yield normalize(raw, None, job_id)


_STATUS_WORDS = {
    "notstarted": "NotStarted",
    "running": "Running",
    "succeeded": "Succeeded",
    "failed": "Failed",
    "cancelled": "Cancelled",
    "canceled": "Cancelled",
    "cancelling": "Cancelling",
    "canceling": "Cancelling",
    "validationfailed": "ValidationFailed",
}
LIST_STATUSES = tuple(dict.fromkeys(_STATUS_WORDS.values()))


def job_statuses(texts: list[str]) -> list[str]:
    """Status words as the service spells them (any case, ``Canceled`` too, comma lists),
    each once; a :class:`UsageError` for any other word."""
    words: list[str] = []
    for part in (p.strip() for t in texts for p in t.split(",")):
        if not part:
            continue
        word = _STATUS_WORDS.get(part.lower())
        if word is None:
            raise UsageError(
                f"--status: {shorten(part, 40)!r} is not a job status.",
                f"Use one or more of: {', '.join(LIST_STATUSES)}.",
            )
        if word not in words:
            words.append(word)
    return words


def not_found(job_id: str, err: Any) -> JobRecord:
    """The record of a job the service does not know (HTTP 404), with its error body."""
    code, message = _error_fields(err)
    response = getattr(err, "response", None)
    headers = getattr(response, "headers", None) or {}
    try:
        raw = loads(response.text(), SERVICE) if response is not None else None
    except (MalformedError, AttributeError):  # not JSON: keep nothing of it
        raw = None
    return JobRecord(
        provider="azure",
        id=job_id,
        status="",
        state=JobState.NOT_FOUND,
        error={"code": code, "message": message, "target": None, "inner_error": None},
        request_id=_request_id(headers),
        raw=raw if isinstance(raw, dict) else None,
    )


def _request_id(headers: Any) -> str | None:
    for name in ("apim-request-id", "x-requestid", "x-ms-request-id"):
        value = headers.get(name)
        if value:
            return _header_text(str(value))
    return None


def _header_text(value: str) -> str:
    """A header value as its sender wrote it: HTTP clients decode header bytes as
    latin-1, so UTF-8 text arrives garbled unless read back as UTF-8."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def _error_fields(err: Any) -> tuple[str | None, str | None]:
    """The error code (``Code/InnerCode`` when the service names an inner error, as
    ``InvalidRequest/SASTokenInvalid``) and message of an HTTP error's body."""
    try:
        body = err.response.json()
    except Exception:  # a non-JSON body: fall back to the reason phrase
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, getattr(err, "reason", None)
    code = _text(error.get("code"))
    inner = error.get("innerError") or error.get("innererror")
    inner_code = _text(inner.get("code")) if isinstance(inner, dict) else None
    if inner_code and inner_code != code:
        code = f"{code}/{inner_code}" if code else inner_code
    message = (inner.get("message") if isinstance(inner, dict) else None) or error.get("message")
    return code, _text(message)


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def normalize_timestamp(value: Any) -> str | None:
    """ISO 8601 with at most microseconds (the service sends up to 7 fractional digits)."""
    text_value = text(value, "a timestamp", SERVICE)
    if not text_value:
        return None
    match = _TIMESTAMP_RE.match(text_value)
    if not match:
        return text_value
    whole, fraction, zone = match.groups()
    fraction = (fraction or "")[:7]
    return f"{whole}{fraction}{'Z' if zone in (None, 'Z', '+00:00') else zone}"


def normalize_error(error: Any) -> dict[str, Any] | None:
    if not isinstance(error, dict):
        return None
    inner = error.get("innerError") or error.get("innererror")
    return {
        "code": text(error.get("code"), "error.code", SERVICE),
        "message": text(error.get("message"), "error.message", SERVICE),
        "target": text(error.get("target"), "error.target", SERVICE),
        "inner_error": normalize_error(inner),
    }


def _progress(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise malformed(SERVICE, "a document's progress is not between 0 and 1")
    return value


def document_item(doc: Any) -> Item:
    doc = mapping(doc, "a document status", SERVICE)
    status = text(doc.get("status"), "a document's status", SERVICE) or ""
    return Item(
        # "documentId" in the published 2024-05-01 example; "id" in the schema.
        id=text(doc.get("id") or doc.get("documentId"), "a document's id", SERVICE) or "",
        status=status,
        ok=_ITEM_OK.get(status.lower()),
        source_url=text(doc.get("sourcePath"), "a document's sourcePath", SERVICE),
        result_url=text(doc.get("path"), "a document's path", SERVICE),
        error=normalize_error(doc.get("error")),
        extra={
            "target_language": text(doc.get("to"), "a document's to", SERVICE),
            "progress": _progress(doc.get("progress")),
            "characters_charged": count(
                doc.get("characterCharged"), "a document's characterCharged", SERVICE
            ),
            "created": normalize_timestamp(doc.get("createdDateTimeUtc")),
            "updated": normalize_timestamp(doc.get("lastActionDateTimeUtc")),
        },
    )


def normalize(raw: Any, items: list[Item] | None, job_id: str) -> JobRecord:
    """The record of job ``job_id``: the id asked for, whatever the body calls it (the
    published 2024-05-01 examples say ``translationId``). A body not of the documented
    shape raises :class:`MalformedError`."""
    raw = mapping(raw, "the job status", SERVICE)
    status = text(raw.get("status"), "status", SERVICE)
    if status is None:
        raise malformed(SERVICE, "no job status")
    counts = raw.get("summary")
    counts = {} if counts is None else mapping(counts, "summary", SERVICE)

    def number(key: str) -> int | None:
        return count(counts.get(key), f"summary.{key}", SERVICE)

    charged = number("totalCharacterCharged")
    # The documents' own sum, when listed: shown beside the job total when they differ.
    per_doc = None
    if items is not None:
        charges = [c for i in items if (c := i.extra.get("characters_charged")) is not None]
        per_doc = sum(charges) if charges else None
    if per_doc and not charged:
        # The job total can read 0 while documents report their own charges.
        charged = per_doc
    summary = Summary(
        total=number("total"),
        succeeded=number("success"),
        failed=number("failed"),
        running=number("inProgress"),
        pending=number("notYetStarted"),
        cancelled=number("cancelled"),
        characters_charged=charged,
        characters_charged_documents=per_doc,
    )
    state: State = _STATES.get(status.lower(), JobState.RUNNING)
    if state == JobState.SUCCEEDED and (summary.failed or 0) > 0:
        state = JobState.PARTIALLY_SUCCEEDED
    return JobRecord(
        provider="azure",
        id=job_id,
        status=status,
        state=state,
        created=normalize_timestamp(raw.get("createdDateTimeUtc")),
        updated=normalize_timestamp(raw.get("lastActionDateTimeUtc")),
        summary=summary,
        items=items,
        error=normalize_error(raw.get("error")),
        raw=raw,
    )
