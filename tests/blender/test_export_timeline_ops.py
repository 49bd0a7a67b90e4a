# SPDX-License-Identifier: GPL-3.0-or-later
"""Export Timeline in real Blender: no undo step; it writes the way the command line does
(checked, in parts when too long, moved into place only when whole), says what it wrote, and a
path it cannot write, or a ``//`` path in an unsaved file, is an error naming the file that
writes nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import ModuleType

import bpy
import pytest

from tests.blender.test_keyframer import RICH, _head, _timeline
from tests.blender.test_panel_support import snapshot

UNSAVED = "{}: relative to the .blend file, which is not saved yet: save the file first or give a full path"


def _files(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*"))


def _same_timeline(addon: ModuleType, a: object, b: object) -> None:
    """Equal events and tracks as a file holds them (the loader adds where each came from)."""
    a_doc, b_doc = addon.core.timeline.to_dict(a), addon.core.timeline.to_dict(b)
    assert a_doc["events"] == b_doc["events"] and a_doc["tracks"] == b_doc["tracks"]


def test_export_is_not_an_undo_step(addon: ModuleType) -> None:
    """It writes a file and changes nothing in the .blend: an undo step would undo nothing."""
    options = addon.blender.ops_timeline.FACS_OT_export_timeline.bl_options
    assert "REGISTER" in options and "UNDO" not in options


def test_export_loads_back_as_the_timeline_the_keys_play(addon: ModuleType, tmp_path: Path,
                                                          capfd: pytest.CaptureFixture[str]) -> None:
    mesh, _ = _head(addon)
    addon.blender.keyframer.apply_timeline(mesh, _timeline(addon))
    out = tmp_path / "out.json"
    assert bpy.ops.facs.export_timeline(filepath=str(out)) == {"FINISHED"}
    back = addon.core.timeline.load(out)
    _same_timeline(addon, back, addon.blender.keyframer.export_timeline(mesh, name="out"))
    assert back.name == "out" and back.events and back.tracks
    report = capfd.readouterr().out
    assert f"Wrote {len(back.events)} events and {len(back.tracks)} tracks to out.json\n" in report
    assert _files(tmp_path) == [out]  # no temporary left beside it


def test_a_take_too_long_for_one_file_is_written_in_parts(addon: ModuleType, tmp_path: Path,
                                                          capfd: pytest.CaptureFixture[str]) -> None:
    """Nine hours at 30 fps: more frames than a timeline file may span (``io.parts``), so two
    files that each load and together hold every event."""
    mesh, _ = _head(addon)
    late = 33000.0
    doc = {**RICH, "tracks": [], "events": [
        {"au": 12, "intensity": 0.8, "onset": 0.5, "apex": 1.0, "offset": 2.0},
        {"au": 26, "intensity": 0.6, "onset": late, "apex": late + 0.5, "offset": late + 1.0}]}
    addon.blender.keyframer.apply_timeline(mesh, _timeline(addon, doc), set_scene_range=True)
    out = tmp_path / "long.json"
    assert bpy.ops.facs.export_timeline(filepath=str(out)) == {"FINISHED"}
    written = [tmp_path / "long.part1.json", tmp_path / "long.part2.json"]
    assert _files(tmp_path) == written
    parts = [addon.core.timeline.load(path) for path in written]
    whole = addon.blender.keyframer.export_timeline(mesh, name="long")
    assert [e.au for part in parts for e in part.events] == [e.au for e in whole.events] == [12, 26]
    start = parts[1].meta["import"]["part"]["start"]
    assert 0 < start < late
    assert parts[1].events[0].onset == pytest.approx(whole.events[1].onset - start, abs=1e-6)
    names = ", ".join(path.name for path in written)
    assert f"Wrote 2 events and 0 tracks to {names} (2 consecutive timelines" in capfd.readouterr().out


def test_a_path_it_cannot_write_is_an_error_that_writes_nothing(addon: ModuleType, tmp_path: Path) -> None:
    mesh, _ = _head(addon)
    addon.blender.keyframer.apply_timeline(mesh, _timeline(addon))
    blocker = tmp_path / "file"
    blocker.write_text("")
    files, before = _files(tmp_path), snapshot(addon)
    target = blocker / "out.json"
    with pytest.raises(RuntimeError, match=re.escape(f"{target}: cannot write there: {blocker} is a file")):
        bpy.ops.facs.export_timeline(filepath=str(target))
    assert snapshot(addon) == before
    assert _files(tmp_path) == files and blocker.read_text() == ""


def test_a_blend_relative_path_needs_a_saved_file(addon: ModuleType, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Unsaved, ``//`` would mean the working directory; Export refuses it as the render buttons
    do, and once the file is saved it writes beside it."""
    mesh, _ = _head(addon)
    addon.blender.keyframer.apply_timeline(mesh, _timeline(addon))
    monkeypatch.chdir(tmp_path)  # where Blender would have put it
    before = snapshot(addon)
    with pytest.raises(RuntimeError, match=re.escape(UNSAVED.format("//take.json"))):
        bpy.ops.facs.export_timeline(filepath="//take.json")
    assert snapshot(addon) == before
    assert not _files(tmp_path)

    saved = tmp_path / "saved"
    saved.mkdir()
    bpy.ops.wm.save_as_mainfile(filepath=str(saved / "scene.blend"))
    assert bpy.ops.facs.export_timeline(filepath="//take.json") == {"FINISHED"}
    assert json.loads((saved / "take.json").read_text())["name"] == "take"
