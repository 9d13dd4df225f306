"""``--download DIR``: save every result file of finished jobs, safely and resumably.

Where: ``DIR/<provider>/<job id>/``, one file per result, named from its URL's path
(sanitised: no separators, no ``..``, no control characters, no clash), and
``manifest.json``: every item with its source URL, result URL, file, size and SHA-256,
or the error that kept it from being saved.

How:
- streamed with requests, never a whole file in memory, a few files at a time; each is
  written under a temporary name and renamed only when complete (and as long as its
  Content-Length said); transient failures (connection, 5xx, 429, a cut body) are retried
  with backoff;
- run again, it keeps the files the manifest vouches for (size and SHA-256 checked on
  disk) and fetches only the others;
- result URLs get none of our credentials: a session of its own with no auth, no
  ``.netrc``, no cookies; https only (plain http to loopback, for the emulator); proxies
  and CA bundle from the runtime's environment.

``get`` and ``watch`` import this module only with ``--download``; requests, hashlib and
the thread pool only when something is fetched.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin, urlsplit

from batchstat.bodies import limit
from batchstat.errors import BatchstatError, ExitCode, OutputError, UsageError, worst
from batchstat.model import JobRecord
from batchstat.providers import provider
from batchstat.runtime import Runtime

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    from batchstat.output.downloads import DownloadProgress
    from batchstat.watch import WatchedJob

MANIFEST = "manifest.json"
PART_SUFFIX = ".part"  # temporary files: "." + name + "." + unique + ".part"
DEFAULT_WORKERS = 8
MAX_WORKERS = 64
ENV_WORKERS = "BATCHSTAT_DOWNLOAD_WORKERS"
DEFAULT_MAX_FILE_MB = 4096
ENV_MAX_FILE_MB = "BATCHSTAT_MAX_FILE_MB"
MAX_MANIFEST_BYTES = 256 * 1024 * 1024
CHUNK = 256 * 1024
TIMEOUT = (15.0, 120.0)  # connect, and between two reads
MAX_REDIRECTS = 5
NAME_BYTES = 120  # a file name's UTF-8 length (255 is the usual limit: room for .part)
SHOWN_FAILURES = 10  # error lines per job; the manifest has them all

# Item extras that are result files too, saved with --with-inpainting: URLs to fetch,
# and documents the service sends inline (saved beside the result, with this suffix).
EXTRA_URLS = (("inpainting_url", "inpainting"),)
EXTRA_TEXTS = (("template_json", "template", ".template.json"),)

# Not in a file name: separators, what Windows refuses, control characters, and the
# invisible characters that reorder or hide text (as batchstat.text removes for display).
_UNSAFE = re.compile(
    '[<>:"/\\\\|?*\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]+'
)
_RESERVED = re.compile(r"(con|prn|aux|nul|com\d|lpt\d|conin\$|conout\$)", re.I)  # Windows
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,10}$")


# -- names -------------------------------------------------------------------------------


def safe_name(raw: str) -> str:
    """``raw`` as one file name that stays in its folder on any system, or "" when
    nothing usable is left: no separator, no leading dot (so no ``..``) or dash, no
    control or invisible character, no Windows device name, at most ``NAME_BYTES``."""
    name = unicodedata.normalize("NFC", raw)
    name = _UNSAFE.sub("_", name).lstrip(" .-").rstrip(" .")
    if not name.strip("_"):
        return ""
    if _RESERVED.fullmatch(name.split(".", 1)[0]):
        name = "_" + name
    return _fit(name, NAME_BYTES)


def _fit(name: str, size: int) -> str:
    """``name`` cut to ``size`` UTF-8 bytes, keeping its extension."""
    if len(name.encode("utf-8")) <= size:
        return name
    match = _EXTENSION.search(name)
    ext = match.group(0) if match else ""
    stem = name[: len(name) - len(ext)]
    room = size - len(ext.encode("utf-8"))
    stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(" .")
    return stem + ext


def url_name(url: str) -> str:
    """The sanitised last segment of a URL's path (never its query: a SAS lives there)."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return ""
    return safe_name(unquote(path).replace("\\", "/").rsplit("/", 1)[-1])


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2.ext``, ``name-3.ext``, ...: the first not ``taken`` (names
    compare without case, as on macOS and Windows)."""
    if name.casefold() not in taken:
        taken.add(name.casefold())
        return name
    match = _EXTENSION.search(name)
    ext = match.group(0) if match else ""
    stem = name[: len(name) - len(ext)]
    number = 2
    while True:
        suffix = f"-{number}{ext}"
        candidate = _fit(stem, NAME_BYTES - len(suffix.encode("utf-8"))) + suffix
        if candidate.casefold() not in taken:
            taken.add(candidate.casefold())
            return candidate
        number += 1


# -- what a job's folder holds ---------------------------------------------------------------


class Entry:
    """One line of the manifest: a result file of an item, or why there is none."""

    __slots__ = (
        "content",
        "error",
        "file",
        "item",
        "kept",
        "kind",
        "local",
        "result_url",
        "sha256",
        "size",
        "source_url",
    )

    def __init__(
        self,
        item: str,
        kind: str,
        source_url: str | None,
        result_url: str | None,
        *,
        content: bytes | None = None,
        error: dict[str, Any] | None = None,
    ) -> None:
        self.item = item
        self.kind = kind  # "result", or an extra's kind ("inpainting", "template")
        self.source_url = source_url
        self.result_url = result_url
        self.content = content  # a document the service sent inline
        self.error = error
        self.file: str | None = None
        self.size: int | None = None
        self.sha256: str | None = None
        self.kept = False  # complete from an earlier run, verified
        self.local = False  # the failure was writing here, not fetching

    @property
    def key(self) -> tuple[str, str]:
        return (self.item, self.kind)

    @property
    def wanted(self) -> bool:
        """A file should come of it (no error known before fetching)."""
        return self.error is None

    @property
    def failed(self) -> bool:
        """It was to be saved and could not be (a translation failure is not ours)."""
        return self.error is not None and self.error.get("during") != "translation"

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "kind": self.kind,
            "source_url": self.source_url,
            "result_url": self.result_url,
            "file": self.file if self.error is None else None,
            "size": self.size,
            "sha256": self.sha256,
            "error": self.error,
        }


def plan(record: JobRecord, extras: bool) -> list[Entry]:
    """Every item of a finished job as manifest entries, in the job's order."""
    entries: list[Entry] = []
    for item in record.items or ():
        if item.ok is None:  # not finished (a cancelled job's): nothing to save
            continue
        if item.ok is False:
            error = {"during": "translation", **(item.error or {"message": item.status})}
            entries.append(Entry(item.id, "result", item.source_url, item.result_url, error=error))
            continue
        missing = None if item.result_url else _error("the service gave no result URL.")
        entries.append(Entry(item.id, "result", item.source_url, item.result_url, error=missing))
        if not extras:
            continue
        for key, kind in EXTRA_URLS:
            url = item.extra.get(key)
            if isinstance(url, str) and url:
                entries.append(Entry(item.id, kind, item.source_url, url))
        for key, kind, _ in EXTRA_TEXTS:
            text = item.extra.get(key)
            if isinstance(text, str) and text:
                content = text.encode("utf-8")
                entries.append(Entry(item.id, kind, item.source_url, None, content=content))
    return entries


