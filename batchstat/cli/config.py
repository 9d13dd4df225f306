"""``batchstat config ...``: the effective settings, and a check of each cloud's."""

from enum import Enum
from typing import Annotated

import typer

from batchstat.cli.common import runtime_of

app = typer.Typer(
    help="Settings and credentials: what batchstat uses, from where, and whether it works."
    "\n\nExample: batchstat config doctor",
    no_args_is_help=True,
)


class ConfigOutput(str, Enum):
    table = "table"
    json = "json"


OutputOption = Annotated[
    ConfigOutput,
    typer.Option(
        "--output", "-o", case_sensitive=False, help="table for people, json for scripts."
    ),
]


@app.command("show")
def show(ctx: typer.Context, output: OutputOption = ConfigOutput.table) -> None:
    """Print the effective settings of every cloud and where each came from: a flag,
    the environment, a secret file, the config file's profile (--profile,
    BATCHSTAT_PROFILE), the Alibaba Cloud CLI's profile or a default. Secrets are
    masked (****abcd). Nothing is sent.

    Example: batchstat --profile prod config show -o json
    """
    from batchstat.commands.config import ShowRequest, run_show

    request = ShowRequest(output=output.value)
    raise typer.Exit(runtime_of(ctx).dispatch(request, run_show))


@app.command("doctor")
def doctor(ctx: typer.Context, output: OutputOption = ConfigOutput.table) -> None:
    """Check each configured cloud: credentials found, endpoint reachable, credentials
    accepted (one cheap request: the status of a job that does not exist). Each check
    is ok, failing (with the fix) or skipped. Exits 0 when all pass, else as the worst
    failure: 2 configuration, 5 authentication, 7 unreachable.

    Example: batchstat config doctor
    """
    from batchstat.commands.config import DoctorRequest, run_doctor

    request = DoctorRequest(output=output.value)
    raise typer.Exit(runtime_of(ctx).dispatch(request, run_doctor))
