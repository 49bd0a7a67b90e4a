# SPDX-License-Identifier: GPL-3.0-or-later
"""A take's clock: frames timed at or before one already kept (resent, reordered) are left out."""

from __future__ import annotations

import numpy as np

from facs_rig.live import LiveFrame, Take


def _take(times: list[float | None], arrivals: list[float]) -> Take:
    take = Take()
    for t, received in zip(times, arrivals, strict=True):
        take.add(LiveFrame(received, t), np.zeros(1))
    return take


def test_sender_times_keep_only_frames_after_every_earlier_one() -> None:
    times, kept, clock = _take([10.0, 10.1, 10.1, 10.05, 10.2, 9.0, 10.3],
                               [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]).times()
    assert clock == "sender"
    assert kept.tolist() == [0, 1, 4, 6]
    np.testing.assert_allclose(times, [0.0, 0.1, 0.2, 0.3])


def test_arrival_clock_when_a_frame_has_no_sender_time() -> None:
    times, kept, clock = _take([1.0, None, 3.0], [5.0, 5.5, 5.25]).times()
    assert clock == "arrival"
    assert kept.tolist() == [0, 1]
    np.testing.assert_allclose(times, [0.0, 0.5])


def test_an_empty_take() -> None:
    times, kept, _ = Take().times()
    assert times.size == 0 and kept.size == 0
