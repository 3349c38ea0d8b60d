"""Configuration: defaults, TOML, environment overrides, one-line errors, masked output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import ConfigError, load_settings


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.database_url == "sqlite+aiosqlite:///var/lotsenbot.db"
    assert settings.console_enabled and not settings.telegram_enabled
    assert settings.bot.default_locale == "de"
    # Every catalog folder is offered unless [bot] languages names some.
    assert {"de", "en", "uk"} <= set(settings.bot.languages)


def test_languages_come_from_the_config_line_and_the_folders(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text('[bot]\nlanguages = ["uk", "en"]\n')
    assert (load_settings(file).bot.languages, load_settings(file).bot.default_locale) == (
        ["uk", "en"],
        "uk",
    )


def test_toml_values_and_environment_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "bot.toml"
    file.write_text('[telegram]\ntoken = "from-file"\n[delivery]\nbatch_size = 7\n')
    monkeypatch.setenv("LOTSENBOT_TELEGRAM__TOKEN", "123:from-env")
    monkeypatch.setenv("LOTSENBOT_MATRIX__HOMESERVER", "http://127.0.0.1:8008")
    settings = load_settings(file)
    assert settings.telegram.token.get_secret_value() == "123:from-env"
    assert settings.matrix.homeserver == "http://127.0.0.1:8008"
    assert settings.delivery.batch_size == 7
    assert not settings.console_enabled


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("[database]\nurl = 'mysql://x'\n", "database.url: Value error, must start with"),
        (
            "[delivery]\nbatch_size = 'viele'\n",
            "delivery.batch_size: Input should be a valid integer",
        ),
        ("[telegram]\ntokn = 'x'\n", "telegram.tokn: unknown key"),
        ("[bot]\nadmins = ['anna']\n", "bot.admins: Value error, 'anna' must look like"),
        ("[bot\n", "not valid TOML"),
        ("[bot]\nlanguages = ['de', 'tr']\n", "/tr/LC_MESSAGES/messages.po"),
        ("[bot]\nlanguages = ['de', 'en']\ndefault_locale = 'uk'\n", "must be one of"),
        (
            "[telegram]\nmode = 'webhook'\n",
            "telegram.webhook_secret: Value error, webhook mode needs a secret of at least 32",
        ),
        (
            "[telegram]\nmode = 'webhook'\nwebhook_secret = 'only-31-characters-long-abcdefg'\n",
            "telegram.webhook_secret: Value error, webhook mode needs a secret of at least 32",
        ),
        (
            "[telegram]\nmode = 'webhook'\n"
            "webhook_secret = 'mehr als zweiunddreißig Zeichen, aber mit Leerzeichen'\n",
            "telegram.webhook_secret: Value error, only A-Z, a-z, 0-9",
        ),
    ],
)
def test_invalid_file_fails_with_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, expected: str
) -> None:
    file = tmp_path / "config.toml"
    file.write_text(content)
    assert main(["--config", str(file), "check-config"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith(f"lotsenbot: configuration error: {file}")
    assert expected in err


def test_webhook_secret_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mode may come from the environment: the secret is required all the same."""
    monkeypatch.setenv("LOTSENBOT_TELEGRAM__MODE", "webhook")
    with pytest.raises(ConfigError, match=r"telegram\.webhook_secret: .*at least 32"):
        load_settings(tmp_path / "none.toml")
    monkeypatch.setenv("LOTSENBOT_TELEGRAM__WEBHOOK_SECRET", "x" * 32)
    assert load_settings(tmp_path / "none.toml").telegram.mode == "webhook"


def test_named_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "missing.toml", explicit=True)


def test_check_config_masks_secrets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "config.toml"
    file.write_text('[telegram]\ntoken = "123456:SECRET-TOKEN"\n[matrix]\npassword = "hunter2"\n')
    monkeypatch.setenv("LOTSENBOT_MATRIX__ACCESS_TOKEN", "syt_secret")
    assert main(["check-config", "--config", str(file)]) == 0
    out = capsys.readouterr().out
    assert "SECRET-TOKEN" not in out and "hunter2" not in out and "syt_secret" not in out
    data = json.loads(out)
    assert data["telegram"]["token"] == "********"
    assert data["telegram"]["base_url"] == "https://api.telegram.org/bot"


def test_example_config_documents_every_key() -> None:
    from bot.config import Settings

    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    text = example.read_text(encoding="utf-8")
    import tomllib

    parsed = tomllib.loads(text)
    for section, model in Settings.model_fields.items():
        for key in model.annotation.model_fields:  # type: ignore[union-attr]
            assert key in parsed.get(section, {}), f"{section}.{key} missing in config.example.toml"
            assert f"# {key}" in text or f"{key} =" in text
    Settings(**parsed)  # the example itself is valid


# Secrets from files, where the configuration is read from, and environment typos (#19).