def assign_names(entries: list[Entry], previous: dict[tuple[str, str], dict[str, Any]]) -> None:
    """A unique, safe file name for each entry to save: the one an earlier run gave it
    (so a resumed run finds its files), else one from its URL, else from its item."""
    taken = {MANIFEST.casefold()}
    wanted = [entry for entry in entries if entry.wanted]
    for entry in wanted:
        name = (previous.get(entry.key) or {}).get("file")
        if not isinstance(name, str) or not name or safe_name(name) != name:
            continue
        if name.casefold() not in taken:
            entry.file = _unique(name, taken)
    results: dict[str, str] = {}
    for entry in wanted:
        if entry.file is None:
            entry.file = _unique(_base_name(entry, results), taken)
        if entry.kind == "result":
            results[entry.item] = entry.file


def _base_name(entry: Entry, results: dict[str, str]) -> str:
    for _, kind, suffix in EXTRA_TEXTS:
        if entry.kind == kind:
            result = results.get(entry.item)
            stem = _EXTENSION.sub("", result) if result else safe_name(entry.item) or "item"
            return _fit(stem, NAME_BYTES - len(suffix)) + suffix
    name = url_name(entry.result_url or "")
    if name:
        return name
    item = safe_name(entry.item) or "item"
    return item if entry.kind == "result" else f"{item}-{entry.kind}"


