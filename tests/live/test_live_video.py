# SPDX-License-Identifier: GPL-3.0-or-later
"""The video source: a video made by ``facs_rig render`` (the default head smiling) is read by the
face reader at the video's own rate, standing in for a webcam."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from facs_rig.core.errors import FacsError
from facs_rig.live import LiveError, Session
from tests.live.support import wait_for

ROOT = Path(__file__).resolve().parents[2]
SMILE = Path(__file__).parent / "fixtures" / "smile.json"
"""AU 12 at E from 0.4 s (apex 0.8–1.4 s) to 1.8 s, at 15 fps."""


@pytest.fixture(scope="module")
def smile_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("live") / "smile.mp4"
    command = [sys.executable, "-m", "facs_rig", "render", "--timeline", str(SMILE), "-o", str(out),
               "--resolution", "256x256"]
    done = subprocess.run(command, check=False, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return out


def test_a_video_plays_at_its_own_rate_and_the_smile_is_read(smile_video: Path) -> None:
    session = Session(f"video:{smile_video}")
    session.record()
    started = time.perf_counter()
    session.start()
    try:
        assert wait_for(lambda: session.receiver.finished, timeout=60)
    finally:
        session.stop()
    session.poll()
    take = session.take
    assert take is not None and len(take) > 20
    arrivals = np.array(take.arrivals) - started
    times, _, clock = take.times()
    assert clock == "sender"
    assert np.allclose(times * 15, np.round(times * 15), atol=1e-3)  # the video's own frame times
    # played in real time: each frame arrives when its timestamp comes due, not as fast as it decodes
    assert arrivals[-1] - arrivals[0] >= times[-1] - times[0] - 0.1
    timeline = session.take_timeline()
    smile = np.mean([t.values for t in timeline.tracks if t.au == 12], axis=0)
    track_times = next(t.times for t in timeline.tracks if t.au == 12)
    apex = smile[(track_times >= 0.9) & (track_times <= 1.3)]
    rest = smile[track_times <= 0.3]
    assert apex.min() > 0.3 > rest.max() + 0.1
    assert session.status().malformed == 0


def test_a_file_that_is_not_a_video_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a video")
    with pytest.raises(FacsError, match=r"notes\.txt: not a video"):
        Session(f"video:{text}").start()
    with pytest.raises(LiveError, match="video: needs a file"):
        Session("video:")
