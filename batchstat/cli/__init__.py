"""The command line: Typer parses, the providers fetch, the output modules render.

``run()`` is the one error boundary: every :class:`BatchstatError` becomes one line on
stderr and its exit code; a traceback is shown only with ``--debug``.
"""

import functools
import importlib
import inspect
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
    table["completion"] = Command(
        "batchstat.cli.completion", "completion", "command", long_running=False
    )
    table["config"] = Command("batchstat.cli.config", "app", "group", long_running=False)
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
        "translation jobs. The options below also work after the command.\n\n"
        "Example: batchstat watch azure:727bf148-f327-47a0-9481-abae6362f11e --timeout 30m",
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


class GlobalOption:
    """An option of the whole program, given before or after the command
    (``batchstat --debug watch ...`` and ``batchstat watch ... --debug``).

    ``metavar`` makes it take a value (``--ca-bundle FILE``, also ``--ca-bundle=FILE``);
    without one it is a flag. ``apply(runtime, value)`` runs when it is given, before
    any command does; by default it sets the runtime attribute named like the option.
    """

    __slots__ = ("apply", "flag", "help", "metavar")

    def __init__(
        self,
        flag: str,
        *,
        help: str,
        metavar: str | None = None,
        apply: Callable[[Runtime, Any], None] | None = None,
    ) -> None:
        self.flag = flag
        self.help = help
        self.metavar = metavar
        self.apply = apply or (lambda runtime, value: setattr(runtime, self.param, value))

    @property
    def param(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


def _use_ca_bundle(runtime: Runtime, path: str) -> None:
    from batchstat.endpoints import ca_bundle

    # Checked here, before any command runs: watch polls only once it has started.
    runtime.ca_bundle = ca_bundle(path, {})


GLOBAL_OPTIONS = (
    GlobalOption("--debug", help="Show tracebacks of internal errors."),
    GlobalOption("--no-color", help="No colour, as NO_COLOR=1 (FORCE_COLOR=1 forces it)."),
    GlobalOption(
        "--ca-bundle",
        metavar="FILE",
        help="PEM file of the CA certificates to trust for https (a corporate proxy's "
        "or private CA); default: REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, the system's.",
        apply=_use_ca_bundle,
    ),
    # Read when a command needs them (config.py, credentials.py): see README, "Credentials".
    GlobalOption(
        "--profile",
        metavar="NAME",
        help="Profile of the config file to use [env BATCHSTAT_PROFILE; default: default].",
    ),
    GlobalOption(
        "--key-file",
        metavar="FILE",
        help="Read the Azure key from FILE ('-': stdin), not the environment.",
    ),
    GlobalOption(
        "--secret-file",
        metavar="FILE",
        help="Read the Alibaba AccessKey secret from FILE ('-': stdin).",
    ),
)


def hoist_global_options(argv: list[str]) -> list[str]:
    """``argv`` with the global options moved before the command, where Typer reads them.

    Anything after ``--`` stays where it is. A global option's name given as the value of
    a command's option (``--query --debug``) is taken as the global option.
    """
    options = {option.flag: option for option in GLOBAL_OPTIONS}
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--":
            rest += argv[index:]
            break
        option = options.get(arg.split("=", 1)[0])
        if option is None:
            rest.append(arg)
        elif option.metavar is not None and "=" not in arg:
            if index + 1 == len(argv):  # else Typer would take the command for its value
                from batchstat.errors import UsageError

                raise UsageError(
                    f"option {arg} needs a value: {arg} {option.metavar}.",
                    "See 'batchstat --help'.",
                )
            front += argv[index : index + 2]  # the option and its value
            index += 1
        else:
            front.append(arg)
        index += 1
    return front + rest


def _requested_command(argv: list[str]) -> str | None:
    """The command ``argv`` asks for, so a run builds only that one; None: build all
    (help, a typo, or no command)."""
    takes_value = {o.flag for o in GLOBAL_OPTIONS if o.metavar is not None}
    args = iter(argv)
    for arg in args:
        if arg in ("--help", "-h"):
            return None
        if arg in takes_value:
            next(args, None)  # its value is not the command
        elif not arg.startswith("-"):
            return arg if arg in commands() else None
    return None


def _version(value: bool) -> None:
    if not value:
        return
    import platform
    from importlib.metadata import PackageNotFoundError, version

    # The SDKs' versions from their metadata: importing them would cost most of a start.
    lines = [f"batchstat {__version__}"]
    for spec in PROVIDERS.values():
        for distribution in spec.sdk:
            try:
                lines.append(f"{distribution} {version(distribution)}")
            except PackageNotFoundError:
                lines.append(f"{distribution} (not installed)")
    lines.append(f"Python {platform.python_version()}")
    typer.echo("\n".join(lines))
    raise typer.Exit(0)


def root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_version,
            is_eager=True,
            help="Print the versions of batchstat, the cloud SDKs and Python.",
        ),
    ] = False,
    **options: Any,
) -> None:
    from batchstat.cli.common import runtime_of

    runtime = runtime_of(ctx)
    for option in GLOBAL_OPTIONS:
        value = options.get(option.param)
        if value is not None and value is not False:  # given; else keep the runtime's
            option.apply(runtime, value)
    from batchstat.config import command_defaults

    # The profile's output, interval and timeout: defaults that the command line overrides.
    ctx.default_map = command_defaults(runtime, ctx.command)


