"""The command line: Typer parses, the providers fetch, the output modules render.

``run()`` is the one error boundary: every :class:`BatchstatError` becomes one line on
stderr and its exit code; a traceback is shown only with ``--debug``.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from batchstat import __version__
from batchstat.cli import alibaba, azure, demo, emulator, watch
from batchstat.errors import BatchstatError, ExitCode, redact
from batchstat.runtime import Runtime

app = typer.Typer(
    name="batchstat",
    help="Is my batch translation done, what came out, and did anything fail?\n\n"
    "Checks and watches Alibaba Cloud image batch translation and Azure document "
    "translation jobs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(alibaba.app, name="alibaba")
app.add_typer(azure.app, name="azure")
app.command("watch")(watch.watch)
app.command("emulator")(emulator.emulator)
app.command("demo")(demo.demo)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"batchstat {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks of internal errors.")
    ] = False,
) -> None:
    from batchstat.cli.common import runtime_of

    runtime_of(ctx).debug = debug


def _say(runtime: Runtime, text: str) -> None:
    try:
        runtime.err.write(redact(text, runtime.secrets) + "\n")
        runtime.err.flush()
    except (OSError, ValueError):
        pass


def run(argv: list[str] | None = None, runtime: Runtime | None = None) -> int:
    """Run batchstat with ``argv``; return the exit code. Never raises."""
    runtime = runtime or Runtime()
    if "_BATCHSTAT_COMPLETE" in runtime.env:
        # Shell completion request (see completions/): only then load Typer's shells.
        from typer._completion_classes import completion_init

        completion_init()
    command = typer.main.get_command(app)
    try:
        result = command.main(args=argv, prog_name="batchstat", standalone_mode=False, obj=runtime)
        return int(result or 0)
    except BatchstatError as err:
        text = f"error: {err.message}"
        if err.hint:
            text += f" Hint: {err.hint}"
        _say(runtime, text)
        return int(err.exit_code)
    except typer.Exit as exit_:
        return int(exit_.exit_code)
    except typer.TyperException as err:  # Typer's usage errors (bad option, missing argument)
        if type(err).__name__ == "NoArgsIsHelpError":
            _say(runtime, err.format_message())
        else:
            _say(runtime, f"error: {err.format_message()} (see 'batchstat --help')")
        return ExitCode.USAGE
    except (typer.Abort, KeyboardInterrupt):
        _say(runtime, "interrupted")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # stdout closed early (| head): end quietly.
        return ExitCode.OK
    except Exception as err:  # the last net: one line, the traceback only on request
        if runtime.debug:
            import traceback

            _say(runtime, traceback.format_exc())
        first = str(err).splitlines()[0] if str(err) else ""
        _say(
            runtime,
            f"internal error: {type(err).__name__}: {first} "
            "(rerun with --debug for details and report it)",
        )
        return ExitCode.INTERNAL


def main() -> None:
    code = run(sys.argv[1:])
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        pass
    finally:
        # Silence the interpreter's own complaint about a closed stdout at exit.
        try:
            import os

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
    sys.exit(code)
