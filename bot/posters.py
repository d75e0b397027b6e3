"""QR codes of the deep links (segno), and the printable A4 poster: a title, the QR code, one line of text
and the link written out for those who cannot scan. SVG (vector, for print shops) or PDF (Pillow, 150 dpi).
`PRINTABLES` is what a campaign can be downloaded as: `printable()` makes any of them."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape

import segno
from PIL import Image, ImageDraw

from bot.fonts import font

QrFormat = Literal["png", "svg"]
PosterFormat = Literal["svg", "pdf"]
PrintableKind = Literal["qr", "poster"]
FileFormat = Literal["png", "svg", "pdf"]
MEDIA_TYPES: dict[FileFormat, str] = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
TITLE = "6Tcap — on t'oriente"
INK = "#0b5f73"
A4_MM = (210, 297)
DPI = 150


def qr_code(link: str) -> segno.QRCode:
    return segno.make(link, error="m", micro=False)


def qr_file(link: str, fmt: QrFormat) -> bytes:
    out = io.BytesIO()
    if fmt == "svg":
        qr_code(link).save(out, kind="svg", scale=10, border=4, dark="#000", title=link)
    else:
        qr_code(link).save(out, kind="png", scale=10, border=4)
    return out.getvalue()


def poster(link: str, line: str, fmt: PosterFormat) -> bytes:
    return poster_svg(link, line) if fmt == "svg" else poster_pdf(link, line)


@dataclass(frozen=True)
class Printable:
    formats: tuple[FileFormat, ...]  # the first one unless asked otherwise
    file_name: str  # the downloaded file is <file_name>-<source>.<format>
    description: str


PRINTABLES: dict[PrintableKind, Printable] = {
    "qr": Printable(("png", "svg"), "qr", "the QR code of the deep link"),
    "poster": Printable(
        ("pdf", "svg"), "affiche", "an A4 poster: the QR code, the campaign's line, the link"
    ),
}


def printable(kind: PrintableKind, link: str, line: str, fmt: FileFormat) -> bytes:
    """A campaign's QR code or poster in one of the formats PRINTABLES gives it (else ValueError)."""
    if fmt not in PRINTABLES[kind].formats:
        raise ValueError(f"{kind} in {fmt}")
    if kind == "qr":
        return qr_file(link, "svg" if fmt == "svg" else "png")
    return poster(link, line, "svg" if fmt == "svg" else "pdf")


def poster_svg(link: str, line: str) -> bytes:
    """A4 in millimetres: the title, the QR code (120 mm), the line, the link."""
    code = qr_code(link)
    size = code.symbol_size(border=0)[0]
    module = 120 / size
    x0, y0 = (A4_MM[0] - 120) / 2, 70
    side = f"{module:.3f}"
    squares = "".join(
        f'<rect x="{x0 + c * module:.3f}" y="{y0 + r * module:.3f}" width="{side}" height="{side}"/>'
        for r, row in enumerate(code.matrix)
        for c, dark in enumerate(row)
        if dark
    )
    text = 'font-family="DejaVu Sans, Arial, sans-serif" text-anchor="middle"'
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{A4_MM[0]}mm" height="{A4_MM[1]}mm" '
        f'viewBox="0 0 {A4_MM[0]} {A4_MM[1]}" role="img" aria-label="{escape(line, {chr(34): "&quot;"})}">'
        f'<rect width="100%" height="100%" fill="#fff"/>'
        f'<text x="105" y="40" {text} font-size="14" font-weight="700" fill="{INK}">{escape(TITLE)}</text>'
        f'<g fill="#000" shape-rendering="crispEdges">{squares}</g>'
        f'<text x="105" y="220" {text} font-size="11" font-weight="700" fill="#1b1b1b">{escape(line)}</text>'
        f'<text x="105" y="250" {text} font-size="5" fill="#4a4a4a">{escape(link)}</text>'
        "</svg>"
    )
    return svg.encode()


def poster_pdf(link: str, line: str) -> bytes:
    width, height = (round(mm / 25.4 * DPI) for mm in A4_MM)
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    centre = width // 2
    draw.text((centre, height * 40 // 297), TITLE, fill=INK, font=font(80), anchor="mm")
    qr = Image.open(io.BytesIO(qr_file(link, "png"))).convert("RGB")
    side = width * 120 // 210
    qr = qr.resize((side, side), Image.Resampling.NEAREST)
    page.paste(qr, (centre - side // 2, height * 70 // 297))
    for y_mm, text, size, colour, share in (
        (220, line, 64, "#1b1b1b", 0.9),
        (250, link, 28, "#4a4a4a", 0.95),
    ):
        fitted = _fit(draw, text, size, width * share)
        draw.text((centre, height * y_mm // 297), fitted, fill=colour, font=font(size), anchor="mm")
    out = io.BytesIO()
    page.save(out, "PDF", resolution=DPI, title=line)
    return out.getvalue()


def _fit(draw: ImageDraw.ImageDraw, text: str, size: int, width: float) -> str:
    """The text, shortened with an ellipsis if it does not fit the page."""
    while text and draw.textlength(text, font=font(size)) > width:
        text = text[:-2] + "…"
    return text
