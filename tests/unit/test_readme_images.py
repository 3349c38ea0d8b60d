"""Every picture the README shows is in the repository, and the web pages' pictures are the
ones `make docs-images` makes (tools/docs_images.py), kept small."""

from __future__ import annotations

import re
from pathlib import Path

from PIL import Image

from tools.docs_images import PICTURES

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# ![alt](path) and <img src="path">
PICTURE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)|<img[^>]*\ssrc=\"([^\"]+)\"")
MOST_BYTES = 300_000


def _shown() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [a or b for a, b in PICTURE.findall(text) if not (a or b).startswith("http")]


def test_every_picture_in_the_readme_exists() -> None:
    shown = _shown()
    assert shown
    missing = [path for path in shown if not (ROOT / path).is_file()]
    assert missing == []


def test_the_web_pages_pictures_are_shown_and_small() -> None:
    shown = set(_shown())
    for name in PICTURES:
        path = f"docs/images/web-{name}.png"
        assert path in shown, path
        file = ROOT / path
        assert file.stat().st_size < MOST_BYTES, path
        with Image.open(file) as image:
            assert image.mode == "P", path  # a palette PNG
            width = int(name.rsplit("-", 1)[1].split("x")[0])
            assert image.width == width, path
