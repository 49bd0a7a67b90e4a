# SPDX-License-Identifier: GPL-3.0-or-later
"""The reference evaluator: event shapes, eases, overlap, tracks, exclusions, vectorisation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facs_rig.core.catalogue import channels_for_side
from facs_rig.core.errors import FacsError
from facs_rig.core.evaluate import ease_value, envelope, evaluate
from facs_rig.core.model import Event, Timeline, Track, control_name


def bezier_flat_thirds(s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A cubic Bezier from (0,0) to (1,1) with flat handles a third of the segment long, by de Casteljau."""
    points = np.array([[0.0, 0.0], [1 / 3, 0.0], [2 / 3, 1.0], [1.0, 1.0]])
    s = s[:, None, None]
    level = np.broadcast_to(points, (len(s), 4, 2)).copy()
    while level.shape[1] > 1:
        level = (1 - s) * level[:, :-1] + s * level[:, 1:]
    return level[:, 0, 0], level[:, 0, 1]


def test_smooth_ease_is_the_flat_handle_bezier() -> None:
    x, y = bezier_flat_thirds(np.linspace(0, 1, 101))
    assert np.allclose(ease_value(x, "smooth"), y, atol=1e-12)
    assert np.allclose(ease_value(x, "linear"), x)
    assert ease_value(-1.0).item() == 0.0 and ease_value(2.0).item() == 1.0
    with pytest.raises(FacsError):
        ease_value(0.5, "bouncy")


def test_envelope_phases() -> None:
    event = Event(12, 0.6, onset=1.0, apex=2.0, apex_end=3.0, offset=5.0)
    t = np.array([0.0, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0])
    v = envelope(event, t)
    assert v[[0, 1, 7, 8]].tolist() == [0.0, 0.0, 0.0, 0.0]
    assert v[[3, 4, 5]].tolist() == [0.6, 0.6, 0.6]
    assert v[2] == pytest.approx(0.3) and v[6] == pytest.approx(0.3), "smooth is symmetric about mid-phase"
    quarter = envelope(event, np.array([1.25]))[0]
    assert quarter == pytest.approx(0.6 * (3 * 0.25**2 - 2 * 0.25**3))
    linear = Event(12, 0.6, 1.0, 2.0, 3.0, 5.0, ease="linear")
    assert envelope(linear, np.array([1.25, 4.5])) == pytest.approx([0.15, 0.15])


def test_zero_length_phases_are_steps() -> None:
    event = Event(26, 1.0, onset=1.0, apex=1.0, apex_end=2.0, offset=2.0)
    assert envelope(event, np.array([0.999, 1.0, 1.5, 2.0, 2.001])).tolist() == [0, 1, 1, 1, 0]


def test_controls_and_sides() -> None:
    tl = Timeline(
        events=[Event(12, 0.5, 0, 1, 2, 3), Event(22, 0.5, 0, 1, 2, 3, side="T"), Event(26, 1, 0, 1, 2, 3)]
    )
    curves = evaluate(tl, np.array([1.5]))
    assert curves.controls == ["AU12_L", "AU12_R", "AU22_T", "AU26"]
    assert curves.values.shape == (4, 1)
    assert curves.get("AU12_R")[0] == 0.5 and curves.get("AU45_L").tolist() == [0.0]
    assert list(curves.as_dict()) == curves.controls


def test_overlap_max_and_sum() -> None:
    events = [Event(12, 0.7, 0, 0, 2, 2), Event(12, 0.6, 1, 1, 3, 3, side="L")]
    t = np.array([0.5, 1.5, 2.5])
    maxed = evaluate(Timeline(events=events), t)
    summed = evaluate(Timeline(events=events, overlap="sum"), t)
    assert maxed.get("AU12_L").tolist() == [0.7, 0.7, 0.6]
    assert summed.get("AU12_L").tolist() == [0.7, 1.0, 0.6], "sums clamp to 1"
    assert summed.get("AU12_R").tolist() == [0.7, 0.7, 0.0]