def _error(message: str, **more: Any) -> dict[str, Any]:
    return {"during": "download", "message": message, **more}


def job_folder(directory: str, record: JobRecord) -> str:
    return os.path.join(directory, record.provider, safe_name(record.id) or "job")


def read_manifest(folder: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The complete files an earlier run listed, by (item, kind); {} when there is no
    readable manifest (then every file is fetched again)."""
    try:
        with open(os.path.join(folder, MANIFEST), "rb") as handle:
            data = handle.read(MAX_MANIFEST_BYTES + 1)
        document = json.loads(data) if len(data) <= MAX_MANIFEST_BYTES else None
    except (OSError, ValueError):
        return {}
    files = document.get("files") if isinstance(document, dict) else None
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in files if isinstance(files, list) else ():
        if not isinstance(entry, dict) or entry.get("error") is not None:
            continue
        item, kind, sha = entry.get("item"), entry.get("kind"), entry.get("sha256")
        size = entry.get("size")
        if (
            isinstance(item, str)
            and isinstance(kind, str)
            and isinstance(entry.get("file"), str)
            and isinstance(size, int)
            and not isinstance(size, bool)
            and isinstance(sha, str)
            and re.fullmatch(r"[0-9a-f]{64}", sha)
        ):
            out[(item, kind)] = entry
    return out


def _verified(path: str, size: int, sha256: str) -> bool:
    """Whether ``path`` is a regular file of ``size`` bytes with that SHA-256."""
    import hashlib
    import stat

    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode) or info.st_size != size:
            return False
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
    except OSError:
        return False
    return digest.hexdigest() == sha256


def _remove_parts(folder: str) -> None:
    """Temporary files an interrupted run left (never under a final name)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        if name.startswith(".") and name.endswith(PART_SUFFIX):
            _unlink(os.path.join(folder, name))


def _write_whole(folder: str, name: str, data: bytes) -> None:
    """``data`` as ``folder/name``: a temporary file, then a rename."""
    temp = _open_part(folder, name)
    done = False
    try:
        with os.fdopen(temp[0], "wb") as handle:
            handle.write(data)
        os.replace(temp[1], os.path.join(folder, name))
        done = True
    finally:
        if not done:
            _unlink(temp[1])


_PART_NUMBERS = itertools.count()


def _open_part(folder: str, name: str) -> tuple[int, str]:
    """A new temporary file beside ``name`` (never following a link): (fd, path)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_BINARY", 0)
    while True:
        number = next(_PART_NUMBERS)  # atomic: one C call
        path = os.path.join(folder, f".{name}.{os.getpid()}-{number}{PART_SUFFIX}")
        try:
            return os.open(path, flags, 0o644), path
        except FileExistsError:
            continue


def _unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


def write_manifest(folder: str, record: JobRecord, entries: list[Entry], runtime: Runtime) -> None:
    for entry in entries:
        if entry.wanted and entry.sha256 is None:  # stopped before it was complete
            entry.error = _error("interrupted before it was complete.")
    document = {
        "provider": record.provider,
        "id": record.id,
        "status": record.status or None,
        "state": record.state,
        "files": [entry.to_dict() for entry in entries],
    }
    # A server can echo anything: none of our secrets reaches the disk either.
    text = json.dumps(runtime.redact_document(document), indent=2, ensure_ascii=False)
    _write_whole(folder, MANIFEST, (text + "\n").encode("utf-8"))


# -- fetching ---------------------------------------------------------------------------------


class Cancelled(Exception):
    """The command is stopping (Ctrl-C, SIGTERM): leave the file unfinished."""


class _Transient(Exception):
    def __init__(self, message: str, retry_after: float | None = None, throttled: bool = False):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
        self.throttled = throttled


class _Permanent(Exception):
    def __init__(self, message: str, hint: str | None = None, *, expired: bool = False):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.expired = expired


class _Local(Exception):
    """Writing here failed (disk full, permissions): not the server's fault."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def allowed_url(url: str) -> str | None:
    """Why ``url`` may not be fetched, or None: https anywhere, plain http to loopback
    only (the emulator), nothing else."""
    from batchstat.endpoints import is_loopback

    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        _ = parts.port  # a bad port raises here, before any request
    except ValueError:
        return "the result URL is not a valid URL"
    if parts.scheme not in ("http", "https") or not host:
        return "the result URL is not an http(s) URL"
    if parts.username or parts.password:
        return "the result URL carries a user name or password"
    if parts.scheme == "http" and not is_loopback(host):
        return f"plain http to {host} is refused (https only, but for loopback)"
    return None


class Fetcher:
    """One session and a bounded pool of threads that stream result files to disk."""

    def __init__(self, runtime: Runtime, options: DownloadOptions) -> None:
        import http.cookiejar
        from concurrent.futures import ThreadPoolExecutor

        import requests
        from requests.adapters import HTTPAdapter
        from requests.structures import CaseInsensitiveDict

        from batchstat import __version__

        self.runtime = runtime
        self.options = options
        self.cancel = threading.Event()
        session = requests.Session()
        session.trust_env = False  # no .netrc, no proxies from os.environ: ours come below
        session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        # No Accept-Encoding: the file on disk is the blob as stored, byte for byte, and
        # its Content-Length can be checked.
        session.headers = CaseInsensitiveDict(
            {"User-Agent": f"batchstat/{__version__}", "Accept": "*/*"}
        )
        adapter = HTTPAdapter(
            pool_connections=4, pool_maxsize=options.workers, max_retries=0, pool_block=False
        )
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        self.session = session
        self.requests = requests
        self.pool: ThreadPoolExecutor = ThreadPoolExecutor(
            options.workers, thread_name_prefix="batchstat-download"
        )
        self._proxies: dict[tuple[str, str, int | None], dict[str, str]] = {}
        self.max_bytes = limit(runtime.env, ENV_MAX_FILE_MB, DEFAULT_MAX_FILE_MB) * 1024 * 1024

    def close(self) -> None:
        self.cancel.set()
        self.pool.shutdown(wait=True)
        self.session.close()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        return self.pool.submit(fn, *args)

    def proxies(self, url: str) -> dict[str, str]:
        from batchstat.endpoints import Endpoint, proxies_for

        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "", parts.port)
        found = self._proxies.get(key)
        if found is None:
            found = proxies_for(Endpoint(*key), self.runtime.env)
            self._proxies[key] = found
        return found

    def fetch(self, entry: Entry, folder: str, job: JobDownload) -> None:
        """Save one entry's file, retrying transient failures; records the outcome on the
        entry (raises only :class:`Cancelled`, or what ``runtime.sleep`` raises)."""
        from batchstat.retry import Backoff, after_attempts, retry_delay

        attempt = 0
        while True:
            if self.cancel.is_set():
                raise Cancelled
            try:
                self._once(entry, folder, job)
                job.saved(entry)
                return
            except _Transient as err:
                if attempt >= self.options.retries:
                    entry.error = _error(after_attempts(err.message, attempt + 1))
                    job.failed(entry)
                    return
                backoff = Backoff().delay(attempt, throttled=err.throttled, rng=self.runtime.rng)
                delay = retry_delay(err.retry_after, backoff)
                job.progress.retrying(job.label, entry.file or "-", err.message, delay)
                self.runtime.sleep(delay)
                attempt += 1
            except _Permanent as err:
                more: dict[str, Any] = {"hint": err.hint}
                if err.expired:
                    more["expired"] = True
                entry.error = _error(err.message, **more)
                job.failed(entry)
                return
            except _Local as err:
                entry.error = {"during": "saving", "message": err.message}
                entry.local = True
                job.failed(entry)
                return

    def _once(self, entry: Entry, folder: str, job: JobDownload) -> None:
        requests = self.requests
        url = entry.result_url or ""
        for _ in range(MAX_REDIRECTS + 1):
            refused = allowed_url(url)
            if refused is not None:
                raise _Permanent(refused + ".", "Result URLs must be https.")
            host = urlsplit(url).hostname or "?"
            try:
                response = self.session.get(
                    url,
                    stream=True,
                    timeout=TIMEOUT,
                    allow_redirects=False,
                    proxies=self.proxies(url),
                    verify=self.options.verify,
                )
            except requests.exceptions.SSLError:
                raise _Permanent(
                    f"the TLS certificate of {host} could not be verified.",
                    "If a corporate proxy or private CA signs it, pass --ca-bundle FILE.",
                ) from None
            except requests.exceptions.Timeout:
                raise _Transient(f"{host} did not answer in time.") from None
            except requests.exceptions.ConnectionError:
                raise _Transient(f"the connection to {host} failed.") from None
            except requests.exceptions.RequestException:
                raise _Permanent(f"the request to {host} could not be sent.") from None
            with response:
                status = response.status_code
                location = response.headers.get("Location")
                if status in (301, 302, 303, 307, 308) and location:
                    url = urljoin(url, location)
                    continue
                if status == 200:
                    self._save(response, entry, folder, job, host)
                    return
                raise self._refusal(status, response, host, job)
        raise _Permanent(f"{host} redirected more than {MAX_REDIRECTS} times.")

    def _refusal(self, status: int, response: Any, host: str, job: JobDownload) -> Exception:
        from batchstat.retry import parse_retry_after

        if status in (408, 425, 429) or 500 <= status <= 599:
            asked = response.headers.get("Retry-After")
            retry_after = parse_retry_after(asked, self.runtime.clock())
            return _Transient(f"{host} answered HTTP {status}.", retry_after, status == 429)
        if status in (401, 403, 404, 410) and job.retention is not None:
            from batchstat.durations import spoken_duration

            return _Permanent(
                f"the result URL has expired (HTTP {status} from {host}; {job.title} "
                f"deletes results {spoken_duration(job.retention)} after a job ends).",
                "Download sooner next time: 'batchstat watch --download DIR' saves the "
                "results the moment a job ends.",
                expired=True,
            )
        if status in (401, 403):
            return _Permanent(
                f"{host} refused the result URL (HTTP {status}).",
                "Its signature (SAS) may have expired or lack read permission.",
            )
        return _Permanent(f"{host} answered HTTP {status}.")

    def _save(self, response: Any, entry: Entry, folder: str, job: JobDownload, host: str) -> None:
        import hashlib

        assert entry.file is not None
        declared = str(response.headers.get("Content-Length") or "")
        encoding = str(response.headers.get("Content-Encoding") or "").strip().lower()
        encoded = encoding not in ("", "identity")  # then Content-Length counts other bytes
        expected = int(declared) if declared.isdigit() and not encoded else None
        if expected is not None and expected > self.max_bytes:
            raise _Permanent(
                f"{entry.file} is larger than the bound ({expected:,} bytes).",
                f"Raise it with {ENV_MAX_FILE_MB} if the file is genuine.",
            )
        try:
            fd, temp = _open_part(folder, entry.file)
        except OSError as err:
            raise _Local(f"cannot write {entry.file}: {err.strerror or err}.") from None
        done = False
        try:
            digest = hashlib.sha256()
            size = 0
            chunks = response.iter_content(CHUNK)
            with os.fdopen(fd, "wb") as handle:  # buffered: writes each chunk whole
                while True:
                    if self.cancel.is_set():
                        raise Cancelled
                    try:
                        chunk = next(chunks)
                    except StopIteration:
                        break
                    except Exception:  # the transport's failure, in any of its wrappings
                        raise _Transient(
                            f"the connection to {host} broke after {size:,} bytes of {entry.file}."
                        ) from None
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise _Permanent(
                            f"{entry.file} is larger than the bound ({self.max_bytes:,} bytes).",
                            f"Raise it with {ENV_MAX_FILE_MB} if the file is genuine.",
                        )
                    digest.update(chunk)
                    try:
                        handle.write(chunk)
                    except OSError as err:
                        raise _Local(f"cannot write {entry.file}: {err.strerror or err}.") from None
                    job.progress.advanced(job.label, len(chunk))
            if expected is not None and size != expected:
                raise _Transient(f"{host} sent {size:,} of the {expected:,} bytes of {entry.file}.")
            try:
                os.replace(temp, os.path.join(folder, entry.file))
            except OSError as err:
                raise _Local(f"cannot write {entry.file}: {err.strerror or err}.") from None
            done = True
        finally:
            if not done:
                _unlink(temp)
        entry.size = size
        entry.sha256 = digest.hexdigest()


