# SPDX-License-Identifier: GPL-3.0-or-later
"""The progress line: frames done, frames per second and time left, rewritten in place on a
terminal and printed sparingly into logs."""

from __future__ import annotations

import io

from facs_rig.render import progress


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_text() -> None:
    assert progress.progress_text(0, 10, 0.0) == "render: 0/10 frames"
    assert progress.progress_text(4, 10, 2.0) == "render: 4/10 frames, 2.00 frames/s, 3.0 s left"
    assert progress.progress_text(10, 10, 80.0, "atlas") == "atlas: 10/10 frames, 0.12 frames/s, 1:20 in all"
    assert progress.format_duration(3725) == "1:02:05"


def test_terminal_line_is_rewritten_and_logs_stay_short() -> None:
    clock = _Clock()
    terminal = _Terminal()
    meter = progress.Progress(3, stream=terminal, clock=clock)
    for _ in range(3):
        clock.now += 0.5
        meter.frame_done()
    lines = terminal.getvalue().split("\r\x1b[K")[1:]
    assert lines[0] == "render: 1/3 frames, 2.00 frames/s, 1.0 s left"
    assert lines[-1] == "render: 3/3 frames, 2.00 frames/s, 1.5 s in all\n"

    clock = _Clock()
    log = io.StringIO()
    seen: list[tuple[int, int]] = []
    meter = progress.Progress(10, stream=log, clock=clock, interval=1.0,
                              callback=lambda done, total, _text: seen.append((done, total)))
    for _ in range(10):
        clock.now += 0.25
        meter.frame_done()
    printed = log.getvalue().splitlines()
    assert [line.split(",")[0] for line in printed] == ["render: 1/10 frames", "render: 5/10 frames",
                                                         "render: 9/10 frames", "render: 10/10 frames"]
    assert seen == [(n, 10) for n in range(1, 11)]