def test_tracks_interpolate_and_hold_gaps() -> None:
    track = Track(12, "R", np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.2, np.nan, 0.6, 0.4]))
    tl = Timeline(tracks=[track])
    t = np.array([0.5, 1.0, 1.5, 2.5, 3.0, 3.5, 4.0, 4.5])
    held = evaluate(tl, t).get("AU12_R")
    assert held == pytest.approx([0.0, 0.2, 0.2, 0.4, 0.6, 0.5, 0.4, 0.0])
    gaps = evaluate(tl, t, gaps="nan").get("AU12_R")
    assert np.isnan(gaps[[2, 3]]).all()
    assert gaps[[0, 1, 4, 5, 6, 7]] == pytest.approx([0.0, 0.2, 0.6, 0.5, 0.4, 0.0])
    with pytest.raises(FacsError):
        evaluate(tl, t, gaps="zero")  # type: ignore[arg-type]


def test_tracks_combine_with_events() -> None:
    tl = Timeline(
        events=[Event(12, 0.5, 0, 0, 10, 10, side="R")],
        tracks=[Track(12, "R", np.array([0.0, 10.0]), np.array([0.0, 1.0]))],
    )
    assert evaluate(tl, np.array([2.0, 8.0])).get("AU12_R") == pytest.approx([0.5, 0.8])


def test_unsorted_times_and_exclusions() -> None:
    tl = Timeline(events=[Event(26, 1.0, 0, 1, 3, 4), Event(27, 0.5, 1, 2, 2, 3)])
    t = np.array([2.0, 0.5, 3.5, 1.0])
    curves = evaluate(tl, t)
    order = np.argsort(t)
    again = evaluate(tl, t[order])
    assert np.array_equal(curves.values[:, order], again.values)
    assert curves.get("AU26")[0] == pytest.approx(0.5)
    assert evaluate(tl, t, resolve=False).get("AU26")[0] == 1.0
    assert curves.times is not None and curves.times.tolist() == t.tolist()


def test_empty_inputs() -> None:
    assert evaluate(Timeline(), np.array([0.0, 1.0])).values.shape == (0, 2)
    assert evaluate(Timeline(events=[Event(1, 1, 0, 1, 1, 2)]), np.array([])).values.shape == (2, 0)


SIDED = [1, 2, 4, 5, 6, 7, 12, 15, 45]


@st.composite
def events(draw: st.DrawFn) -> Event:
    au = draw(st.sampled_from([*SIDED, 22, 25, 26, 27, 43]))
    on = draw(st.floats(0, 5))
    rise, hold, fall = (draw(st.sampled_from([0.0, 0.1, 0.5, 1.3])) for _ in range(3))
    side = draw(st.sampled_from(["both", "L", "R"] if au in SIDED else ["both"]))
    return Event(
        au,
        draw(st.floats(0, 1)),
        on,
        on + rise,
        on + rise + hold,
        on + rise + hold + fall,
        side=side,
        ease=draw(st.sampled_from(["smooth", "linear"])),
    )


@settings(max_examples=60, deadline=None)
@given(
    st.lists(events(), max_size=12),
    st.sampled_from(["max", "sum"]),
    st.lists(st.floats(-1, 10), min_size=1, max_size=40),
)
def test_vectorised_equals_per_event_loop(evs: list[Event], overlap: str, samples: list[float]) -> None:
    times = np.array(samples)
    tl = Timeline(events=evs, overlap=overlap)  # type: ignore[arg-type]
    curves = evaluate(tl, times, resolve=False)
    expected: dict[str, np.ndarray] = {}
    for e in evs:
        for ch in channels_for_side(e.au, e.side):
            name = control_name(e.au, ch)
            prev = expected.get(name, np.zeros(len(times)))
            expected[name] = (
                prev + envelope(e, times) if overlap == "sum" else np.maximum(prev, envelope(e, times))
            )
    assert sorted(expected) == sorted(curves.controls)
    for name, values in expected.items():
        assert np.allclose(curves.get(name), np.clip(values, 0, 1), atol=1e-12)
    resolved = evaluate(tl, times)
    assert ((resolved.values >= 0) & (resolved.values <= 1)).all()
    assert (resolved.values <= curves.values + 1e-12).all(), "resolution only ever lowers losers"
