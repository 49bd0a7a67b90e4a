# SPDX-License-Identifier: GPL-3.0-or-later
"""Hostile timelines and mapping presets: every number, encoding and nesting a file can carry gets a
clear error naming the file and the JSON path, or a correct result; never a traceback."""

from __future__ import annotations

import codecs
import json
from pathlib import Path

import pytest

from facs_rig.core.errors import FacsError, TimelineError
from facs_rig.core.intensity import scale_from_spec
from facs_rig.core.mapping.presets import (
    BUILTIN_DIR,
    arkit_names,
    convention_shapes,
    load_preset,
    parse_preset,
)
from facs_rig.core.timeline import code_events, load
from facs_rig.core.timing import MAX_FRAME

HEAD = '{"format": "facs-timeline", "version": 1, '
EMPTY = HEAD + '"events": []}'
EVENT = '"au": 12, "intensity": 0.5, "onset": 0, "apex": 1, "offset": 2'
LAST = "past Blender's last frame"


def _offset(literal: str) -> str:
    return EVENT.replace('"offset": 2', f'"offset": {literal}')


def _event(**fields: str) -> str:
    """Timeline JSON text with one event whose fields are replaced by raw JSON literals."""
    base = {"au": "12", "intensity": "0.5", "onset": "0", "apex": "1", "offset": "2"} | fields
    return HEAD + '"events": [{' + ", ".join(f'"{k}": {v}' for k, v in base.items()) + "}]}"