# -- one job --------------------------------------------------------------------------------------


class DownloadOptions:
    __slots__ = ("directory", "extras", "retries", "verify", "workers")

    def __init__(
        self, directory: str, *, extras: bool, retries: int, workers: int, verify: str | bool
    ) -> None:
        self.directory = directory
        self.extras = extras  # --with-inpainting: the extra result files too
        self.retries = retries
        self.workers = workers
        self.verify = verify  # requests' verify: a CA bundle path, or True


def prepare(
    directory: str | None, runtime: Runtime, *, extras: bool, items: bool, retries: int
) -> DownloadOptions | None:
    """The options of ``--download``, checked before any request: usage errors, the CA
    bundle, and the directory (created; exit 74 when it cannot be)."""
    if directory is None:
        if extras:
            raise UsageError("--with-inpainting saves files only with --download DIR.")
        return None
    if not items:
        raise UsageError(
            "--download needs the items' result URLs, which --no-documents leaves out.",
            "Drop --no-documents.",
        )
    from batchstat.endpoints import ca_bundle

    verify = ca_bundle(runtime.ca_bundle, runtime.env)
    try:
        os.makedirs(directory, exist_ok=True)
        writable = os.access(directory, os.W_OK | os.X_OK)
    except OSError as err:
        raise OutputError(
            f"cannot create the download directory {directory}: {err.strerror or err}.",
            "Check the path and its permissions.",
        ) from None
    if not writable:
        raise OutputError(
            f"cannot write in the download directory {directory}.",
            "Check its permissions, or give another --download DIR.",
        )
    workers = min(limit(runtime.env, ENV_WORKERS, DEFAULT_WORKERS), MAX_WORKERS)
    return DownloadOptions(
        directory, extras=extras, retries=retries, workers=workers, verify=verify or True
    )


