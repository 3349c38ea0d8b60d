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
