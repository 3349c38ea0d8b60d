"""The layer rules hold (README, "Architecture"): the import-linter contracts in
pyproject.toml, and two rules a contract cannot state without an ignore list."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
PLATFORM_LIBRARIES = {"telegram", "nio"}


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph("bot", "handlers", include_external_packages=True, cache_dir=None)


def _direct_importers(graph: grimp.ImportGraph, imported: str) -> set[str]:
    return set(graph.find_modules_that_directly_import(imported))


def test_the_import_contracts_hold() -> None:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    count = len(contracts["contracts"])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    linter = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Contracts: {count} kept, 0 broken." in done.stdout


def test_only_adapters_import_platform_libraries() -> None:
    """Whatever knows Telegram or Matrix is an adapter: everything else asks the adapters
    for what they declare (links, command prefix, capabilities)."""
    graph = _graph()
    outside = {
        f"{module} -> {library}"
        for library in PLATFORM_LIBRARIES
        for module in _direct_importers(graph, library)
        if not module.startswith("bot.adapters.")
    }
    assert outside == set()


def test_only_the_composition_root_imports_handlers() -> None:
    """Below the handlers nothing knows them; bootstrap registers them."""
    graph = _graph()
    importers = {
        module
        for handler in graph.find_children("handlers") | {"handlers"}
        for module in _direct_importers(graph, handler)
        if not module.startswith("handlers")
    }
    assert importers == {"bot.bootstrap"}
