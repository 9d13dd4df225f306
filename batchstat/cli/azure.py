"""``batchstat azure ...``: Azure AI Translator document translation batches."""

from typing import Annotated

import typer

from batchstat.cli.common import (
    DownloadOption,
    EndpointOption,
    ExitStatusOption,
    JunitOption,
    OutputOption,
    ProviderOption,
    QueryOption,
    RetriesOption,
    SummaryOption,
    WideOption,
    output_name,
    runtime_of,
)
from batchstat.cli.completion import recent_ids
from batchstat.providers.azure import API_VERSIONS, DEFAULT_API_VERSION

app = typer.Typer(
    help="Azure AI Translator: document translation batch jobs.\n\n"
    "Example: batchstat azure get 727bf148-f327-47a0-9481-abae6362f11e",
    no_args_is_help=True,
)

_API_VERSION_HELP = f"{' or '.join(API_VERSIONS)} (default {DEFAULT_API_VERSION}, the reference)."


def _api_versions(incomplete: str) -> list[str]:
    """Completes --api-version."""
    return [version for version in API_VERSIONS if version.startswith(incomplete)]


ApiVersionOption = Annotated[
    str | None,
    typer.Option(
        "--api-version", metavar="VERSION", help=_API_VERSION_HELP, autocompletion=_api_versions
    ),
]


RegionOption = Annotated[
    str | None,
    typer.Option(
        "--region",
        metavar="REGION",
        help="Resource region, sent as Ocp-Apim-Subscription-Region (regional resources "
        "only) [env AZURE_DOCUMENT_TRANSLATION_REGION].",
    ),
]

# This provider's options of `batchstat watch`.
WATCH_OPTIONS = (
    ProviderOption(
        "--azure-endpoint",
        "endpoint",
        metavar="URL",
        help="Azure endpoint [env AZURE_DOCUMENT_TRANSLATION_ENDPOINT].",
    ),
    ProviderOption(
        "--api-version",
        "api_version",
        metavar="VERSION",
        help="Azure API version: " + _API_VERSION_HELP,
        complete=_api_versions,
    ),
    ProviderOption(
        "--azure-region",
        "region",
        metavar="REGION",
        help="Azure resource region, for regional resources [env "
        "AZURE_DOCUMENT_TRANSLATION_REGION].",
    ),
)


@app.command("get")
def get(
    ctx: typer.Context,
    job_ids: Annotated[
        list[str],
        typer.Argument(
            metavar="JOB_ID...",
            help="Job ids (UUIDs) or the Operation-Location URLs; several are fetched "
            "concurrently (a JSON array); '-' reads them from stdin.",
            autocompletion=recent_ids("azure"),
        ),
    ],
    endpoint: EndpointOption = None,
    api_version: ApiVersionOption = None,
    region: RegionOption = None,
    documents: Annotated[
        bool,
        typer.Option(
            "--documents/--no-documents",
            help="Include per-document statuses and result URLs (all pages).",
        ),
    ] = True,
    output: OutputOption = "table",
    query: QueryOption = None,
    exit_status: ExitStatusOption = False,
    retries: RetriesOption = 3,
    wide: WideOption = False,
    summary: SummaryOption = None,
    junit: JunitOption = None,
    download: DownloadOption = None,
) -> None:
    """Show the status, summary counts and per-document results of translation jobs.

    The endpoint comes from --endpoint or AZURE_DOCUMENT_TRANSLATION_ENDPOINT (the resource's
    custom-domain endpoint), the key from AZURE_DOCUMENT_TRANSLATION_KEY.

    Example: batchstat azure get 727bf148-f327-47a0-9481-abae6362f11e --query summary
    """
    from batchstat.commands.get import GetRequest, run_get

    request = GetRequest(
        "azure",
        job_ids,
        settings={"endpoint": endpoint, "api_version": api_version, "region": region},
        output=output_name(output),
        query=query,
        exit_status=exit_status,
        retries=retries,
        wide=wide,
        summary=summary,
        junit=junit,
        items=documents,
        download=download,
    )
    raise typer.Exit(runtime_of(ctx).dispatch(request, run_get))


@app.command("list")
def list_jobs(
    ctx: typer.Context,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            metavar="STATUS",
            help="Only jobs in these statuses (repeat it, or a comma list): NotStarted, "
            "Running, Succeeded, Failed, Cancelled, Cancelling, ValidationFailed.",
        ),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="WHEN",
            help="Only jobs created since then: a duration back from now (2h, 7d) or an "
            "ISO date (2026-03-01, 2026-03-01T12:00:00Z; UTC unless it says).",
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            "--until",
            metavar="WHEN",
            help="Only jobs created until then (as --since).",
        ),
    ] = None,
    top: Annotated[
        int,
        typer.Option(
            "--top", metavar="N", min=1, max=100_000, help="At most N jobs, newest first."
        ),
    ] = 50,
    endpoint: EndpointOption = None,
    api_version: ApiVersionOption = None,
    region: RegionOption = None,
    output: OutputOption = "table",
    query: QueryOption = None,
    retries: RetriesOption = 3,
    wide: WideOption = False,
) -> None:
    """List the resource's recent translation jobs, newest first: find a lost job id.

    The service filters them (status, creation time, how many); every page is read.
    JSON is an array of job documents, each with items null (azure get has them).

    Example: batchstat azure list --since 2h --status Failed,ValidationFailed
    """
    from batchstat.commands.list import ListRequest, run_list

    request = ListRequest(
        "azure",
        settings={"endpoint": endpoint, "api_version": api_version, "region": region},
        statuses=status,
        since=since,
        until=until,
        top=top,
        output=output_name(output),
        query=query,
        retries=retries,
        wide=wide,
    )
    raise typer.Exit(runtime_of(ctx).dispatch(request, run_list))
