"""Run a floor script the way batchstat's console script runs (`batchstat/__main__.py`).

The cyclic garbage collector is off, and the exit skips the interpreter's teardown. With
these, a floor shows what batchstat costs over an equally tuned bare-SDK program, rather
than what the two settings save.

Usage: python bench/tuned.py SCRIPT [ARGS...]
"""

import atexit
import gc
import os
import sys

gc.disable()
_code = 1  # an uncaught exception: the interpreter prints it before the exit handlers


def _leave() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_code)


atexit.register(_leave)
sys.argv = sys.argv[1:]
with open(sys.argv[0], encoding="utf-8") as source:
    code = compile(source.read(), sys.argv[0], "exec")
try:
    exec(code, {"__name__": "__main__", "__file__": sys.argv[0]})
    _code = 0
except SystemExit as done:
    _code = 0 if done.code is None else done.code if isinstance(done.code, int) else 1
    raise
