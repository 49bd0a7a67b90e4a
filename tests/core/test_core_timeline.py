# SPDX-License-Identifier: GPL-3.0-or-later
"""Timeline format v1: loading, expansion, every kind of problem, round trips, arbitrary input."""

from __future__ import annotations

import contextlib
import copy
import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facs_rig.core.errors import FacsError, TimelineError
from facs_rig.core.intensity import scale_from_spec
from facs_rig.core.timeline import MAX_BYTES, dump, dumps, from_dict, load, loads, time_span, to_dict

EXAMPLE: dict[str, Any] = {  # the example of the issue
    "format": "facs-timeline",
    "version": 1,
    "fps": 30,
    "time_unit": "seconds",
    "intensity_scale": "facs",
    "overlap": "max",
    "events": [
        {
            "au": 12,
            "side": "L",
            "intensity": "C",
            "onset": 0.5,
            "apex": 0.9,
            "apex_end": 1.8,
            "offset": 2.4,
            "ease": "smooth",
        },
        {"code": "1+2+5B+26", "intensity": "C", "onset": 3.0, "apex": 3.3, "offset": 4.5},
        {
            "expression": "happiness",
            "intensity": "D",
            "onset": 5.0,
            "apex": 5.6,
            "apex_end": 7.0,
            "offset": 8.0,
        },
    ],
    "tracks": [{"au": 12, "side": "R", "times": [0.0, 0.04], "values": [0.0, 0.1]}],
    "meta": {},
}
FACS = scale_from_spec("facs")


