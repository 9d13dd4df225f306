"""The jobs batchstat was recently asked about, so a shell can complete their ids.

``get`` and ``watch`` append the ids they were asked for (with a watch target's label) to
a small file; ``batchstat completion`` reads it back, most recent first. The file holds
provider names, job ids and labels only (never a URL, an endpoint or a credential), one
``PROVIDER<tab>ID<tab>LABEL`` line each, and stays small: past ``TRIM_BYTES`` it is
rewritten with the last ``LIMIT`` distinct jobs. Writing it never fails a command.

Where it lives (only ``runtime.env`` is read, so tests point it anywhere):

- ``BATCHSTAT_HISTORY=0`` (or ``off``, ``false``, ``no``): no history at all;
- ``BATCHSTAT_HISTORY=PATH``: that file;
- else ``$XDG_STATE_HOME/batchstat/history`` when ``XDG_STATE_HOME`` is an absolute path;
- else ``%LOCALAPPDATA%\\batchstat\\history`` on Windows,
  ``~/Library/Application Support/batchstat/history`` on macOS,
  ``~/.local/state/batchstat/history`` elsewhere; no ``HOME``: no history.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping

LIMIT = 200  # distinct jobs kept
# Trimmed back to LIMIT jobs past this size: LIMIT of the longest ids (256 characters)
# fit, so a trim is rare (about every 1,000 jobs with ids of ~60 characters).
TRIM_BYTES = 64 * 1024
ENV = "BATCHSTAT_HISTORY"
_OFF = ("0", "off", "false", "no")
_ON = ("", "1", "on", "true", "yes")


class Entry:
    """One job: its provider, id and the last label it was watched with (or None)."""

    __slots__ = ("id", "label", "provider")

    def __init__(self, provider: str, job_id: str, label: str | None = None) -> None:
        self.provider = provider
        self.id = job_id
        self.label = label

    def __repr__(self) -> str:
        return f"Entry({self.provider!r}, {self.id!r}, {self.label!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Entry) and (self.provider, self.id, self.label) == (
            other.provider,
            other.id,
            other.label,
        )


def history_path(env: Mapping[str, str]) -> str | None:
    """The history file for this environment, or None when there is to be none."""
    setting = env.get(ENV, "").strip()
    if setting.lower() in _OFF:
        return None
    if setting.lower() not in _ON:
        return setting
    state = env.get("XDG_STATE_HOME", "")
    if os.path.isabs(state):  # the XDG spec: a relative value is to be ignored
        base = state
    elif sys.platform == "win32":
        base = env.get("LOCALAPPDATA", "")
        if not base:
            return None
    else:
        home = env.get("HOME", "")
        if not home:
            return None
        if sys.platform == "darwin":
            base = os.path.join(home, "Library", "Application Support")
        else:
            base = os.path.join(home, ".local", "state")
    return os.path.join(base, "batchstat", "history")


def _field(text: str | None) -> str:
    """A value that cannot break the line format (ids are validated; labels are typed)."""
    if not text or not text.isprintable() or "\t" in text:
        return ""
    return text


def remember(
    env: Mapping[str, str],
    jobs: Iterable[tuple[str, str, str | None]],
    secrets: Iterable[str] = (),
) -> None:
    """Append ``(provider, id, label)`` jobs to the history. Never raises ``OSError``: a
    read-only home or a full disk costs the completion, not the command."""
    path = history_path(env)
    if path is None:
        return
    known = [s for s in secrets if s and len(s) >= 4]
    lines = []
    for provider, job_id, label in jobs:
        job_id, label = _field(job_id), _field(label)
        if not job_id or any(s in job_id or s in label for s in known):
            continue  # never write a secret, even one a user passed as an id or a label
        lines.append(f"{provider}\t{job_id}\t{label}\n")
    if not lines:
        return
    try:
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        # O_APPEND: concurrent runs add whole lines; 0600: it is the user's own business.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with open(fd, "a", encoding="utf-8") as file:
            file.write("".join(lines))
            size = file.tell()
        if size > TRIM_BYTES:
            _trim(path)
    except (OSError, ValueError):
        pass


def _trim(path: str) -> None:
    """Rewrite the file with its last ``LIMIT`` distinct jobs (atomically: a reader sees
    the old file or the new one)."""
    kept = list(reversed(_read(path)))  # oldest first, as written
    temporary = f"{path}.{os.getpid()}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "w", encoding="utf-8") as file:
        file.writelines(f"{e.provider}\t{e.id}\t{e.label or ''}\n" for e in kept)
    os.replace(temporary, path)


def _read(path: str) -> list[Entry]:
    """The distinct jobs in the file, most recent first, at most ``LIMIT``; a job keeps
    the last label it was given."""
    with open(path, encoding="utf-8", errors="replace") as file:
        lines = file.read().splitlines()
    latest: dict[tuple[str, str], Entry] = {}
    for line in reversed(lines):
        parts = line.split("\t")
        if len(parts) != 3 or not parts[0] or not parts[1]:
            continue  # a torn or foreign line
        key = (parts[0], parts[1])
        entry = latest.get(key)
        if entry is None:
            if len(latest) == LIMIT:
                break
            latest[key] = Entry(parts[0], parts[1], parts[2] or None)
        elif entry.label is None and parts[2]:
            entry.label = parts[2]
    return list(latest.values())


def recent(env: Mapping[str, str], provider: str | None = None) -> list[Entry]:
    """The jobs in the history, most recent first (only ``provider``'s, if given)."""
    path = history_path(env)
    if path is None:
        return []
    try:
        entries = _read(path)
    except (OSError, ValueError):
        return []
    return [e for e in entries if provider is None or e.provider == provider]
