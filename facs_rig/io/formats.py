# SPDX-License-Identifier: GPL-3.0-or-later
"""The formats facs_rig imports, and telling them apart from a file's contents.

Extensions alone cannot tell formats apart (four of them are ``.csv``), so detection reads the
header or the JSON structure; the parsed payload is handed on so no file is read twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..core.errors import FacsError
from ..core.files import FileError, check_input
from . import audio2face, event_sheet, livelinkface, mediapipe, openface, pyfeat
from .errors import ReadError
from .jsondata import load_json
from .table import DEFAULT_MAX_BYTES, Table, file_error, read_table, read_text


@dataclass(frozen=True)
class Format:
    id: str
    label: str
    extensions: tuple[str, ...]
    description: str
    max_bytes: int = DEFAULT_MAX_BYTES
    """Largest file read (docs/importers.md): checked before the first byte, so a 30 GB file or
    ``/dev/zero`` is refused instead of filling memory."""


FORMATS: tuple[Format, ...] = (
    Format("openface", "OpenFace 2.x CSV", (".csv",), "FeatureExtraction output: AUxx_r, head pose, gaze",
           openface.MAX_BYTES),
    Format("pyfeat", "py-feat CSV", (".csv",), "Fex output of py-feat Detector v1 or v2", pyfeat.MAX_BYTES),
    Format("livelinkface", "Live Link Face CSV", (".csv",),
           "Epic's iOS app: ARKit blendshapes, head and eyes", livelinkface.MAX_BYTES),
    Format("audio2face", "Audio2Face JSON", (".json",), "NVIDIA Audio2Face blendshape export"),
    Format("mediapipe", "MediaPipe blendshapes", (".json", ".pbtxt", ".txt"),
           "Face Landmarker blendshape scores (JSON dump or ClassificationList text)"),
    Format("events", "Event sheet CSV", (".csv",), "onset/apex/offset frames and a FACS code per row "
           "(CASME II, SAMM)"),
)
FORMAT_IDS: tuple[str, ...] = tuple(f.id for f in FORMATS)
EXTENSIONS: tuple[str, ...] = tuple(sorted({e for f in FORMATS for e in f.extensions}))

MEDIA_FORMATS: tuple[Format, ...] = (
    Format("video", "Video (built-in face reader)", (".mp4", ".mov", ".mkv", ".avi", ".webm"),
           "a filmed face, read by MediaPipe Face Landmarker (docs/reader.md)"),
    Format("images", "Images (built-in face reader)", (".png", ".jpg", ".jpeg"),
           "a photo or a folder of them, read by MediaPipe Face Landmarker (docs/reader.md)"),
)
"""Read by :mod:`facs_rig.reader` (which sits above io), not by :func:`detect`."""
MEDIA_EXTENSIONS: tuple[str, ...] = tuple(sorted({e for f in MEDIA_FORMATS for e in f.extensions}))
_MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")
"""Box types an MP4/MOV file starts with (at bytes 4-8, after the box size)."""

_CSV_ORDER = (
    ("livelinkface", livelinkface.looks_like),
    ("openface", openface.looks_like),
    ("pyfeat", pyfeat.looks_like),
    ("events", event_sheet.looks_like),
)


def media_kind(path: Path) -> Literal["video", "images"] | None:
    """``video`` or ``images`` from a file's first bytes (a folder is ``images``), else None.

    By content, like the tracker formats: a renamed file is still found, and a text file called
    ``.mp4`` is not taken for a video."""
    if path.is_dir():
        return "images"
    if not path.is_file():
        return None  # a FIFO or a device: opening it could block; the importers refuse it
    with path.open("rb") as fh:
        head = fh.read(12)
    if head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")):
        return "images"
    matroska, avi = head.startswith(b"\x1a\x45\xdf\xa3"), (head[:4], head[8:]) == (b"RIFF", b"AVI ")
    if head[4:8] in _MP4_BOXES or matroska or avi:
        return "video"
    return None


def is_media(path: Path) -> bool:
    """Whether ``convert`` hands the input to the face reader: a folder, a video or image by
    content, or a file named like one (so a fake ``.mp4`` gets the reader's "not a video" error)."""
    if path.suffix.lower() in MEDIA_EXTENSIONS or path.is_dir():
        return True
    try:
        return media_kind(path) is not None
    except OSError:
        return False  # the importers report a missing or unreadable file in their own words


def get_format(format_id: str) -> Format:
    for fmt in FORMATS + MEDIA_FORMATS:
        if fmt.id == format_id:
            return fmt
    raise FacsError(f"unknown import format {format_id!r}; use auto or one of {', '.join(FORMAT_IDS)}")


def kind_of(path: Path, text: str) -> str:
    """``csv``, ``json`` or ``pbtxt``, from the extension, else (``.txt``, none) from the text."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return "json"
    if suffix == ".pbtxt":
        return "pbtxt"
    if suffix == ".csv":
        return "csv"
    head = text.lstrip()[:1]
    if head in ("{", "["):
        return "json"
    return "pbtxt" if "classification" in text[:2000] else "csv"


def load_payload(path: Path, kind: str, text: str) -> Table | Any:
    if kind == "json":
        return load_json(path, text)
    if kind == "pbtxt":
        return mediapipe.parse_pbtxt(path, text)
    return read_table(path, text)


def detect(path: str | Path, fmt: str = "auto") -> tuple[str, Table | Any]:
    """The format id of a file and its parsed payload (a :class:`Table` or JSON data); ``fmt``
    other than ``auto`` reads the file as that format.

    The file is read once, up to the largest size limit of the formats its extension allows (the
    contents decide between them), then held to the limit of the format it turned out to be."""
    path = Path(path)
    candidates = FORMATS if fmt == "auto" else (get_format(fmt),)
    suffix = path.suffix.lower()
    text = read_text(path, max_bytes=max(f.max_bytes for f in
                                         [f for f in candidates if suffix in f.extensions] or candidates))
    if fmt != "auto":
        kind = "csv" if candidates[0].extensions == (".csv",) else kind_of(path, text)
        return fmt, load_payload(path, kind, text)
    kind = kind_of(path, text)
    payload = load_payload(path, kind, text)
    del text
    if kind == "csv":
        found = next((format_id for format_id, looks_like in _CSV_ORDER if looks_like(payload.names)), None)
        if found is None:
            raise ReadError(path, "not a CSV layout facs_rig knows (OpenFace, py-feat, Live Link Face or an "
                            "event sheet with onset/offset/code columns)", line=payload.header_line)
    elif audio2face.looks_like(payload):
        found = "audio2face"
    elif kind == "pbtxt" or mediapipe.looks_like(payload):
        found = "mediapipe"
    else:
        raise ReadError(path, "JSON that is neither an Audio2Face export (facsNames, weightMat) nor "
                        "MediaPipe blendshapes (lists of category names and scores)")
    try:
        check_input(path, max_bytes=get_format(found).max_bytes, what=get_format(found).label)
    except FileError as exc:
        raise file_error(exc) from None
    return found, payload
