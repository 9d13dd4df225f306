"""The config file, profiles and the precedence of every credential source, without a
network: each provider's ``from_env`` on an injected environment whose home is tmp_path.

Order, as the README documents it: flags, then the environment, then the batchstat
profile, then (Alibaba) the Alibaba Cloud CLI's profile; Azure without a key signs in
with Microsoft Entra ID (tested end to end in tests/cli/test_config_cli.py).
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from batchstat import config as configmod
from batchstat.config import ProviderSettings, config_location, load, mask
from batchstat.credentials import read_cli_profile, read_secret_file
from batchstat.errors import ConfigError, UsageError
from batchstat.providers.alibaba import AlibabaConfig
from batchstat.providers.azure import AzureConfig
from batchstat.runtime import Runtime

ENV_ID = "ALIBABA_CLOUD_ACCESS_KEY_ID"
ENV_SECRET = "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
ENV_TOKEN = "ALIBABA_CLOUD_SECURITY_TOKEN"
ENV_REGION = "ALIBABA_CLOUD_REGION_ID"
ENV_ALI_ENDPOINT = "BATCHSTAT_ALIBABA_ENDPOINT"
AZ_ENDPOINT = "AZURE_DOCUMENT_TRANSLATION_ENDPOINT"
AZ_KEY = "AZURE_DOCUMENT_TRANSLATION_KEY"
AZ_REGION = "AZURE_DOCUMENT_TRANSLATION_REGION"

ENV_AK = {ENV_ID: "LTAIenv", ENV_SECRET: "env-secret-value-0001"}
PROFILE_AK = """
[profiles.default.alibaba]
access_key_id = "LTAIprofile"
access_key_secret = "profile-secret-value-0002"
"""
CLI_AK = {
    "current": "default",
    "profiles": [
        {
            "name": "default",
            "mode": "AK",
            "access_key_id": "LTAIcli",
            "access_key_secret": "cli-secret-value-0003",
            "sts_token": "",
            "region_id": "ap-southeast-1",
        },
        {
            "name": "sts",
            "mode": "StsToken",
            "access_key_id": "STS.cli",
            "access_key_secret": "cli-sts-secret-0004",
            "sts_token": "cli-sts-token-0005/+=",
            "region_id": "cn-shanghai",
        },
        {
            "name": "role",
            "mode": "RamRoleArn",
            "access_key_id": "LTAIrole",
            "access_key_secret": "cli-role-secret-0006",
            "ram_role_arn": "acs:ram::1:role/x",
        },
    ],
}


class Home:
    """A home directory in tmp_path, and the runtime environment pointing at it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config = root / ".config" / "batchstat" / "config.toml"
        self.cli = root / ".aliyun" / "config.json"
        self.env: dict[str, str] = {"HOME": str(root)}

    def write_config(self, text: str, mode: int = 0o600) -> Path:
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.config.write_text(text)
        os.chmod(self.config, mode)
        return self.config

    def write_cli(self, data: object) -> Path:
        self.cli.parent.mkdir(parents=True, exist_ok=True)
        self.cli.write_text(data if isinstance(data, str) else json.dumps(data))
        return self.cli

    def write(self, name: str, text: str) -> str:
        path = self.root / name
        path.write_text(text)
        return str(path)

    def runtime(self, *, stdin: str | None = None, **changes: str | None) -> Runtime:
        env = {**self.env, **changes}
        runtime = Runtime(
            env={k: v for k, v in env.items() if v is not None},
            stdin=io.StringIO(stdin) if stdin is not None else None,
        )
        return runtime


@pytest.fixture
def home(tmp_path: Path) -> Home:
    root = tmp_path / "home"
    root.mkdir()
    return Home(root)


def alibaba(runtime: Runtime, **flags: str | None) -> tuple[AlibabaConfig, ProviderSettings]:
    config = AlibabaConfig.from_env(runtime, **flags)
    return config, load(runtime).report["alibaba"]


def azure(runtime: Runtime, **flags: str | None) -> tuple[AzureConfig, ProviderSettings]:
    config = AzureConfig.from_env(runtime, **flags)
    return config, load(runtime).report["azure"]


def sources(settings: ProviderSettings) -> dict[str, str]:
    return {name: s.source for name, s in settings.settings.items()}


