"""The layer rules hold (README, "Architecture"): the import-linter contracts in
pyproject.toml, and two rules a contract cannot state without an ignore list."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
PLATFORM_LIBRARIES = {"telegram", "nio"}


def _graph() -> grimp.ImportGraph:
    return grimp.build_graph(
        "bot", "handlers", "web", include_external_packages=True, cache_dir=None
    )


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


def _modules(*packages: str) -> dict[str, Path]:
    found = {}
    for package in packages:
        for path in (ROOT / package).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _area(module: str) -> str:
    """The feature (or layer) a module belongs to: ``bot.dates``, ``handlers.events`` …"""
    return ".".join(module.split(".")[:2])


def test_no_module_reaches_into_another_areas_internals() -> None:
    """Names starting with "_" stay inside their feature: another feature uses what the
    module offers, or the shared piece moves to a shared place."""
    reached = []
    for module, path in _modules("bot", "handlers", "web").items():
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                continue
            if node.module.split(".")[0] not in {"bot", "handlers", "web"}:
                continue
            if _area(node.module) == _area(module):
                continue
            reached += [
                f"{module}: from {node.module} import {alias.name}"
                for alias in node.names
                # gettext's "_" is the one shared name that starts with an underscore.
                if alias.name.startswith("_") and alias.name != "_"
            ]
    assert reached == []


def test_handlers_are_thin() -> None:
    """Handlers (and the web pages) parse, call a use case and render: no database
    statement, and no module longer than a screenful of handlers (README, "Architecture")."""
    statements = re.compile(r"select\(|ctx\.session|\.session\.(execute|scalars?|get|add)\(")
    found = {
        name: [
            n for n, line in enumerate(path.read_text().splitlines(), 1) if statements.search(line)
        ]
        for name, path in _modules("handlers", "web").items()
    }
    assert {name: lines for name, lines in found.items() if lines} == {}
    lengths = {
        name: len(path.read_text().splitlines())
        for name, path in _modules("handlers", "web").items()
    }
    assert {name: n for name, n in lengths.items() if n > 300} == {}
