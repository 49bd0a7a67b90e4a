# SPDX-License-Identifier: GPL-3.0-or-later
"""Cutting a take too long for one timeline into parts ``validate`` accepts (the CLI side, with
Blender's frame limit, is in tests/cli/test_cli_convert_safety.py)."""

from __future__ import annotations

import numpy as np
import pytest

from facs_rig.core.model import Event, Timeline, Track
from facs_rig.core.timeline import dumps, loads
from facs_rig.io.parts import split_timeline


def test_split_keeps_every_sample_and_event_within_the_byte_limit() -> None:
    times = np.arange(3000) / 30.0
    timeline = Timeline(
        tracks=[Track(au, "both", times, np.sin(times * au) ** 2) for au in (1, 12, 26)],
        events=[Event(4, 0.6, t, t + 0.2, t + 0.3, t + 0.5) for t in np.arange(0.0, 99.0, 3.3)],
        fps=30.0,
        name="take",
        meta={"import": {"format": "openface"}},
    )
    whole = len(dumps(timeline))
    parts = split_timeline(timeline, max_bytes=whole // 3)
    assert len(parts) >= 4
    texts = [dumps(p) for p in parts]
    assert all(len(t) <= whole // 3 for t in texts)
    reloaded = [loads(t) for t in texts]
    joined = np.concatenate([p.tracks[1].times + p.meta["import"]["part"]["start"] for p in reloaded])
    assert joined == pytest.approx(times, abs=1e-6)  # part times are rounded to the microsecond
    assert np.concatenate([p.tracks[1].values for p in reloaded]) == pytest.approx(timeline.tracks[1].values)
    onsets = [e.onset + p.meta["import"]["part"]["start"] for p in reloaded for e in p.events]
    assert onsets == pytest.approx([e.onset for e in timeline.events], abs=1e-6)
    assert all(e.offset - e.onset == pytest.approx(0.5) for p in reloaded for e in p.events)
    assert split_timeline(timeline) == [timeline]