# -- where the file is -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {"HOME": "/h"}, "/h/.config/batchstat/config.toml"),
        ("linux", {"HOME": "/h", "XDG_CONFIG_HOME": "/x"}, "/x/batchstat/config.toml"),
        # A relative XDG_CONFIG_HOME is invalid by the spec: ignored, as platformdirs does.
        ("linux", {"HOME": "/h", "XDG_CONFIG_HOME": "rel"}, "/h/.config/batchstat/config.toml"),
        ("darwin", {"HOME": "/h"}, "/h/Library/Application Support/batchstat/config.toml"),
        ("win32", {"APPDATA": "C:/Users/u/AppData/Roaming"}, None),
        ("linux", {"HOME": "/h", "BATCHSTAT_CONFIG": "/etc/b.toml"}, "/etc/b.toml"),
        ("linux", {"HOME": "/h", "BATCHSTAT_CONFIG": "~/b.toml"}, "/h/b.toml"),
        ("linux", {}, None),
    ],
)
def test_config_location(platform, env, expected):
    path, named_by = config_location(env, platform)
    if platform == "win32":
        assert path == os.path.join("C:/Users/u/AppData/Roaming", "batchstat", "config.toml")
    else:
        assert path == expected
    assert named_by == ("BATCHSTAT_CONFIG" if "BATCHSTAT_CONFIG" in env else None)


def test_no_config_file_and_no_home_is_no_profile():
    runtime = Runtime(env={})
    config = load(runtime)
    assert not config.found and config.profile is None
    assert configmod.command_defaults(runtime, None) is None


def test_batchstat_config_naming_a_missing_file_is_an_error(home):
    with pytest.raises(ConfigError, match="BATCHSTAT_CONFIG"):
        load(home.runtime(BATCHSTAT_CONFIG=str(home.root / "nope.toml")))


def test_batchstat_config_names_the_file(home):
    other = home.root / "elsewhere.toml"
    other.write_text('[profiles.default]\noutput = "json"\n')
    config = load(home.runtime(BATCHSTAT_CONFIG=str(other)))
    assert config.found and config.profile == {"output": "json"}


# -- profiles ----------------------------------------------------------------------------

PROFILES = """
[profiles.default.alibaba]
region = "cn-beijing"

[profiles.prod.alibaba]
region = "cn-shanghai"

[profiles.staging.alibaba]
region = "eu-central-1"
"""


def test_default_profile_then_env_then_flag_pick_the_profile(home):
    home.write_config(PROFILES)
    home.env.update(ENV_AK)
    assert alibaba(home.runtime())[0].region == "cn-beijing"
    runtime = home.runtime(BATCHSTAT_PROFILE="prod")
    assert alibaba(runtime)[0].region == "cn-shanghai"
    assert load(runtime).profile_origin == "BATCHSTAT_PROFILE"
    runtime = home.runtime(BATCHSTAT_PROFILE="prod")
    runtime.profile = "staging"  # --profile
    config, settings = alibaba(runtime)
    assert config.region == "eu-central-1"
    assert sources(settings)["region"] == "profile staging"
    assert load(runtime).profile_origin == "--profile"


def test_an_unknown_profile_lists_the_known_ones(home):
    home.write_config(PROFILES)
    with pytest.raises(ConfigError) as caught:
        load(home.runtime(BATCHSTAT_PROFILE="prdo"))
    assert "'prdo'" in caught.value.message and "default, prod, staging" in caught.value.hint


def test_a_named_profile_without_a_config_file_is_an_error(home):
    runtime = home.runtime()
    runtime.profile = "prod"
    with pytest.raises(ConfigError, match="no config file"):
        load(runtime)


def test_without_a_default_profile_nothing_applies(home):
    home.write_config('[profiles.prod]\noutput = "json"\n')
    config = load(home.runtime())
    assert config.found and config.profile is None and config.profiles == ["prod"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[profiles.default\n", "not valid TOML"),
        ('region = "x"\n', "unknown top-level key"),
        ("[profiles.default]\nregoin = 1\n", "unknown key 'regoin'"),
        ("[profiles.default.acme]\nx = 1\n", "is not a provider"),
        ('[profiles.default]\noutput = "yaml"\n', "not an output format"),
        ('[profiles.default]\ninterval = "soon"\n', "interval"),
        ("[profiles.default]\ninterval = true\n", "give a duration"),
    ],
)
def test_a_malformed_config_file_is_a_config_error_naming_it(home, text, message):
    path = home.write_config(text)
    with pytest.raises(ConfigError) as caught:
        configmod.command_defaults(home.runtime(), None)
    assert message in caught.value.message and str(path) in caught.value.message


