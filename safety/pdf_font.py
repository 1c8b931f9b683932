"""The CJK font embedded in the PDFs the bot writes (整改通知单, QR posters): Noto Sans CJK SC from Debian's
`fonts-noto-cjk` (installed by `make` and the Dockerfile). fpdf2 reads its outlines from the TrueType
collection; reportlab cannot."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

FAMILY = "noto-cjk"
CANDIDATES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc"),
)
SC_IN_COLLECTION = 2  # the collection's order: JP, KR, SC, TC, HK


class FontMissing(RuntimeError):
    """No CJK font on this machine: say which package brings it."""


def font_path() -> Path:
    for path in CANDIDATES:
        if path.exists():
            return path
    raise FontMissing("Noto Sans CJK not found: install Debian's fonts-noto-cjk (make install does as root)")


def new_pdf() -> FPDF:
    """An A4 portrait document with the CJK font registered as FAMILY and selected."""
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.add_font(FAMILY, fname=str(font_path()), collection_font_number=SC_IN_COLLECTION)
    pdf.set_font(FAMILY, size=12)
    return pdf
