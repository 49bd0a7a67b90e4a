# SPDX-License-Identifier: GPL-3.0-or-later
"""Event sheets (CASME II / SAMM style): frames to seconds, codes to events, missing apex."""

from __future__ import annotations

from pathlib import Path

import pytest

from facs_rig.core.intensity import scale_from_spec
from facs_rig.io import ReadError, read_any
from facs_rig.io.event_sheet import APEX_FRACTION, CLIP_GAP, DEFAULT_FPS, DEFAULT_LETTER, normalise_code

SHEET = Path(__file__).parent / "fixtures" / "casme_sheet.csv"
SCALE = scale_from_spec(None)


def by_au(result, au: int, side: str = "both"):
    return [e for e in result.timeline.events if (e.au, e.side) == (au, side)]


def test_rows_become_events_in_seconds() -> None:
    result = read_any(SHEET)
    assert result.report.format == "events"
    [smile] = by_au(result, 12)
    assert (smile.onset, smile.apex, smile.apex_end, smile.offset) == pytest.approx(
        (0.0, (59 - 46) / DEFAULT_FPS, (59 - 46) / DEFAULT_FPS, (86 - 46) / DEFAULT_FPS))
    assert smile.intensity == SCALE.to_value(DEFAULT_LETTER)
    assert "line 2" in smile.source


def test_sides_letters_and_uncertain_alternatives() -> None:
    result = read_any(SHEET)
    [lip] = by_au(result, 10, "L")
    assert lip.intensity == SCALE.to_value(DEFAULT_LETTER)
    [right_smile] = by_au(result, 12, "R")
    assert right_smile.intensity == SCALE.to_value("A")
    assert by_au(result, 6, "R") and not by_au(result, 14, "R")  # (R6 or R14): the first
    assert any("line 4" in w and "alternatives" in w for w in result.report.warnings)


def test_missing_apex_is_estimated_and_warned_about() -> None:
    result = read_any(SHEET)
    [brow] = by_au(result, 4)
    apex_frame = 100 + APEX_FRACTION * (140 - 100)
    assert brow.apex == pytest.approx((apex_frame - 46) / DEFAULT_FPS)
    assert any("line 3" in w and "no apex" in w for w in result.report.warnings)


def test_clips_are_laid_one_after_another() -> None:
    result = read_any(SHEET)
    first_end = (140 - 46) / DEFAULT_FPS
    [later] = by_au(result, 12, "R")
    assert later.onset == pytest.approx(first_end + CLIP_GAP)
    clips = result.timeline.meta["import"]["clips"]
    assert [c["clip"] for c in clips] == ["01/EP02_01f", "02/EP03_02"]


def test_one_clip_and_its_own_rate() -> None:
    result = read_any(SHEET, clip="EP03_02", fps=100)
    assert {e.au for e in result.timeline.events} == {6, 12}
    [smile] = by_au(result, 12, "R")
    assert (smile.onset, smile.apex, smile.offset) == pytest.approx((0.0, 0.1, 0.4))


@pytest.mark.parametrize(
    ("row", "cells", "column_name", "message"),
    [
        (1, ["01", "EP", "46", "59", "86", "4+99"], "Action Units", "unknown AU 99"),
        (1, ["01", "EP", "4x6", "59", "86", "12"], "OnsetFrame", "'4x6' is not a frame number"),
        (1, ["01", "EP", "90", "59", "86", "12"], "OnsetFrame", "onset <= apex <= offset"),
        (1, ["01", "EP", "46", "/", "/", "12"], "OffsetFrame", "missing apex and offset"),
    ],
)
def test_bad_rows_name_line_and_column(tmp_path: Path, row: int, cells: list[str], column_name: str,
                                       message: str) -> None:
    lines = SHEET.read_text().splitlines()
    lines[row] = ",".join([*cells, "x"])
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ReadError) as err:
        read_any(path, fmt="events")
    assert (err.value.line, err.value.column_name) == (row + 1, column_name)
    assert message in str(err.value)


def test_sheet_without_code_column(tmp_path: Path) -> None:
    path = tmp_path / "nocode.csv"
    path.write_text("OnsetFrame,OffsetFrame\n1,5\n")
    with pytest.raises(ReadError, match="no code column"):
        read_any(path, fmt="events")


@pytest.mark.parametrize(
    ("written", "read", "noted"),
    [("4+7+L10", "4+7+L10", False), ("R12A+(R6 or R14)", "R12A+R6", True), ("1, 2", "1+2", False),
     ("(4)+7", "4+7", False), ("12 or 14", "12", True)],
)
def test_published_code_conventions(written: str, read: str, noted: bool) -> None:
    code, note = normalise_code(written)
    assert code == read
    assert bool(note) == noted