def test_a_typo_in_a_provider_table_is_refused_by_the_provider(home):
    home.write_config('[profiles.default.alibaba]\nregoin = "cn-beijing"\n')
    with pytest.raises(ConfigError, match="unknown key regoin"):
        alibaba(home.runtime(**ENV_AK))


def test_command_defaults_become_clicks_default_map(home):
    home.write_config('[profiles.default]\noutput = "json"\ninterval = 7\ntimeout = "30m"\n')

    class Group:
        def __init__(self, **commands):
            self.commands = commands

    root = Group(alibaba=Group(get=None), azure=Group(get=None, list=None))
    defaults = configmod.command_defaults(home.runtime(), root)
    assert defaults == {
        "watch": {"output": "json", "interval": "7s", "timeout": "30m"},
        "alibaba": {"get": {"output": "json"}},
        "azure": {"get": {"output": "json"}, "list": {"output": "json"}},
    }


# -- Alibaba: every source, in order -----------------------------------------------------


def test_alibaba_environment_beats_profile_beats_cli_profile(home):
    home.write_config(PROFILE_AK)
    home.write_cli(CLI_AK)
    config, settings = alibaba(home.runtime(**ENV_AK))
    assert (config.access_key_id, config.access_key_secret) == ("LTAIenv", "env-secret-value-0001")
    assert sources(settings)["access_key_secret"] == f"env {ENV_SECRET}"

    config, settings = alibaba(home.runtime())
    assert (config.access_key_id, config.access_key_secret) == (
        "LTAIprofile",
        "profile-secret-value-0002",
    )
    assert sources(settings)["access_key_id"] == "profile default"

    home.config.unlink()
    config, settings = alibaba(home.runtime())
    assert (config.access_key_id, config.access_key_secret) == ("LTAIcli", "cli-secret-value-0003")
    assert config.security_token is None
    assert sources(settings)["access_key_id"].startswith("Alibaba Cloud CLI profile default (")


def test_alibaba_secret_file_flag_beats_every_secret(home):
    home.write_config(PROFILE_AK)
    path = home.write("secret.txt", "file-secret-value-0007\n")
    runtime = home.runtime(**ENV_AK)
    runtime.secret_file = path
    config, settings = alibaba(runtime)
    assert (config.access_key_id, config.access_key_secret) == ("LTAIenv", "file-secret-value-0007")
    assert sources(settings)["access_key_secret"] == f"--secret-file {path}"
    assert "file-secret-value-0007" in runtime.secrets

    runtime = home.runtime()  # the profile gives the id, the flag the secret
    runtime.secret_file = path
    config, _ = alibaba(runtime)
    assert (config.access_key_id, config.access_key_secret) == (
        "LTAIprofile",
        "file-secret-value-0007",
    )


def test_alibaba_never_mixes_two_sources(home):
    home.write_config(PROFILE_AK)
    with pytest.raises(ConfigError) as caught:
        alibaba(home.runtime(**{ENV_ID: "LTAIenv"}))
    assert ENV_SECRET in caught.value.message and ENV_ID not in caught.value.message


def test_alibaba_nothing_anywhere_names_both_variables(home):
    with pytest.raises(ConfigError) as caught:
        alibaba(home.runtime())
    assert ENV_ID in caught.value.message and ENV_SECRET in caught.value.message
    assert "aliyun configure" in caught.value.hint


def test_alibaba_profile_secret_file_is_relative_to_the_config_file(home):
    home.write_config(
        '[profiles.default.alibaba]\naccess_key_id = "LTAIp"\nsecret_file = "ak.secret"\n',
        mode=0o644,  # no secret in it: its mode does not matter
    )
    (home.config.parent / "ak.secret").write_text("relative-secret-0008\n")
    config, settings = alibaba(home.runtime())
    assert config.access_key_secret == "relative-secret-0008"
    assert settings.settings["access_key_secret"].kind == "file"


def test_alibaba_profile_sts_token(home):
    home.write_config(
        "[profiles.default.alibaba]\n"
        'access_key_id = "STS.p"\naccess_key_secret = "p-sts-secret-0009"\n'
        'security_token = "p-sts-token-0010"\n'
    )
    config, _ = alibaba(home.runtime())
    assert config.security_token == "p-sts-token-0010"


