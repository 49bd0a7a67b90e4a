# SPDX-License-Identifier: GPL-3.0-or-later
"""What a rendered timeline shows, in FACS terms: each channel scored at its peak over the
rendered time."""

from __future__ import annotations

from facs_rig.core.describe import timeline_code
from facs_rig.core.timeline import from_dict

TIMELINE = {"format": "facs-timeline", "version": 1, "events": [
    {"au": 12, "side": "R", "intensity": "B", "onset": 0.0, "apex": 0.2, "offset": 0.5},
    {"au": 14, "side": "R", "intensity": "B", "onset": 0.0, "apex": 0.2, "offset": 0.5},
    {"au": 26, "intensity": "D", "onset": 1.0, "apex": 1.2, "offset": 1.5},
]}


def test_timeline_code_scores_the_peaks() -> None:
    timeline = from_dict(TIMELINE)
    assert timeline_code(timeline) == "R12B+R14B+26D"
    assert timeline_code(timeline, [0.0, 0.1, 0.2, 0.6]) == "R12B+R14B"  # the jaw drops later
    assert timeline_code(timeline, [3.0]) == "0"
