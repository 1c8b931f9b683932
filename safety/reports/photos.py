"""A report's photo kept under the data folder: the bytes named by their content hash
(`media/<sha256>.jpg`, the path stored relative to the data folder), written once and atomically. Pure: bytes
in, a `Photo` out; fetching the file from the chat is the channel's business."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from safety.reports.create import Photo, ReportRejected
from safety.reports.rules import PHOTO_MAX_BYTES

MEDIA_DIR = "media"
IMAGE_TYPES = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
}  # documents that count as photos


def is_image(mime_type: str | None) -> bool:
    return (mime_type or "").lower() in IMAGE_TYPES


def too_big(size: int | None) -> bool:
    """A size the channel announced before the download (None: not announced)."""
    return size is not None and size > PHOTO_MAX_BYTES


def store(data_dir: Path, data: bytes, file_id: str, *, mime_type: str = "image/jpeg") -> Photo:
    """Keep the bytes as `<data_dir>/media/<sha256>.<ext>`; raises ReportRejected when they are empty or
    over the photo limit (nothing written)."""
    if not data or len(data) > PHOTO_MAX_BYTES:
        raise ReportRejected("report_flow.photo_too_big" if data else "report_flow.photo_empty")
    digest = hashlib.sha256(data).hexdigest()
    relative = f"{MEDIA_DIR}/{digest}.{IMAGE_TYPES.get(mime_type.lower(), 'jpg')}"
    path = data_dir / relative
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.part")
        partial.write_bytes(data)
        partial.replace(path)
    return Photo(file_id=file_id, sha256=digest, path=relative, size=len(data))
