# SPDX-License-Identifier: GPL-3.0-or-later
"""Dense tracks → events: known movements come back, noise does not, the rebuild stays close."""

from __future__ import annotations

import numpy as np
import pytest

from facs_rig.core.errors import FacsError
from facs_rig.core.evaluate import envelope
from facs_rig.core.model import Event, Track
from facs_rig.core.segment import SegmentParams, rms_difference, segment_curve, segment_tracks

FPS = 30.0
T = np.arange(0, 6, 1 / FPS)


def curve(*events: Event) -> np.ndarray:
    return np.max([envelope(e, T) for e in events], axis=0)


def smile(intensity: float, onset: float, apex: float, apex_end: float, offset: float) -> Event:
    return Event(12, intensity, onset, apex, apex_end, offset, ease="linear")


def test_a_clean_movement_comes_back() -> None:
    truth = smile(0.8, 1.0, 1.5, 2.5, 3.2)
    rng = np.random.default_rng(0)
    values = curve(truth) + rng.normal(0, 0.01, T.size)
    [seg] = segment_curve(T, values, SegmentParams(smooth=0))
    assert seg.intensity == pytest.approx(0.8, abs=0.05)
    assert seg.onset == pytest.approx(1.0, abs=2 / FPS)
    assert seg.offset == pytest.approx(3.2, abs=2 / FPS)
    assert seg.apex <= 1.6 and seg.apex_end >= 2.4


def test_noise_and_blips_are_not_movements() -> None:
    rng = np.random.default_rng(1)
    noise = np.abs(rng.normal(0, 0.03, T.size))
    assert segment_curve(T, noise) == []
    blip = noise.copy()
    blip[60:62] = 0.9  # two frames: shorter than min_duration
    assert segment_curve(T, blip, SegmentParams(smooth=0)) == []


def test_two_humps_and_a_raised_baseline_stay_close() -> None:
    values = curve(smile(0.9, 0.5, 0.8, 1.2, 2.0), smile(0.7, 1.6, 2.0, 2.4, 3.0),
                   smile(0.35, 3.5, 3.8, 5.5, 5.8), smile(0.9, 4.2, 4.4, 4.6, 4.9))
    track = Track(12, "both", T, values)
    events = segment_tracks([track])
    assert len(events) >= 4
    assert rms_difference([track], events) < 0.03
    assert all(e.au == 12 and e.side == "both" for e in events)


def test_gaps_split_events() -> None:
    values = curve(smile(0.6, 0.5, 1.0, 4.0, 4.5))
    values[(T > 2.0) & (T < 2.5)] = np.nan
    events = segment_curve(T, values)
    assert len(events) == 2
    assert all(not (e.onset < 2.25 < e.offset) for e in events)


def test_rms_difference_measures_what_the_events_miss() -> None:
    values = curve(smile(0.5, 1.0, 2.0, 3.0, 4.0))
    track = Track(6, "L", T, values)
    exact = [Event(6, 0.5, 1.0, 2.0, 3.0, 4.0, side="L", ease="linear")]
    assert rms_difference([track], exact) == pytest.approx(0.0, abs=1e-9)
    assert rms_difference([track], []) == pytest.approx(np.sqrt(np.mean(values**2)))
    assert rms_difference([Track(6, "L", T, np.full(T.size, np.nan))], exact) is None


def test_parameters_are_checked() -> None:
    with pytest.raises(FacsError):
        SegmentParams(on=0.1, off=0.2)
