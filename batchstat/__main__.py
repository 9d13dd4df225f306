"""The ``batchstat`` console script and ``python -m batchstat``."""


def main() -> None:
    # A short command is mostly start-up: importing Typer and an SDK creates a few hundred
    # thousand long-lived objects, and the cyclic collector walks them again and again
    # (measured: ~28 M instructions, a twentieth of an `alibaba get`). Nothing a short
    # command creates needs the collector, so it runs without it; the long-running
    # commands (watch, emulator, demo) turn it back on. Off before Typer is imported.
    import gc

    gc.disable()
    from batchstat.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
