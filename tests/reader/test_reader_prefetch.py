# SPDX-License-Identifier: GPL-3.0-or-later
"""The decoding thread ahead of the reader: frames in order, errors in place, and a caller that
leaves early never waits on it."""

from __future__ import annotations

import threading
import time
from collections.abc import Generator

import numpy as np
import pytest

from facs_rig.io.errors import ReadError
from facs_rig.reader import Frame
from facs_rig.reader.media import prefetched


def _frames(count: int, *, fail: bool = False) -> Generator[Frame, None, None]:
    for i in range(count):
        yield Frame(i / 30, np.zeros((2, 2, 3), np.uint8))
    if fail:
        raise ReadError("take.mp4", "the video is damaged")


def test_frames_in_order_then_the_error() -> None:
    seen = []
    with pytest.raises(ReadError, match="damaged"):
        for frame in prefetched(_frames(20, fail=True), depth=3):
            seen.append(frame.time)
    assert seen == [i / 30 for i in range(20)]


@pytest.mark.parametrize("fail", [False, True])
def test_leaving_with_the_queue_full_does_not_hang(fail: bool) -> None:
    """The decoder finished (or failed) while the queue was full: closing must still return."""
    frames = prefetched(_frames(3, fail=fail), depth=2)
    next(frames)
    time.sleep(0.3)  # frames 1 and 2 fill the queue; the end (or the error) waits for room
    closed = threading.Event()
    closer = threading.Thread(target=lambda: (frames.close(), closed.set()), daemon=True)
    closer.start()
    assert closed.wait(5.0), "closing the prefetcher waited for a decoder that could not finish"
