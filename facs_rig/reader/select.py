# SPDX-License-Identifier: GPL-3.0-or-later
"""One face through a whole take, when the model sees several.

MediaPipe's face order changes from frame to frame, so an index would jump between people. The
face is chosen once (the largest, or the N-th from the left) and then followed by position: each
frame keeps the face nearest to where it was last seen, if it is near enough to be the same one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Literal, TypeVar

import numpy as np

from ..core.errors import FacsError
from .landmarker import FaceReading

FaceChoice = Literal["largest"] | int
"""``largest``, or N: the N-th face from the left (1-based) in the first frame showing N faces."""
T = TypeVar("T")
MAX_JUMP = 0.5
"""A face counts as the followed one if its centre moved less than this many face sizes (the
diagonal of its landmarks' box) since it was last seen; else the frame is a gap."""


def parse_face(text: str) -> FaceChoice:
    """``--face`` on the command line: ``largest`` or a positive integer."""
    if text == "largest":
        return "largest"
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise FacsError(f"--face must be 'largest' or a face number from 1 (the leftmost), got {text!r}")


def _choose(faces: list[FaceReading], choice: FaceChoice) -> FaceReading | None:
    if choice == "largest":
        return max(faces, key=lambda f: f.size, default=None)
    if len(faces) < choice:
        return None
    return sorted(faces, key=lambda f: float(f.centre[0]))[choice - 1]


def follow(frames: Iterable[tuple[T, list[FaceReading]]],
              choice: FaceChoice = "largest") -> Iterator[tuple[T, FaceReading | None]]:
    """Each frame's key with the followed face, or None where it is not seen (a gap)."""
    last: FaceReading | None = None
    for key, faces in frames:
        if last is None:
            last = _choose(faces, choice)
            yield key, last
            continue
        here = last.centre
        near = min(faces, key=lambda f: float(np.linalg.norm(f.centre - here)), default=None)
        if near is not None and np.linalg.norm(near.centre - here) < MAX_JUMP * last.size:
            last = near
            yield key, near
        else:
            yield key, None
