# SPDX-License-Identifier: GPL-3.0-or-later
"""What every live source hands over: one frame of one face, as it came off the wire.

Decoders only parse; the :class:`..live.pipeline.Processor` turns frames into AU values the same
way whatever the source, so each protocol module stays about its protocol.
"""

from __future__ import annotations

import importlib
import importlib.util
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import ModuleType

import numpy as np

from ..core.errors import FacsError
from ..io.angles import EYE_AXES, HEAD_AXES, Axis
from ..io.capture import AUKey


class LiveError(FacsError):
    """A live source that cannot start: a bad source text, a port in use, a file that is no video,
    a wire-format library that is not installed."""


PACKAGES = {"pythonosc": "python-osc", "zmq": "pyzmq"}
"""Wire-format libraries by import name: the package that provides each."""


def _missing(module: str, source: str, detail: str) -> LiveError:
    package = PACKAGES.get(module, module)
    return LiveError(f"the {source} source needs the Python package {package!r} ({detail}); install "
                     "the extension zip made for your platform, which bundles it, or install it from "
                     "requirements/dev.txt")


def require(module: str, source: str) -> ModuleType:
    """Import a source's wire-format library when the source starts, not with the add-on, so
    facs_rig loads where it is missing; else say which package to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise _missing(module.partition(".")[0], source, str(exc)) from None


def check_installed(module: str, source: str) -> None:
    """Raise :class:`LiveError` when a source's library is missing, without importing it (cheap
    enough for a panel to ask on every redraw)."""
    top = module.partition(".")[0]
    if importlib.util.find_spec(top) is None:
        raise _missing(top, source, f"No module named {top!r}")


class MalformedPacket(FacsError):
    """A packet that is not the protocol the source speaks (truncated, garbage, another protocol):
    counted and skipped by the receiver, never raised to the caller."""


@dataclass(frozen=True)
class LiveFrame:
    received: float
    """``time.perf_counter()`` when the packet came in: where the latency is measured from."""
    time: float | None = None
    """The sender's own timestamp in seconds, if the protocol carries one; takes are timed by it."""
    shapes: np.ndarray | None = None
    """Blendshape weights in the decoder's ``shape_names`` order (NaN: not sent)."""
    direct: dict[AUKey, float] = field(default_factory=dict)
    """AU values read directly: head and eye angles, or a tracker's own AUs (FACSvatar)."""
    sequence: int | None = None
    """The sender's frame number where the protocol has one, to count frames lost on the way."""


def angle_values(angles: Iterable[tuple[float, Axis]]) -> dict[AUKey, float]:
    """AU values from (radians, axis) pairs, with the importers' conventions (:func:`..io.angles.
    angle_tracks`, here on plain floats: numpy on single numbers costs more than the frame's whole
    solve); an angle that is not finite moves nothing."""
    out: dict[AUKey, float] = {}
    for angle, axis in angles:
        if math.isfinite(angle):
            scaled = angle / math.radians(axis.full_deg)
            out[(axis.positive_au, "both")] = min(1.0, max(0.0, scaled))
            out[(axis.negative_au, "both")] = min(1.0, max(0.0, -scaled))
    return out


def euler_values(head: tuple[float, float, float] | None,
                 eyes: list[tuple[float, float]]) -> dict[AUKey, float]:
    """AU values from the phone apps' Euler angles in degrees: the head's (pitch, yaw, roll) and
    each eye's (pitch, yaw), eyes averaged. Signs as Live Link Face's (+yaw to the subject's right,
    +pitch down, +roll to the right)."""
    angles: list[tuple[float, Axis]] = []
    if head is not None:
        pitch, yaw, roll = (math.radians(a) for a in head)
        angles += zip((yaw, pitch, roll), HEAD_AXES, strict=True)
    if eyes:
        angles += zip((math.radians(sum(e[1] for e in eyes) / len(eyes)),
                       math.radians(sum(e[0] for e in eyes) / len(eyes))), EYE_AXES, strict=True)
    return angle_values(angles)


def number(value: object, what: str) -> float:
    """A finite float from a decoded field, or :class:`MalformedPacket` naming ``what``."""
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise MalformedPacket(f"{what} is not a number: {str(value)[:40]!r}") from None
    if not math.isfinite(out):
        raise MalformedPacket(f"{what} is not finite: {out}")
    return out
