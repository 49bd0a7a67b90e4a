# SPDX-License-Identifier: GPL-3.0-or-later
"""Receivers: each source on its own thread, so nothing that reads the network (or decodes video)
ever blocks Blender's UI or the CLI's loop.

A receiver decodes every packet as it arrives and queues the frame; the consumer drains the queue
whenever it likes (:class:`..live.session.Session`), shows the newest frame and records them all.
The queue is bounded: a consumer that stops draining loses the oldest frames (counted), never
memory. Packets that do not decode are counted with the last reason, never raised.
"""

from __future__ import annotations

import errno
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from ..reader import check_available as check_reader
from . import facecap, facsvatar, ifacialmocap, livelink
from .frame import LiveError, LiveFrame, MalformedPacket, check_installed, require

PENDING = 2048
"""Frames queued for the consumer: 8 s at 240 Hz, so a busy UI loses nothing of a recorded take."""
POLL = 0.1
"""How long a receiver waits for a packet before it looks whether it was asked to stop (s)."""
RATE_WINDOW = 1.0
ARRIVALS = 512
"""Arrival times kept for the rate: a second of a 240 Hz source, twice over."""
MAX_DATAGRAM = 65535
MAX_GAP = 100_000
"""A jump in the sender's frame numbers larger than this is a restart, not lost frames."""


class Decoder(Protocol):
    @property
    def shape_names(self) -> tuple[str, ...] | None: ...

    @property
    def protocol(self) -> str: ...


class PacketDecoder(Decoder, Protocol):
    def decode(self, data: bytes, received: float) -> LiveFrame | None: ...


@dataclass(frozen=True)
class Source:
    kind: str
    """``llf``, ``osc``, ``ifm``, ``zmq`` or ``video``."""
    host: str = ""
    port: int = 0
    path: Path | None = None

    def __str__(self) -> str:
        return f"video:{self.path}" if self.kind == "video" else f"{self.kind}://{self.host}:{self.port}"


KINDS: dict[str, tuple[str, int]] = {
    "llf": ("Live Link Face", livelink.PORT),
    "osc": ("Face Cap (OSC)", facecap.PORT),
    "ifm": ("iFacialMocap", ifacialmocap.PORT),
    "zmq": ("FACSvatar (ZeroMQ)", facsvatar.PORT),
    "video": ("Video file (face reader)", 0),
}


LIBRARIES: dict[str, tuple[str, str]] = {"osc": ("pythonosc", "Face Cap"), "zmq": ("zmq", "FACSvatar")}
"""Sources that need a wire-format library: its import name and the source's name in messages."""


def check_available(kind: str) -> None:
    """Raise a :class:`..core.errors.FacsError` saying what to install when a source cannot run
    here: its wire-format library, or (video) the face reader's packages or model. Looks them up
    without importing them, so Blender's panel can ask on every redraw."""
    if kind == "video":
        check_reader()
    elif kind in LIBRARIES:
        check_installed(*LIBRARIES[kind])


def parse_source(text: str) -> Source:
    """``llf://HOST:PORT``, ``osc://…``, ``ifm://…``, ``zmq://HOST:PORT`` or ``video:FILE``; a
    missing host is 0.0.0.0 (every interface; zmq: 127.0.0.1) and a missing port the protocol's."""
    if text.startswith("video:"):
        path = text.removeprefix("video:")
        if not path:
            raise LiveError("video: needs a file, e.g. video:take.mp4")
        return Source("video", path=Path(path))
    parts = urlsplit(text)
    if parts.scheme not in KINDS or parts.scheme == "video" or parts.path not in ("", "/"):
        raise LiveError(f"{text!r} is not a live source: use llf://HOST:PORT, osc://HOST:PORT, "
                        "ifm://HOST:PORT, zmq://HOST:PORT or video:FILE")
    try:
        port = KINDS[parts.scheme][1] if parts.port is None else parts.port
    except ValueError:
        raise LiveError(f"{text!r}: the port must be a number from 1 to 65535") from None
    default_host = "127.0.0.1" if parts.scheme == "zmq" else "0.0.0.0"
    return Source(parts.scheme, parts.hostname or default_host, port)


@dataclass
class Counters:
    received: int = 0
    malformed: int = 0
    empty: int = 0
    """Packets saying "no face" (Live Link Face's header-only packet, a video frame without a face)."""
    lost: int = 0
    """Frames missing from the sender's frame numbers (or video frames skipped to keep its rate)."""
    overflowed: int = 0
    """Frames dropped because nobody drained the queue."""
    last_error: str = ""
    arrivals: deque[float] = field(default_factory=lambda: deque(maxlen=ARRIVALS))

    @property
    def dropped(self) -> int:
        return self.lost + self.overflowed

    def rate(self, now: float) -> float:
        """Frames received over the last second."""
        return float(sum(1 for t in reversed(self.arrivals) if t > now - RATE_WINDOW)) / RATE_WINDOW


