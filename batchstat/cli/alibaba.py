"""``batchstat alibaba ...``: Alibaba Cloud machine translation image batches."""

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

app = typer.Typer(
    help="Alibaba Cloud machine translation: image batch jobs (GetTranslateImageBatchResult)."
    "\n\nExample: batchstat alibaba get EEA28E6D-4828-5031-BD8C-8FF1B3216842",
    no_args_is_help=True,
)


def _regions(incomplete: str) -> list[str]:
    """Completes --region: the regions machine translation serves."""
    from batchstat.providers.alibaba import KNOWN_REGIONS

    return [region for region in KNOWN_REGIONS if region.startswith(incomplete)]


# This provider's options of `batchstat watch`.
WATCH_OPTIONS = (
    ProviderOption(
        "--alibaba-endpoint",
        "endpoint",
        metavar="URL",
        help="Alibaba endpoint [env BATCHSTAT_ALIBABA_ENDPOINT].",
    ),
    ProviderOption(
        "--region",
        "region",
        metavar="REGION",
        help="Alibaba region [env ALIBABA_CLOUD_REGION_ID].",
        complete=_regions,
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
            autocompletion=recent_ids("alibaba"),
        ),
    ],
    region: Annotated[
        str | None,
        typer.Option(
            "--region",
            metavar="REGION",
            help="Region id [env ALIBABA_CLOUD_REGION_ID; default cn-hangzhou].",
            autocompletion=_regions,
        ),
    ] = None,
    endpoint: EndpointOption = None,
    output: OutputOption = "table",
    query: QueryOption = None,
    exit_status: ExitStatusOption = False,
    retries: RetriesOption = 3,
    wide: WideOption = False,
    summary: SummaryOption = None,
    junit: JunitOption = None,
    download: DownloadOption = None,
    with_inpainting: Annotated[
        bool,
        typer.Option(
            "--with-inpainting",
            help="With --download: also save each image's inpainting background and "
            "editor template JSON.",
        ),
    ] = False,
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
        summary=summary,
        junit=junit,
        download=download,
        with_inpainting=with_inpainting,
    )
    raise typer.Exit(runtime_of(ctx).dispatch(request, run_get))
