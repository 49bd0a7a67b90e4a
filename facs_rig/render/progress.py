# SPDX-License-Identifier: GPL-3.0-or-later
"""Progress of a render: frames done, frames per second and time left, on one updating line.

Blender's own per-frame chatter says nothing about how long is left; researchers render hundreds of
stimuli, so the CLI prints this instead. Pure Python: the render module feeds it frame events.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TextIO


def format_duration(seconds: float) -> str:
    """``75.4`` -> ``"1:15"``; under a minute ``"4.2 s"``."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def progress_text(done: int, total: int, elapsed: float, label: str = "render") -> str:
    """One status line; the rate and estimate appear once a frame has finished."""
    text = f"{label}: {done}/{total} frames"
    if done and elapsed > 0:
        rate = done / elapsed
        text += f", {rate:.2f} frames/s"
        if done < total:
            text += f", {format_duration((total - done) / rate)} left"
        else:
            text += f", {format_duration(elapsed)} in all"
    return text


class Progress:
    """Counts finished frames and reports them to a stream (or any callback).

    On a terminal the line is rewritten in place; in a log file (batch workers, CI) one line is
    printed at most every ``interval`` seconds and at the end, so logs stay short.
    """

    def __init__(
        self,
        total: int,
        *,
        label: str = "render",
        stream: TextIO | None = None,
        callback: Callable[[int, int, str], None] | None = None,
        interval: float = 1.0,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.total = total
        self.label = label
        self.stream = stream
        self.callback = callback
        self.interval = interval
        self.clock = clock
        self.done = 0
        self.start = clock()
        self._last_print = -float("inf")

    @property
    def elapsed(self) -> float:
        return self.clock() - self.start

    @property
    def text(self) -> str:
        return progress_text(self.done, self.total, self.elapsed, self.label)

    def frame_done(self) -> None:
        self.done += 1
        text = self.text
        if self.callback:
            self.callback(self.done, self.total, text)
        if self.stream is None:
            return
        if self._is_tty():
            end = "\n" if self.done >= self.total else ""
            self.stream.write(f"\r\x1b[K{text}{end}")
            self.stream.flush()
        elif self.done >= self.total or self.clock() - self._last_print >= self.interval:
            self._last_print = self.clock()
            self.stream.write(text + "\n")
            self.stream.flush()

    def _is_tty(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