class JobDownload:
    """One job's download: its entries, counts and failures (updated from the workers)."""

    def __init__(self, record: JobRecord, label: str, folder: str, progress: DownloadProgress):
        spec = provider(record.provider)
        self.record = record
        self.label = label
        self.folder = folder
        self.progress = progress
        self.retention = spec.retention  # results expire: a 403/404 means "expired"
        self.title = spec.title
        self.entries: list[Entry] = []
        self.fetched = 0
        self.kept = 0
        self.bytes = 0
        self.problem: str | None = None  # the job's folder itself failed
        self._lock = threading.Lock()

    def saved(self, entry: Entry) -> None:
        with self._lock:
            self.fetched += 1
            self.bytes += entry.size or 0
        self.progress.file_done(self.label)

    def failed(self, entry: Entry) -> None:
        self.progress.file_done(self.label)

    @property
    def failures(self) -> list[Entry]:
        return [entry for entry in self.entries if entry.failed]

    @property
    def local(self) -> bool:
        return self.problem is not None or any(entry.local for entry in self.failures)

    def exit_code(self, code: int) -> int:
        """The job's exit code: a success with a failed download is 7 (74 when it was
        the writing here that failed)."""
        if (self.failures or self.problem) and code == ExitCode.OK:
            return int(ExitCode.OUTPUT if self.local else ExitCode.UNAVAILABLE)
        return code


