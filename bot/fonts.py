"""The font of the pictures sixtcap draws (demo panoramas, printable posters): Debian's DejaVu Sans when
installed (it has every French accent), else Pillow's own."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PIL import ImageFont

DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


@cache
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if DEJAVU.exists():
        return ImageFont.truetype(str(DEJAVU), size)
    return ImageFont.load_default(size=size)