@pytest.fixture
def no_config_around(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working directory and no /etc file: only what a test sets counts."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LOTSENBOT_CONFIG", raising=False)
    monkeypatch.setattr("bot.config.DEFAULT_CONFIG_FILES", (Path("config.toml"),), raising=False)
    return tmp_path


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("telegram", "token", "123456:FROM-A-FILE"),
        ("telegram", "webhook_secret", "s" * 40),
        ("matrix", "password", "hunter2"),
        ("matrix", "access_token", "syt_from_file"),
        ("database", "url", "postgresql+asyncpg://bot:pw@127.0.0.1/lotsenbot"),
        ("database", "password", "db-secret"),
    ],
)
def test_every_secret_key_reads_a_file_from_toml_or_environment(
    no_config_around: Path, monkeypatch: pytest.MonkeyPatch, section: str, key: str, value: str
) -> None:
    secret = no_config_around / "secret"
    secret.write_text(value + "\n")  # as `echo VALUE > file` writes it
    file = no_config_around / "config.toml"
    file.write_text(f'[{section}]\n{key}_file = "{secret}"\n')
    settings = load_settings()
    got = getattr(getattr(settings, section), key)
    assert (got if isinstance(got, str) else got.get_secret_value()) == value
    file.unlink()
    monkeypatch.setenv(f"LOTSENBOT_{section.upper()}__{key.upper()}_FILE", str(secret))
    got = getattr(getattr(load_settings(), section), key)
    assert (got if isinstance(got, str) else got.get_secret_value()) == value


def test_systemd_credentials_directory_in_the_path(
    no_config_around: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (no_config_around / "telegram_token").write_text("42:CRED")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(no_config_around))
    monkeypatch.setenv("LOTSENBOT_TELEGRAM__TOKEN_FILE", "${CREDENTIALS_DIRECTORY}/telegram_token")
    assert load_settings().telegram.token.get_secret_value() == "42:CRED"


def test_database_password_from_a_file_goes_into_the_url(no_config_around: Path) -> None:
    (no_config_around / "pw").write_text("s3cret\n")
    (no_config_around / "config.toml").write_text(
        '[database]\nurl = "postgresql+asyncpg://bot@127.0.0.1/db"\n'
        f'password_file = "{no_config_around / "pw"}"\n'
    )
    settings = load_settings()
    assert settings.database_url == "postgresql+asyncpg://bot:s3cret@127.0.0.1/db"
    from bot.config import secret_values

    assert "s3cret" in secret_values(settings)


def test_a_key_and_its_file_both_set_is_one_line_naming_both(
    no_config_around: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (no_config_around / "tok").write_text("1:A")
    (no_config_around / "config.toml").write_text(
        f'[telegram]\ntoken = "1:B"\ntoken_file = "{no_config_around / "tok"}"\n'
    )
    assert main(["check-config"]) == 2
    err = capsys.readouterr().err
    assert err == (
        "lotsenbot: configuration error: config.toml: telegram.token and "
        "telegram.token_file: both are set; keep only one of them\n"
    )
    (no_config_around / "config.toml").unlink()
    monkeypatch.setenv("LOTSENBOT_MATRIX__PASSWORD", "x")
    monkeypatch.setenv("LOTSENBOT_MATRIX__PASSWORD_FILE", str(no_config_around / "tok"))
    assert main(["check-config"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "LOTSENBOT_MATRIX__PASSWORD and LOTSENBOT_MATRIX__PASSWORD_FILE" in err


def test_a_missing_secret_file_is_one_line(
    no_config_around: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOTSENBOT_TELEGRAM__TOKEN_FILE", "/nonexistent/telegram_token")
    assert main(["check-config"]) == 2
    assert capsys.readouterr().err == (
        "lotsenbot: configuration error: LOTSENBOT_TELEGRAM__TOKEN_FILE: cannot read "
        "/nonexistent/telegram_token: No such file or directory\n"
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("LOTSENBOT_TELEGRAM__TOKN", "environment variable LOTSENBOT_TELEGRAM__TOKN: unknown key"),
        ("LOTSENBOT_TELEGRM__TOKEN", "environment variable LOTSENBOT_TELEGRM__TOKEN: there is no"),
        ("LOTSENBOT_DELIVERY__BATCH_SIZE", "environment variable LOTSENBOT_DELIVERY__BATCH_SIZE:"),
    ],
)
def test_an_environment_typo_names_the_variable_not_config_toml(
    no_config_around: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    name: str,
    expected: str,
) -> None:
    monkeypatch.setenv(name, "viele")
    assert main(["check-config"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert expected in err
    assert "config.toml" not in err


def test_where_the_configuration_is_read_from(
    no_config_around: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    etc = no_config_around / "etc.toml"
    etc.write_text('[bot]\nname = "from-etc"\n')
    monkeypatch.setattr("bot.config.DEFAULT_CONFIG_FILES", (Path("config.toml"), etc))
    assert load_settings().bot.name == "from-etc"
    (no_config_around / "config.toml").write_text('[bot]\nname = "from-cwd"\n')
    assert load_settings().bot.name == "from-cwd"
    named = no_config_around / "named.toml"
    named.write_text('[bot]\nname = "from-env"\n')
    monkeypatch.setenv("LOTSENBOT_CONFIG", str(named))
    assert load_settings().bot.name == "from-env"
    given = no_config_around / "given.toml"
    given.write_text('[bot]\nname = "from-option"\n')
    assert load_settings(given, explicit=True).bot.name == "from-option"
    monkeypatch.setenv("LOTSENBOT_CONFIG", str(no_config_around / "missing.toml"))
    with pytest.raises(ConfigError, match=r"LOTSENBOT_CONFIG: .*missing\.toml: file not found"):
        load_settings()
