"""What each command does, as plain code: a request object in, an exit code out.

The Typer commands in ``batchstat/cli/`` only turn flags into these requests (like
GitHub CLI's options structs); everything that runs lives here, testable without Typer.
"""