@pytest.mark.parametrize(("text", "expected"), [
    (_event(onset="9" * 5000), "invalid JSON: an integer of 5000 digits"),
    (_event(offset="9" * 350), "events[0].offset: is too large"),
    (_event(offset="1e400"), "events[0].offset: is infinite"),
    (_event(intensity="9" * 350), "events[0].intensity: is too large"),
    (_event(onset="NaN"), "events[0].onset: is NaN"),
    (_event(offset="Infinity"), "events[0].offset: is infinite"),
    (_event(offset="1e6"), f"events[0].offset: 1e+06 s is frame 30000001 at 30 fps, {LAST} 1048574"),
    (_event(offset='"2"'), "events[0].offset: must be a number, got a string"),
    (_event(intensity='"0.5"'), "events[0].intensity: '0.5' is not an intensity letter"),
    (_event(id='"a\\ud800"'), "events[0].id: \"a\\ud800\" holds a lone UTF-16 surrogate"),
    (HEAD + '"fps": 1, "time_unit": "frames", "events": [{' + _offset("2147483648") + "}]}",
     f"events[0].offset: 2.14748e+09 s is frame 2147483649 at 1 fps, {LAST}"),
    (HEAD + '"fps": 1e-300, "time_unit": "frames", "events": []}', "fps: 1e-300 fps is outside the frame"),
    (HEAD + '"fps": 1e308, "events": []}', "fps: 1e+308 fps is outside the frame rates Blender can play"),
    (HEAD + '"fps": NaN, "events": []}', "fps: is NaN"),
    (HEAD + '"fps": ' + "9" * 350 + ', "events": []}', "fps: is too large"),
    (HEAD + '"fps": "30", "events": []}', "fps: must be a number, got a string"),
    (HEAD + '"tracks": [{"au": 12, "times": [0, 1e300], "values": [0, 1]}]}',
     f"tracks[0].times[1]: 1e+300 s is frame 3e+301 at 30 fps, {LAST}"),
    (HEAD + '"tracks": [{"au": 12, "times": [0, ' + "9" * 350 + '], "values": [0, 1]}]}',
     "tracks[0].times[1]: is too large"),
    (HEAD + '"name": "a\\ud800", "events": []}', 'name: "a\\ud800" holds a lone UTF-16 surrogate'),
    (HEAD + '"meta": ' + "[" * 100 + "]" * 100 + "}", "invalid JSON: nested more than 64 levels deep"),
    (HEAD + '"version": ' + "9" * 350 + "}", "version: must be 1"),
])
def test_hostile_timeline_gets_a_clear_error(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "hostile.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    before = path.read_bytes()
    with pytest.raises(TimelineError) as info:
        load(path)
    assert any(line.startswith(f"{path}: {expected}") for line in info.value.lines()), info.value.lines()
    assert path.read_bytes() == before


def test_keys_with_lone_surrogates_are_named_printably(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_text(HEAD + '"\\udc00x": 1, "events": [{' + EVENT + "}]}", encoding="utf-8")
    timeline = load(path)
    assert timeline.warnings[0].startswith('["\\udc00x"]: unknown key ignored')
    assert timeline.warnings[0].encode("ascii")


@pytest.mark.parametrize(("fps", "last"), [(0.5, 3.0), (40000, 2.0), (30000 / 1001, 2.0)])
def test_rates_blender_can_represent_are_valid(tmp_path: Path, fps: float, last: float) -> None:
    path = tmp_path / "rate.json"
    path.write_text(HEAD + f'"fps": {fps}, "events": [{{{EVENT}}}]}}')
    assert load(path).fps == fps and load(path).events[0].offset == 2.0 <= last


def test_the_last_frame_is_inside_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "edge.json"
    last = (MAX_FRAME - 1) / 30  # time 0 on frame 1: this lands on frame MAX_FRAME
    path.write_text(HEAD + '"fps": 30, "events": [{' + _offset(repr(last)) + "}]}")
    assert load(path).events[0].offset == last


@pytest.mark.parametrize("raw", [
    codecs.BOM_UTF16_LE + (HEAD + '"events": [{' + EVENT + "}]}").encode("utf-16-le"),
    codecs.BOM_UTF16_BE + (HEAD + '"events": [{' + EVENT + "}]}").encode("utf-16-be"),
    codecs.BOM_UTF8 + (HEAD + '"events": [{' + EVENT + "}]}").encode("utf-8"),
])
def test_timeline_encodings_accepted(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "enc.json"
    path.write_bytes(raw)
    assert len(load(path).events) == 1


@pytest.mark.parametrize(("raw", "expected"), [
    (codecs.BOM_UTF16_LE + EMPTY.encode("utf-16-le") + b"}", "UTF-16 text with an odd number"),
    (EMPTY.encode("utf-16-le"), "this is a binary file, not text (or UTF-16 without"),
    (EMPTY.replace('"events"', '"name": "caf\xe9", "events"').encode("latin-1"),
     "line 1 column 55: byte 0xe9 is not UTF-8"),
])
def test_timeline_encodings_refused(tmp_path: Path, raw: bytes, expected: str) -> None:
    path = tmp_path / "enc.json"
    path.write_bytes(raw)
    with pytest.raises(TimelineError) as info:
        load(path)
    assert info.value.lines()[0].startswith(f"{path}: {expected}"), info.value.lines()


# ----------------------------------------------------------------------------------------------
# The code -> events expansion the panel uses


def test_code_events_expand_without_a_document() -> None:
    scale = scale_from_spec("facs")
    events, warnings = code_events(code="1+2+5B+26", intensity="C", scale=scale, times=(1.0, 2.0, 2.5, 3.0))
    assert [(e.au, e.intensity) for e in events] == [(1, scale.to_value("C")), (2, scale.to_value("C")),
                                                     (5, scale.to_value("B")), (26, scale.to_value("C"))]
    assert all((e.onset, e.apex, e.apex_end, e.offset) == (1.0, 2.0, 2.5, 3.0) for e in events)
    assert warnings == []
    events, _ = code_events(expression="contempt", intensity="E", scale=scale)
    assert {(e.au, e.side) for e in events} == {(12, "R"), (14, "R")}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"code": "1+2+5Q"}, "^bad intensity letter 'Q'"),
    ({"expression": "joy"}, "^unknown expression 'joy'"),
    ({"code": "12", "expression": "joy"}, "give either an expression or a FACS code"),
    ({"code": "12", "times": (0.0, 1.0, 1.0, 1e6)}, f"^1e\\+06 s is frame 30000001 at 30 fps, {LAST}"),
    ({"code": "12", "times": (0.0, 1.0, 1.0, 1e6), "fps": 0.1}, None),
    ({"code": "12", "times": (0.0, 1.0, 1.0, 10.0), "fps": 24.0, "start_frame": MAX_FRAME - 100.0},
     LAST),
])
def test_code_events_errors_have_no_json_path(kwargs: dict[str, object], message: str | None) -> None:
    scale = scale_from_spec("facs")
    if message is None:
        events, _ = code_events(intensity="C", scale=scale, **kwargs)  # type: ignore[arg-type]
        assert events[0].offset == 1e6
        return
    with pytest.raises(FacsError, match=message):
        code_events(intensity="C", scale=scale, **kwargs)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------
