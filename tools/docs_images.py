"""Copy the README's pictures of the web pages from the browser tests' screenshots.

    make docs-images        # runs the browser tests first, then this
    python tools/docs_images.py

The browser tests (tests/browser/) save every screenshot in build/screenshots/; this picks
the main staff pages and the public page, makes each a small palette PNG (256 colours stay
legible for text on flat backgrounds) and writes it to docs/images/web-<name>.png, where the
README's "Staff web page" and "Public calendar page" sections show them. A missing
screenshot is an error: run the browser tests first.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "build" / "screenshots"
IMAGES = ROOT / "docs" / "images"

# The screenshots the README shows (build/screenshots/<name>.png -> docs/images/web-<name>.png).
PICTURES = (
    "staff-overview-1280x800",
    "staff-overview-800x1280",
    "staff-dates-1280x800",
    "staff-date-new-1280x800",
    "staff-date-change-1280x800",
    "staff-people-1280x800",
    "staff-door-800x1280",
    "staff-exports-1280x800",
    "staff-press-1280x800",
    "staff-calls-1280x800",
    "staff-announcement-preview-1280x800",
    "staff-help-1280x800",
    "staff-volunteers-1280x800",
    "staff-admin-1280x800",
    "public-page-1280x800",
    "public-page-800x1280",
)
# Full-page screenshots longer than this are cut (the top of a page shows what it is).
MOST_HEIGHT = 2400


def small(source: Path, target: Path) -> int:
    """The screenshot as a palette PNG, optimised; its size in bytes."""
    with Image.open(source) as image:
        picture = image.convert("RGB")
        if picture.height > MOST_HEIGHT:
            picture = picture.crop((0, 0, picture.width, MOST_HEIGHT))
        palette = picture.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=0)
        palette.save(target, optimize=True)
    return target.stat().st_size


def main() -> int:
    missing = [name for name in PICTURES if not (SHOTS / f"{name}.png").exists()]
    if missing:
        print("Missing screenshots (run the browser tests first):", *missing, sep="\n  ")
        return 1
    IMAGES.mkdir(parents=True, exist_ok=True)
    for name in PICTURES:
        size = small(SHOTS / f"{name}.png", IMAGES / f"web-{name}.png")
        print(f"docs/images/web-{name}.png  {size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
