"""``batchstat alibaba ...``: Alibaba Cloud machine translation image batches."""

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

app = typer.Typer(
    help="Alibaba Cloud machine translation: image batch jobs (GetTranslateImageBatchResult).",
    no_args_is_help=True,
)

# This provider's options of `batchstat watch`.
WATCH_OPTIONS = (
    ProviderOption(
        "--alibaba-endpoint",
        "endpoint",
        metavar="URL",
        help="Alibaba endpoint [env BATCHSTAT_ALIBABA_ENDPOINT].",
    ),
    ProviderOption(
        "--region", "region", metavar="REGION", help="Alibaba region [env ALIBABA_CLOUD_REGION_ID]."
    ),
)


@app.command("get")
def get(
    ctx: typer.Context,
    task_ids: Annotated[
        list[str],
        typer.Argument(
            metavar="TASK_ID...",
            help="TaskIds from TranslateImageBatch; several are fetched concurrently "
            "(a JSON array); '-' reads them from stdin.",
        ),
    ],
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            metavar="REGION",
            help="Region id [env ALIBABA_CLOUD_REGION_ID; default cn-hangzhou].",
        ),
    ] = None,
    endpoint: EndpointOption = None,
    output: OutputOption = "table",
    query: QueryOption = None,
    exit_status: ExitStatusOption = False,
    retries: RetriesOption = 3,
    wide: WideOption = False,
) -> None:
    """Show the status and per-image results of image batch jobs.

    Credentials come from ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET
    (plus ALIBABA_CLOUD_SECURITY_TOKEN for STS); BATCHSTAT_ALIBABA_ENDPOINT overrides the endpoint.

    Example: batchstat alibaba get EEA28E6D-4828-5031-BD8C-8FF1B3216842 -o json
    """
    from batchstat.commands.get import GetRequest, run_get

    request = GetRequest(
        "alibaba",
        task_ids,
        settings={"region": region, "endpoint": endpoint},
        output=output_name(output),
        query=query,
        exit_status=exit_status,
        retries=retries,
        wide=wide,
    )
    raise typer.Exit(runtime_of(ctx).dispatch(request, run_get))