def doc(**changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(EXAMPLE)
    out.update(changes)
    return out


def event(**fields: Any) -> dict[str, Any]:
    return {"au": 12, "intensity": "C", "onset": 1.0, "apex": 1.5, "offset": 2.0} | fields


def problems(data: Any) -> list[str]:
    with pytest.raises(TimelineError) as info:
        from_dict(data, filename="t.json")
    return [str(p) for p in info.value.problems if p.severity == "error"]


def test_example_loads_expanded() -> None:
    tl = from_dict(doc())
    summary = [(e.au, e.side, e.intensity, e.source) for e in tl.events]
    assert summary == [
        (12, "L", FACS.to_value("C"), "events[0]"),
        (1, "both", FACS.to_value("C"), "events[1]"),
        (2, "both", FACS.to_value("C"), "events[1]"),
        (5, "both", FACS.to_value("B"), "events[1]"),
        (26, "both", FACS.to_value("C"), "events[1]"),
        (6, "both", FACS.to_value("D"), "events[2]"),
        (12, "both", FACS.to_value("D"), "events[2]"),
    ]
    assert tl.events[1].apex_end == tl.events[1].apex == 3.3
    assert (tl.fps, tl.overlap, tl.intensity_scale) == (30.0, "max", "facs")
    assert tl.tracks[0].source == "tracks[0]" and tl.tracks[0].values.tolist() == [0.0, 0.1]
    assert time_span(tl) == (0.0, 8.0)
    assert tl.warnings == []


def test_au_spellings_sides_and_numbers() -> None:
    tl = from_dict(
        doc(
            events=[
                event(au="AU12", side="R", intensity=0.3, onset=1, apex=2, offset=3),
                event(au="22", side="T"),
                event(au=28, side="B"),
            ],
            tracks=[],
        )
    )
    assert [(e.au, e.side, e.intensity) for e in tl.events][:1] == [(12, "R", 0.3)]
    assert [(e.au, e.side) for e in tl.events[1:]] == [(22, "T"), (28, "B")]


def test_code_prefixes_and_event_side() -> None:
    evs = from_dict(
        doc(events=[{k: v for k, v in event(code="G7D+12+26", side="L").items() if k != "au"}], tracks=[])
    ).events
    assert [(e.au, e.side, e.intensity) for e in evs] == [
        (7, "L", FACS.to_value("C")),
        (7, "R", FACS.to_value("D")),
        (12, "L", FACS.to_value("C")),
        (26, "both", FACS.to_value("C")),
    ]


def test_expression_side_moves_sided_aus_but_code_prefixes_win() -> None:
    timing = {"onset": 0, "apex": 1, "offset": 2}
    tl = from_dict(
        doc(
            events=[
                {"expression": "contempt", "side": "L", **timing},
                {"expression": "surprise", "side": "R", "intensity": "C", **timing},
                {"code": "R12A", "side": "L", **timing},
            ],
            tracks=[],
        )
    )
    placed = [(e.au, e.side, e.source) for e in tl.events]
    assert placed == [
        (12, "L", "events[0]"), (14, "L", "events[0]"),
        (1, "R", "events[1]"), (2, "R", "events[1]"), (5, "R", "events[1]"), (26, "both", "events[1]"),
        (12, "R", "events[2]"),
    ]  # fmt: skip
    assert tl.events[0].intensity == FACS.to_value("A") and tl.events[4].intensity == FACS.to_value("B")


def test_frames_are_converted_with_fps() -> None:
    tl = from_dict(
        doc(
            time_unit="frames",
            fps=24,
            events=[event(onset=12, apex=24, offset=48)],
            tracks=[{"au": 1, "times": [0, 12, 24], "values": [0, 0.5, None]}],
        )
    )
    assert (tl.events[0].onset, tl.events[0].apex, tl.events[0].offset) == (0.5, 1.0, 2.0)
    assert tl.tracks[0].times.tolist() == [0.0, 0.5, 1.0] and math.isnan(tl.tracks[0].values[2])


def test_intensity_scales() -> None:
    linear = from_dict(doc(intensity_scale="linear", events=[event(intensity="B")], tracks=[]))
    custom = from_dict(
        doc(intensity_scale={"A": 0.1, "B": 0.2, "C": 0.3, "D": 0.4, "E": 0.5}, events=[event()])
    )
    assert linear.events[0].intensity == 0.4 and custom.events[0].intensity == 0.3
    assert to_dict(custom)["intensity_scale"] == {"A": 0.1, "B": 0.2, "C": 0.3, "D": 0.4, "E": 0.5}


def test_ids_expand_uniquely_and_duplicates_are_errors() -> None:
    tl = from_dict(
        doc(
            events=[
                event(id="smile"),
                {"code": "1+2C", "intensity": "A", "onset": 0, "apex": 1, "offset": 2, "id": "brows"},
            ],
            tracks=[],
        )
    )
    assert [e.id for e in tl.events] == ["smile", "brows/AU01", "brows/AU02"]
    errs = problems(doc(events=[event(id="x"), event(id="y"), event(id="x")]))
    assert errs == ["events[2].id: duplicate id 'x' (also used by events[0])"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"events": [event(onset=1.5, apex=1.2)]}, "events[0].apex: 1.2 is before onset 1.5"),
        ({"events": [event(apex_end=1.2)]}, "events[0].apex_end: 1.2 is before apex 1.5"),
        ({"events": [event(offset=1.4)]}, "events[0].offset: 1.4 is before apex 1.5"),
        ({"events": [event(onset=-1)]}, "events[0].onset: -1 is negative"),
        ({"events": [event(onset=float("nan"))]}, "events[0].onset: is NaN"),
        ({"events": [event(offset=float("inf"))]}, "events[0].offset: is infinite"),
        ({"events": [event(onset="1")]}, "events[0].onset: must be a number, got a string"),
        ({"events": [event(apex=True)]}, "events[0].apex: must be a number, got a boolean"),
        ({"events": [{k: v for k, v in event().items() if k != "offset"}]}, "events[0].offset: missing"),
        ({"events": [event(au=99)]}, "events[0].au: unknown AU 99"),
        ({"events": [event(au=3)]}, "events[0].au: unknown AU 3"),
        ({"events": [event(au="twelve")]}, "events[0].au: unknown AU"),
        ({"events": [event(intensity="c")]}, "events[0].intensity: 'c' is not an intensity letter A..E"),
        ({"events": [event(intensity=1.5)]}, "events[0].intensity: 1.5 is outside 0..1"),
        (
            {"events": [{k: v for k, v in event().items() if k != "intensity"}]},
            "events[0].intensity: missing",
        ),
        ({"events": [event(side="left")]}, "events[0].side: 'left' is not one of"),
        ({"events": [event(au=26, side="L")]}, "events[0].side: AU 26 (Jaw Drop) has no side 'L'"),
        ({"events": [event(ease="bounce")]}, "events[0].ease: 'bounce' is not one of"),
        ({"events": [event(code="1+2")]}, "events[0]: an event names exactly one of au, code or expression"),
        (
            {"events": [{"intensity": "C", "onset": 0, "apex": 1, "offset": 2}]},
            "events[0]: an event names exactly one",
        ),
        (
            {"events": [{"code": "1+2+5Q", "onset": 0, "apex": 1, "offset": 2}]},
            "events[0].code: bad intensity letter 'Q'",
        ),
        (
            {"events": [{"code": "1+2", "onset": 0, "apex": 1, "offset": 2}]},
            "events[0].intensity: missing: AUs 1, 2",
        ),
        (
            {"events": [{"expression": "joy", "onset": 0, "apex": 1, "offset": 2}]},
            "events[0].expression: unknown",
        ),
        ({"events": [{"code": 12, "onset": 0, "apex": 1, "offset": 2}]}, "events[0].code: must be a string"),
        ({"events": [event(id=7)]}, "events[0].id: must be a non-empty string"),
        ({"events": [5]}, "events[0]: an event must be an object, got a number"),
        ({"events": {"au": 12}}, "events: must be an array, got an object"),
        ({"tracks": [{"au": 12, "times": [], "values": []}]}, "tracks[0].times: is empty"),
        (
            {"tracks": [{"au": 12, "times": [0, 1], "values": [0.5]}]},
            "tracks[0]: times has 2 samples but values has 1",
        ),
        (
            {"tracks": [{"au": 12, "times": [0, 1, 1], "values": [0, 0, 0]}]},
            "tracks[0].times[2]: 1 is not after",
        ),
        (
            {"tracks": [{"au": 12, "times": [0, 1], "values": [0, 2]}]},
            "tracks[0].values[1]: 2 is outside 0..1",
        ),
        (
            {"tracks": [{"au": 12, "times": [0, "x"], "values": [0, 1]}]},
            "tracks[0].times[1]: must be a number",
        ),
        ({"tracks": [{"times": [0], "values": [0]}]}, "tracks[0].au: missing"),
        ({"tracks": ["x"]}, "tracks[0]: a track must be an object, got a string"),
        ({"fps": 0}, "fps: 0 must be positive"),
        ({"fps": 30, "time_unit": "ticks"}, "time_unit: 'ticks' is not one of"),
        ({"overlap": "min"}, "overlap: 'min' is not one of"),
        ({"intensity_scale": "loud"}, "intensity_scale: unknown intensity scale 'loud'"),
        ({"meta": []}, "meta: must be an object, got an array"),
        ({"version": 2}, "version: must be 1, got 2"),
        ({"format": "other"}, "format: must be 'facs-timeline', got 'other'"),
    ],
)
def test_each_problem_names_its_path(change: dict[str, Any], expected: str) -> None:
    errs = problems(doc(**change))
    assert any(e.startswith(expected) for e in errs), errs


