# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the live tests: real senders on loopback, bounded waits, the 61 Live Link channels."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from facs_rig.live import Session, livelink

LOOPBACK = "127.0.0.1"
WAIT = 5.0
"""Longest any test waits for packets to arrive (s); loopback delivers in well under 1 ms."""


def wait_for(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    """Poll ``condition`` every 5 ms until it holds or ``timeout`` passes; whether it held."""
    end = time.perf_counter() + timeout
    while time.perf_counter() < end:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


def received(session: Session, count: int) -> bool:
    return wait_for(lambda: session.receiver.counters.received + session.receiver.counters.malformed
                    + session.receiver.counters.empty >= count)


def llf_channels(shapes: dict[str, float] | None = None, **rotations: float) -> list[float]:
    """The 61 channels of a Live Link Face packet from weights by the app's names and rotations
    (``HeadYaw=0.2``) in radians."""
    values = np.zeros(livelink.CHANNELS)
    for name, value in (shapes or {}).items():
        values[livelink.SHAPES.index(name)] = value
    for name, value in rotations.items():
        values[len(livelink.SHAPES) + livelink.ROTATIONS.index(name)] = value
    return [float(v) for v in values]


def value(session: Session, au: int, side: str) -> float:
    keys = session.processor.keys
    return float(session.values[keys.index((au, side))]) if (au, side) in keys else 0.0
