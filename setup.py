"""Build step: the top-level ``migrations/``, ``locales/`` and alembic.ini ship inside ``bot``.

All metadata is in pyproject.toml. The source tree keeps the folders at the top level (where
developers and Alembic expect them); a wheel must carry them, so ``build_py`` copies the
migrations and alembic.ini and compiles each catalog's .po into a .mo under ``bot/`` in the
build tree. Only the .mo ships: an installed package never recompiles into site-packages.
Editable installs skip this; ``bot.infra.package_data`` finds the folders in the checkout.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildPyWithData(build_py):
    """build_py, plus the migrations, alembic.ini and the compiled catalogs inside ``bot/``."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        # Here, not at the top: an editable install needs no Babel to build.
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        package = Path(self.build_lib) / "bot"
        shutil.copytree(
            ROOT / "migrations",
            package / "migrations",
            ignore=shutil.ignore_patterns("__pycache__", "*.py[co]"),
            dirs_exist_ok=True,
        )
        shutil.copy2(ROOT / "alembic.ini", package / "alembic.ini")
        pos = sorted((ROOT / "locales").glob("*/LC_MESSAGES/messages.po"))
        if not pos:
            raise RuntimeError("no catalogs found under locales/")
        for po in pos:
            mo = package / po.relative_to(ROOT).with_suffix(".mo")
            mo.parent.mkdir(parents=True, exist_ok=True)
            with po.open("rb") as source:
                catalog = read_po(source)
            with mo.open("wb") as target:
                write_mo(target, catalog)


setup(cmdclass={"build_py": BuildPyWithData})
