"""``config show`` and ``config doctor``: what batchstat would use, and whether it works.

Both ask every registered provider to build its adapter (which resolves its settings
through ``config.ProviderSettings``, recording where each came from) and never name a
provider. ``doctor`` then makes one cheap authenticated call per configured provider:
the status of a job id that does not exist, which a service answers "no such job" once
it has accepted the credentials.
"""

from __future__ import annotations

import json
from typing import Any

from batchstat.errors import (
    AuthError,
    BatchstatError,
    ExitCode,
    NotFoundError,
    TransientError,
    worst,
)
from batchstat.output.table import terminal_width
from batchstat.runtime import Runtime

# The id doctor asks for: valid for every provider's id check, and no one's job.
PROBE_ID = "00000000-0000-0000-0000-000000000000"
OK, FAILING, SKIPPED = "ok", "failing", "skipped"


class ShowRequest:
    __slots__ = ("output",)

    def __init__(self, output: str = "table") -> None:
        self.output = output

    def __repr__(self) -> str:
        return f"ShowRequest(output={self.output!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ShowRequest) and other.output == self.output


class DoctorRequest:
    __slots__ = ("output",)

    def __init__(self, output: str = "table") -> None:
        self.output = output

    def __repr__(self) -> str:
        return f"DoctorRequest(output={self.output!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DoctorRequest) and other.output == self.output


def _build_all(runtime: Runtime) -> dict[str, tuple[Any, BatchstatError | None]]:
    """Every provider's adapter (or why it cannot be built), without sending anything."""
    from batchstat.providers import PROVIDERS

    built: dict[str, tuple[Any, BatchstatError | None]] = {}
    for name, spec in PROVIDERS.items():
        try:
            built[name] = (spec.build(runtime, {}, retries=0), None)
        except BatchstatError as err:
            built[name] = (None, err)
    return built


# -- show ---------------------------------------------------------------------------------


def run_show(request: ShowRequest, runtime: Runtime) -> int:
    from batchstat.config import COMMAND_KEYS, command_setting, load

    config = load(runtime)
    built = _build_all(runtime)
    settings: list[dict[str, Any]] = []
    for key in COMMAND_KEYS:
        setting = command_setting(runtime, key)
        if setting is not None:
            settings.append(_setting_doc(key, setting))
    problems: list[dict[str, Any]] = []
    for name, (_adapter, error) in built.items():
        resolved = config.report.get(name)
        if resolved is not None:
            for key in sorted(resolved.settings):
                settings.append(_setting_doc(f"{name}.{key}", resolved.settings[key]))
        if error is not None:
            configured = resolved is not None and resolved.configured
            problems.append(
                {
                    "provider": name,
                    "configured": configured,
                    "message": error.message,
                    "hint": error.hint,
                }
            )
    document = {
        "config_file": {
            "path": config.path,
            "named_by": config.named_by,
            "found": config.found,
            "mode": None if config.mode is None else f"{config.mode:04o}",
            "secrets_refused": config.private_reason if config.found else None,
        },
        "profile": {
            "name": config.profile_name,
            "source": config.profile_origin,
            "applied": config.profile is not None,
            "profiles": config.profiles,
        },
        "settings": settings,
        "problems": problems,
    }
    if request.output == "json":
        _write_json(runtime, document)
    else:
        _write_show_table(runtime, document)
    return ExitCode.OK


def _setting_doc(name: str, setting: Any) -> dict[str, Any]:
    return {
        "name": name,
        "value": setting.shown,
        "source": setting.source,
        "secret": setting.secret,
    }


def _write_show_table(runtime: Runtime, document: dict[str, Any]) -> None:
    file = document["config_file"]
    if not file["path"]:
        where = "none (no home directory to look in)"
    elif not file["found"]:
        where = f"{file['path']} (not found)"
    elif file["secrets_refused"]:
        where = f"{file['path']} (secrets in it are not read: {file['secrets_refused']})"
    else:
        where = f"{file['path']} (private, mode {file['mode']})"
    if file["named_by"]:
        where += f", from {file['named_by']}"
    profile = document["profile"]
    used = f"{profile['name']} ({profile['source']})"
    if not profile["applied"]:
        used = f"none (no [profiles.{profile['name']}] in the config file)"
    lines = [f"config file  {where}", f"profile      {used}", ""]
    rows = [(s["name"], s["value"], s["source"]) for s in document["settings"]]
    for row_lines in _columns([("SETTING", "VALUE", "SOURCE"), *rows], terminal_width(runtime)):
        lines += row_lines
    if document["problems"]:
        lines.append("")
        for problem in document["problems"]:
            state = "" if problem["configured"] else " (not configured)"
            text = f"{problem['provider']}{state}: {problem['message']}"
            lines.append(text + (f" Hint: {problem['hint']}" if problem["hint"] else ""))
    _write_lines(runtime, lines)


# -- doctor -------------------------------------------------------------------------------