def test_bad_samples_are_listed_briefly() -> None:
    errs = problems(doc(tracks=[{"au": 12, "times": list(range(1000)), "values": ["x"] * 1000}]))
    assert errs == [
        "tracks[0].values[0]: must be a number, got a string",
        "tracks[0].values[1]: must be a number, got a string",
        "tracks[0].values[2]: must be a number, got a string",
        "tracks[0].values: ... and 997 more samples that are not valid numbers",
    ]


def test_missing_fps_for_frames_and_missing_format() -> None:
    data = doc(time_unit="frames")
    del data["fps"], data["format"]
    errs = problems(data)
    assert "fps: missing: a timeline in frames needs its frame rate" in errs
    assert any(e.startswith("format: must be 'facs-timeline' (missing)") for e in errs)


def test_every_problem_is_listed_at_once() -> None:
    errs = problems(doc(fps=-1, events=[event(au=99), event(onset=3, apex=2), event(intensity="Z")]))
    assert [e.split(":")[0] for e in errs] == ["fps", "events[0].au", "events[1].apex", "events[2].intensity"]
    with pytest.raises(TimelineError) as info:
        from_dict(doc(events=[event(au=99)]), filename="t.json")
    assert str(info.value).startswith("t.json: events[0].au: unknown AU 99")
    assert isinstance(info.value, FacsError)


