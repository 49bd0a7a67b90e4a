# SPDX-License-Identifier: GPL-3.0-or-later
"""One render job: everything ``python -m facs_rig render`` needs, as plain data.

The CLI, the batch pool, Ray tasks and the panel all build a :class:`RenderJob` and hand it to the
same code, so a job renders the same wherever it runs. Parsing of the user's strings (``512x512``,
``1-48``, output paths) lives here too: batch specs and CLI arguments are checked without Blender.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

from ..core.errors import FacsError
from ..core.files import check_outputs
from ..core.mapping.presets import preset_path
from ..core.timing import MAX_FRAME

OutputKind = Literal["video", "sequence", "still"]
Engine = Literal["workbench", "eevee", "cycles"]

ENGINES: tuple[Engine, ...] = ("workbench", "eevee", "cycles")
VIDEO_SUFFIXES = (".mp4",)
STILL_SUFFIXES = (".png",)

DEFAULT_ENGINE: Engine = "workbench"
DEFAULT_RESOLUTION = (512, 512)
MAX_SIDE = 16384
MAX_SAMPLES = 1 << 24
"""Cycles' own ceiling on samples; more would be clamped, not rendered."""


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


def _short(text: str) -> str:
    """The user's text in a message, cut short: a 5,000-digit number need not be echoed whole."""
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


def parse_resolution(text: str) -> tuple[int, int]:
    """``"512x512"`` -> ``(512, 512)``. The digits are bounded before ``int`` sees them (Python
    refuses to convert more than 4,300 digits)."""
    match = re.fullmatch(r"\s*(\d{1,9})\s*[xX×]\s*(\d{1,9})\s*", text)
    if not match:
        if re.fullmatch(r"\s*\d+\s*[xX×]\s*\d+\s*", text):
            raise JobError(f"resolution {_short(text)}: width and height must be between 4 and {MAX_SIDE}")
        raise JobError(f"resolution {_short(text)}: expected WIDTHxHEIGHT, e.g. 512x512")
    width, height = int(match[1]), int(match[2])
    if not (4 <= width <= MAX_SIDE and 4 <= height <= MAX_SIDE):
        raise JobError(f"resolution {_short(text)}: width and height must be between 4 and {MAX_SIDE}")
    return width, height


def check_frames(first: int, last: int, text: str) -> None:
    """A frame range Blender can render as asked: it clamps a scene range to 0..MAX_FRAME
    silently, so anything beyond would render other frames than asked for."""
    if last < first:
        raise JobError(f"frames {_short(text)}: the last frame comes before the first")
    if first < 0 or last > MAX_FRAME:
        raise JobError(f"frames {_short(text)}: Blender renders frames 0 to {MAX_FRAME:,}")


def parse_frames(text: str) -> tuple[int, int]:
    """``"1-48"`` -> ``(1, 48)``; ``"12"`` -> ``(12, 12)``."""
    match = re.fullmatch(r"\s*(-?\d+)\s*(?:(?:-|\.\.)\s*(-?\d+)\s*)?", text)
    if not match:
        raise JobError(f"frames {_short(text)}: expected A-B (e.g. 1-48) or one frame number")
    if any(group is not None and len(group.lstrip("-")) > 9 for group in match.groups()):
        raise JobError(f"frames {_short(text)}: Blender renders frames 0 to {MAX_FRAME:,}")
    first = int(match[1])
    last = int(match[2]) if match[2] is not None else first
    check_frames(first, last, text)
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
    camera: str = ""
    """Camera object to render from; empty: the file's camera, or a portrait camera framed on the
    face when it has none (see ``blender.avatar_studio.portrait_camera``)."""
    identity: str = ""
    """The default head's identity as its parameters (``gender=0.2,age=67,african=1``, see
    ``io.identity``); empty for the default identity or an avatar file."""

    def __post_init__(self) -> None:
        output_kind(self.output)
        if self.engine is not None and self.engine not in ENGINES:
            raise JobError(f"engine {self.engine!r}: expected one of {', '.join(ENGINES)}")
        if self.identity and self.avatar != "default":
            raise JobError(f"{self.avatar}: an identity shapes the default head only")
        if self.samples is not None and not 1 <= self.samples <= MAX_SAMPLES:
            raise JobError(f"samples {self.samples}: must be between 1 and {MAX_SAMPLES:,}")
        if self.frames is not None:
            check_frames(*self.frames, f"{self.frames[0]}-{self.frames[1]}")
        if self.kind == "still" and self.frames and self.frames[0] != self.frames[1]:
            raise JobError(
                f"{self.output}: a .png holds one frame but frames {self.frames[0]}-{self.frames[1]} "
                "were asked for; give one frame or write to a folder"
            )

    def files(self) -> tuple[dict[str, str | None], dict[str, str | Path | None]]:
        """The job's outputs and inputs, by the option that names them (the preset when it is a file)."""
        avatar = None if self.avatar == "default" else self.avatar
        inputs = {"--timeline": self.timeline, "--avatar": avatar, "--preset": preset_path(self.preset)}
        return {"-o": self.output, "--labels": self.labels}, inputs

    def check_files(self) -> None:
        """Refuse, before anything renders, outputs that would overwrite an input, each other or a
        special file, or that cannot be written (see :func:`~facs_rig.core.files.check_outputs`)."""
        outputs, inputs = self.files()
        check_outputs(outputs, inputs, folders=frozenset({"-o"}) if self.kind == "sequence" else frozenset())

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
        if self.identity:
            args += ["--identity", self.identity]
        return args