@pytest.mark.parametrize(
    ("flags", "env", "profile_region", "cli", "expected", "source"),
    [
        ({"region": "cn-shenzhen"}, {ENV_REGION: "cn-qingdao"}, "cn-beijing", True, "cn-shenzhen",
         "--region"),
        ({}, {ENV_REGION: "cn-qingdao"}, "cn-beijing", True, "cn-qingdao", f"env {ENV_REGION}"),
        ({}, {}, "cn-beijing", True, "cn-beijing", "profile default"),
        ({}, {}, None, True, "ap-southeast-1", "Alibaba Cloud CLI profile default"),
        ({}, {}, None, False, "cn-hangzhou", "default"),
    ],
)  # fmt: skip
def test_alibaba_region_precedence(home, flags, env, profile_region, cli, expected, source):
    if profile_region:
        home.write_config(f'[profiles.default.alibaba]\nregion = "{profile_region}"\n')
    if cli:
        home.write_cli(CLI_AK)
    else:
        env = {**env, **ENV_AK}
    config, settings = alibaba(home.runtime(**env), **flags)
    assert config.region == expected
    assert sources(settings)["region"].startswith(source)


def test_alibaba_cli_region_only_with_cli_credentials(home):
    home.write_cli(CLI_AK)
    config, _ = alibaba(home.runtime(**ENV_AK))
    assert config.region == "cn-hangzhou"  # the CLI profile's region goes with its key


@pytest.mark.parametrize(
    ("flag", "env", "profile", "expected", "source"),
    [
        ("http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3", 1, "--endpoint"),
        (None, "http://127.0.0.1:2", "http://127.0.0.1:3", 2, f"env {ENV_ALI_ENDPOINT}"),
        (None, None, "http://127.0.0.1:3", 3, "profile default"),
        (None, None, None, None, "from the region cn-hangzhou"),
    ],
)
def test_alibaba_endpoint_precedence(home, flag, env, profile, expected, source):
    if profile:
        home.write_config(f'[profiles.default.alibaba]\nendpoint = "{profile}"\n')
    runtime = home.runtime(**ENV_AK, **{ENV_ALI_ENDPOINT: env})
    config, settings = alibaba(runtime, endpoint=flag)
    assert config.endpoint.port == expected
    assert sources(settings)["endpoint"] == source


def test_alibaba_region_from_the_profile_is_checked_like_the_flag(home):
    home.write_config('[profiles.default.alibaba]\nregion = "cn-hangzou"\n')
    with pytest.raises(UsageError) as caught:
        alibaba(home.runtime(**ENV_AK))
    assert "profile default" in caught.value.message and "cn-hangzhou" in caught.value.message


# -- the Alibaba Cloud CLI's profiles ------------------------------------------------------


def test_cli_profile_sts_token_mode(home):
    home.write_cli(CLI_AK)
    runtime = home.runtime(ALIBABA_CLOUD_PROFILE="sts")
    config, settings = alibaba(runtime)
    assert (config.access_key_id, config.security_token) == ("STS.cli", "cli-sts-token-0005/+=")
    assert config.region == "cn-shanghai"
    assert settings.settings["aliyun_profile"].source == "env ALIBABA_CLOUD_PROFILE"


def test_cli_profile_current_is_the_default_choice(home):
    home.write_cli({**CLI_AK, "current": "sts"})
    profile = read_cli_profile(home.runtime())
    assert profile is not None and profile.name == "sts" and profile.mode == "StsToken"


def test_cli_profile_named_by_the_batchstat_profile(home):
    home.write_cli(CLI_AK)
    home.write_config('[profiles.default.alibaba]\naliyun_profile = "sts"\n', mode=0o644)
    config, settings = alibaba(home.runtime())
    assert config.access_key_id == "STS.cli"
    assert settings.settings["aliyun_profile"].source == "profile default"


def test_cli_profile_env_name_beats_the_batchstat_profile(home):
    home.write_cli(CLI_AK)
    home.write_config('[profiles.default.alibaba]\naliyun_profile = "sts"\n')
    config, _ = alibaba(home.runtime(ALIBABA_CLOUD_PROFILE="default"))
    assert config.access_key_id == "LTAIcli"


def test_cli_profile_without_mode_is_an_access_key(home):
    data = {
        "profiles": [{"name": "default", "access_key_id": "LTAIold", "access_key_secret": "s" * 20}]
    }
    home.write_cli(data)
    profile = read_cli_profile(home.runtime())
    assert profile is not None and profile.mode == "AK" and profile.token is None


