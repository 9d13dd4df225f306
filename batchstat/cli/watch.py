"""``batchstat watch``: flags in, a :class:`WatchRequest` out; ``commands.watch`` runs it.

Every provider adds its own options (``WATCH_OPTIONS`` in its CLI module, and
``--NAME-rate``): :func:`command` builds the signature Typer reads from the registry.
"""

import importlib
import inspect
from collections.abc import Callable
from typing import Annotated, Any, cast

import typer

from batchstat.cli.common import (
    OutputName,
    ProviderOption,
    QueryOption,
    WideOption,
    given_options,
    output_name,
    output_option,
    runtime_of,
)
from batchstat.cli.completion import recent_targets
from batchstat.providers import PROVIDERS


def watch(
    ctx: typer.Context,
    targets: Annotated[
        list[str],
        typer.Argument(
            metavar="TARGET...",
            help="PROVIDER:ID, e.g. alibaba:TASK_ID or azure:JOB_ID; "
            "'-' reads targets from stdin, one per line.",
            autocompletion=recent_targets,
        ),
    ],
    interval: Annotated[
        str,
        typer.Option(
            "--interval",
            metavar="DURATION",
            help="Time between polls of a job, unless the "
            "service asks for longer with Retry-After (1s to 1h, e.g. 5s, 1m).",
        ),
    ] = "5s",
    timeout: Annotated[
        str | None,
        typer.Option(
            "--timeout",
            metavar="DURATION",
            help="Give up after this long (at least 1s): exit 6 with a resume command.",
        ),
    ] = None,
    stall_warning: Annotated[
        str,
        typer.Option(
            "--stall-warning",
            metavar="DURATION",
            help="Warn once when a running job shows no progress for this long (0 disables).",
        ),
    ] = "10m",
    output: Annotated[
        OutputName,
        output_option("table or json at the end, or ndjson: one event per state change."),
    ] = "table",
    query: QueryOption = None,
    wide: WideOption = False,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print nothing but the result.")
    ] = False,
    documents: Annotated[
        bool,
        typer.Option(
            "--documents/--no-documents",
            help="List each finished job's documents with their result URLs (one listing "
            "per job, at its end); Alibaba's images come with the status anyway.",
        ),
    ] = True,
    max_errors: Annotated[
        int,
        typer.Option(
            "--max-errors",
            min=0,
            help="Consecutive transient failures "
            "(throttling, 5xx, network) a job may meet before the watch gives up on it.",
        ),
    ] = 10,
    summary: Annotated[
        str | None,
        typer.Option(
            "--summary",
            metavar="FILE",
            help="Write a Markdown summary of the jobs to FILE (GITHUB_STEP_SUMMARY, when "
            "set, has it appended anyway).",
        ),
    ] = None,
    junit: Annotated[
        str | None,
        typer.Option(
            "--junit",
            metavar="FILE",
            help="Write a JUnit XML report to FILE: a test suite per job, a test case per "
            "image or document, failed ones as failures.",
        ),
    ] = None,
    fail_fast: Annotated[
        bool,
        typer.Option(
            "--fail-fast",
            help="Stop at the first job that ends failed or cancelled: exit 1 and print "
            "the others' last states, without waiting for them.",
        ),
    ] = False,
    download: Annotated[
        str | None,
        typer.Option(
            "--download",
            metavar="DIR",
            help="Save each job's results in DIR/PROVIDER/JOB_ID/ the moment it ends "
            "(before they can expire), with a manifest.json.",
        ),
    ] = None,
    with_inpainting: Annotated[
        bool,
        typer.Option(
            "--with-inpainting",
            help="With --download: also save each image's inpainting background and "
            "editor template JSON (image jobs).",
        ),
    ] = False,
    **provider_flags: Any,
) -> None:
    """Watch one or many jobs until they finish, then print their final state.

    Jobs are polled concurrently, each no sooner than the service's Retry-After. The exit
    code is the worst outcome, in this order: 143 terminated, 130 interrupted, 5 auth,
    7 unavailable, 6 timed out, 4 not found, 1 failed or cancelled, 3 partially succeeded,
    0 succeeded.

    Example: batchstat watch alibaba:EEA28E6D-4828-5031-BD8C-8FF1B3216842 \\
    azure:727bf148-f327-47a0-9481-abae6362f11e --timeout 30m
    """
    from batchstat.commands.watch import WatchRequest, run_watch
    from batchstat.durations import parse_duration

    rates: dict[str, float] = {}
    settings: dict[str, dict[str, Any]] = {}
    for name in PROVIDERS:
        rate = provider_flags.get(f"{name}_rate")
        if rate is not None:
            rates[name] = rate
        settings[name] = {
            option.setting: provider_flags.get(option.param) for option in watch_options(name)
        }
    request = WatchRequest(
        targets=list(targets),
        interval=parse_duration(interval, option="--interval", minimum=1.0, maximum=3600.0),
        timeout=None
        if timeout is None
        else parse_duration(timeout, option="--timeout", minimum=1.0),
        stall_warning=parse_duration(stall_warning, option="--stall-warning"),
        output=output_name(output),
        query=query,
        wide=wide,
        quiet=quiet,
        max_errors=max_errors,
        items=documents,
        rates=rates,
        settings=settings,
        # The global options too (they work after the command), e.g. --ca-bundle.
        resume_options=given_options(cast(typer.Context, ctx.find_root())) + given_options(ctx),
        summary=summary,
        junit=junit,
        fail_fast=fail_fast,
        download=download,
        with_inpainting=with_inpainting,
    )
    raise typer.Exit(runtime_of(ctx).dispatch(request, run_watch))


def watch_options(name: str) -> tuple[ProviderOption, ...]:
    """A provider's own ``watch`` options, from its CLI module."""
    cli = PROVIDERS[name].cli
    if cli is None:
        return ()
    return tuple(getattr(importlib.import_module(cli), "WATCH_OPTIONS", ()))


_BASE_SIGNATURE = inspect.signature(watch)


def command() -> Callable[..., None]:
    """``watch`` with one keyword parameter per provider option of the registered
    providers, so Typer declares, parses and documents them like the others."""
    params = [
        p
        for p in _BASE_SIGNATURE.parameters.values()
        if p.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    for name, spec in PROVIDERS.items():
        params.append(
            _keyword(
                f"{name}_rate",
                Annotated[
                    float | None,
                    typer.Option(
                        f"--{name}-rate",
                        min=0.0,
                        metavar="R",
                        help=f"{spec.title} requests per second, shared by all its jobs "
                        f"(default {spec.default_rate:g}; 0: no limit but the service's own).",
                    ),
                ],
            )
        )
        for option in watch_options(name):
            params.append(
                _keyword(
                    option.param,
                    Annotated[
                        str | None,
                        typer.Option(
                            option.flag,
                            metavar=option.metavar,
                            help=option.help,
                            autocompletion=option.complete,
                        ),
                    ],
                )
            )
    watch.__signature__ = _BASE_SIGNATURE.replace(parameters=params)  # type: ignore[attr-defined]
    return watch


def _keyword(name: str, annotation: Any) -> inspect.Parameter:
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=annotation
    )