def run_job(
    record: JobRecord,
    label: str,
    options: DownloadOptions,
    runtime: Runtime,
    progress: DownloadProgress,
    fetcher: Callable[[], Fetcher],
) -> JobDownload:
    """Download one finished job's results into its folder, then write its manifest."""
    folder = job_folder(options.directory, record)
    job = JobDownload(record, label, folder, progress)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as err:
        job.problem = f"cannot create {folder}: {err.strerror or err}."
        return job
    previous = read_manifest(folder)
    entries = plan(record, options.extras)
    assign_names(entries, previous)
    job.entries = entries
    _remove_parts(folder)
    todo: list[Entry] = []
    for entry in entries:
        if not entry.wanted:
            continue
        assert entry.file is not None
        before = previous.get(entry.key)
        path = os.path.join(folder, entry.file)
        if (
            before is not None
            and before.get("file") == entry.file
            and _verified(path, before["size"], before["sha256"])
        ):
            entry.size, entry.sha256, entry.kept = before["size"], before["sha256"], True
            job.kept += 1
            continue
        todo.append(entry)
    progress.job_started(label, len(todo), job.kept, folder)
    for entry in [entry for entry in todo if entry.content is not None]:
        _save_inline(entry, folder, job)
        todo.remove(entry)
    try:
        if todo:
            pool = fetcher()
            futures = [pool.submit(pool.fetch, entry, folder, job) for entry in todo]
            _wait_all(futures, pool)
    finally:  # interrupted too: the manifest says what is complete
        try:
            write_manifest(folder, record, entries, runtime)
        except OSError as err:
            job.problem = f"cannot write {os.path.join(folder, MANIFEST)}: {err.strerror or err}."
    progress.job_finished(job)
    return job


