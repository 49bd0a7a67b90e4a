# SPDX-License-Identifier: GPL-3.0-or-later
"""The one JSON reader and checker every format uses, and Blender's frame and rate limits."""

from __future__ import annotations

import codecs
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest

from facs_rig.core.errors import FacsError
from facs_rig.core.files import FileError
from facs_rig.core.jsondoc import (
    MAX_BYTES,
    MAX_DEPTH,
    Checker,
    DocumentError,
    Invalid,
    decode_text,
    duplicate_keys,
    join,
    number,
    parse_json,
    read_document,
    string,
)
from facs_rig.core.model import Event, Timeline
from facs_rig.core.timing import MAX_FPS, MAX_FRAME, MIN_FPS, check_frames, sample_times, scene_rate

TEXT = '{"name": "café", "n": [1, 2.5]}'


@pytest.mark.parametrize("raw", [
    TEXT.encode("utf-8"),
    codecs.BOM_UTF8 + TEXT.encode("utf-8"),
    codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
    codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
])
def test_utf8_and_utf16_with_a_bom_decode_alike(raw: bytes) -> None:
    assert decode_text(raw) == TEXT
    assert parse_json(decode_text(raw)) == {"name": "café", "n": [1, 2.5]}


@pytest.mark.parametrize(("raw", "message"), [
    (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le") + b"x", "odd number of bytes"),
    (codecs.BOM_UTF16_LE + b"{\x00\x00\xd8", "invalid UTF-16 at byte 4 (a lone surrogate?)"),
    (TEXT.encode("utf-16-le"), "binary file, not text (or UTF-16 without a byte-order mark)"),
    (b"\x00" * 64, "binary file"),
    (TEXT.encode("utf-8") + b"\x00", "binary file"),
])
def test_undecodable_bytes_are_refused(raw: bytes, message: str) -> None:
    with pytest.raises(DocumentError, match=re.escape(message)):
        decode_text(raw)


def test_a_bad_utf8_byte_gives_its_line_and_column() -> None:
    with pytest.raises(DocumentError) as info:
        decode_text(b'{\n  "name": "caf' + b"\xe9\"}")
    assert (info.value.line, info.value.column) == (2, 15)
    assert "byte 0xe9 is not UTF-8 text" in str(info.value)


def test_parse_json_errors() -> None:
    with pytest.raises(DocumentError, match="the file is empty"):
        parse_json(" \n\t")
    with pytest.raises(DocumentError) as info:
        parse_json('{\n  "a": [,]\n}')
    assert (info.value.line, info.value.column) == (2, 9) and "invalid JSON" in info.value.reason
    with pytest.raises(DocumentError, match="an integer of 5000 digits"):
        parse_json("[" + "9" * 5000 + "]")
    with pytest.raises(DocumentError, match=f"nested more than {MAX_DEPTH} levels"):
        parse_json("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    with pytest.raises(DocumentError, match="nested more than"):
        parse_json("[" * 100_000 + "]" * 100_000)  # past Python's own recursion limit


def test_parse_json_keeps_what_is_fine() -> None:
    assert parse_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    assert parse_json("[" + "9" * 400 + "]") == [int("9" * 400)]
    data = parse_json('{"a": 1, "b": 2, "a": 3}')
    assert data == {"a": 3, "b": 2} and duplicate_keys(data) == ("a",)
    nan, inf = parse_json("[NaN, Infinity, 1e400]")[:2], parse_json("[1e400]")[0]
    assert math.isnan(nan[0]) and math.isinf(nan[1]) and math.isinf(inf)


@pytest.mark.parametrize(("value", "options", "message"), [
    ("1", {}, "must be a number, got a string"),
    (True, {}, "must be a number, got a boolean"),
    (None, {}, "must be a number, got null"),
    (float("nan"), {}, "is NaN"),
    (float("inf"), {}, "is infinite"),
    (10**400, {}, "is too large"),
    (2.5, {"integer": True, "minimum": 1}, "expected a whole number from 1, got 2.5"),
    (0, {"integer": True, "minimum": 1, "maximum": 9}, "expected a whole number from 1 to 9, got 0"),
    (0, {"positive": True}, "0 must be positive"),
    (-1, {"minimum": 0}, "-1 is below the minimum 0"),
    (11, {"maximum": 10}, "11 is above the maximum 10"),
    ("x1", {"numeric_strings": True}, "'x1' is not a number"),
    ("nan", {"numeric_strings": True}, "is NaN"),
])
def test_number_says_why_not(value: object, options: dict[str, object], message: str) -> None:
    with pytest.raises(Invalid) as info:
        number(value, **options)  # type: ignore[arg-type]
    assert str(info.value).startswith(message)


def test_number_accepts_what_fits() -> None:
    assert number(3) == 3.0 and isinstance(number(3), float)
    assert number(" 0.25 ", numeric_strings=True) == 0.25
    assert number(4.0, integer=True, minimum=1, maximum=4) == 4.0
    assert number(10**300) == float(10**300)


def test_strings_refuse_lone_surrogates_and_paths_escape_them() -> None:
    assert string("ok") == "ok"
    with pytest.raises(Invalid, match="lone UTF-16 surrogate"):
        string("a\ud800")
    with pytest.raises(Invalid, match="must be a non-empty string, got an empty string"):
        string("", empty=False)
    assert join("", "events") == "events" and join("events", 3) == "events[3]"
    assert join("meta", "a.b") == 'meta["a.b"]'
    assert join("", "x\udc00") == '["x\\udc00"]'
    assert join("meta", "x\udc00").encode("ascii")  # printable on any terminal


def test_checker_collects_or_raises() -> None:
    ck = Checker()
    assert ck.check("a", number, "1") is None and ck.check("b", number, 2) == 2.0
    ck.keys({"x": 1, "y": 2}, "obj", ("x",))
    ck.keys({"z": 1}, "", ("x",), strict=False)
    assert [(p.path, p.severity) for p in ck.finish()] == [
        ("a", "error"), ("obj.y", "error"), ("z", "warning")]
    assert ck.failed and ck.n_errors == 2

    class Mine(FacsError):
        pass

    stop = Checker(raise_as=lambda path, message: Mine(f"{path}: {message}"))
    with pytest.raises(Mine, match=r"^settings\[0\]\.samples: must be a number, got a string$"):
        stop.need("settings[0].samples", number, "32")
    with pytest.raises(Mine, match=r"^\$: missing key 'fps'$"):
        stop.member({}, "fps", "$")
    with pytest.raises(Mine, match="must be an array, got an object"):
        stop.array({}, "rows")


def test_read_document_refuses_before_reading(tmp_path: Path) -> None:
    huge = tmp_path / "huge.json"
    with huge.open("wb") as fh:
        fh.truncate(MAX_BYTES + 1)  # sparse: reading it would take a while, refusing does not
    with pytest.raises(FileError, match="64 MiB limit"):
        read_document(huge)
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    with pytest.raises(FileError, match="FIFO"):
        read_document(fifo)  # would block forever if it were opened
    with pytest.raises(FileError, match="not found"):
        read_document(tmp_path / "missing.json")
    good = tmp_path / "good.json"
    good.write_bytes(codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"))
    assert read_document(good)["name"] == "café"


@pytest.mark.parametrize(("fps", "rate"), [(24.0, (24, 1.0)), (30000 / 1001, (30, 1.001)), (0.5, (1, 2.0)),
                                           (40000.0, (32767, 32767 / 40000))])
def test_scene_rate_is_what_blender_can_hold(fps: float, rate: tuple[int, float]) -> None:
    whole, base = scene_rate(fps)
    assert whole == rate[0] and base == pytest.approx(rate[1])
    assert 1 <= whole <= 32767 and 1e-5 <= base <= 1e6 and whole / base == pytest.approx(fps)


@pytest.mark.parametrize("fps", [0.0, MIN_FPS / 2, MAX_FPS * 2, 1e308, math.inf, math.nan])
def test_rates_blender_cannot_hold_are_refused(fps: float) -> None:
    with pytest.raises(FacsError, match="outside the frame rates Blender can play"):
        scene_rate(fps)


def test_frames_past_blenders_range_are_refused_before_sampling() -> None:
    check_frames(0.0, (MAX_FRAME - 1) / 30, 30.0, 1.0)  # ends on the last frame exactly
    with pytest.raises(FacsError, match="past Blender's last frame 1048574"):
        check_frames(0.0, MAX_FRAME / 30, 30.0, 1.0)
    with pytest.raises(FacsError, match="past Blender's last frame"):
        check_frames(0.0, 1e300, 1e10, 1.0)  # overflows to inf: still a clear refusal
    with pytest.raises(FacsError, match="before Blender's first frame"):
        check_frames(-1e9, 0.0, 30.0, 1.0)
    far = Timeline(events=[Event(12, 1.0, 0.0, 1.0, 1.0, float(2**31))])
    with pytest.raises(FacsError, match="more than Blender's 1048574 frames"):
        sample_times(far, 30.0)
    assert len(sample_times(Timeline(events=[Event(12, 1.0, 0.0, 1.0, 1.0, 2.0)]), 30.0)) == 61
    assert np.all(np.diff(sample_times(far, 1e-4)) > 0)  # few frames at a low rate: fine
