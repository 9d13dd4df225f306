"""The provider registry: one entry per cloud job kind, and everything the rest of the
program asks of a provider.

``cli/``, ``commands/``, ``watch.py`` and ``output/`` look a provider up here by name and
ask its entry; none of them names a provider. Adding one is an adapter module (validate
ids, build the adapter from the runtime and settings), a CLI module (its ``get`` group
and its ``watch`` options), an emulator module and an entry here: see CONTRIBUTING.md.

This module is imported on every start, so it holds data and imports nothing heavy: the
adapter and CLI modules are imported by name, only on the paths that use them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Protocol

from batchstat.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from batchstat.model import JobRecord
    from batchstat.runtime import Runtime


class Adapter(Protocol):
    """What a provider's adapter does for ``get`` and ``watch``; it never prints."""

    def get(self, job_id: str, *, items: bool = True) -> JobRecord:
        """The job's status (and its items, unless ``items`` is false), with retries."""
        ...

    def poll(self, job_id: str) -> JobRecord:
        """One attempt at the job's status (the watch loop owns retries)."""
        ...

    def complete(self, record: JobRecord) -> JobRecord:
        """The record with its items, once the job is terminal."""
        ...


class AdapterModule(Protocol):
    """The module an entry's ``adapter`` names."""

    def validate_id(self, text: str) -> str: ...

    def build(self, runtime: Runtime, settings: Mapping[str, Any], *, retries: int) -> Adapter: ...


def until_next_minute(now: float, delay: float) -> float:
    """A throttled account stays blocked until the next minute: asking sooner prolongs it."""
    return max(delay, 60.0 - now % 60.0)


class ProviderSpec:
    """One provider: its name, how to reach its code, and the facts output and watch need.

    name          the target prefix (``name:ID``), the CLI group and the JSON ``provider``
    title         how messages name the cloud
    noun          what a job's items are (``image``, ``document``)
    adapter       module path of the adapter (``validate_id``, ``build``)
    cli           module path of the CLI group (``app``; ``WATCH_OPTIONS``), or None
    id_metavar    how help and hints name an id (``TASK_ID``)
    item_columns  extra item-table columns: (header, key of ``Item.extra``)
    retention     seconds results stay after the job ends, when the cloud deletes them
    default_rate  requests per second a watch allows by default (0: no limit)
    throttle_wait what a throttling answer without Retry-After means for the whole
                  provider: ``(now, backoff delay) -> delay``; None keeps the backoff
    secret_env    environment variables holding its secrets: scrubbed from all output
                  of every command, whichever provider it talks to
    sdk           the distributions of its SDK, whose versions ``--version`` prints
    """

    __slots__ = (
        "adapter",
        "cli",
        "default_rate",
        "id_metavar",
        "item_columns",
        "name",
        "noun",
        "retention",
        "sdk",
        "secret_env",
        "throttle_wait",
        "title",
    )

    def __init__(
        self,
        name: str,
        *,
        title: str,
        noun: str,
        adapter: str,
        cli: str | None,
        id_metavar: str = "JOB_ID",
        item_columns: tuple[tuple[str, str], ...] = (),
        retention: float | None = None,
        default_rate: float = 0.0,
        throttle_wait: Callable[[float, float], float] | None = None,
        secret_env: tuple[str, ...] = (),
        sdk: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.title = title
        self.noun = noun
        self.adapter = adapter
        self.cli = cli
        self.id_metavar = id_metavar
        self.item_columns = item_columns
        self.retention = retention
        self.default_rate = default_rate
        self.throttle_wait = throttle_wait
        self.secret_env = secret_env
        self.sdk = sdk

    def __repr__(self) -> str:
        return f"ProviderSpec({self.name})"

    @property
    def target_example(self) -> str:
        return f"{self.name}:{self.id_metavar}"

    def module(self) -> AdapterModule:
        module: Any = importlib.import_module(self.adapter)
        return module

    def validate_id(self, text: str) -> str:
        """The id as the service wants it, or a :class:`UsageError` before any request."""
        return self.module().validate_id(text)

    def reference(self, text: str) -> tuple[str, dict[str, str]]:
        """The id in ``text`` (an id, or a URL the service gave for the job, as Azure's
        ``Operation-Location``) and the settings the URL implies (its endpoint)."""
        module = self.module()
        parse = getattr(module, "parse_reference", None)
        if parse is not None and "://" in text:
            job_id, settings = parse(text)
            return job_id, settings
        return module.validate_id(text), {}

    def build(
        self, runtime: Runtime, settings: Mapping[str, Any] | None = None, *, retries: int = 3
    ) -> Adapter:
        """The adapter, configured from the runtime (environment) and ``settings`` (flags)."""
        return self.module().build(runtime, settings or {}, retries=retries)


PROVIDERS: dict[str, ProviderSpec] = {}


def register(spec: ProviderSpec) -> ProviderSpec:
    PROVIDERS[spec.name] = spec
    return spec


def unregister(name: str) -> None:
    PROVIDERS.pop(name, None)


def provider(name: str) -> ProviderSpec:
    try:
        return PROVIDERS[name]
    except KeyError:
        raise UsageError(
            f"{name!r} is not a provider.", f"Use one of: {', '.join(PROVIDERS)}."
        ) from None


def provider_of_url(text: str) -> ProviderSpec | None:
    """The provider whose adapter reads ``text`` as one of its job URLs, if any."""
    for spec in PROVIDERS.values():
        parse = getattr(spec.module(), "parse_reference", None)
        if parse is None:
            continue
        try:
            parse(text)
        except UsageError:
            continue
        return spec
    return None


def known_secrets(env: Mapping[str, str]) -> list[str]:
    """The values of every provider's secret variables set in ``env``."""
    return [
        value.strip()
        for spec in PROVIDERS.values()
        for name in spec.secret_env
        if (value := env.get(name, "")).strip()
    ]


def target_examples() -> str:
    """``alibaba:TASK_ID or azure:JOB_ID``, for help and hints."""
    examples = [spec.target_example for spec in PROVIDERS.values()]
    return " or ".join(examples) if len(examples) < 3 else ", ".join(examples)


register(
    ProviderSpec(
        "alibaba",
        title="Alibaba Cloud",
        noun="image",
        adapter="batchstat.providers.alibaba",
        cli="batchstat.cli.alibaba",
        id_metavar="TASK_ID",
        retention=3600.0,
        # The image batch APIs allow about 3 requests a second per account.
        default_rate=3.0,
        throttle_wait=until_next_minute,
        secret_env=("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN"),
        sdk=("aliyun-python-sdk-core",),
    )
)
register(
    ProviderSpec(
        "azure",
        title="Azure",
        noun="document",
        adapter="batchstat.providers.azure",
        cli="batchstat.cli.azure",
        id_metavar="JOB_ID",
        item_columns=(("TO", "target_language"),),
        secret_env=("AZURE_DOCUMENT_TRANSLATION_KEY",),
        sdk=("azure-ai-translation-document", "azure-core"),
    )
)
