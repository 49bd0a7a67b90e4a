# SPDX-License-Identifier: GPL-3.0-or-later
"""The keyframer's maths: Bezier keys reproduce the core's envelopes, plans match the evaluation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from facs_rig.core.evaluate import envelope, evaluate
from facs_rig.core.key_plan import plan_curve, plan_timeline
from facs_rig.core.key_readback import read_events, timeline_from_keys
from facs_rig.core.keys import (
    BEZIER,
    GENERATED,
    LINEAR,
    Keys,
    dense_keys,
    evaluate_keys,
    event_keys,
    merge_keys,
    to_frames,
)
from facs_rig.core.model import Event, Timeline, Track
from facs_rig.core.timeline import loads, to_dict

FPS = (24.0, 25.0, 30.0, 30000 / 1001, 60.0)


def _event_strategy(au: int = 12) -> st.SearchStrategy[Event]:
    phase = st.floats(0.02, 1.5)
    return st.builds(
        lambda onset, a, h, b, intensity, ease, side: Event(
            au, intensity, onset, onset + a, onset + a + h, onset + a + h + b, side=side, ease=ease),
        st.floats(0.0, 5.0), phase, st.one_of(st.just(0.0), phase), phase, st.floats(0.05, 1.0),
        st.sampled_from(["smooth", "linear"]), st.sampled_from(["both", "L", "R"]))


@settings(max_examples=60, deadline=None)
@given(_event_strategy(), st.sampled_from(FPS), st.floats(-10.0, 10.0))
def test_event_keys_are_the_envelope_at_any_time(event: Event, fps: float, start: float) -> None:
    f = to_frames([event.onset, event.apex, event.apex_end, event.offset], fps, start)
    keys = event_keys(*f, event.intensity, ease=event.ease)
    assert keys is not None
    frames = np.linspace(f[0] - 2, f[3] + 2, 997)  # sub-frame positions on purpose
    expected = envelope(event, (frames - start) / fps)
    assert np.abs(evaluate_keys(keys, frames) - expected).max() < 1e-9
    assert len(keys) == (4 if event.apex_end > event.apex else 3)


def test_smooth_handles_are_flat_thirds_and_linear_handles_lie_on_the_line() -> None:
    smooth = event_keys(0.0, 6.0, 9.0, 21.0, 0.5)
    assert smooth is not None
    assert smooth.interpolation.tolist() == [BEZIER, LINEAR, BEZIER, LINEAR]
    np.testing.assert_allclose(smooth.handle_right[0], [2.0, 0.0])
    np.testing.assert_allclose(smooth.handle_left[1], [4.0, 0.5])
    np.testing.assert_allclose(smooth.handle_right[2], [13.0, 0.5])
    np.testing.assert_allclose(smooth.handle_left[3], [17.0, 0.0])
    linear = event_keys(0.0, 6.0, 6.0, 12.0, 0.6, ease="linear")
    assert linear is not None
    assert set(linear.interpolation.tolist()) == {LINEAR}
    np.testing.assert_allclose(linear.handle_right[0], [2.0, 0.2])
    np.testing.assert_allclose(linear.handle_left[1], [4.0, 0.4])


def test_steps_cannot_be_keys() -> None:
    assert event_keys(5.0, 5.0, 8.0, 10.0, 1.0) is None
    assert event_keys(5.0, 6.0, 8.0, 8.0, 1.0) is None


def test_dense_keys_drop_only_keys_inside_flat_runs() -> None:
    frames = np.arange(10.0, 30.0)
    values = np.r_[np.zeros(5), np.linspace(0, 1, 5), np.ones(6), np.zeros(4)]
    keys = dense_keys(frames, values)
    assert len(keys) < len(frames)
    assert set(keys.kind.tolist()) == {GENERATED}
    np.testing.assert_allclose(evaluate_keys(keys, frames), values, atol=1e-12)


def test_touching_events_share_their_zero_key_and_keep_both_handles() -> None:
    a = event_keys(0.0, 3.0, 3.0, 9.0, 0.4)
    b = event_keys(9.0, 12.0, 15.0, 18.0, 0.9, ease="linear")
    assert a is not None and b is not None
    merged = merge_keys([b, a])
    assert len(merged) == len(a) + len(b) - 1
    shared = int(np.flatnonzero(merged.x == 9.0)[0])
    np.testing.assert_allclose(merged.handle_left[shared], a.handle_left[-1])
    np.testing.assert_allclose(merged.handle_right[shared], b.handle_right[0])
    frames = np.linspace(-1, 20, 211)
    np.testing.assert_allclose(evaluate_keys(merged, frames),
                               evaluate_keys(a, frames) + evaluate_keys(b, frames), atol=1e-9)


def _check_plan(timeline: Timeline, fps: float, start: float) -> None:
    plan = plan_timeline(timeline, fps, start)
    ref = evaluate(timeline, (plan.frames - start) / fps, resolve=False)
    assert plan.controls == ref.controls
    for i, control in enumerate(plan.controls):
        keys = plan.keys[control].as_float32()
        err = np.abs(evaluate_keys(keys, plan.frames) - ref.values[i]).max()
        assert err < 1e-3, (control, err)
        assert np.all(np.diff(keys.x) > 0), control


@settings(max_examples=40, deadline=None)
@given(st.lists(_event_strategy(12), min_size=1, max_size=6), st.lists(_event_strategy(4), max_size=3),
       st.sampled_from(FPS), st.sampled_from(["max", "sum"]), st.floats(-5.0, 5.0))
def test_plan_matches_the_evaluation_at_every_frame(events12: list[Event], events4: list[Event], fps: float,
                                                    overlap: str, start: float) -> None:
    _check_plan(Timeline(events12 + events4, overlap=overlap), fps, start)  # type: ignore[arg-type]


def test_plan_with_tracks_gaps_steps_and_exclusions() -> None:
    times = np.linspace(0.5, 2.5, 41)
    values = 0.5 + 0.4 * np.sin(times * 5)
    values[10:14] = np.nan  # a tracking gap: the evaluation holds the last value
    timeline = Timeline(
        events=[Event(6, 0.7, 1.0, 1.3, 1.6, 2.0), Event(26, 0.9, 0.2, 0.2, 0.8, 1.1),  # 26: a step
                Event(27, 0.8, 0.5, 0.9, 1.0, 1.6), Event(12, 0.5, 3.0, 3.2, 3.3, 3.9, ease="linear")],
        tracks=[Track(6, "L", times, values)], fps=25.0)
    _check_plan(timeline, 25.0, 1.0)
    _check_plan(timeline, 60.0, 0.0)


def test_isolated_events_are_sparse_and_only_overlaps_are_sampled() -> None:
    timeline = Timeline(events=[
        Event(12, 0.8, 1.0, 1.5, 2.0, 2.5),
        Event(12, 0.6, 3.0, 3.2, 3.2, 3.8, ease="linear"),
        Event(12, 0.5, 3.5, 4.0, 4.0, 4.5, side="L"),  # overlaps the previous one on L only
    ])
    plan = plan_timeline(timeline, 30.0, 1.0)
    right, left = plan.keys["AU12_R"], plan.keys["AU12_L"]
    assert len(right) == 7 and GENERATED not in right.kind  # 4 + 3 keys, no samples
    samples = left.x[left.kind == GENERATED]
    assert len(samples) > 0
    assert samples.min() >= to_frames(3.0, 30.0, 1.0) - 1 and samples.max() <= to_frames(4.5, 30.0, 1.0) + 1


def test_a_candidate_the_reference_disagrees_with_is_sampled() -> None:
    frames = np.arange(0.0, 40.0)
    keys = event_keys(5.0, 10.0, 20.0, 30.0, 1.0)
    reference = evaluate_keys(keys, frames) * 0.5  # e.g. scaled down by a rule the keys do not know
    planned = plan_curve(frames, reference, starts=np.array([5.0]), ends=np.array([30.0]), keys=keys,
                         owner=np.zeros(len(keys), np.int64))
    assert GENERATED in planned.kind
    np.testing.assert_allclose(evaluate_keys(planned, frames), reference, atol=1e-7)


def test_read_events_finds_what_event_keys_wrote() -> None:
    a = event_keys(2.0, 5.5, 9.25, 14.0, 0.4)
    b = event_keys(14.0, 16.0, 16.0, 20.0, 0.7, ease="linear")
    noise = dense_keys(np.arange(30.0, 40.0), np.r_[0, np.linspace(0.1, 0.5, 8), 0])
    events, rest = read_events(merge_keys([a, b, noise]))
    got = [(e.onset, e.apex, e.apex_end, e.offset, round(e.intensity, 6), e.ease) for e in events]
    assert got == [(2.0, 5.5, 9.25, 14.0, 0.4, "smooth"), (14.0, 16.0, 16.0, 20.0, 0.7, "linear")]
    assert len(rest) == 1


TIMELINE_JSON = """{
  "format": "facs-timeline", "version": 1, "name": "mixed", "fps": 30, "time_unit": "frames",
  "events": [
    {"code": "6B+12C", "onset": 10, "apex": 20, "apex_end": 40, "offset": 55},
    {"expression": "surprise", "intensity": "C", "onset": 70, "apex": 76, "offset": 100},
    {"au": 12, "side": "L", "intensity": 0.4, "onset": 50, "apex": 58, "offset": 80, "ease": "linear"},
    {"code": "R14A", "onset": 120, "apex": 125.5, "apex_end": 130, "offset": 140},
    {"au": 26, "intensity": "B", "onset": 150, "apex": 150, "apex_end": 160, "offset": 170}
  ],
  "tracks": [{"au": 4, "side": "both", "times": [180, 181, 182, 183, 184, 185],
              "values": [0, 0.2, null, 0.5, 0.3, 0]}]
}"""


@pytest.mark.parametrize("fps", [24.0, 30.0, 60.0])
def test_json_timeline_round_trips_through_keys(fps: float) -> None:
    timeline = loads(TIMELINE_JSON)
    _check_plan(timeline, fps, 1.0)
    plan = plan_timeline(timeline, fps, 1.0)
    back = timeline_from_keys({c: k.as_float32() for c, k in plan.keys.items()}, fps, 1.0, stored=timeline)
    frame = 1.0 / fps

    def timing(e: Event) -> tuple:
        return (e.au, e.side, e.ease)

    expected = sorted(timeline.events, key=lambda e: (timing(e), e.onset))
    got = sorted(back.events, key=lambda e: (timing(e), e.onset))
    assert [timing(e) for e in got] == [timing(e) for e in expected]
    for e, g in zip(expected, got, strict=True):
        for attr in ("onset", "apex", "apex_end", "offset"):
            assert abs(getattr(e, attr) - getattr(g, attr)) < frame
        assert abs(e.intensity - g.intensity) < 1e-3
    assert [(t.au, t.side) for t in back.tracks] == [(4, "both")]
    track_ref = evaluate(timeline, back.tracks[0].times, resolve=False).get("AU04_L")
    np.testing.assert_allclose(back.tracks[0].values, track_ref, atol=1e-4)


def test_edited_samples_come_back_as_tracks() -> None:
    timeline = Timeline(events=[Event(12, 0.8, 1.0, 1.5, 2.0, 2.5), Event(12, 0.6, 2.0, 2.2, 2.2, 3.0)])
    plan = plan_timeline(timeline, 30.0, 1.0)
    keys = plan.keys["AU12_L"]
    edited = keys.co.copy()
    edited[keys.kind == GENERATED, 1] *= 0.5
    curves = {"AU12_L": Keys(edited, keys.handle_left, keys.handle_right, keys.interpolation, keys.kind),
              "AU12_R": plan.keys["AU12_R"]}
    back = timeline_from_keys(curves, 30.0, 1.0, stored=timeline)
    assert [(t.au, t.side) for t in back.tracks] == [(12, "L")]
    assert all(e.side == "R" for e in back.events)
    ref = evaluate(back, back.tracks[0].times, resolve=False).get("AU12_L")
    np.testing.assert_allclose(ref, back.tracks[0].values, atol=1e-6)


def test_fast_events_far_into_a_long_timeline_are_sampled_rather_than_misplaced() -> None:
    # At frame 36,000 single precision holds key times to 1/256 frame: a 1.2-frame rise would be off.
    timeline = Timeline(events=[Event(12, 1.0, 1.0, 1.02, 1.02, 1.3),
                                Event(12, 1.0, 600.0, 600.02, 600.02, 600.3)])
    plan = plan_timeline(timeline, 60.0, 1.0)
    keys = plan.keys["AU12_L"]
    early = keys.x < 1000
    assert GENERATED not in keys.kind[early]
    assert GENERATED in keys.kind[~early]
    _check_plan(timeline, 60.0, 1.0)


def test_tracks_from_time_0_come_back_as_a_timeline_that_loads() -> None:
    """The zero key before a track's first sample lies before time 0: it is not exported."""
    times = np.arange(0.0, 1.0, 0.04)
    timeline = Timeline(tracks=[Track(12, "both", times, 0.5 + 0.4 * np.sin(times)),
                                Track(1, "L", times, np.full(len(times), 0.3))], fps=25.0)
    plan = plan_timeline(timeline, 25.0, 1.0)
    assert plan.frames[0] < 1.0  # the spare frame before time 0 the check is about
    back = timeline_from_keys({c: k.as_float32() for c, k in plan.keys.items()}, 25.0, 1.0)
    again = loads(json.dumps(to_dict(back)))  # the loader's own checks: no time before 0
    assert {(t.au, t.side) for t in again.tracks} == {(12, "both"), (1, "L")}
    assert all(t.times[0] == 0.0 for t in again.tracks)
    ref = evaluate(timeline, times, resolve=False)
    got = evaluate(again, times, resolve=False)
    for control in ("AU12_L", "AU12_R", "AU01_L"):
        np.testing.assert_allclose(got.get(control), ref.get(control), atol=1e-4)


