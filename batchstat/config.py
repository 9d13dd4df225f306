"""batchstat's config file: named profiles of settings, and where each setting came from.

The file is TOML, at ``BATCHSTAT_CONFIG`` or the user's config directory (platformdirs'
rules, in a few lines here: importing platformdirs would cost every start)::

    [profiles.default]          # used when no profile is named
    output = "json"             # -o of the provider commands and of watch
    interval = "10s"            # watch --interval
    timeout = "30m"             # watch --timeout

    [profiles.default.PROVIDER] # one table per provider: its own keys (see README)
    endpoint = "https://..."

``--profile NAME`` (or ``BATCHSTAT_PROFILE``) picks another profile. A provider resolves
each of its settings through :class:`ProviderSettings`: flag, then environment, then the
profile, then its own fallbacks; every answer is recorded with its source, which is what
``batchstat config show`` prints. Secrets are read from the file only when it is private
to the user (mode 0600), and are scrubbed from all output either way.

Nothing here imports more than ``os``, unless a config file exists (``tomllib`` then):
this runs on every start of a command that runs in shell loops.
"""

from __future__ import annotations

import os
import sys
import weakref
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from batchstat.errors import ConfigError

if TYPE_CHECKING:
    from batchstat.runtime import Runtime

ENV_CONFIG = "BATCHSTAT_CONFIG"
ENV_PROFILE = "BATCHSTAT_PROFILE"
DEFAULT_PROFILE = "default"
# Keys of a profile that are not a provider's table: the commands' own defaults.
COMMAND_KEYS = ("output", "interval", "timeout")
# A config file larger than this is not a config file.
MAX_CONFIG_BYTES = 1 << 20


def is_secret(name: str) -> bool:
    """Whether a setting of that name holds a secret (masked, scrubbed, 0600 only)."""
    return name in ("key", "secret", "token", "password") or name.endswith(
        ("_secret", "_token", "_key", "_password")
    )


def mask(value: str) -> str:
    """A secret as ``config show`` prints it: its last four characters, if it is long
    enough for them to give nothing away."""
    return "****" + value[-4:] if len(value) >= 12 else "****"


def home_dir(env: Mapping[str, str], platform: str = sys.platform) -> str | None:
    home = env.get("USERPROFILE" if platform == "win32" else "HOME", "").strip()
    if not home and platform == "win32":
        home = env.get("HOME", "").strip()
    return home or None


def expand_user(path: str, env: Mapping[str, str], platform: str = sys.platform) -> str:
    """``~`` and ``~/...`` against the runtime's home (never the process's)."""
    if path == "~" or path.startswith(("~/", "~\\")):
        home = home_dir(env, platform)
        if home:
            return home + path[1:]
    return path


def config_location(
    env: Mapping[str, str], platform: str = sys.platform
) -> tuple[str | None, str | None]:
    """The config file's path and, when a variable named it, that variable.

    As platformdirs' ``user_config_dir``: ``$XDG_CONFIG_HOME`` (absolute) or
    ``~/.config`` on Linux and other Unixes, ``~/Library/Application Support`` on macOS,
    ``%APPDATA%`` (the roaming profile, where settings belong) on Windows.
    """
    explicit = env.get(ENV_CONFIG, "").strip()
    if explicit:
        return expand_user(explicit, env, platform), ENV_CONFIG
    home = home_dir(env, platform)
    base: str | None
    if platform == "win32":
        appdata = env.get("APPDATA", "").strip()
        base = appdata or (os.path.join(home, "AppData", "Roaming") if home else None)
    elif platform == "darwin":
        base = os.path.join(home, "Library", "Application Support") if home else None
    else:
        xdg = env.get("XDG_CONFIG_HOME", "").strip()
        base = xdg if os.path.isabs(xdg) else (os.path.join(home, ".config") if home else None)
    return (os.path.join(base, "batchstat", "config.toml") if base else None), None


