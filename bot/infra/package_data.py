"""Where the catalogs and migrations are: inside the installed package, or in the checkout.

The source tree keeps ``locales/`` and ``migrations/`` at the top level; the build step in
``setup.py`` copies them (and alembic.ini) into the wheel as ``bot/locales`` and
``bot/migrations``, so an installed wheel runs from any directory. This is the one module
that knows both places.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

# The package itself, not this module's folder: stays right if this module moves.
PACKAGE_DIR = Path(str(files("bot"))).resolve()


def shipped(name: str) -> Path:
    """``name`` inside the installed package, else the checkout's top-level one."""
    inside = PACKAGE_DIR / name
    return inside if inside.exists() else PACKAGE_DIR.parent / name


LOCALES_DIR = shipped("locales")
MIGRATIONS_DIR = shipped("migrations")


CATALOG_FILES = ("messages.po", "messages.mo")


def catalog_languages(directory: Path = LOCALES_DIR) -> tuple[str, ...]:
    """The language codes with a catalog: every ``<code>/LC_MESSAGES/messages.po`` found, or
    its compiled ``messages.mo`` (an installed wheel ships only those)."""
    if not directory.is_dir():
        return ()
    return tuple(
        sorted(
            folder.name
            for folder in directory.iterdir()
            if any((folder / "LC_MESSAGES" / name).is_file() for name in CATALOG_FILES)
        )
    )


# Only for running the alembic command directly (``python -m alembic -c ...``).
ALEMBIC_INI = shipped("alembic.ini")


def installed_version() -> str:
    """The installed distribution's version (pyproject.toml is its one source)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lotsenbot")
    except PackageNotFoundError:
        # Run from a checkout that was never installed (PYTHONPATH only).
        return "unknown (not installed)"
