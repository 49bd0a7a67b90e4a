# SPDX-License-Identifier: GPL-3.0-or-later
"""One render job: everything ``python -m facs_rig render`` needs, as plain data.

The CLI, the batch pool, Ray tasks and the panel all build a :class:`RenderJob` and hand it to the
same code, so a job renders the same wherever it runs. Parsing of the user's strings (``512x512``,
``1-48``, output paths) lives here too: batch specs and CLI arguments are checked without Blender.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

from ..core.errors import FacsError

OutputKind = Literal["video", "sequence", "still"]
Engine = Literal["workbench", "eevee", "cycles"]

ENGINES: tuple[Engine, ...] = ("workbench", "eevee", "cycles")
VIDEO_SUFFIXES = (".mp4",)
STILL_SUFFIXES = (".png",)

DEFAULT_ENGINE: Engine = "workbench"
DEFAULT_RESOLUTION = (512, 512)


class JobError(FacsError):
    """A job or a spec that cannot be rendered; the message names what is wrong."""


def output_kind(path: str | Path) -> OutputKind:
    """What an output path asks for: ``.mp4`` a video, ``.png`` one frame, a folder a PNG sequence.

    A folder is a path without a suffix, one ending in a separator, or an existing directory, so
    ``out/frames`` and ``out/take.1/`` are both folders.
    """
    text = str(path)
    p = Path(text)
    if text.endswith(("/", "\\")) or p.is_dir() or not p.suffix:
        return "sequence"
    suffix = p.suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return "video"
    if suffix in STILL_SUFFIXES:
        return "still"
    raise JobError(
        f"{text}: unknown output type {p.suffix!r}; use .mp4 (video), .png (one frame) "
        "or a folder (PNG sequence)"
    )


def check_writable(path: str | Path) -> None:
    """Raise JobError unless ``path`` (a file, or a folder for a sequence) could be created: its
    nearest existing ancestor must be a folder this process may write in. Checked before Blender
    starts, so a bad path costs nothing and leaves nothing behind."""
    target = Path(path).absolute()
    folder = target if str(path).endswith(("/", "\\")) or not target.suffix else target.parent
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise JobError(f"{path}: cannot write there: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise JobError(f"{path}: cannot write there: no permission to write in {existing}")


def parse_resolution(text: str) -> tuple[int, int]:
    """``"512x512"`` -> ``(512, 512)``."""
    match = re.fullmatch(r"\s*(\d+)\s*[xX×]\s*(\d+)\s*", text)
    if not match:
        raise JobError(f"resolution {text!r}: expected WIDTHxHEIGHT, e.g. 512x512")
    width, height = int(match[1]), int(match[2])
    if not (4 <= width <= 16384 and 4 <= height <= 16384):
        raise JobError(f"resolution {text!r}: width and height must be between 4 and 16384")
    return width, height


def parse_frames(text: str) -> tuple[int, int]:
    """``"1-48"`` -> ``(1, 48)``; ``"12"`` -> ``(12, 12)``."""
    match = re.fullmatch(r"\s*(-?\d+)\s*(?:(?:-|\.\.)\s*(-?\d+)\s*)?", text)
    if not match:
        raise JobError(f"frames {text!r}: expected A-B (e.g. 1-48) or one frame number")
    first = int(match[1])
    last = int(match[2]) if match[2] is not None else first
    if last < first:
        raise JobError(f"frames {text!r}: the last frame comes before the first")
    return first, last


@dataclass(frozen=True)
class RenderJob:
    """One render. Paths are absolute once the job is resolved (workers may run elsewhere)."""

    output: str
    avatar: str = "default"
    """``default`` (the bundled head) or a path to a .blend (rigged or not)."""
    timeline: str | None = None
    preset: str = "auto"
    engine: Engine | None = None
    """None keeps the .blend's own engine; the default avatar renders with DEFAULT_ENGINE."""
    resolution: tuple[int, int] | None = None
    """None keeps the .blend's own resolution; the default avatar gets DEFAULT_RESOLUTION."""
    frames: tuple[int, int] | None = None
    samples: int | None = None
    labels: str | None = None
    """Where to write the per-frame AU ground truth CSV, or None."""
    name: str = ""
    """The job's name in a batch (used in messages and the manifest)."""
    threads: int | None = None
    """CPU threads for the render (None: all cores); worker pools share the cores out."""

    def __post_init__(self) -> None:
        output_kind(self.output)
        if self.engine is not None and self.engine not in ENGINES:
            raise JobError(f"engine {self.engine!r}: expected one of {', '.join(ENGINES)}")
        if self.samples is not None and self.samples < 1:
            raise JobError(f"samples {self.samples}: must be at least 1")
        if self.kind == "still" and self.frames and self.frames[0] != self.frames[1]:
            raise JobError(
                f"{self.output}: a .png holds one frame but frames {self.frames[0]}-{self.frames[1]} "
                "were asked for; give one frame or write to a folder"
            )

    def check_writable(self) -> None:
        """JobError unless the output (and labels) can be written (see ``check_writable``)."""
        for path in filter(None, (self.output, self.labels)):
            check_writable(path)

    @property
    def kind(self) -> OutputKind:
        return output_kind(self.output)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RenderJob:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        for key in ("resolution", "frames"):
            if values.get(key) is not None:
                values[key] = tuple(values[key])
        return cls(**values)

    def cli_args(self) -> list[str]:
        """The same job as ``python -m facs_rig render`` arguments (for farms and subprocesses)."""
        args = ["render", "-o", self.output, "--avatar", self.avatar]
        if self.engine:
            args += ["--engine", self.engine]
        if self.timeline:
            args += ["--timeline", self.timeline]
        if self.preset != "auto":
            args += ["--preset", self.preset]
        if self.resolution:
            args += ["--resolution", f"{self.resolution[0]}x{self.resolution[1]}"]
        if self.frames:
            args += ["--frames", f"{self.frames[0]}-{self.frames[1]}"]
        if self.samples:
            args += ["--samples", str(self.samples)]
        if self.labels:
            args += ["--labels", self.labels]
        return args
