"""Attachment files: recognise the type from the content, strip photo metadata, make thumbnails,
and keep the bytes under var/uploads (outside any web root), named by their SHA-256."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import msgspec
from PIL import Image, ImageOps, UnidentifiedImageError

from leokop.errors import ValidationFailed

MAX_BYTES = 10 * 1024 * 1024
THUMBNAIL_SIZE = (320, 320)
# Decompression bombs: a 10 MB file must not unpack into gigabytes of pixels.
Image.MAX_IMAGE_PIXELS = 40_000_000
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}


class StoredFile(msgspec.Struct, frozen=True):
    content_type: str
    data: bytes
    thumbnail: bytes | None
    sha256: str


def prepare(data: bytes) -> StoredFile:
    """Check and clean an upload. Raises ValidationFailed with a field code for the form.

    The type comes from the bytes, never from the name or the browser's claim. Photos are decoded
    and encoded again, which drops EXIF (GPS position, camera serial) after turning them upright."""
    if not data:
        raise ValidationFailed({"file": "file_empty"})
    if len(data) > MAX_BYTES:
        raise ValidationFailed({"file": "file_too_large"})
    if data.startswith(b"%PDF-"):
        return StoredFile("application/pdf", data, None, hashlib.sha256(data).hexdigest())
    try:
        with Image.open(io.BytesIO(data)) as probe:
            image_format = probe.format
            probe.verify()
        if image_format not in IMAGE_TYPES:
            raise ValidationFailed({"file": "file_type"})
        with Image.open(io.BytesIO(data)) as image:
            upright = ImageOps.exif_transpose(image)
            clean = io.BytesIO()
            if image_format == "JPEG":
                upright.convert("RGB").save(clean, "JPEG", quality=88, optimize=True)
            else:
                upright.save(clean, image_format)
            thumbnail = upright.copy()
            thumbnail.thumbnail(THUMBNAIL_SIZE)
            small = io.BytesIO()
            thumbnail.convert("RGB").save(small, "WEBP", quality=75)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, ValueError):
        raise ValidationFailed({"file": "file_type"}) from None
    cleaned = clean.getvalue()
    return StoredFile(IMAGE_TYPES[image_format], cleaned, small.getvalue(), hashlib.sha256(cleaned).hexdigest())


def upload_dir(var_dir: str) -> Path:
    return Path(var_dir) / "uploads"


def path_for(var_dir: str, sha256: str, thumbnail: bool = False) -> Path:
    return upload_dir(var_dir) / sha256[:2] / (sha256 + (".thumb.webp" if thumbnail else ""))


def save(var_dir: str, stored: StoredFile) -> None:
    """Write the file (and thumbnail) once; the same content uploaded twice is stored once."""
    target = path_for(var_dir, stored.sha256)
    target.parent.mkdir(parents=True, exist_ok=True)
    for path, data in ((target, stored.data), (path_for(var_dir, stored.sha256, True), stored.thumbnail)):
        if data is not None and not path.exists():
            partial = path.with_suffix(path.suffix + ".part")
            partial.write_bytes(data)
            partial.replace(path)  # atomic: a reader never sees half a file


def safe_filename(name: str, content_type: str) -> str:
    """A file name fit for a Content-Disposition header, with the extension the content has."""
    stem = "".join(c for c in Path(name or "").stem if c.isalnum() or c in " ._-")[:80].strip() or "anhang"
    extension = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}[content_type]
    return stem + extension
