# SPDX-License-Identifier: GPL-3.0-or-later
"""Live sources under load, each from its real sender on loopback (issue 15).

1. One 60 Hz stream per protocol (Live Link Face encoder, python-osc's client, iFacialMocap text
   over a UDP socket, pyzmq's publisher) for a few seconds: processing latency from packet in to
   controls written (median and 90th percentile; target < 1 ms median), rate held, dropped.
2. The four streams at once (4 × 60 Hz) and one Live Link stream at 240 Hz: rate held and dropped.
3. Per-frame solve, live solver against the batch importers' solver called frame by frame (the
   baseline, same process), and their largest difference.

A consumer thread per stream stands in for Blender's timer: woken by each frame, it writes the
values into a dict of control names, as the timer writes custom properties. (In Blender the timer
runs every 1/120 s, which adds up to that interval, 4 ms on average, to these figures.)
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pythonosc.osc_bundle import OscBundle
from pythonosc.osc_bundle_builder import IMMEDIATELY, OscBundleBuilder
from pythonosc.osc_message_builder import OscMessageBuilder
from pythonosc.udp_client import SimpleUDPClient

from facs_rig.core.mapping.matching import name_key
from facs_rig.core.mapping.presets import arkit_names
from facs_rig.io.blendshapes import solve_shapes
from facs_rig.io.livelinkface import read as read_live_link_csv
from facs_rig.live import Session, controls_of, facecap, facsvatar, ifacialmocap, livelink
from facs_rig.live.solver import LiveSolver

LOOPBACK = "127.0.0.1"
SECONDS = 5.0
SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "data" / "livelinkface_take_60fps.csv"


def performance() -> np.ndarray:
    """(frames, 52) ARKit weights in ARKit's alphabetical order: a real Live Link Face take when
    the shared sample is here, else smooth random movement."""
    names = list(arkit_names())
    if SAMPLE.is_file():
        capture = read_live_link_csv(SAMPLE)
        column = {n.lower(): i for i, n in enumerate(capture.shape_names)}
        assert capture.shape_weights is not None
        return np.column_stack([capture.shape_weights[:, column[n.lower()]] for n in names])
    rng = np.random.default_rng(5)
    return np.clip(np.cumsum(rng.normal(0, 0.02, (600, len(names))), axis=0) % 1.2 - 0.2, 0, 1)


WEIGHTS = performance()
ARKIT = list(arkit_names())


def by_name(row: np.ndarray) -> dict[str, float]:
    return dict(zip(ARKIT, (float(v) for v in row), strict=True))


def in_order(i: int, names: tuple[str, ...]) -> list[float]:
    """Frame ``i``'s weights in a sender's own order and spelling."""
    weights = {name_key(n): v for n, v in by_name(WEIGHTS[i % len(WEIGHTS)]).items()}
    return [weights[name_key(n)] for n in names]


def llf_packet(i: int) -> bytes:
    return livelink.encode(in_order(i, livelink.SHAPES) + [0.0] * len(livelink.ROTATIONS), frame=i)


def facecap_bundle(i: int) -> OscBundle:
    bundle = OscBundleBuilder(IMMEDIATELY)
    for index, value in enumerate(in_order(i, facecap.SHAPES)):
        message = OscMessageBuilder("/W")
        message.add_arg(index)
        message.add_arg(value)
        bundle.add_content(message.build())
    return bundle.build()


def senders(kind: str, port: int) -> tuple[Callable[[int], None], Callable[[], None]]:
    """(send frame i, close) for a protocol's real sender."""
    if kind == "llf":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        return (lambda i: sock.sendto(llf_packet(i), (LOOPBACK, port))), sock.close  # type: ignore[func-returns-value]
    if kind == "osc":
        client = SimpleUDPClient(LOOPBACK, port)
        return (lambda i: client.send(facecap_bundle(i))), lambda: None
    if kind == "ifm":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        return (lambda i: sock.sendto(ifacialmocap.encode(by_name(WEIGHTS[i % len(WEIGHTS)])),  # type: ignore[func-returns-value]
                                      (LOOPBACK, port))), sock.close
    raise ValueError(kind)


def zmq_stream(context: object, rate: float) -> tuple[Session, Callable[[int], None], Callable[[], None]]:
    """A FACSvatar publisher and a session subscribed to it (past ZeroMQ's slow-joiner moment)."""
    import zmq

    publisher = context.socket(zmq.PUB)  # type: ignore[attr-defined]
    publisher.setsockopt(zmq.LINGER, 0)
    port = publisher.bind_to_random_port(f"tcp://{LOOPBACK}")
    session = Session(f"zmq://{LOOPBACK}:{port}")
    session.start()
    deadline = time.perf_counter() + 5
    while session.receiver.counters.received == 0 and time.perf_counter() < deadline:
        publisher.send_multipart(facsvatar.encode("openface", 0.0, {"AU12": 0.0}))
        time.sleep(0.01)
    time.sleep(0.05)
    session.receiver.drain()
    session.receiver.counters.received = 0
    aus = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 25, 26, 45)

    def send(i: int) -> None:
        values = {f"AU{au:02d}": float(v) for au, v in zip(aus, WEIGHTS[i % len(WEIGHTS)], strict=False)}
        publisher.send_multipart(facsvatar.encode("openface", i / rate, values, frame=i))

    return session, send, publisher.close