@pytest.mark.parametrize(("start", "frame"), [(1.0, 7.0), (1.0, 1.0), (10.0, 4.0)])
def test_a_pose_keyed_once_holds_from_time_0_to_the_end(start: float, frame: float) -> None:
    """One key holds its value everywhere in Blender; the timeline says the same up to ``end``."""
    key = Keys(np.array([[frame, 0.7]]), np.array([[frame - 1, 0.7]]), np.array([[frame + 1, 0.7]]),
               np.array([BEZIER], np.int32), np.zeros(1, np.int32))
    fps, end = 24.0, 3.0
    back = loads(json.dumps(to_dict(timeline_from_keys({"AU26": key}, fps, start, end=end))))
    (track,) = back.tracks
    assert track.times[0] == 0.0 and track.times[-1] == pytest.approx(end)
    seconds = np.linspace(0.0, end, 50)
    np.testing.assert_allclose(evaluate(back, seconds, resolve=False).get("AU26"), 0.7, atol=1e-6)
    plan = plan_timeline(back, fps, start)
    frames = to_frames(seconds, fps, start)
    np.testing.assert_allclose(evaluate_keys(plan.keys["AU26"], frames), 0.7, atol=1e-6)
    # Without an end the pose reaches back to time 0 but not past its key (a key before time 0: nothing).
    short = timeline_from_keys({"AU26": key}, fps, start).tracks
    if frame < start:
        assert short == []
    else:
        assert short[0].times[0] == 0.0 and short[0].times[-1] == pytest.approx((frame - start) / fps)


def test_an_event_keyed_across_time_0_exports_as_samples_from_time_0() -> None:
    keys = event_keys(-3.0, 2.0, 4.0, 9.0, 0.8)
    back = loads(json.dumps(to_dict(timeline_from_keys({"AU12_L": keys}, 24.0, 0.0))))
    assert not back.events and [(t.au, t.side) for t in back.tracks] == [(12, "L")]
    frames = np.arange(0.0, 10.0)
    got = evaluate(back, frames / 24.0, resolve=False).get("AU12_L")
    np.testing.assert_allclose(got, evaluate_keys(keys, frames), atol=1e-5)
    # An event after time 0 stays an event.
    later = timeline_from_keys({"AU12_L": keys}, 24.0, -3.0)
    assert len(later.events) == 1 and not later.tracks