@pytest.mark.parametrize(
    ("data", "env", "message"),
    [
        (CLI_AK, {"ALIBABA_CLOUD_PROFILE": "role"}, "RamRoleArn mode"),
        (CLI_AK, {"ALIBABA_CLOUD_PROFILE": "nope"}, "no profile 'nope'"),
        ("{not json", {}, "not valid JSON"),
        ([1, 2], {}, "not of the expected shape"),
        (
            {"profiles": [{"name": "default", "mode": "StsToken", "access_key_id": "STS.x",
                           "access_key_secret": "x" * 20}]},
            {},
            "no sts_token",
        ),
    ],
)  # fmt: skip
def test_cli_profile_errors(home, data, env, message):
    home.write_cli(data)
    with pytest.raises(ConfigError, match=message):
        alibaba(home.runtime(**env))


def test_cli_profile_named_but_no_file(home):
    with pytest.raises(ConfigError, match="does not exist"):
        alibaba(home.runtime(ALIBABA_CLOUD_PROFILE="prod"))


@pytest.mark.parametrize(
    "variable", ["ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "ALIBABA_CLOUD_IGNORE_PROFILE"]
)
def test_cli_profiles_can_be_turned_off(home, variable):
    home.write_cli(CLI_AK)
    assert read_cli_profile(home.runtime(**{variable: "TRUE"})) is None


def test_every_secret_of_the_cli_file_is_scrubbed(home):
    home.write_cli(CLI_AK)
    runtime = home.runtime()
    read_cli_profile(runtime)
    for secret in ("cli-secret-value-0003", "cli-sts-token-0005/+=", "cli-role-secret-0006"):
        assert secret in runtime.secrets


# -- Azure: every source, in order ---------------------------------------------------------

AZ_ENV = {AZ_ENDPOINT: "http://127.0.0.1:2", AZ_KEY: "env-az-key-0011"}


def test_azure_key_file_beats_env_beats_profile(home):
    home.write_config(
        '[profiles.default.azure]\nendpoint = "http://127.0.0.1:3"\nkey = "profile-az-key-0012"\n'
    )
    path = home.write("key.txt", "file-az-key-0013\n")
    runtime = home.runtime(**AZ_ENV)
    runtime.key_file = path
    config, settings = azure(runtime)
    assert config.key == "file-az-key-0013" and config.endpoint.port == 2
    assert sources(settings)["key"] == f"--key-file {path}"
    config, settings = azure(home.runtime(**AZ_ENV))
    assert config.key == "env-az-key-0011"
    config, settings = azure(home.runtime())
    assert (config.key, config.endpoint.port) == ("profile-az-key-0012", 3)
    assert sources(settings) == {
        "api_version": "default",
        "endpoint": "profile default",
        "key": "profile default",
    }


def test_azure_key_file_in_the_profile(home):
    home.write_config(
        '[profiles.default.azure]\nendpoint = "http://127.0.0.1:3"\nkey_file = "~/az.key"\n'
    )
    home.write("az.key", "home-az-key-0014")
    config, settings = azure(home.runtime())
    assert config.key == "home-az-key-0014"
    assert sources(settings)["key"] == f"file {home.root / 'az.key'}"


def test_azure_key_and_key_file_together_are_ambiguous(home):
    home.write_config(
        '[profiles.default.azure]\nendpoint = "http://127.0.0.1:3"\nkey = "k' + "x" * 20 + '"\n'
        'key_file = "az.key"\n'
    )
    with pytest.raises(ConfigError, match="not both"):
        azure(home.runtime())


@pytest.mark.parametrize(
    ("flags", "env", "profile", "expected"),
    [
        ({"region": "westus2"}, {AZ_REGION: "eastus"}, "westeurope", ("westus2", "--region")),
        ({}, {AZ_REGION: "eastus"}, "westeurope", ("eastus", f"env {AZ_REGION}")),
        ({}, {}, "westeurope", ("westeurope", "profile default")),
        ({}, {}, None, (None, None)),
    ],
)
def test_azure_region_precedence(home, flags, env, profile, expected):
    if profile:
        home.write_config(f'[profiles.default.azure]\nregion = "{profile}"\n')
    config, settings = azure(home.runtime(**AZ_ENV, **env), **flags)
    assert (config.region, sources(settings).get("region")) == expected


def test_azure_api_version_flag_beats_profile(home):
    home.write_config('[profiles.default.azure]\napi_version = "2026-03-01"\n')
    assert azure(home.runtime(**AZ_ENV))[0].api_version == "2026-03-01"
    assert azure(home.runtime(**AZ_ENV), api_version="2024-05-01")[0].api_version == "2024-05-01"
    home.write_config('[profiles.default.azure]\napi_version = "2020-01-01"\n')
    with pytest.raises(UsageError, match="profile default"):
        azure(home.runtime(**AZ_ENV))


def test_azure_endpoint_from_the_profile_beats_the_job_url(home):
    home.write_config('[profiles.default.azure]\nendpoint = "http://127.0.0.1:3"\n')
    with pytest.raises(ConfigError, match="sends the key only"):
        azure(home.runtime(**{AZ_KEY: "k" * 20}), reference_endpoint="http://127.0.0.1:4")
    assert azure(home.runtime(**{AZ_KEY: "k" * 20}))[0].endpoint.port == 3


def test_azure_without_a_key_and_without_azure_identity(home, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "azure.identity", None)  # not installed
    with pytest.raises(ConfigError) as caught:
        azure(home.runtime(**{AZ_ENDPOINT: "http://127.0.0.1:2"}))
    assert AZ_KEY in caught.value.message and "batchstat[entra]" in caught.value.hint


# -- the 0600 rule -------------------------------------------------------------------------


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620])
def test_secrets_are_not_read_from_a_file_others_can_open(home, mode):
    home.write_config(
        PROFILE_AK + '\n[profiles.default.azure]\nkey = "profile-az-key-0012"\n', mode
    )
    runtime = home.runtime()
    with pytest.raises(ConfigError) as caught:
        alibaba(runtime)
    assert f"mode {mode:04o}" in caught.value.message
    assert "access_key_secret" in caught.value.message and "chmod 600" in caught.value.hint
    with pytest.raises(ConfigError) as caught:
        azure(home.runtime(**{AZ_ENDPOINT: "http://127.0.0.1:2"}))
    assert "key in [profiles.default.azure]" in caught.value.message
    assert "chmod 600" in caught.value.hint and "key_file" in caught.value.hint
    # Refused, but scrubbed all the same.
    assert {"profile-secret-value-0002", "profile-az-key-0012"} <= set(runtime.secrets)


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
def test_settings_other_than_secrets_are_read_from_any_file(home):
    home.write_config('[profiles.default.alibaba]\nregion = "cn-beijing"\n', mode=0o644)
    assert alibaba(home.runtime(**ENV_AK))[0].region == "cn-beijing"