def consume(session: Session, stop: threading.Event) -> None:
    """Blender's timer, woken by each frame: the values into a dict of control names."""
    controls: dict[str, float] = {}
    targets: list[tuple[int, tuple[str, ...]]] = []
    while not stop.is_set():
        session.receiver.wait(0.05)
        values = session.poll()
        if values is None:
            continue
        keys = session.processor.keys
        if len(targets) != len(keys):
            targets = [(k, controls_of(key)) for k, key in enumerate(keys)]
        for k, names in targets:
            for name in names:
                controls[name] = float(values[k])
        session.applied()


def run(kinds: list[str], rate: float, seconds: float = SECONDS) -> list[dict[str, float]]:
    """Stream ``kinds`` at ``rate`` Hz each for ``seconds``; per stream: sent, received, dropped,
    median and p90 latency (ms), and the rate the consumer saw."""
    import zmq

    context = zmq.Context()
    sessions, sends, closes = [], [], []
    for kind in kinds:
        if kind == "zmq":
            session, send, close = zmq_stream(context, rate)
        else:
            session = Session(f"{kind}://{LOOPBACK}:0")
            session.start()
            send, close = senders(kind, session.receiver.port)  # type: ignore[attr-defined]
        sessions.append(session)
        sends.append(send)
        closes.append(close)
    stop = threading.Event()
    consumers = [threading.Thread(target=consume, args=(session, stop)) for session in sessions]
    for consumer in consumers:
        consumer.start()
    frames = int(seconds * rate)
    start = time.perf_counter()
    for i in range(frames):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        for send in sends:
            send(i)
    time.sleep(0.3)
    elapsed = time.perf_counter() - start - 0.3
    stop.set()
    for consumer in consumers:
        consumer.join()
    out = []
    for kind, session in zip(kinds, sessions, strict=True):
        latencies = session.latencies_ms()
        counters = session.receiver.counters
        out.append({"kind": kind, "sent": frames, "received": counters.received,  # type: ignore[dict-item]
                    "dropped": frames - counters.received, "malformed": counters.malformed,
                    "median_ms": float(np.median(latencies)), "p90_ms": float(np.percentile(latencies, 90)),
                    "rate": counters.received / elapsed})
        session.stop()
    for close in closes:
        close()
    context.term()
    return out


def solver_baseline(frames: int = 300) -> None:
    weights = WEIGHTS[:frames]
    live = LiveSolver(ARKIT)
    for row in weights[:60]:
        live.solve(row)
    start = time.perf_counter()
    fast = np.array([live.solve(row) for row in weights])
    t_live = (time.perf_counter() - start) / len(weights)
    count = 30
    start = time.perf_counter()
    slow = [solve_shapes(ARKIT, row[None]) for row in weights[:count]]
    t_batch = (time.perf_counter() - start) / count
    diff = max(float(np.max(np.abs(fast[i] - np.array([s.tracks[k][0] for k in live.keys]))))
               for i, s in enumerate(slow))
    print(f"per-frame solve: live {t_live * 1e6:.0f} µs, batch solver per frame {t_batch * 1e3:.1f} ms "
          f"(baseline), ratio {t_batch / t_live:.0f}x, largest difference {diff:.1e}")


def show(title: str, rows: list[dict[str, float]]) -> None:
    print(title)
    for r in rows:
        print(f"  {r['kind']:4s} sent {r['sent']:5.0f} received {r['received']:5.0f} "
              f"dropped {r['dropped']:3.0f} malformed {r['malformed']:.0f}  rate {r['rate']:6.1f} Hz  "
              f"latency median {r['median_ms']:.3f} ms p90 {r['p90_ms']:.3f} ms")


def main() -> None:
    print(f"performance: {'the shared Live Link Face take' if SAMPLE.is_file() else 'synthetic'}, "
          f"{len(WEIGHTS)} frames, {SECONDS:g} s per run")
    solver_baseline()
    show("one 60 Hz stream per protocol:", [run([kind], 60.0)[0] for kind in ("llf", "osc", "ifm", "zmq")])
    show("four streams at once, 60 Hz each:", run(["llf", "osc", "ifm", "zmq"], 60.0))
    show("one Live Link Face stream at 240 Hz:", run(["llf"], 240.0))


if __name__ == "__main__":
    main()