def _root_signature() -> inspect.Signature:
    """``root`` with one keyword parameter per global option, so Typer declares them."""
    params = [p for p in _ROOT_BASE.parameters.values() if p.kind is not p.VAR_KEYWORD]
    for option in GLOBAL_OPTIONS:
        if option.metavar is None:
            annotation: Any = Annotated[bool, typer.Option(option.flag, help=option.help)]
            default: Any = False
        else:
            annotation = Annotated[
                str | None, typer.Option(option.flag, metavar=option.metavar, help=option.help)
            ]
            default = None
        params.append(
            inspect.Parameter(
                option.param, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation
            )
        )
    return _ROOT_BASE.replace(parameters=params)


_ROOT_BASE = inspect.signature(root)
root.__signature__ = _root_signature()  # type: ignore[attr-defined]


# The variable a shell sets to ask for completions (Click's protocol, see cli/completion.py).
COMPLETE_VAR = "_BATCHSTAT_COMPLETE"

# "\b": Click keeps the lines as they are (it would cut "--ca-bundle" at its hyphen).
_GLOBAL_EPILOG = "\b\nGlobal options, before or after the command (see 'batchstat --help'):"


def _build_command(only: str | None = None) -> Any:
    """The Click command of the app (only ``only``, when given); every command's help
    ends with the global options it accepts."""
    command = typer.main.get_command(build_app(only))
    lines = [_GLOBAL_EPILOG, " "]
    for option in GLOBAL_OPTIONS:
        name = option.flag if option.metavar is None else f"{option.flag} {option.metavar}"
        if len(lines[-1]) + len(name) > 72:
            lines[-1] += ","
            lines.append(" ")
        lines[-1] += (", " if lines[-1].strip() else " ") + name
    epilog = "\n".join(lines)
    pending = list(getattr(command, "commands", {}).values())
    while pending:
        sub = pending.pop()
        pending.extend(getattr(sub, "commands", {}).values())
        sub.epilog = "\n\n".join(filter(None, [sub.epilog, epilog]))
    return command


def _report(runtime: Runtime, err: BatchstatError) -> int:
    """The one line of an error (``error: ... Hint: ...``); returns its exit code."""
    runtime.say(f"error: {err.sentence}")
    return int(err.exit_code)


def run(argv: list[str] | None = None, runtime: Runtime | None = None) -> int:
    """Run batchstat with ``argv``; return the exit code. Never raises."""
    runtime = runtime or Runtime()
    # Every cloud's secrets are scrubbed from whatever this command prints, not only the
    # secrets of the cloud it talks to (a server can echo anything it was ever sent).
    runtime.secrets.extend(known_secrets(runtime.env))
    previous = _on_sigterm(_terminate)
    try:
        args = hoist_global_options(list(sys.argv[1:] if argv is None else argv))
        if runtime.env.get(COMPLETE_VAR):  # a shell asking for completions (completions/)
            from batchstat.cli.completion import answer

            return answer(runtime, _build_command)
        command = _build_command(_requested_command(args))
        result = command.main(args=args, prog_name="batchstat", standalone_mode=False, obj=runtime)
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