class Receiver:
    """The thread, the queue and the counters every source shares."""

    def __init__(self, source: Source, decoder: Decoder) -> None:
        self.source = source
        self.decoder = decoder
        self.counters = Counters()
        self.finished = False
        """True once the source can send no more (a video played to its end)."""
        self._pending: deque[LiveFrame] = deque(maxlen=PENDING)
        self._lock = threading.Lock()
        self._arrived = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sequence: int | None = None

    def start(self) -> None:
        """Open the source here, on the caller's thread, so a port in use is an error at once."""
        self._open()
        self._thread = threading.Thread(target=self._run, name=f"facs_rig live {self.source}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5 * POLL + 2.0)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait(self, timeout: float) -> bool:
        """Block until a frame is queued or ``timeout`` seconds pass; whether one is. Lets a
        consumer that has nothing else to do (the CLI, the bench) take a frame the moment it
        arrives instead of on its next poll."""
        return self._arrived.wait(timeout)

    def drain(self) -> list[LiveFrame]:
        """Every frame received since the last call, oldest first."""
        with self._lock:
            frames = list(self._pending)
            self._pending.clear()
            self._arrived.clear()
        return frames

    def _publish(self, frame: LiveFrame) -> None:
        counters = self.counters
        if frame.sequence is not None:
            if self._sequence is not None and 1 < frame.sequence - self._sequence <= MAX_GAP:
                counters.lost += frame.sequence - self._sequence - 1
            self._sequence = frame.sequence
        with self._lock:
            if len(self._pending) == PENDING:
                counters.overflowed += 1
            self._pending.append(frame)
            self._arrived.set()
        counters.received += 1
        counters.arrivals.append(frame.received)

    def _take(self, decode: Callable[[float], LiveFrame | None]) -> None:
        """Decode one packet; whatever goes wrong inside a decoder counts it as malformed, because
        a thread that died on one bad packet would stall the rig for good."""
        received = time.perf_counter()
        try:
            frame = decode(received)
        except MalformedPacket as exc:
            self.counters.malformed += 1
            self.counters.last_error = str(exc)
            return
        except Exception as exc:  # see the docstring
            self.counters.malformed += 1
            self.counters.last_error = f"{type(exc).__name__}: {exc}"
            return
        if frame is None:
            self.counters.empty += 1
        else:
            self._publish(frame)

    def _open(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        raise NotImplementedError


class UdpReceiver(Receiver):
    """Live Link Face, Face Cap and iFacialMocap: one datagram at a time."""

    decoder: PacketDecoder

    def __init__(self, source: Source, decoder: PacketDecoder) -> None:
        super().__init__(source, decoder)
        self._socket: socket.socket | None = None

    def _open(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
            sock.bind((self.source.host, self.source.port))
        except OSError as exc:
            sock.close()
            if exc.errno == errno.EADDRINUSE:
                raise LiveError(f"UDP port {self.source.port} on {self.source.host} is already in use "
                                "(another receiver, or another program listening there): stop it or choose "
                                "another port") from None
            raise LiveError(f"cannot listen on {self.source.host}:{self.source.port}: "
                            f"{exc.strerror or exc}") from None
        sock.settimeout(POLL)
        self._socket = sock

    @property
    def port(self) -> int:
        """The bound port (the one the OS chose when the source said 0)."""
        return int(self._socket.getsockname()[1]) if self._socket is not None else self.source.port

    def _run(self) -> None:
        assert self._socket is not None
        sock, decoder = self._socket, self.decoder
        try:
            while not self._stop.is_set():
                try:
                    data = sock.recv(MAX_DATAGRAM)
                except TimeoutError:
                    continue
                self._take(lambda received, data=data: decoder.decode(data, received))  # type: ignore[misc]
        finally:
            sock.close()


class ZmqReceiver(Receiver):
    """FACSvatar: a SUB socket connected to its publisher (or broker), every topic."""

    decoder: facsvatar.Decoder

    def _open(self) -> None:
        zmq = require(*LIBRARIES["zmq"])
        self._context = zmq.Context()
        sock = self._context.socket(zmq.SUB)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.RCVHWM, PENDING)
        sock.setsockopt(zmq.SUBSCRIBE, b"")
        try:
            sock.connect(f"tcp://{self.source.host}:{self.source.port}")
        except zmq.ZMQError as exc:
            sock.close()
            self._context.term()
            raise LiveError(f"cannot connect to zmq://{self.source.host}:{self.source.port}: {exc}") from None
        self._socket = sock

    def _run(self) -> None:
        zmq = require(*LIBRARIES["zmq"])
        sock, decoder = self._socket, self.decoder
        poller = zmq.Poller()
        poller.register(sock, zmq.POLLIN)
        try:
            while not self._stop.is_set():
                if not poller.poll(int(POLL * 1000)):
                    continue
                while True:
                    try:
                        parts = sock.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    self._take(lambda received, parts=parts: decoder.decode_parts(parts, received))  # type: ignore[misc]
        finally:
            sock.close()
            self._context.term()


UDP_DECODERS: dict[str, Callable[[], PacketDecoder]] = {
    "llf": livelink.Decoder, "osc": facecap.Decoder, "ifm": ifacialmocap.Decoder}


def make_receiver(source: Source) -> Receiver:
    """The receiver a source needs (not started)."""
    if source.kind == "zmq":
        return ZmqReceiver(source, facsvatar.Decoder())
    if source.kind == "video":
        from .video import VideoReceiver

        return VideoReceiver(source)
    return UdpReceiver(source, UDP_DECODERS[source.kind]())
