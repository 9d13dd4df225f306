"""``batchstat azure ...``: Azure AI Translator document translation batches."""

from typing import Annotated

import typer

from batchstat.cli.common import (
    EndpointOption,
    ExitStatusOption,
    OutputOption,
    ProviderOption,
    QueryOption,
    RetriesOption,
    WideOption,
    output_name,
    runtime_of,
)
from batchstat.providers.azure import API_VERSIONS, DEFAULT_API_VERSION

app = typer.Typer(
    help="Azure AI Translator: document translation batch jobs.",
    no_args_is_help=True,
)

_API_VERSION_HELP = f"{' or '.join(API_VERSIONS)} (default {DEFAULT_API_VERSION}, the reference)."

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
        ),
    ],
    endpoint: EndpointOption = None,
    api_version: Annotated[
        str | None, typer.Option("--api-version", metavar="VERSION", help=_API_VERSION_HELP)
    ] = None,
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
        settings={"endpoint": endpoint, "api_version": api_version},
        output=output_name(output),
        query=query,
        exit_status=exit_status,
        retries=retries,
        wide=wide,
        items=documents,
    )
    raise typer.Exit(runtime_of(ctx).dispatch(request, run_get))
