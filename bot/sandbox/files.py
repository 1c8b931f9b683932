"""Files the bot and the users sent: bytes kept in memory, found by file_id or by download path."""

from __future__ import annotations

import hashlib
import itertools
import mimetypes
from dataclasses import dataclass
from typing import Any

from bot.sandbox.markup import image_size


@dataclass
class FileRecord:
    file_id: str
    file_unique_id: str
    data: bytes
    file_path: str
    mime_type: str
    file_name: str | None = None

    def meta(self) -> dict[str, Any]:
        return {"file_id": self.file_id, "file_unique_id": self.file_unique_id, "file_size": len(self.data)}


class FileStore(dict[str, FileRecord]):
    """file_id -> FileRecord, plus the download path index."""

    def __init__(self) -> None:
        super().__init__()
        self._by_path: dict[str, FileRecord] = {}
        self._numbers = itertools.count(1)

    def add(
        self, data: bytes, kind: str, file_name: str | None = None, mime_type: str | None = None
    ) -> FileRecord:
        """Store an upload; kind "photo" (kept as JPEG, as Telegram does) or "document"."""
        n = next(self._numbers)
        digest = hashlib.sha256(data).hexdigest()
        if kind == "photo":
            path, mime = f"photos/file_{n}.jpg", "image/jpeg"
        else:
            mime = mime_type or mimetypes.guess_type(file_name or "")[0] or "application/octet-stream"
            ext = file_name.rpartition(".")[2] if file_name and "." in file_name else "bin"
            path = f"documents/file_{n}.{ext}"
        record = FileRecord(
            f"AgAC{kind[:3]}{n:06d}{digest[:24]}", f"AQAD{digest[:12]}", data, path, mime, file_name
        )
        self[record.file_id] = self._by_path[path] = record
        return record

    def by_path(self, path: str) -> FileRecord | None:
        return self._by_path.get(path)

    @staticmethod
    def photo_sizes(record: FileRecord) -> list[dict[str, Any]]:
        """Telegram's PhotoSize list (one size: the original); 320x240 when the bytes are not an image."""
        width, height = image_size(record.data) or (320, 240)
        return [{**record.meta(), "width": width, "height": height}]

    @staticmethod
    def document(record: FileRecord) -> dict[str, Any]:
        out = {**record.meta(), "mime_type": record.mime_type}
        if record.file_name:
            out["file_name"] = record.file_name
        return out