class Setting:
    """One resolved setting: its value and where it came from.

    kind    flag, env, file (a secret file), profile, cli (another tool's profile),
            derived (from other settings) or default
    origin  the flag, variable or file as messages name it (``--endpoint``,
            ``ALIBABA_CLOUD_REGION_ID``, ``profile prod``)
    """

    __slots__ = ("kind", "name", "origin", "secret", "value")

    def __init__(self, name: str, value: str, kind: str, origin: str, secret: bool) -> None:
        self.name = name
        self.value = value
        self.kind = kind
        self.origin = origin
        self.secret = secret

    def __repr__(self) -> str:
        return f"Setting({self.name}={self.shown}, {self.source})"

    @property
    def shown(self) -> str:
        return mask(self.value) if self.secret else self.value

    @property
    def source(self) -> str:
        """How ``config show`` says where it came from."""
        if self.kind in ("flag", "derived", "default", "profile", "cli"):
            return self.origin
        return f"{self.kind} {self.origin}"  # "env NAME", "file PATH"


class ConfigFile:
    """The config file as this run sees it, and the profile in use (see :func:`load`)."""

    def __init__(self, path: str | None, named_by: str | None) -> None:
        self.path = path
        self.named_by = named_by  # ENV_CONFIG when the variable chose the path
        self.found = False
        self.mode: int | None = None
        self.private_reason: str | None = None  # why secrets are not read from it
        self.profile_name = DEFAULT_PROFILE
        self.profile_origin = "default"  # --profile, BATCHSTAT_PROFILE or default
        self.profile: dict[str, Any] | None = None  # None: no profile applies
        self.profiles: list[str] = []
        # What each provider's settings resolved to, last time (``config show``).
        self.report: dict[str, ProviderSettings] = {}
        self.stdin_read_by: str | None = None  # the option whose secret stdin held
        self.stdin_secret: str | None = None

    @property
    def private(self) -> bool:
        return self.found and self.private_reason is None

    @property
    def profile_label(self) -> str:
        return f"profile {self.profile_name}"

    def section(self, name: str) -> dict[str, Any]:
        """A provider's table of the profile in use ({} if none)."""
        table = (self.profile or {}).get(name)
        return table if isinstance(table, dict) else {}

    def where(self, key: str, section: str | None = None) -> str:
        table = f"profiles.{self.profile_name}" + (f".{section}" if section else "")
        return f"{key} in [{table}] of {self.path}"

    def check_private(self, key: str, section: str, file_key: str | None) -> None:
        """Refuse a secret from a file other users can read, saying why and what to do."""
        if self.private_reason is None:
            return
        fix = f"Run 'chmod 600 {self.path}'"
        if file_key:
            fix += f", or put the secret in its own file and name it with {file_key}"
        raise ConfigError(
            f"not reading the secret {self.where(key, section)}: {self.private_reason}.",
            fix + ", or set it in the environment.",
        )

    # -- reading --------------------------------------------------------------------

    def read(self, runtime: Runtime, profile: str | None) -> None:
        if profile:
            self.profile_name, self.profile_origin = profile, "--profile"
        elif runtime.env.get(ENV_PROFILE, "").strip():
            self.profile_name = runtime.env[ENV_PROFILE].strip()
            self.profile_origin = ENV_PROFILE
        chosen = self.profile_origin != "default"
        try:
            info = os.stat(self.path) if self.path else None
        except OSError:
            info = None
        if info is None:
            if self.named_by:
                raise ConfigError(
                    f"{self.named_by}: the config file {self.path!r} does not exist.",
                    f"Create it, or unset {self.named_by} to use the default location.",
                )
            if chosen:
                raise ConfigError(
                    f"{self.profile_origin}: there is no profile {self.profile_name!r}: "
                    f"there is no config file ({self.path or 'no home directory'}).",
                    f"Create {self.path} with a [profiles.{self.profile_name}] table "
                    "(see 'batchstat config show').",
                )
            return
        self.found = True
        self.mode = info.st_mode & 0o777
        self.private_reason = _not_private(info)
        data = self._parse(self.path or "")
        self._check(data, runtime)
        profiles = data.get("profiles", {})
        self.profiles = sorted(profiles)
        self.profile = profiles.get(self.profile_name)
        if self.profile is None and chosen:
            raise ConfigError(
                f"{self.profile_origin}: there is no profile {self.profile_name!r} in {self.path}.",
                "Its profiles: " + (", ".join(self.profiles) or "none") + ".",
            )

    @staticmethod
    def _parse(path: str) -> dict[str, Any]:
        import tomllib

        try:
            with open(path, "rb") as stream:
                raw = stream.read(MAX_CONFIG_BYTES + 1)
        except OSError as err:
            raise ConfigError(f"cannot read the config file {path}: {err.strerror}.") from None
        if len(raw) > MAX_CONFIG_BYTES:
            raise ConfigError(f"the config file {path} is larger than 1 MB.")
        try:
            return tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
            raise ConfigError(
                f"the config file {path} is not valid TOML: {err}.",
                "See the README, section 'Credentials and endpoints', for its format.",
            ) from None

    def _check(self, data: dict[str, Any], runtime: Runtime) -> None:
        """The file's shape: profiles of known keys and provider tables. Every secret in
        any profile counts as in use, so none of them is ever printed."""
        from batchstat.providers import PROVIDERS

        path = self.path
        unknown = sorted(set(data) - {"profiles"})
        if unknown:
            raise ConfigError(
                f"the config file {path} has an unknown top-level key {unknown[0]!r}.",
                "Settings belong in profiles: [profiles.default], [profiles.NAME].",
            )
        profiles = data.get("profiles", {})
        if not isinstance(profiles, dict):
            raise ConfigError(f"the config file {path}: 'profiles' must be a table.")
        for name, profile in profiles.items():
            if not isinstance(profile, dict):
                raise ConfigError(f"the config file {path}: [profiles.{name}] must be a table.")
            for key, value in profile.items():
                if isinstance(value, dict):
                    if key not in PROVIDERS:
                        raise ConfigError(
                            f"the config file {path}: [profiles.{name}.{key}] is not a provider.",
                            f"Use one of: {', '.join(PROVIDERS)}.",
                        )
                    for inner, secret in value.items():
                        if is_secret(inner) and isinstance(secret, str):
                            runtime.secret(secret.strip())
                elif key not in COMMAND_KEYS:
                    raise ConfigError(
                        f"the config file {path}: unknown key {key!r} in [profiles.{name}].",
                        f"A profile holds {', '.join(COMMAND_KEYS)} and one table per "
                        f"provider ({', '.join(PROVIDERS)}).",
                    )