def run_doctor(request: DoctorRequest, runtime: Runtime) -> int:
    from batchstat.config import load
    from batchstat.credentials import SignInError
    from batchstat.providers import PROVIDERS

    config = load(runtime)
    built = _build_all(runtime)
    checks: list[dict[str, Any]] = []
    codes: list[int] = []
    configured_any = False
    for name, (adapter, error) in built.items():
        resolved = config.report.get(name)
        if adapter is None:
            assert error is not None
            if resolved is None or not resolved.configured:
                checks.append(_check(name, "credentials", SKIPPED, "not configured"))
                continue
            configured_any = True
            codes.append(error.exit_code)
            checks.append(_check(name, "credentials", FAILING, error.message, error.hint))
            checks += _skipped(name, "endpoint", "authentication")
            continue
        configured_any = True
        found = []
        if resolved is not None:
            found = [
                f"{s.name} {s.shown} from {s.source}"
                for key, s in sorted(resolved.settings.items())
                if s.secret or key == "auth" or key.endswith("_id")
            ]
        checks.append(_check(name, "credentials", OK, "; ".join(found) or "found"))
        base = ""
        if resolved is not None and "endpoint" in resolved.settings:
            base = resolved.settings["endpoint"].value
        outcome = _probe(PROVIDERS[name], adapter)
        auth_hint = resolved.auth_hint if resolved is not None else None
        if outcome is None:
            checks.append(_check(name, "endpoint", OK, f"{base} answered".strip()))
            checks.append(_check(name, "authentication", OK, "the credentials were accepted"))
            continue
        codes.append(outcome.exit_code)
        if isinstance(outcome, SignInError):  # no token: nothing was sent
            checks[-1] = _check(name, "credentials", FAILING, outcome.message, outcome.hint)
            checks += _skipped(name, "endpoint", "authentication")
        elif isinstance(outcome, AuthError):
            checks.append(_check(name, "endpoint", OK, f"{base} answered".strip()))
            checks.append(
                _check(name, "authentication", FAILING, outcome.message, auth_hint or outcome.hint)
            )
        elif isinstance(outcome, TransientError) and outcome.throttled:
            codes.pop()  # the service answered: only too busy to say more
            checks.append(_check(name, "endpoint", OK, f"{base} answered".strip()))
            checks.append(
                _check(name, "authentication", SKIPPED, outcome.message, "Run doctor again later.")
            )
        else:
            checks.append(_check(name, "endpoint", FAILING, outcome.message, outcome.hint))
            checks += _skipped(name, "authentication")
    if request.output == "json":
        _write_json(runtime, {"checks": checks})
    else:
        _write_doctor_table(runtime, checks)
    if not configured_any:
        runtime.say(
            "error: no cloud is configured. Hint: Set the credentials of one (see "
            "'batchstat config show' and the README, 'Credentials and endpoints')."
        )
        return ExitCode.USAGE
    return worst(codes)


def _probe(spec: Any, adapter: Any) -> BatchstatError | None:
    """One status request for a job that does not exist; None when the service took the
    credentials (it answers with the job's status or "not found")."""
    try:
        job_id = spec.validate_id(PROBE_ID)
    except BatchstatError:
        job_id = PROBE_ID
    try:
        adapter.get(job_id, items=False)
    except NotFoundError:
        return None
    except BatchstatError as err:
        return err
    return None


def _check(
    provider: str, check: str, result: str, detail: str, fix: str | None = None
) -> dict[str, Any]:
    return {"provider": provider, "check": check, "result": result, "detail": detail, "fix": fix}


def _skipped(provider: str, *checks: str) -> list[dict[str, Any]]:
    return [_check(provider, check, SKIPPED, "not checked") for check in checks]


def _write_doctor_table(runtime: Runtime, checks: list[dict[str, Any]]) -> None:
    rows = [(c["provider"], c["check"], c["result"], c["detail"]) for c in checks]
    lines: list[str] = []
    table = _columns([("CLOUD", "CHECK", "RESULT", "DETAIL"), *rows], terminal_width(runtime))
    lines += table[0]
    for check, row_lines in zip(checks, table[1:], strict=True):
        lines += row_lines
        if check["fix"] and check["result"] != OK:
            lines.append(" " * 4 + f"fix: {check['fix']}")
    _write_lines(runtime, lines)


# -- output -------------------------------------------------------------------------------


def _columns(rows: list[tuple[str, ...]], width: int | None = None) -> list[list[str]]:
    """Each row as aligned columns, its lines; on a terminal ``width`` wide, the last
    column wraps under itself (or, with too little room beside the others, under its row,
    indented)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    out = []
    for row in rows:
        head = "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True))
        line = f"{head}  {row[-1]}".rstrip()
        if width is None or len(line) <= width:
            out.append([line])
            continue
        import textwrap

        indent = len(head) + 2
        room = width - indent
        lines = [] if room >= 30 else [head.rstrip()]
        indent = indent if room >= 30 else 4
        wrapped = textwrap.wrap(
            row[-1], width - indent, break_long_words=False, break_on_hyphens=False
        )
        for number, part in enumerate(wrapped):
            lead = f"{head}  " if number == 0 and room >= 30 else " " * indent
            lines.append(lead + part)
        out.append(lines)
    return out


def _write_lines(runtime: Runtime, lines: list[str]) -> None:
    out = runtime.out
    # Every line scrubbed, as stderr is: a secret must never be printed whole, even by a
    # setting that was not recognised as one.
    out.write("".join(runtime.scrub(line) + "\n" for line in lines))
    out.flush()


def _write_json(runtime: Runtime, document: dict[str, Any]) -> None:
    out = runtime.out
    out.write(json.dumps(runtime.redact_document(document), indent=2) + "\n")
    out.flush()