def _save_inline(entry: Entry, folder: str, job: JobDownload) -> None:
    import hashlib

    assert entry.file is not None and entry.content is not None
    try:
        _write_whole(folder, entry.file, entry.content)
    except OSError as err:
        entry.error = {"during": "saving", "message": f"cannot write {entry.file}: {err.strerror}."}
        entry.local = True
        job.failed(entry)
        return
    entry.size = len(entry.content)
    entry.sha256 = hashlib.sha256(entry.content).hexdigest()
    job.saved(entry)


def _wait_all(futures: Sequence[Future[Any]], pool: Fetcher) -> None:
    """Wait for every file; on an interruption (here, or raised in a worker by the
    injected sleep) stop the others at their next chunk, then raise it."""
    from concurrent.futures import wait

    stop: BaseException | None = None
    try:
        for future in futures:
            error = future.exception()
            if error is not None and not isinstance(error, Cancelled) and stop is None:
                stop = error
                pool.cancel.set()
    except BaseException as err:  # KeyboardInterrupt, Terminated in this thread
        stop = err
        pool.cancel.set()
        wait(futures)
    if stop is not None:
        raise stop


# -- the commands ------------------------------------------------------------------------------


def _report(job: JobDownload, runtime: Runtime, say: Callable[[str], None]) -> None:
    """The error lines of a job's failed downloads, naming the files (the manifest has
    every one)."""
    if job.problem is not None:
        say(f"error: {job.label}: {job.problem} Hint: Check the free space and permissions.")
    failures = job.failures
    for entry in failures[:SHOWN_FAILURES]:
        error = entry.error or {}
        hint = f" Hint: {error['hint']}" if error.get("hint") else ""
        name = entry.file or entry.item
        say(f"error: {job.label}: {name} not saved: {error.get('message')}{hint}")
    if len(failures) > SHOWN_FAILURES:
        more = len(failures) - SHOWN_FAILURES
        say(
            f"error: {job.label}: {more} more files not saved; "
            f"{os.path.join(job.folder, MANIFEST)} lists them all."
        )


def _label(record: JobRecord) -> str:
    return f"{record.provider}:{record.id}"


class GetDownloads:
    """``get --download``: each finished job's results after its document is printed."""

    def __init__(self, options: DownloadOptions, runtime: Runtime) -> None:
        self.options = options
        self.runtime = runtime

    def after_get(
        self, outcomes: Sequence[JobRecord | BatchstatError], codes: list[int]
    ) -> list[int]:
        from batchstat.output.downloads import progress_for

        records = [o for o in outcomes if isinstance(o, JobRecord)]
        done = [r for r in records if r.terminal and r.items is not None]
        for record in records:
            if not record.terminal:
                self.runtime.say(
                    f"note: {_label(record)} has not finished ({record.status or '-'}): "
                    "nothing to download yet."
                )
        if not done:
            return codes
        progress = progress_for(self.runtime, bar=self.runtime.is_tty("stderr"))
        pool: list[Fetcher] = []

        def fetcher() -> Fetcher:
            if not pool:
                pool.append(Fetcher(self.runtime, self.options))
            return pool[0]

        jobs: dict[int, JobDownload] = {}
        try:
            for record in done:
                jobs[id(record)] = run_job(
                    record, _label(record), self.options, self.runtime, progress, fetcher
                )
        finally:
            if pool:
                pool[0].close()
            progress.close()
        out = []
        for outcome, code in zip(outcomes, codes, strict=True):
            job = jobs.get(id(outcome))
            if job is not None:
                _report(job, self.runtime, self.runtime.say)
                code = job.exit_code(code)
            out.append(code)
        return out