def _not_private(info: os.stat_result) -> str | None:
    """Why secrets may not be read from a file with this status (None: they may)."""
    if os.name == "nt":
        return (
            "on Windows batchstat cannot tell whether a file is private to you, so it "
            "reads no secrets from the config file"
        )
    mode = info.st_mode & 0o777
    if mode & 0o077:
        return f"other users can read or change it (mode {mode:04o}; it must be 0600)"
    getuid = getattr(os, "getuid", None)
    if getuid is not None and info.st_uid != getuid():
        return "it belongs to another user"
    return None


_LOADED: weakref.WeakKeyDictionary[Runtime, ConfigFile] = weakref.WeakKeyDictionary()


def load(runtime: Runtime) -> ConfigFile:
    """The config file and profile of this run (read once per runtime)."""
    loaded = _LOADED.get(runtime)
    if loaded is None:
        path, named_by = config_location(runtime.env)
        loaded = ConfigFile(path, named_by)
        loaded.read(runtime, runtime.profile)
        _LOADED[runtime] = loaded
    return loaded


def command_defaults(runtime: Runtime, root: Any) -> dict[str, Any] | None:
    """Click's ``default_map`` for the command tree ``root``, from the profile's
    ``output``, ``interval`` and ``timeout``: defaults of ``watch`` and of the provider
    groups' commands that the command line (and nothing else) overrides. None when no
    profile sets any."""
    config = load(runtime)
    if not config.profile:
        return None
    values = {key: _command_value(config, key) for key in COMMAND_KEYS}
    values = {key: value for key, value in values.items() if value is not None}
    if not values:
        return None
    from batchstat.providers import PROVIDERS

    commands = getattr(root, "commands", None) or {}
    defaults: dict[str, Any] = {"watch": values}
    if "output" in values:
        for name in PROVIDERS:
            group = getattr(commands.get(name), "commands", None) or {}
            defaults[name] = {command: {"output": values["output"]} for command in group}
    return defaults


def command_setting(runtime: Runtime, key: str) -> Setting | None:
    """One of the profile's command defaults, for ``config show``."""
    config = load(runtime)
    value = _command_value(config, key) if config.profile else None
    if value is None:
        return None
    return Setting(key, value, "profile", config.profile_label, False)