# Mapping presets


def _preset_text(target: str) -> str:
    return '{"facs_rig_mapping": 1, "controls": {"AU26": [' + target + "]}}"


def _weight(literal: str) -> str:
    return _preset_text('{"shape": "jawOpen", "weight": ' + literal + "}")


W = ": controls.AU26[0].weight: "


@pytest.mark.parametrize(("text", "expected"), [
    (_weight("9" * 5000), ": invalid JSON: an integer of 5000"),
    (_weight("9" * 350), W + "is too large"),
    (_weight("1e400"), W + "is infinite"),
    (_weight("1e9"), W + "1000000000 is above the maximum 10"),
    (_weight('"1"'), W + "must be a number, got a string"),
    (_preset_text('{"bone": "jaw", "axis": "X", "degrees": NaN}'), ": controls.AU26[0].degrees: is NaN"),
    (_preset_text('{"bone": "j", "axis": "X", "degrees": 1e300}'), ": controls.AU26[0].degrees: 1e+300 is"),
    (_preset_text('{"shape": "jaw\\ud800"}'), ': controls.AU26[0].shape: "jaw\\ud800" holds a lone UTF-16'),
    ('{"facs_rig_mapping": 1, "controls": {"AU26\\ud800": []}}', ': controls["AU26\\ud800"]: '),
    (_preset_text('{"shape": "a", "fallback": [' * 40 + '{"shape": "b"}' + "]}" * 40),
     ": invalid JSON: nested more than 64 levels deep"),
    ('{"facs_rig_mapping": 1, "meta": ' + "[" * 5000 + "]" * 5000 + "}", ": invalid JSON: nested more than"),
    ('{"facs_rig_mapping": 1, "controls": {"AU26": [{"shape": "a"}]}, "meta": {"shapes": ["a", "a"]}}',
     ": meta.shapes: a shape is listed twice"),
])
def test_hostile_preset_gets_a_clear_error(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "mine.json"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    with pytest.raises(FacsError) as info:
        load_preset(path)
    assert str(info.value).startswith(f"{path}{expected}"), str(info.value)


def test_preset_encodings(tmp_path: Path) -> None:
    text = (BUILTIN_DIR / "facs_native.json").read_text(encoding="utf-8")
    path = tmp_path / "utf16.json"
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    assert load_preset(path).controls == load_preset("facs_native").controls
    path.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le") + b"!")
    with pytest.raises(FacsError, match=rf"^{path}: UTF-16 text with an odd number of bytes"):
        load_preset(path)
    path.write_bytes(text.replace('"facs_native"', '"caf\xe9"').encode("latin-1"))
    with pytest.raises(FacsError, match=rf"^{path}:\d+:\d+: byte 0xe9 is not UTF-8 text"):
        load_preset(path)
    with pytest.raises(FacsError, match=rf"^{tmp_path}: cannot read mapping preset: the mapping preset is a"):
        load_preset(tmp_path)


def test_arkit_names_come_from_the_preset() -> None:
    names = arkit_names()
    data = json.loads((BUILTIN_DIR / "arkit52.json").read_text(encoding="utf-8"))
    assert names == tuple(data["meta"]["shapes"]) and len(set(names)) == 52
    preset = load_preset("arkit52")
    assert set(preset.target_names("shape")) <= set(names)  # every shape the preset drives is one of them
    plain = parse_preset({"facs_rig_mapping": 1, "controls": {"AU26": [{"shape": "x"}]}})
    assert convention_shapes(plain) == ("x",)
