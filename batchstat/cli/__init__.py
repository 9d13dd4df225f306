"""The command line: Typer parses, the providers fetch, the output modules render.

``run()`` is the one error boundary: every :class:`BatchstatError` becomes one line on
stderr and its exit code; a traceback is shown only with ``--debug``.
"""

import importlib
import sys
from typing import Annotated

import typer

from batchstat import __version__
from batchstat.errors import BatchstatError, ExitCode, redact
from batchstat.runtime import Runtime, StdoutClosed, output_error

# name -> (module, attribute, kind). A run builds only the command it was asked for:
# importing and introspecting every command costs ~15 ms a start, paid on every call in
# a shell loop. Root help, completion and unknown names get the full tree.
COMMANDS = {
    "alibaba": ("batchstat.cli.alibaba", "app", "group"),
    "azure": ("batchstat.cli.azure", "app", "group"),
    "watch": ("batchstat.cli.watch", "watch", "command"),
    "emulator": ("batchstat.cli.emulator", "emulator", "command"),
    "demo": ("batchstat.cli.demo", "demo", "command"),
}


def build_app(only: str | None = None) -> typer.Typer:
    """The Typer app with every command, or with just ``only``."""
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
    app.callback()(root)
    for name, (module_name, attribute, kind) in COMMANDS.items():
        if only is not None and name != only:
            continue
        target = getattr(importlib.import_module(module_name), attribute)
        if kind == "group":
            app.add_typer(target, name=name)
        else:
            app.command(name)(target)
    return app


def _requested_command(argv: list[str]) -> str | None:
    for arg in argv:
        if arg in ("--help", "-h"):
            return None
        if not arg.startswith("-"):
            return arg if arg in COMMANDS else None
    return None


def _version(value: bool) -> None:
    if value:
        typer.echo(f"batchstat {__version__}")
        raise typer.Exit(0)


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


def _report(runtime: Runtime, err: BatchstatError) -> int:
    """The one line of an error (``error: ... Hint: ...``); returns its exit code."""
    text = f"error: {err.message}"
    if err.hint:
        text += f" Hint: {err.hint}"
    _say(runtime, text)
    return int(err.exit_code)


def run(argv: list[str] | None = None, runtime: Runtime | None = None) -> int:
    """Run batchstat with ``argv``; return the exit code. Never raises."""
    runtime = runtime or Runtime()
    if "_BATCHSTAT_COMPLETE" in runtime.env:
        # Shell completion request (see completions/): only then load Typer's shells.
        from typer._completion_classes import completion_init

        completion_init()
    args = list(sys.argv[1:] if argv is None else argv)
    only = None if "_BATCHSTAT_COMPLETE" in runtime.env else _requested_command(args)
    command = typer.main.get_command(build_app(only))
    try:
        result = command.main(args=argv, prog_name="batchstat", standalone_mode=False, obj=runtime)
        return int(result or 0)
    except BatchstatError as err:
        return _report(runtime, err)
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
    except (BrokenPipeError, StdoutClosed):
        # stdout closed early (| head): end quietly.
        return ExitCode.OK
    except OSError as err:  # a stream written outside runtime.out (help, --version) refused it
        return _report(runtime, output_error(err))
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
    except OSError as err:  # what was still buffered could not be written
        code = _report(Runtime(), output_error(err)) if code == 0 else code
    finally:
        # Silence the interpreter's own complaint about a closed stdout at exit.
        try:
            import os

            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
    sys.exit(code)