def test_warnings() -> None:
    tl = from_dict(
        doc(
            extra=1,
            events=[
                event(au=41),
                event(au=45, intensity="E", onset=0, apex=0.3, offset=0.9),
                {"code": "26", "intensity": "C", "onset": 1, "apex": 1.2, "offset": 3},
                {"code": "27C", "onset": 2, "apex": 2.5, "offset": 4},
            ],
            tracks=[],
        )
    )
    text = "\n".join(tl.warnings)
    assert "extra: unknown key ignored" in text
    assert "events[0].au: AU 41 is a legacy 1978 code, read as 43B" in text
    assert "events[1]: AU 45 blink lasts 0.9 s" in text
    clash = [w for w in tl.warnings if "exclude" in w]
    assert len(clash) == 1 and clash[0].startswith("events[2]: AU 26 and AU 27 of events[3]")
    assert "from 2 s to 3 s" in clash[0] and "27 wins" in clash[0]
    assert [e.au for e in tl.events[:1]] == [43]


def test_exclusion_warning_respects_sides_and_intensity() -> None:
    same_side = from_dict(doc(events=[event(au=5, side="L"), event(au=43, side="R")], tracks=[]))
    assert not [w for w in same_side.warnings if "exclude" in w]
    weak = from_dict(doc(events=[event(au=5), event(au=7, intensity="C")], tracks=[]))
    strong = from_dict(doc(events=[event(au=5), event(au=7, intensity="E")], tracks=[]))
    assert not [w for w in weak.warnings if "exclude" in w]
    assert [w for w in strong.warnings if "7E" in w and "left unresolved" in w]


def test_duplicate_keys_are_errors() -> None:
    text = json.dumps(doc()).replace('"onset": 0.5', '"onset": 0.5, "onset": 0.6', 1)
    with pytest.raises(TimelineError, match=r"events\[0\]\.onset: key appears more than once"):
        loads(text)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"format": "facs-timeline",\n "version": 1,\n "events": [1,,]}', "line 3 column 15"),
        ('{"a": 1} x', "line 1 column 10"),
        ('{"format": "facs-timeline", "version": 1, "events": [\n  {"au": 12 "intensity": 1}]}',
         "line 2 column 13"),
    ],
)
def test_malformed_json_gives_line_and_column(text: str, where: str) -> None:
    with pytest.raises(TimelineError) as info:
        loads(text, filename="bad.json")
    assert str(info.value).startswith(f"bad.json: {where}: invalid JSON")


@pytest.mark.parametrize("text", ["", "\n", "  \r\n\t", b"\xef\xbb\xbf\n"])
def test_empty_file_says_so(text: str | bytes) -> None:
    with pytest.raises(TimelineError) as info:
        loads(text, filename="e.json")
    assert info.value.lines() == ["e.json: the file is empty (a timeline is a JSON object)"]


def test_deep_nesting_and_bad_bytes() -> None:
    with pytest.raises(TimelineError, match="invalid JSON"):
        loads("[" * 100_000 + "]" * 100_000)
    with pytest.raises(TimelineError, match="not UTF-8"):
        loads(b'{"format": "\xff"}')
    with pytest.raises(TimelineError, match="invalid JSON"):
        loads('{"version": ' + "9" * 5000 + "}")


