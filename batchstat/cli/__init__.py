"""The command line: Typer parses, the providers fetch, the output modules render.

``run()`` is the one error boundary: every :class:`BatchstatError` becomes one line on
stderr and its exit code; a traceback is shown only with ``--debug``.
"""

import functools
import importlib
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from batchstat import __version__
from batchstat.errors import BatchstatError, ExitCode, Terminated
from batchstat.providers import PROVIDERS, known_secrets
from batchstat.runtime import Runtime, StdoutClosed, output_error


class Command:
    """A top-level command, registered by module and attribute name so a run imports only
    the command it was asked for (importing and introspecting every command costs ~15 ms
    a start, paid on every call in a shell loop).

    kind: ``group`` (a Typer app), ``command`` (a function) or ``factory`` (a function
    that returns the command function).
    long_running: the console script starts with Python's cyclic garbage collector off
    (``batchstat/__main__.py``: a short command is mostly start-up, and the collector
    walks its long-lived objects again and again); commands that run for minutes turn it
    back on before they start.
    """

    __slots__ = ("attribute", "kind", "long_running", "module")

    def __init__(self, module: str, attribute: str, kind: str, *, long_running: bool) -> None:
        self.module = module
        self.attribute = attribute
        self.kind = kind
        self.long_running = long_running


def commands() -> dict[str, Command]:
    """Every top-level command: one group per registered provider, then the rest."""
    table = {
        name: Command(spec.cli, "app", "group", long_running=False)
        for name, spec in PROVIDERS.items()
        if spec.cli is not None
    }
    table["watch"] = Command("batchstat.cli.watch", "command", "factory", long_running=True)
    table["emulator"] = Command("batchstat.cli.emulator", "emulator", "command", long_running=True)
    table["demo"] = Command("batchstat.cli.demo", "demo", "command", long_running=True)
    return table


def _garbage_collected(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function``, run with the cyclic garbage collector on (see ``Command``)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import gc

        gc.enable()
        return function(*args, **kwargs)

    return wrapper


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
        # -h as well as --help, on every command (subcommands inherit it).
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(root)
    for name, command in commands().items():
        if only is not None and name != only:
            continue
        target = getattr(importlib.import_module(command.module), command.attribute)
        if command.kind == "group":  # provider groups: short commands
            app.add_typer(target, name=name)
            continue
        if command.kind == "factory":
            target = target()
        if command.long_running:
            target = _garbage_collected(target)
        app.command(name)(target)
    return app


def _requested_command(argv: list[str]) -> str | None:
    for arg in argv:
        if arg in ("--help", "-h"):
            return None
        if not arg.startswith("-"):
            return arg if arg in commands() else None
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
    ca_bundle: Annotated[
        str | None,
        typer.Option(
            "--ca-bundle",
            metavar="FILE",
            help="PEM file of the CA certificates to trust for https (a corporate proxy's "
            "or private CA); default: REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, the system's.",
        ),
    ] = None,
) -> None:
    from batchstat.cli.common import runtime_of

    runtime = runtime_of(ctx)
    runtime.debug = debug
    if ca_bundle is not None:  # else keep what the runtime was given
        from batchstat.endpoints import ca_bundle as checked_bundle

        # Checked here, before any command runs: watch polls only once it has started.
        runtime.ca_bundle = checked_bundle(ca_bundle, {})


def _report(runtime: Runtime, err: BatchstatError) -> int:
    """The one line of an error (``error: ... Hint: ...``); returns its exit code."""
    text = f"error: {err.message}"
    if err.hint:
        text += f" Hint: {err.hint}"
    runtime.say(text)
    return int(err.exit_code)


def run(argv: list[str] | None = None, runtime: Runtime | None = None) -> int:
    """Run batchstat with ``argv``; return the exit code. Never raises."""
    runtime = runtime or Runtime()
    # Every cloud's secrets are scrubbed from whatever this command prints, not only the
    # secrets of the cloud it talks to (a server can echo anything it was ever sent).
    runtime.secrets.extend(known_secrets(runtime.env))
    if "_BATCHSTAT_COMPLETE" in runtime.env:
        # Shell completion request (see completions/): only then load Typer's shells.
        from typer._completion_classes import completion_init

        completion_init()
    args = list(sys.argv[1:] if argv is None else argv)
    only = None if "_BATCHSTAT_COMPLETE" in runtime.env else _requested_command(args)
    command = typer.main.get_command(build_app(only))
    previous = _on_sigterm(_terminate)
    try:
        result = command.main(args=argv, prog_name="batchstat", standalone_mode=False, obj=runtime)
        return int(result or 0)
    except BatchstatError as err:
        return _report(runtime, err)
    except typer.Exit as exit_:
        return int(exit_.exit_code)
    except typer.TyperException as err:  # Typer's usage errors (bad option, missing argument)
        if type(err).__name__ == "NoArgsIsHelpError":
            runtime.say_lines(err.format_message())
        else:
            ctx = getattr(err, "ctx", None)
            path = getattr(ctx, "command_path", None) or "batchstat"
            runtime.say(f"error: {err.format_message()} (see '{path} --help')")
        return ExitCode.USAGE
    except Terminated:
        runtime.say("terminated")
        return ExitCode.TERMINATED
    except (typer.Abort, KeyboardInterrupt):
        runtime.say("interrupted")
        return ExitCode.INTERRUPTED
    except (BrokenPipeError, StdoutClosed):
        # stdout closed early (| head): end quietly.
        return ExitCode.OK
    except OSError as err:  # a stream written outside runtime.out (help, --version) refused it
        return _report(runtime, output_error(err))
    except Exception as err:  # the last net: one line, the traceback only on request
        if runtime.debug:
            import traceback

            runtime.say_lines(traceback.format_exc().rstrip("\n"))
        first = str(err).splitlines()[0] if str(err) else ""
        runtime.say(
            f"internal error: {type(err).__name__}: {first} "
            "(rerun with --debug for details and report it)",
        )
        return ExitCode.INTERNAL
    finally:
        _on_sigterm(previous)


def _terminate(signum: int, frame: Any) -> None:
    raise Terminated


def _on_sigterm(handler: Any) -> Any:
    """Install ``handler`` for SIGTERM (from the main thread only; elsewhere a no-op) and
    return the one it replaces."""
    import signal
    import threading

    if handler is None or threading.current_thread() is not threading.main_thread():
        return None
    return signal.signal(signal.SIGTERM, handler)


def main() -> None:
    import os

    if sys.stderr is None:  # started with stderr closed (2>&-): messages are lost, not data
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    if sys.stdout is None:  # started with stdout closed (>&-): nowhere for the data to go
        Runtime().say(
            "error: standard output is closed, so there is nowhere to print to. "
            "Hint: Redirect it to a file or to /dev/null instead of closing it."
        )
        sys.exit(ExitCode.OUTPUT)
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
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
    sys.exit(code)
