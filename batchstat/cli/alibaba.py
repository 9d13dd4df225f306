"""``batchstat alibaba ...``: Alibaba Cloud machine translation image batches."""

from typing import Annotated

import typer

from batchstat.cli.common import (
    EndpointOption,
    ExitStatusOption,
    OutputFormat,
    OutputOption,
    QueryOption,
    RetriesOption,
    finish_get,
    render_record,
    runtime_of,
)

app = typer.Typer(
    help="Alibaba Cloud machine translation: image batch jobs (GetTranslateImageBatchResult).",
    no_args_is_help=True,
)


@app.command("get")
def get(
    ctx: typer.Context,
    task_id: Annotated[
        str, typer.Argument(metavar="TASK_ID", help="TaskId from TranslateImageBatch.")
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
    output: OutputOption = OutputFormat.table,
    query: QueryOption = None,
    exit_status: ExitStatusOption = False,
    retries: RetriesOption = 3,
) -> None:
    """Show the status and per-image results of an image batch job.

    Credentials come from ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET
    (plus ALIBABA_CLOUD_SECURITY_TOKEN for STS); BATCHSTAT_ALIBABA_ENDPOINT overrides the endpoint.

    Example: batchstat alibaba get EEA28E6D-4828-5031-BD8C-8FF1B3216842 -o json
    """
    from batchstat.output.jsondoc import compile_query
    from batchstat.providers.alibaba import AlibabaConfig, AlibabaProvider, validate_task_id

    runtime = runtime_of(ctx)
    validate_task_id(task_id)
    compiled = compile_query(query)
    config = AlibabaConfig.from_env(runtime, region=region, endpoint=endpoint)
    record = AlibabaProvider(config, runtime, retries=retries).get(task_id)
    render_record(record, runtime, output, compiled)
    raise typer.Exit(finish_get(record, runtime, exit_status=exit_status))
