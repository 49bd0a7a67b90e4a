# SPDX-License-Identifier: GPL-3.0-or-later
"""Live sources: phones and trackers streaming faces over the network, or a video read as it plays,
turned into AU values frame by frame and recorded as takes (docs/live.md).

Pure Python (no bpy): receivers run on their own threads; Blender's timer and the CLI's loop only
poll a :class:`Session`. Sits above :mod:`..reader` (the video source reads faces with it).
"""

from __future__ import annotations

from .frame import LiveError, LiveFrame, MalformedPacket
from .pipeline import Options, Processor, controls_of
from .receiver import KINDS, Source, check_available, parse_source
from .session import Session, Status
from .take import Take

__all__ = [
    "KINDS",
    "LiveError",
    "LiveFrame",
    "MalformedPacket",
    "Options",
    "Processor",
    "Session",
    "Source",
    "Status",
    "Take",
    "check_available",
    "controls_of",
    "parse_source",
]