def _command_value(config: ConfigFile, key: str) -> str | None:
    value = (config.profile or {}).get(key)
    if value is None:
        return None
    if key == "output":
        from batchstat.output.formats import FORMATS

        if not isinstance(value, str) or value not in FORMATS:
            raise ConfigError(
                f"{config.where(key)}: {value!r} is not an output format.",
                f"Use one of: {', '.join(FORMATS)}.",
            )
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(f'{config.where(key)}: give a duration such as "10s" or "5m".')
    text = f"{value}s" if isinstance(value, int | float) else value
    from batchstat.durations import parse_duration
    from batchstat.errors import UsageError

    try:
        parse_duration(text, option=key, minimum=1.0)
    except UsageError as err:
        raise ConfigError(f"{config.where(key)}: {err.message}", err.hint) from None
    return text


class ProviderSettings:
    """A provider's settings as resolved, each with its source.

    ``pick`` applies the common order: flag, then environment, then the profile's table
    of the provider (``[profiles.NAME.PROVIDER]``), then a default. What a provider adds
    to that order (secret files, another tool's profile) it records with ``record``.
    ``finish`` refuses keys of the table nothing asked for: a typo is an error, not a
    setting silently ignored.
    """

    def __init__(self, runtime: Runtime, section: str) -> None:
        self.runtime = runtime
        self.config = load(runtime)
        self.section = section
        self.table = self.config.section(section)
        self.settings: dict[str, Setting] = {}
        # The fix to show when the service refuses the credentials (config doctor).
        self.auth_hint: str | None = None
        self._asked: set[str] = set()
        self.config.report[section] = self

    @property
    def configured(self) -> bool:
        """Whether anything was set for this provider, rather than defaulted."""
        return any(s.kind not in ("default", "derived") for s in self.settings.values())

    def record(
        self, name: str, value: str, kind: str, origin: str, *, secret: bool | None = None
    ) -> Setting:
        setting = Setting(name, value, kind, origin, is_secret(name) if secret is None else secret)
        if setting.secret:
            self.runtime.secret(value)
        self.settings[name] = setting
        return setting

    def pick(
        self,
        name: str,
        *,
        flag: str | None = None,
        flag_name: str | None = None,
        env: Iterable[str] = (),
        default: str | None = None,
        file_key: str | None = None,
    ) -> Setting | None:
        """The first of: ``flag``, the variables ``env``, the profile's ``name``,
        ``default``. ``file_key`` names the profile key that can hold a secret's file
        instead (for the message when the file is not private)."""
        self._asked.add(name)
        if flag is not None and flag.strip():
            return self.record(name, flag.strip(), "flag", flag_name or name)
        for variable in env:
            value = self.runtime.env.get(variable, "").strip()
            if value:
                return self.record(name, value, "env", variable)
        found = self.from_profile(name, file_key=file_key)
        if found is not None:
            return self.record(name, found, "profile", self.config.profile_label)
        if default is not None:
            return self.record(name, default, "default", "default")
        return None

    def from_profile(self, name: str, *, file_key: str | None = None) -> str | None:
        """The profile's ``name`` for this provider; a secret only from a private file."""
        self._asked.add(name)
        value = self.table.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise ConfigError(f"{self.config.where(name, self.section)} must be a string.")
        if not value.strip():
            return None
        if is_secret(name):
            self.config.check_private(name, self.section, file_key)
        return value.strip()

    def profile_file(self, name: str) -> str | None:
        """A path from the profile (``key_file``...): ``~`` expanded, relative to the
        config file's directory."""
        value = self.from_profile(name)
        if value is None:
            return None
        value = expand_user(value, self.runtime.env)
        if not os.path.isabs(value) and self.config.path:
            value = os.path.join(os.path.dirname(self.config.path), value)
        return value

    def secret_file(self, name: str, path: str, kind: str, origin: str) -> Setting:
        """A secret read from a file (or ``-``: stdin), recorded as coming from it."""
        from batchstat.credentials import read_secret_file

        value = read_secret_file(self.runtime, path, origin=origin)
        where = "stdin" if path == "-" else path
        return self.record(name, value, kind, f"{origin} {where}" if kind == "flag" else where)

    def known(self, *names: str) -> None:
        """Profile keys the provider reads only in some cases: not typos."""
        self._asked.update(names)

    def finish(self) -> None:
        unknown = sorted(set(self.table) - self._asked)
        if unknown:
            raise ConfigError(
                f"unknown key {self.config.where(unknown[0], self.section)}.",
                f"Known keys: {', '.join(sorted(self._asked))}.",
            )