class WatchDownloads:
    """``watch --download``: a watch observer that starts a job's download the moment it
    turns terminal (its results may expire soon after), in the background, so polling
    goes on; ``wait`` lets them finish once the watch is over."""

    def __init__(self, options: DownloadOptions, runtime: Runtime, *, quiet: bool) -> None:
        self.options = options
        self.runtime = runtime
        self.quiet = quiet
        self.views: list[Any] = []
        self.started: list[tuple[WatchedJob, Future[JobDownload]]] = []
        self._fetcher: Fetcher | None = None
        self._runner: ThreadPoolExecutor | None = None
        self._progress: DownloadProgress | None = None
        self._lock = threading.Lock()

    def attach(self, observers: list[Any]) -> None:
        """Join the watch's observers (its lines go above the live view, if any)."""
        self.views = list(observers)
        observers.append(self)

    # -- as a watch observer (watch.Observer, with start and stop) --

    def start(self, jobs: list[WatchedJob]) -> None:
        pass

    def polled(self, job: WatchedJob) -> None:
        pass

    def warn(self, job: WatchedJob, message: str) -> None:
        pass

    def changed(self, job: WatchedJob) -> None:
        record = job.record
        if not job.done or job.failure is not None or record is None or not record.terminal:
            return
        if record.items is None or any(seen is job for seen, _ in self.started):
            return
        runner, progress = self._start_runner()
        args = (record, str(job.target), self.options, self.runtime, progress, self.fetcher)
        if self.runtime.watch_workers == 0:
            # The watch polls inline (exact under a fake clock): so does this, before the
            # next poll, rather than racing the loop's clock from a thread.
            from concurrent.futures import Future

            future: Future[JobDownload] = Future()
            try:
                future.set_result(run_job(*args))
            except Exception as err:
                future.set_exception(err)
        else:
            future = runner.submit(run_job, *args)
        self.started.append((job, future))

    def _start_runner(self) -> tuple[ThreadPoolExecutor, DownloadProgress]:
        if self._runner is None or self._progress is None:
            from concurrent.futures import ThreadPoolExecutor

            from batchstat.output.downloads import progress_for, watch_writer

            say = watch_writer(self.runtime, self.views)
            self._progress = progress_for(self.runtime, bar=False, say=say, quiet=self.quiet)
            # Two jobs at a time; their files share the one bounded pool of the Fetcher.
            self._runner = ThreadPoolExecutor(2, thread_name_prefix="batchstat-download-job")
        return self._runner, self._progress

    def fetcher(self) -> Fetcher:
        with self._lock:  # the job threads ask for it
            if self._fetcher is None:
                self._fetcher = Fetcher(self.runtime, self.options)
            return self._fetcher

    def wait(self) -> None:
        """Until every download started has ended (Ctrl-C here stops them: ``stop``)."""
        for _, future in list(self.started):
            future.exception()

    def stop(self) -> None:
        """Stop what still runs (at its next chunk) and release the threads."""
        with self._lock:
            fetcher = self._fetcher
        if fetcher is not None:
            fetcher.cancel.set()
        if self._runner is not None:
            self._runner.shutdown(wait=True)
        with self._lock:
            fetcher = self._fetcher
        if fetcher is not None:
            fetcher.close()

    def finish(self, code: int) -> int:
        """The error lines of the failed downloads; the exit code they make."""
        for watched, future in self.started:
            if not future.done() or future.exception() is not None:
                continue  # stopped: the watch's own exit code (130, 143) says it
            job = future.result()
            _report(job, self.runtime, self.runtime.say)
            code = worst([code, job.exit_code(watched.exit_code)])
        return code
