"""The ``batchstat`` console script and ``python -m batchstat``.

Two interpreter settings make a short run cheaper, both measured (``bench/``):

- The cyclic garbage collector is off. A short command is mostly start-up: importing
  Typer and an SDK creates a few hundred thousand long-lived objects, and the collector
  walks them again and again (~28 M instructions, a twentieth of an ``alibaba get``).
  The long-running commands (watch, emulator, demo) turn it back on.
- The exit skips the interpreter's teardown of every module and object (~58 M
  instructions, ~15 ms), as services that fork many short workers do: a handler
  registered before anything else runs last, after every other exit handler (the
  interpreter has already joined non-daemon threads by then); it flushes stdout and
  stderr and ends the process with the exit code. Whatever batchstat writes to a file
  must be closed before ``run()`` returns, which ``with`` blocks do.
"""

import sys

_exit_code: int | None = None


def main() -> None:
    global _exit_code
    import atexit
    import gc

    gc.disable()  # before Typer is imported
    atexit.register(_leave_without_teardown)
    try:
        from batchstat.cli import main as cli_main
    except KeyboardInterrupt:  # Ctrl-C while Python is still importing: no traceback
        sys.stderr.write("interrupted\n")
        _exit_code = 130
        raise SystemExit(130) from None

    try:
        cli_main()
    except SystemExit as done:
        code = done.code
        _exit_code = 0 if code is None else code if isinstance(code, int) else 1
        raise


def _leave_without_teardown() -> None:
    if _exit_code is None:  # no exit code decided (an error escaped): the usual exit
        return
    import contextlib
    import os

    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError, AttributeError):  # None when closed
            stream.flush()
    os._exit(_exit_code)


if __name__ == "__main__":
    main()
