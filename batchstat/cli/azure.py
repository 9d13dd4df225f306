"""``batchstat azure ...``: Azure AI Translator document translation batches."""

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
    help="Azure AI Translator: document translation batch jobs.",
    no_args_is_help=True,
)


@app.command("get")
def get(
    ctx: typer.Context,
    job_id: Annotated[str, typer.Argument(metavar="JOB_ID", help="The job id (a UUID).")],
    endpoint: EndpointOption = None,
    api_version: Annotated[
        str,
        typer.Option(
            "--api-version", metavar="VERSION", help="2024-05-01 (the reference) or 2026-03-01."
        ),
    ] = "2024-05-01",
    documents: Annotated[
        bool,
        typer.Option(
            "--documents/--no-documents",
            help="Include per-document statuses and result URLs (all pages).",
        ),
    ] = True,
    output: OutputOption = OutputFormat.table,
    query: QueryOption = None,
    exit_status: ExitStatusOption = False,
    retries: RetriesOption = 3,
) -> None:
    """Show the status, summary counts and per-document results of a translation job.

    The endpoint comes from --endpoint or AZURE_DOCUMENT_TRANSLATION_ENDPOINT (the resource's
    custom-domain endpoint), the key from AZURE_DOCUMENT_TRANSLATION_KEY.

    Example: batchstat azure get 727bf148-f327-47a0-9481-abae6362f11e --query summary
    """
    from batchstat.output.jsondoc import compile_query
    from batchstat.providers.azure import AzureConfig, AzureProvider, validate_job_id

    runtime = runtime_of(ctx)
    job_id = validate_job_id(job_id)
    compiled = compile_query(query)
    config = AzureConfig.from_env(runtime, endpoint=endpoint, api_version=api_version)
    record = AzureProvider(config, runtime, retries=retries).get(job_id, documents=documents)
    render_record(record, runtime, output, compiled)
    raise typer.Exit(finish_get(record, runtime, exit_status=exit_status))