@pytest.mark.skipif(os.name == "nt", reason="POSIX modes")
@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_secrets_are_read_from_a_private_file(home, mode):
    home.write_config(PROFILE_AK, mode)
    assert alibaba(home.runtime())[0].access_key_secret == "profile-secret-value-0002"


def test_the_reason_is_kept_when_the_file_is_not_private(home):
    home.write_config("[profiles.default]\n", 0o666)
    config = load(home.runtime())
    assert config.found and not config.private and "0666" in (config.private_reason or "")


# -- secret files and stdin ----------------------------------------------------------------


def test_secret_file_is_one_line(home):
    runtime = home.runtime()
    assert read_secret_file(runtime, home.write("a", "  one-line-secret \n"), origin="--x") == (
        "one-line-secret"
    )
    for text, message in (("", "is empty"), ("two\nlines\n", "more than one line")):
        with pytest.raises(ConfigError, match=message):
            read_secret_file(runtime, home.write("b", text), origin="--x")
    with pytest.raises(ConfigError, match="cannot read"):
        read_secret_file(runtime, str(home.root / "missing"), origin="--x")
    with pytest.raises(ConfigError, match="too large"):
        read_secret_file(runtime, home.write("c", "x" * 70_000), origin="--x")


def test_stdin_holds_one_secret(home):
    runtime = home.runtime(stdin="stdin-secret-0015\n")
    assert read_secret_file(runtime, "-", origin="--key-file") == "stdin-secret-0015"
    assert read_secret_file(runtime, "-", origin="--key-file") == "stdin-secret-0015"
    assert "stdin-secret-0015" in runtime.secrets
    with pytest.raises(ConfigError, match="already read for --key-file"):
        read_secret_file(runtime, "-", origin="--secret-file")


def test_mask_shows_at_most_the_last_four():
    assert mask("alibaba-test-secret-value") == "****alue"
    assert mask("short") == "****"
