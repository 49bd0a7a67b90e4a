# SPDX-License-Identifier: GPL-3.0-or-later
"""presets/timeline.schema.json run as a validator, kept in agreement with the loader.

The loader checks more than a schema can (phase order, catalogue AUs, ids), so the two agree in
one direction on arbitrary documents (whatever loads is schema-valid) and in both directions on
structural changes to a valid document (wrong types, missing fields, unknown keys).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from facs_rig.core.codes import parse_code
from facs_rig.core.errors import TimelineError
from facs_rig.core.evaluate import EASES
from facs_rig.core.expressions import get_expression
from facs_rig.core.intensity import SCALES
from facs_rig.core.timeline import (
    EVENT_KEYS,
    OVERLAPS,
    SIDES,
    TIME_UNITS,
    TOP_KEYS,
    TRACK_KEYS,
    dump,
    from_dict,
    load,
    to_dict,
)
from facs_rig.io import read_any
from facs_rig.paths import PRESETS

SCHEMA = json.loads((PRESETS / "timeline.schema.json").read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)
TIMELINES = sorted((PRESETS / "timelines").glob("*.json"))
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"  # real tracker output, when present
FIXTURES = Path(__file__).parents[1] / "io" / "fixtures"


def schema_errors(data: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in VALIDATOR.iter_errors(data)]


def loads_ok(data: Any) -> bool:
    try:
        from_dict(data)
    except TimelineError:
        return False
    return True


def test_schema_is_a_valid_2020_12_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)


def test_schema_vocabulary_matches_the_loader() -> None:
    props = SCHEMA["properties"]
    defs = SCHEMA["$defs"]
    assert set(props) == set(TOP_KEYS)
    assert set(defs["event"]["properties"]) == set(EVENT_KEYS)
    assert set(defs["track"]["properties"]) == set(TRACK_KEYS)
    assert defs["side"]["enum"] == list(SIDES)
    assert props["time_unit"]["enum"] == list(TIME_UNITS)
    assert props["overlap"]["enum"] == list(OVERLAPS)
    assert defs["event"]["properties"]["ease"]["enum"] == list(EASES)
    assert props["intensity_scale"]["oneOf"][0]["enum"] == list(SCALES)
    names = [e["name"] for e in json.loads((PRESETS / "expressions.json").read_text())["expressions"]]
    assert defs["event"]["properties"]["expression"]["enum"] == names
    # the expressions the schema lets go without an intensity are exactly the fully lettered ones
    lettered = [n for n in names if all(all(dict(i.letters).values()) for i in get_expression(n).items)]
    rule = defs["event"]["allOf"][2]["if"]["properties"]["expression"]["not"]["enum"]
    assert sorted(rule) == sorted(lettered) and lettered


@pytest.mark.parametrize("path", TIMELINES, ids=lambda p: p.name)
def test_shipped_timelines_and_what_dump_writes_are_schema_valid(path: Path, tmp_path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert schema_errors(raw) == []
    out = tmp_path / "out.json"
    dump(load(path), out)
    assert schema_errors(json.loads(out.read_text(encoding="utf-8"))) == []


@pytest.mark.parametrize("source", [
    *sorted(p for p in SHARED.glob("*") if p.suffix in (".csv", ".json", ".pbtxt")),
    *sorted(FIXTURES.iterdir()),
], ids=lambda p: p.name)
def test_imported_timelines_are_schema_valid(source: Path) -> None:
    """What ``convert`` writes (tracks with gaps, events from event sheets) passes the schema."""
    for events in (False, True):
        timeline = read_any(source, events=events, fps=30.0).timeline
        assert schema_errors(to_dict(timeline)) == []


# Structural changes to a valid event, track or document, each applied alone. Both validators
# must reject every one of them ("reject") or accept it ("accept").
EVENT_AU = {"id": "a", "au": 12, "side": "L", "intensity": "C", "onset": 0.5, "apex": 0.9,
            "apex_end": 1.8, "offset": 2.4, "ease": "linear"}
EVENT_CODE = {"code": "1+2+5B+26", "intensity": 0.5, "onset": 3.0, "apex": 3.3, "offset": 4.5}
EVENT_EXPR = {"expression": "happiness", "intensity": "D", "onset": 5.0, "apex": 5.6, "offset": 8.0}
TRACK = {"au": "AU12", "side": "R", "times": [0.0, 0.04, 0.08], "values": [0.0, None, 0.1]}
BASE = {"format": "facs-timeline", "version": 1, "name": "n", "fps": 30, "time_unit": "seconds",
        "intensity_scale": "facs", "overlap": "max", "events": [EVENT_AU, EVENT_CODE, EVENT_EXPR],
        "tracks": [TRACK], "meta": {"k": [1]}}
WRONG_TYPES = ["x", 7, 0.5, True, None, [], {}, [1], {"a": 1}]
STRUCTURAL = [
    ("top", "format", "facs-timelines"), ("top", "version", 2), ("top", "version", "1"),
    ("top", "fps", 0), ("top", "fps", -30), ("top", "time_unit", "ms"), ("top", "overlap", "min"),
    ("top", "intensity_scale", "FACS"), ("top", "intensity_scale", {"A": 0.1, "B": 0.2}),
    ("top", "intensity_scale", {"A": 0.1, "B": 0.2, "C": 0.3, "D": 0.4, "E": 1, "F": 1}),
    ("top", "intensity_scale", {"A": 0, "B": 0.2, "C": 0.3, "D": 0.4, "E": 1}),
    ("top", "intensity_scale", {"A": 0.1, "B": 0.2, "C": 0.3, "D": 0.4, "E": 1.5}),
    ("event", "intensity", "c"), ("event", "intensity", 1.5), ("event", "intensity", -0.1),
    ("event", "side", "left"), ("event", "ease", "cubic"), ("event", "id", ""), ("event", "onset", -1),
    ("event", "au", "AU 12x"), ("event", "au", "twelve"), ("event", "au", 12.5), ("event", "au", 0.0),
    ("track", "times", []), ("track", "values", []), ("track", "times", [-1, 0, 1]),
    ("track", "values", [0, 2, 0.5]), ("track", "values", [0, "0.5", 1]), ("track", "times", [0, None, 1]),
    ("track", "side", "l"),
]
SPELLINGS_BOTH_ACCEPT = [
    ("event", "au", "12"), ("event", "au", "au12"), ("event", "au", " AU012 "), ("event", "au", 12.0),
    ("top", "version", 1.0), ("top", "fps", 29.97), ("top", "time_unit", "frames"),
    ("top", "intensity_scale", {"A": 0.1, "B": 0.2, "C": 0.3, "D": 0.4, "E": 1}),
    ("event", "intensity", 0), ("event", "intensity", 1), ("event", "side", "both"),
]


def _json_type(value: Any) -> str:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return "number" if number else type(value).__name__


def _where(document: dict[str, Any], target: str) -> dict[str, Any]:
    return {"top": document, "event": document["events"][0], "track": document["tracks"][0]}[target]


def _changed(target: str, key: str, value: Any) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    _where(document, target)[key] = value
    return document


def _without(target: str, key: str, event: int = 0) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    obj = document["events"][event] if target == "event" else _where(document, target)
    del obj[key]
    return document


def _agree(document: Any, expected: bool) -> None:
    errors = schema_errors(document)
    assert loads_ok(document) is expected
    assert (not errors) is expected, errors


def test_base_document_is_valid_for_both() -> None:
    _agree(BASE, True)


@pytest.mark.parametrize(("target", "key", "value"), STRUCTURAL)
def test_structural_mistakes_are_rejected_by_both(target: str, key: str, value: Any) -> None:
    _agree(_changed(target, key, value), False)


@pytest.mark.parametrize(("target", "key", "value"), SPELLINGS_BOTH_ACCEPT)
def test_accepted_spellings_are_accepted_by_both(target: str, key: str, value: Any) -> None:
    _agree(_changed(target, key, value), True)


@pytest.mark.parametrize(("target", "key", "event", "expected"), [
    ("top", "format", 0, False), ("top", "version", 0, False), ("top", "name", 0, True),
    ("top", "fps", 0, True), ("top", "events", 0, True), ("top", "tracks", 0, True), ("top", "meta", 0, True),
    ("event", "au", 0, False), ("event", "code", 1, False), ("event", "expression", 2, False),
    ("event", "onset", 0, False), ("event", "apex", 1, False), ("event", "offset", 2, False),
    ("event", "apex_end", 0, True), ("event", "id", 0, True), ("event", "side", 0, True),
    ("event", "ease", 0, True),
    ("event", "intensity", 0, False),  # an au has no letter of its own
    ("event", "intensity", 1, False),  # 1, 2 and 26 are unlettered
    ("event", "intensity", 2, False),  # happiness is 6+12
    ("track", "au", 0, False), ("track", "times", 0, False), ("track", "values", 0, False),
    ("track", "side", 0, True),
])
def test_missing_fields_agree(target: str, key: str, event: int, expected: bool) -> None:
    _agree(_without(target, key, event), expected)


@pytest.mark.parametrize(("code", "expected"), [
    ("1+2+5B+26", False), ("5B+26 ", False), ("R12A+R14A", True), ("H12C", True), ("L7C+R7", False),
    ("0", True), ("AU12C", True), ("AU01", False), ("G7D+6C", True),
])
def test_codes_without_intensity(code: str, expected: bool) -> None:
    document = copy.deepcopy(BASE)
    document["events"][1] = {"code": code, "onset": 3.0, "apex": 3.3, "offset": 4.5}
    _agree(document, expected)


@pytest.mark.parametrize("expression", ["contempt", "polite_smile", "surprise", "pain"])
def test_expressions_without_intensity(expression: str) -> None:
    document = copy.deepcopy(BASE)
    document["events"][2] = {"expression": expression, "onset": 5.0, "apex": 5.6, "offset": 8.0}
    code = get_expression(expression)
    _agree(document, all(all(dict(i.letters).values()) for i in code.items))


def test_event_needs_exactly_one_of_au_code_expression() -> None:
    both = copy.deepcopy(BASE)
    both["events"][0]["code"] = "12C"
    _agree(both, False)
    _agree(_without("event", "au"), False)


@pytest.mark.parametrize(("target", "typo", "meant"), [("event", "apex_ned", "apex_end"),
                                                     ("track", "vlaues", "values")])
def test_unknown_keys_in_events_and_tracks_are_rejected_by_both(target: str, typo: str, meant: str) -> None:
    document = _changed(target, typo, 0.5)
    _agree(document, False)
    with pytest.raises(TimelineError, match=rf"{target}s\[0\]\.{typo}: unknown key \(did you mean '{meant}'"):
        from_dict(document)


def test_unknown_top_level_keys_are_accepted_by_both() -> None:
    _agree(_changed("top", "generator", {"name": "x"}), True)


def test_frames_need_fps_in_both() -> None:
    document = _changed("top", "time_unit", "frames")
    del document["fps"]
    _agree(document, False)


@pytest.mark.parametrize("target", ["top", "event", "track"])
@pytest.mark.parametrize("value", WRONG_TYPES, ids=repr)
def test_wrong_types_agree(target: str, value: Any) -> None:
    """Every field of the base document replaced by a value of another JSON type."""
    obj = _where(BASE, target)
    for key in obj:
        if key in ("events", "tracks") or _json_type(value) == _json_type(obj[key]):
            continue
        document = _changed(target, key, value)
        errors = schema_errors(document)
        assert loads_ok(document) is (not errors), (target, key, value, errors)


field_pool = st.sampled_from([*WRONG_TYPES, "L", "T", "C", "12", 12, 26, 41, 99, -1, 1.5, 3.2, [0.0, 1.0],
                               [1.0, 0.5], "1+2", "G7D", "happiness", "frames", "sum", DELETE := object()])
change = st.tuples(st.sampled_from(["top", "event", "track"]), st.sampled_from(
    sorted({*TOP_KEYS, *EVENT_KEYS, *TRACK_KEYS, "x"})), field_pool)


def _apply(changes: list[tuple[str, str, Any]]) -> dict[str, Any]:
    document = copy.deepcopy(BASE)
    for target, key, value in changes:
        if target == "top" and key in ("events", "tracks"):
            continue  # the event and track the other changes edit stay in place
        obj = _where(document, target)
        if value is DELETE:
            obj.pop(key, None)
        else:
            obj[key] = copy.deepcopy(value)
    return document


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(change, min_size=1, max_size=3))
def test_changed_documents_are_judged_alike_unless_the_reason_is_semantic(
        changes: list[tuple[str, str, Any]]) -> None:
    """Whatever loads is schema-valid and so is its dump; whatever the loader rejects for structural
    reasons only (no catalogue, order, side or id problem), the schema rejects too."""
    document = _apply(changes)
    errors = schema_errors(document)
    try:
        timeline = from_dict(document)
    except TimelineError as exc:
        if not any(_semantic(p.message) for p in exc.errors):
            assert errors, [str(p) for p in exc.errors]
        return
    assert errors == []
    assert schema_errors(to_dict(timeline)) == []


def _semantic(message: str) -> bool:
    """Problems a JSON schema cannot express (the schema documents them as the loader's)."""
    return any(s in message for s in ("unknown AU", "is before", "has no side", "duplicate id",
                                      "must increase", "samples but values has", "legacy"))


def test_parse_code_is_what_the_code_pattern_describes() -> None:
    """The schema's "unlettered token" pattern, checked against the parser on a few spellings."""
    import re
    pattern = re.compile(SCHEMA["$defs"]["event"]["allOf"][1]["if"]["properties"]["code"]["pattern"])
    for code in ["1+2+5B+26", "R12A+R14A", "L7C", "T22", "G7D+6C", "AU12", "12", "M12C", "L12A + R12"]:
        unlettered = any(not all(dict(item.letters).values()) for item in parse_code(code).items)
        assert bool(pattern.search(code)) is unlettered, code
