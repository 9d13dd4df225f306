"""Pieces every command shares: the options that mean the same everywhere, the runtime."""

from collections.abc import Callable
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from batchstat.output.formats import FORMATS
from batchstat.runtime import Runtime

# The choices of -o, from the one table of formats (Typer reads choices from an Enum).
if TYPE_CHECKING:
    OutputName = str
else:
    OutputName = Enum("OutputName", {name: name for name in FORMATS}, type=str)


def output_name(value: Any) -> str:
    """The format name a parsed ``-o`` stands for."""
    return str(getattr(value, "value", value))


def output_option(help: str) -> Any:
    return typer.Option("--output", "-o", case_sensitive=False, help=help)


OutputOption = Annotated[
    OutputName, output_option("table for people, json for scripts, ndjson for one line a job.")
]
QueryOption = Annotated[
    str | None,
    typer.Option(
        "--query",
        metavar="JMESPATH",
        help="JMESPath expression applied to the JSON document (implies -o json); "
        "a bare scalar prints as itself, e.g. 'summary.failed'.",
    ),
]
ExitStatusOption = Annotated[
    bool,
    typer.Option(
        "--exit-status",
        help="Exit with the job's outcome: 0 succeeded, 1 failed or cancelled, "
        "3 partially succeeded, 8 not finished yet.",
    ),
]
RetriesOption = Annotated[
    int,
    typer.Option(
        "--retries",
        min=0,
        max=20,
        help="Retries for throttling, server errors and network failures.",
    ),
]
WideOption = Annotated[
    bool,
    typer.Option(
        "--wide",
        help="Keep the column layout whatever the width (on a terminal, item rows "
        "wider than it are otherwise shown one block per item).",
    ),
]
EndpointOption = Annotated[
    str | None,
    typer.Option(
        "--endpoint",
        metavar="URL",
        help="Service endpoint (scheme://host[:port]); http only for loopback.",
    ),
]


class ProviderOption:
    """A provider's own option of ``watch`` (declared in its CLI module as
    ``WATCH_OPTIONS``): the flag, and the adapter setting its value goes to; ``complete``
    is its shell completer (Typer's ``autocompletion``), if any."""

    __slots__ = ("complete", "flag", "help", "metavar", "setting")

    def __init__(
        self,
        flag: str,
        setting: str,
        *,
        metavar: str,
        help: str,
        complete: Callable[..., Any] | None = None,
    ) -> None:
        self.flag = flag
        self.setting = setting
        self.metavar = metavar
        self.help = help
        self.complete = complete

    @property
    def param(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


def given_options(ctx: typer.Context) -> list[str]:
    """The options given on the command line, as arguments that give them again (for the
    line that resumes a watch): every one that changes behaviour, none left at default."""
    out: list[str] = []
    for param in ctx.command.params:
        if param.param_type_name != "option" or param.name is None:
            continue
        source = ctx.get_parameter_source(param.name)
        if source is None or source.name != "COMMANDLINE":
            continue
        value = ctx.params.get(param.name)
        flag = max(param.opts, key=len)  # the long form
        if getattr(param, "is_flag", False):
            secondary = getattr(param, "secondary_opts", None)
            out.append(flag if value or not secondary else max(secondary, key=len))
        elif value is not None:
            out += [flag, str(getattr(value, "value", value))]
    return out


def runtime_of(ctx: typer.Context) -> Runtime:
    """The run's :class:`Runtime` (the one ``run()`` was given)."""
    obj = ctx.find_root().obj
    if not isinstance(obj, Runtime):  # invoked without run(): e.g. Typer's own test runner
        obj = Runtime()
        ctx.find_root().obj = obj
    return obj


# The CI reports and downloads of `get` (both providers); watch words its own help.
SummaryOption = Annotated[
    str | None,
    typer.Option(
        "--summary",
        metavar="FILE",
        help="Write a Markdown summary to FILE (GITHUB_STEP_SUMMARY, when set, has it "
        "appended anyway).",
    ),
]
JunitOption = Annotated[
    str | None,
    typer.Option(
        "--junit",
        metavar="FILE",
        help="Write a JUnit XML report to FILE: a test suite per job, a test case per item.",
    ),
]
DownloadOption = Annotated[
    str | None,
    typer.Option(
        "--download",
        metavar="DIR",
        help="Save the results of finished jobs in DIR/PROVIDER/JOB_ID/ with a "
        "manifest.json; run again, it fetches only what is missing.",
    ),
]