def test_files(tmp_path: Path) -> None:
    tl = from_dict(doc())
    path = tmp_path / "t.json"
    dump(tl, path)
    back = load(path)
    assert [replace(e, source="") for e in back.events] == [replace(e, source="") for e in tl.events]
    assert back.name == "t"
    with pytest.raises(TimelineError, match="cannot read the file") as info:
        load(tmp_path / "missing.json")
    assert str(info.value).startswith(str(tmp_path / "missing.json"))
    with pytest.raises(TimelineError, match="cannot read the file"):
        load(tmp_path)


def test_files_over_the_limit_are_refused_unread(tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as fh:
        fh.truncate(MAX_BYTES + 1)  # sparse: costs no disk and would be slow to read
    with pytest.raises(TimelineError, match="64 MiB"):
        load(huge)
    with pytest.raises(TimelineError, match="limit"):
        loads(" " * (MAX_BYTES + 1))


def test_to_dict_round_trip_and_text() -> None:
    tl = from_dict(
        doc(tracks=[{"au": 12, "side": "R", "times": [0.0, 0.5, 1.0], "values": [0.0, None, 0.1]}])
    )
    data = to_dict(tl)
    assert all("au" in e and "code" not in e for e in data["events"])
    back = from_dict(json.loads(dumps(tl)))
    assert [replace(e, source="") for e in back.events] == [replace(e, source="") for e in tl.events]
    assert np.array_equal(back.tracks[0].values, tl.tracks[0].values, equal_nan=True)
    assert data["tracks"][0]["values"] == [0.0, None, 0.1]
    assert dumps(back) == dumps(tl)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
field_values = st.one_of(
    json_values,
    st.sampled_from(
        [
            12,
            "AU12",
            45,
            41,
            99,
            "L",
            "R",
            "T",
            "both",
            "C",
            "e",
            0.5,
            1.5,
            -1.0,
            0,
            2,
            "1+2+5B+26",
            "G7D",
            "happiness",
            "smooth",
            [0, 1],
            [0.0, None],
            [1, 0],
        ]
    ),
)
event_like = st.dictionaries(
    st.sampled_from(
        [
            "au",
            "code",
            "expression",
            "side",
            "intensity",
            "onset",
            "apex",
            "apex_end",
            "offset",
            "ease",
            "id",
            "x",
        ]
    ),
    field_values,
    max_size=10,
)
track_like = st.dictionaries(st.sampled_from(["au", "side", "times", "values"]), field_values, max_size=4)
doc_like = st.fixed_dictionaries(
    {
        "format": st.sampled_from(["facs-timeline", "facs-timeline", "x"]),
        "version": st.sampled_from([1, 1, 2, "1"]),
    },
    optional={
        "fps": field_values,
        "time_unit": st.sampled_from(["seconds", "frames", "x"]),
        "intensity_scale": st.one_of(st.sampled_from(["facs", "linear", "openface", "x"]), field_values),
        "overlap": st.sampled_from(["max", "sum", 1]),
        "events": st.lists(event_like, max_size=5),
        "tracks": st.lists(track_like, max_size=3),
        "meta": field_values,
        "bogus": field_values,
    },
)


def check_outcome(data: Any) -> None:
    try:
        tl = from_dict(data)
    except TimelineError as exc:
        assert exc.problems and all(p.severity in ("error", "warning") for p in exc.problems)
        assert str(exc)
        return
    for e in tl.events:
        assert 0 <= e.onset <= e.apex <= e.apex_end <= e.offset and 0 <= e.intensity <= 1
    again = from_dict(json.loads(dumps(tl)))
    assert [replace(e, source="") for e in again.events] == [replace(e, source="") for e in tl.events]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_json_loads_or_raises_the_validation_error(data: Any) -> None:
    check_outcome(data)
    try:
        text = json.dumps(data)
    except (ValueError, TypeError):
        return
    with contextlib.suppress(TimelineError):
        loads(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc_like)
def test_timeline_shaped_json_loads_or_raises_the_validation_error(data: dict[str, Any]) -> None:
    check_outcome(data)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=64) | st.text(max_size=64))
def test_arbitrary_text_loads_or_raises_the_validation_error(raw: bytes | str) -> None:
    with contextlib.suppress(TimelineError):
        loads(raw)
