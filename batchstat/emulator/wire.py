"""Transport-neutral request and reply objects, so provider logic never touches sockets."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


class HeaderDict(Mapping[str, str]):
    """Read-only header map whose lookups ignore case. Repeated headers are joined with ", "."""

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: dict[str, str] = {}
        for name, value in items:
            key = name.lower()
            self._items[key] = f"{self._items[key]}, {value}" if key in self._items else value

    def __getitem__(self, name: str) -> str:
        return self._items[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"HeaderDict({self._items!r})"


@dataclass(frozen=True)
class Request:
    """One HTTP request as the providers see it."""

    method: str
    target: str  # path plus query, as sent
    path: str
    query: dict[str, str]  # decoded; the last value wins
    headers: HeaderDict
    body: bytes
    base_url: str  # scheme://host:port the client used, for links back to the emulator


@dataclass
class Reply:
    """What to answer; `drop` closes the connection without answering.

    `delivery` says how the bytes leave (the server carries it out; see Fault for each kind).
    `chunks` replaces `body` for answers too big to build whole; `length` is then their total.
    """

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    delay: float = 0.0  # real seconds to wait before answering (the "slow" fault)
    fault: str | None = None
    delivery: str = "whole"  # or "trickle", "stall", "reset", "truncate"
    byte_delay: float = 0.0  # trickle: real seconds before each body byte
    chunks: Iterator[bytes] | None = None
    length: int | None = None


def json_reply(status: int, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Reply(status, body, JSON_CONTENT_TYPE, dict(headers or {}))


def text_reply(status: int, text: str, content_type: str = "text/plain; charset=utf-8") -> Reply:
    return Reply(status, text.encode("utf-8"), content_type)
