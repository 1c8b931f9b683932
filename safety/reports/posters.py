"""QR posters for site locations (`safetybot qr`): one printable A4 page per location.

Each page has the location's name (as large as fits in three lines), its unit's name, a large QR code of
the deep link `https://t.me/<bot>?start=loc-<id>` (segno, error correction M or higher), the link in text
and one line of instructions. Pure: rows in, PDF bytes out; the font is Noto Sans CJK (safety.pdf_font).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import segno
from fpdf import FPDF
from fpdf.enums import Align, MethodReturnValue, XPos, YPos

from safety.pdf_font import new_pdf
from safety.texts import t

PAGE_WIDTH, MARGIN = 210.0, 15.0
WIDTH = PAGE_WIDTH - 2 * MARGIN
QR_SIZE = 130.0  # mm: some 5 cm of quiet zone included, scannable from a couple of metres
NAME_SIZES = (36, 30, 24, 20, 16, 13)  # pt: the first at which the name takes at most 3 lines
UNIT_SIZES = (18, 14, 11)  # pt: the first at which the unit's name takes at most 2 lines
PT = 25.4 / 72  # mm per point

# (pages done, pages in all)
PosterProgress = Callable[[int, int], None]


@dataclass(frozen=True)
class Poster:
    """What one page shows."""

    name: str
    unit_name: str
    link: str


def qr_png(link: str) -> bytes:
    """The link's QR code as a PNG (error correction M, raised by segno when the version has room)."""
    code = segno.make(link, error="m", micro=False)
    out = io.BytesIO()
    code.save(out, kind="png", scale=10, border=4)
    return out.getvalue()


def render(posters: Sequence[Poster], *, language: str, progress: PosterProgress | None = None) -> bytes:
    """The PDF of the posters, one page each, in the order given."""
    pdf = new_pdf()
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_title(t(language, "location.poster_title"))
    instructions = t(language, "location.poster_instructions")
    for done, poster in enumerate(posters, start=1):
        _page(pdf, poster, instructions)
        if progress is not None:
            progress(done, len(posters))
    return bytes(pdf.output())


def _page(pdf: FPDF, poster: Poster, instructions: str) -> None:
    pdf.add_page()
    pdf.set_y(MARGIN + 5)
    _centered(pdf, poster.name, _fit(pdf, poster.name, NAME_SIZES, 3))
    pdf.ln(3)
    _centered(pdf, poster.unit_name, _fit(pdf, poster.unit_name, UNIT_SIZES, 2))
    top = max(pdf.get_y() + 6, 85.0)
    pdf.image(io.BytesIO(qr_png(poster.link)), x=(PAGE_WIDTH - QR_SIZE) / 2, y=top, w=QR_SIZE, h=QR_SIZE)
    pdf.set_y(top + QR_SIZE + 4)
    _centered(pdf, poster.link, 11)
    pdf.ln(6)
    _centered(pdf, instructions, 16)


def _line_height(size: float) -> float:
    return size * PT * 1.3


def _centered(pdf: FPDF, text: str, size: float) -> None:
    pdf.set_font_size(size)
    pdf.multi_cell(WIDTH, _line_height(size), text, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _fit(pdf: FPDF, text: str, sizes: Sequence[int], max_lines: int) -> int:
    """The largest of `sizes` at which the text takes at most `max_lines` lines (else the smallest)."""
    for size in sizes:
        pdf.set_font_size(size)
        lines = pdf.multi_cell(WIDTH, _line_height(size), text, dry_run=True, output=MethodReturnValue.LINES)
        if isinstance(lines, list) and len(lines) <= max_lines:
            return size
    return sizes[-1]
