# SPDX-License-Identifier: GPL-3.0-or-later
"""Evaluate 2,000 events over 30 AUs at 60 fps for 10 minutes, against a naive per-event loop.

Prints the vectorised time, the naive time and their ratio, and checks both give the same curves.
Target (issue 3): well under a second for the vectorised evaluator.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from facs_rig.core.catalogue import all_aus, channels_for_side
from facs_rig.core.evaluate import envelope, evaluate
from facs_rig.core.model import Event, Timeline, control_name

N_EVENTS, N_AUS, FPS, SECONDS = 2000, 30, 60, 600.0


def make_timeline(seed: int = 3) -> Timeline:
    rng = np.random.default_rng(seed)
    aus = [au for au in all_aus() if au.kind == "action_unit"][:N_AUS]
    events = []
    for i in range(N_EVENTS):
        au = aus[i % len(aus)]
        onset = float(rng.uniform(0, SECONDS - 5))
        rise, hold, fall = rng.uniform(0.05, 1.0), rng.uniform(0, 2.0), rng.uniform(0.1, 1.5)
        side = str(rng.choice(["both", *au.sides])) if au.sides else "both"
        events.append(Event(au.number, float(rng.uniform(0.1, 1.0)), onset, onset + rise, onset + rise + hold,
                            onset + rise + hold + fall, side=side,  # type: ignore[arg-type]
                            ease="linear" if i % 4 == 0 else "smooth", source=f"events[{i}]"))
    return Timeline(events=events, fps=FPS)


def naive(timeline: Timeline, times: np.ndarray) -> dict[str, np.ndarray]:
    """The obvious implementation: one full-length envelope per event, max-combined per control."""
    out: dict[str, np.ndarray] = {}
    for event in timeline.events:
        curve = envelope(event, times)
        for ch in channels_for_side(event.au, event.side):
            name = control_name(event.au, ch)
            out[name] = np.maximum(out[name], curve) if name in out else curve
    return out


def best_of(fn: Callable[[], object], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    timeline = make_timeline()
    times = np.arange(int(SECONDS * FPS)) / FPS
    fast = evaluate(timeline, times, resolve=False)
    slow = naive(timeline, times)
    worst = max(float(np.abs(fast.get(name) - np.clip(curve, 0, 1)).max()) for name, curve in slow.items())
    t_fast = best_of(lambda: evaluate(timeline, times), 5)
    t_slow = best_of(lambda: naive(timeline, times), 2)
    print(f"{N_EVENTS} events, {N_AUS} AUs, {len(fast.controls)} controls, {len(times)} samples "
          f"({SECONDS:g} s at {FPS} fps)")
    print(f"vectorised evaluate (with exclusions): {t_fast * 1000:.1f} ms")
    print(f"naive per-event loop baseline:         {t_slow * 1000:.1f} ms")
    print(f"speed-up: {t_slow / t_fast:.1f}x   max difference: {worst:.2e}")
    ok = t_fast < 1.0 and worst < 1e-12
    print("OK" if ok else "FAILED: slower than 1 s or results differ")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
