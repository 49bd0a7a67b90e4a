# SPDX-License-Identifier: GPL-3.0-or-later
"""One live session: a receiver, the processor and, while recording, the take.

The caller (Blender's timer, the CLI's loop) calls :meth:`Session.poll` as often as it likes: it
takes every frame that arrived, runs each through the processor (so smoothing and the take see
them all), and returns the newest values, which are what the rig shows. After writing them the
caller says so (:meth:`Session.applied`), which is where the latency is measured: from the
packet's arrival to the controls written.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from ..core.model import Timeline
from ..core.segment import SegmentParams
from ..io.blendshapes import DEFAULT_PRESET
from .frame import LiveFrame
from .pipeline import Options, Processor
from .receiver import KINDS, Receiver, Source, make_receiver, parse_source
from .take import Take

NO_DATA_AFTER = 1.0
"""Seconds without a frame after which the source is shown as "no data" (the rig holds its pose)."""
LATENCIES = 600


@dataclass(frozen=True)
class Status:
    source: str
    running: bool
    no_data: bool
    received: int
    rate: float
    latency_ms: float | None
    """Median over the last frames applied, packet in to controls written."""
    dropped: int
    malformed: int
    skipped: int
    """Frames never shown because a newer one arrived before the consumer looked."""
    recorded: int
    last_error: str

    def line(self) -> str:
        state = "no data" if self.no_data else f"{self.rate:.0f} Hz"
        latency = "-" if self.latency_ms is None else f"{self.latency_ms:.2f} ms"
        text = (f"{self.source}: {state}, {self.received} frames, latency {latency}, dropped {self.dropped}, "
                f"malformed {self.malformed}")
        if self.recorded:
            text += f", recording {self.recorded} frames"
        return text


class Session:
    def __init__(self, source: str | Source, *, preset: str = DEFAULT_PRESET, options: Options | None = None,
                 passthrough: bool = False) -> None:
        self.source = parse_source(source) if isinstance(source, str) else source
        self.receiver: Receiver = make_receiver(self.source)
        names = self.receiver.decoder.shape_names
        self.processor = Processor(list(names) if names else None, preset, options)
        self.passthrough = passthrough
        """Keep the raw blendshape weights as well, for an ARKit head driven 1:1."""
        self.take: Take | None = None
        self.values = np.zeros(0)
        self.shapes: np.ndarray | None = None
        """The newest frame's raw blendshape weights (passthrough), in the source's order."""
        self.last_frame: LiveFrame | None = None
        self.skipped = 0
        self._latencies: deque[float] = deque(maxlen=LATENCIES)
        self._started = 0.0

    @property
    def label(self) -> str:
        return KINDS[self.source.kind][0]

    def start(self) -> None:
        self.receiver.start()
        self._started = time.perf_counter()

    def stop(self) -> None:
        self.receiver.stop()

    def record(self) -> None:
        """Start a new take from the next frame."""
        self.take = Take()

    def poll(self) -> np.ndarray | None:
        """The newest values over ``processor.keys``, or None when nothing new came in."""
        frames = self.receiver.drain()
        if not frames:
            return None
        for frame in frames:
            t = frame.time if frame.time is not None else frame.received
            values = self.processor.process(frame, t)
            if self.take is not None:
                self.take.add(frame, values, keep_shapes=self.passthrough)
        self.skipped += len(frames) - 1
        self.values, self.last_frame, self.shapes = values, frames[-1], frames[-1].shapes
        return values

    def applied(self) -> None:
        """The newest values are on the rig now: note the latency."""
        if self.last_frame is not None:
            self._latencies.append(time.perf_counter() - self.last_frame.received)

    def latencies_ms(self) -> np.ndarray:
        """The last latencies measured (packet in to controls written), in milliseconds."""
        return np.array(self._latencies) * 1000

    def status(self) -> Status:
        now = time.perf_counter()
        c = self.receiver.counters
        last = self.last_frame.received if self.last_frame is not None else self._started
        latency = float(np.median(self.latencies_ms())) if self._latencies else None
        return Status(str(self.source), self.receiver.running, now - last > NO_DATA_AFTER, c.received,
                      c.rate(now), latency, c.dropped, c.malformed, self.skipped,
                      len(self.take) if self.take is not None else 0, c.last_error)

    def take_timeline(self, *, name: str = "live take", events: bool = False,
                      segment: SegmentParams | None = None) -> Timeline:
        """The recorded take as a timeline (an empty one when nothing was recorded)."""
        take = self.take or Take()
        status = self.status()
        meta = {"source": str(self.source), "protocol": self.receiver.decoder.protocol,
                "received": status.received, "dropped": status.dropped, "malformed": status.malformed,
                "mirror": self.processor.options.mirror, "smoothing": self.processor.options.smoothing,
                "calibrated": self.processor.neutral is not None}
        names = self.receiver.decoder.shape_names if self.passthrough else None
        return take.timeline(self.processor.keys, name=name, events=events, segment=segment,
                             shape_names=list(names) if names else None, meta=meta)
