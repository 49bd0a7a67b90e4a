# SPDX-License-Identifier: GPL-3.0-or-later
"""Render jobs without Blender: output kinds, resolution and frame parsing, one frame per .png."""

from __future__ import annotations

from pathlib import Path

import pytest

from facs_rig.render.job import (
    JobError,
    RenderJob,
    output_kind,
    parse_frames,
    parse_resolution,
)


def test_output_kinds(tmp_path: Path) -> None:
    assert output_kind("a/b.mp4") == "video"
    assert output_kind("a/B.PNG") == "still"
    assert output_kind("a/frames") == output_kind("a/take.1/") == output_kind(tmp_path) == "sequence"
    with pytest.raises(JobError, match=r"x\.gif: unknown output type '\.gif'"):
        output_kind("x.gif")


@pytest.mark.parametrize(("text", "expected"), [("512x512", (512, 512)), (" 64 X 48 ", (64, 48))])
def test_resolution(text: str, expected: tuple[int, int]) -> None:
    assert parse_resolution(text) == expected


@pytest.mark.parametrize("text", ["512", "0x10", "axb", "20000x10"])
def test_bad_resolution(text: str) -> None:
    with pytest.raises(JobError, match="resolution"):
        parse_resolution(text)


def test_frames() -> None:
    assert parse_frames("1-48") == (1, 48)
    assert parse_frames("12") == (12, 12)
    assert parse_frames("3..5") == (3, 5)
    with pytest.raises(JobError, match="before the first"):
        parse_frames("9-2")
    with pytest.raises(JobError, match="expected A-B"):
        parse_frames("1-2-3")


def test_a_png_holds_one_frame() -> None:
    assert RenderJob("a.png", frames=(4, 4)).kind == "still"
    with pytest.raises(JobError, match=r"a \.png holds one frame but frames 1-3"):
        RenderJob("a.png", frames=(1, 3))
