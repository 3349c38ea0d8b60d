"""Catalogs and migrations are found through one module, so an installed wheel finds them."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

from bot import cli
from bot.infra.package_data import LOCALES_DIR, MIGRATIONS_DIR

ROOT = Path(__file__).resolve().parents[2]


def test_the_checkout_uses_its_top_level_folders() -> None:
    assert LOCALES_DIR == ROOT / "locales"
    assert MIGRATIONS_DIR == ROOT / "migrations"


def test_no_module_locates_files_from_its_own_path() -> None:
    """A path built from ``__file__`` would point outside the installed package (as
    ``parent.parent / "locales"`` did) or at files the wheel does not carry; files beside
    the code are found through ``bot.infra.package_data``."""
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("bot", "handlers")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if any(
            isinstance(node, ast.Name) and node.id == "__file__"
            for node in ast.walk(ast.parse(path.read_text()))
        )
    ]
    assert offenders == []


def test_version_is_the_one_in_pyproject(capsys: pytest.CaptureFixture[str]) -> None:
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    with pytest.raises(SystemExit) as stopped:
        cli.main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out == f"lotsenbot {expected}\n"
