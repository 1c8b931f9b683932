"""The 整改通知单: one PDF per assignment (number, unit, location, description, the report's photos, the
responsible person, deadline, measures, issuer, date), with the embedded CJK font (safety/pdf_font.py)
and every word from the catalog. Kept under the data folder for the export."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from safety.pdf_font import FAMILY, new_pdf
from safety.texts import t

logger = logging.getLogger(__name__)

FOLDER = "notices"
PHOTO_WIDTH = 80.0  # mm; two photos per row on A4
PHOTO_HEIGHT = 60.0


def file_name(number: str) -> str:
    """What the responsible person receives: 整改通知单-NUMBER.pdf (in every language: the contract's)."""
    return f"整改通知单-{number}.pdf"


def relative_path(number: str, assignment: int = 1) -> str:
    """Where the notice of the `assignment`-th assignment is kept, relative to the data folder: the first
    under the plain name, a re-assignment beside it (the earlier notices stay as they were sent)."""
    stem = f"整改通知单-{number}" if assignment <= 1 else f"整改通知单-{number}-{assignment}"
    return f"{FOLDER}/{stem}.pdf"


def render_notice(
    path: Path,
    *,
    number: str,
    unit: str,
    location: str,
    description: str,
    photos: Sequence[Path],
    responsible: str,
    deadline: date,
    measures: str,
    issuer: str,
    date: date,
    language: str,
) -> Path:
    """Write the notice to `path` (folders made as needed); a photo that cannot be read is named, not
    fatal."""

    def tr(key: str, **params: object) -> str:
        return t(language, key, **params)

    pdf = new_pdf()
    pdf.set_title(f"{tr('rectify.pdf_title')} {number}")
    pdf.add_page()
    pdf.set_font(FAMILY, size=20)
    pdf.cell(0, 14, tr("rectify.pdf_title"), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, size=11)
    pdf.cell(0, 8, tr("rectify.pdf_number", number=number), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    rows = (
        ("rectify.pdf_unit", unit),
        ("rectify.pdf_location", location),
        ("rectify.pdf_description", description),
        ("rectify.pdf_responsible", responsible),
        ("rectify.pdf_deadline", deadline.isoformat()),
        ("rectify.pdf_measures", measures),
        ("rectify.pdf_issuer", issuer),
        ("rectify.pdf_date", date.isoformat()),
    )
    for key, value in rows:
        _field(pdf, tr(key), value)
    if photos:
        pdf.ln(4)
        pdf.set_font(FAMILY, size=12)
        pdf.cell(0, 8, tr("rectify.pdf_photos"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        _photos(pdf, photos, unreadable=tr("rectify.pdf_photo_unreadable"))
    pdf.ln(6)
    pdf.set_font(FAMILY, size=10)
    pdf.multi_cell(0, 6, tr("rectify.pdf_footer"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


def _field(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font(FAMILY, size=12)
    pdf.multi_cell(0, 7, f"{label}{value}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)


def _photos(pdf: FPDF, photos: Sequence[Path], *, unreadable: str) -> None:
    x0 = pdf.l_margin
    column = 0
    for photo in photos:
        if pdf.get_y() + PHOTO_HEIGHT > pdf.h - pdf.b_margin:
            pdf.add_page()
        x = x0 + column * (PHOTO_WIDTH + 6)
        y = pdf.get_y()
        try:
            pdf.image(str(photo), x=x, y=y, w=PHOTO_WIDTH, h=PHOTO_HEIGHT, keep_aspect_ratio=True)
        except Exception as exc:  # a damaged or foreign file: say so in its place
            logger.info("photo %s not drawn in the notice: %s", photo.name, exc)
            pdf.set_xy(x, y)
            pdf.set_font(FAMILY, size=9)
            pdf.cell(PHOTO_WIDTH, PHOTO_HEIGHT, unreadable, border=1, align="C")
        column = (column + 1) % 2
        pdf.set_xy(x0, y + PHOTO_HEIGHT + 4 if column == 0 else y)
    if column == 1:
        pdf.set_xy(x0, pdf.get_y() + PHOTO_HEIGHT + 4)
