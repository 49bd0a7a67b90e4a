# SPDX-License-Identifier: GPL-3.0-or-later
"""The render and atlas commands' arguments, without Blender: a job survives the command line, and
an output that cannot be written is refused in one line before anything renders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from facs_rig.cli import build_parser, main
from facs_rig.cli.render import job_from_args
from facs_rig.core.files import FileError, check_creatable
from facs_rig.paths import PRESETS
from facs_rig.render.job import RenderJob


def test_job_survives_dicts_and_the_command_line() -> None:
    job = RenderJob(output="/o/x.mp4", avatar="/a/face.blend", timeline="/t/smile.json", preset="arkit52",
                    engine="cycles", resolution=(320, 240), frames=(5, 9), samples=8, labels="/o/x.csv")
    assert RenderJob.from_dict(json.loads(json.dumps(job.to_dict()))) == job
    args = build_parser().parse_args(job.cli_args())
    assert job_from_args(args) == job


def test_outputs_under_a_file_are_refused_before_rendering(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("x")
    for out in (blocker / "demo.mp4", blocker / "frames", blocker / "deeper" / "still.png"):
        with pytest.raises(FileError, match="is a file, not a folder"):
            check_creatable(out, folder=RenderJob(output=str(out)).kind == "sequence")
    check_creatable(tmp_path / "new" / "nested" / "demo.mp4")  # missing folders are made later
    check_creatable(tmp_path / "frames", folder=True)
    assert not (tmp_path / "new").exists()
    demo = str(PRESETS / "timelines" / "demo.json")
    for command in (["render", "--timeline", demo], ["atlas"]):
        assert main([*command, "-o", str(blocker / "out.png")]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "is a file, not a folder" in err



def test_an_output_over_the_preset_file_is_refused(tmp_path: Path, capsys) -> None:
    """A preset given as a file is one of the command's inputs: ``--labels`` (or ``verify -o``)
    naming it is refused before anything renders, and the preset stays as it was."""
    preset = tmp_path / "mine.json"
    preset.write_text("{}")
    demo = str(PRESETS / "timelines" / "demo.json")
    for argv in (["render", "--timeline", demo, "--labels", str(preset), "-o", str(tmp_path / "x.mp4")],
                 ["verify", "-o", str(tmp_path / "mine")]):
        assert main([*argv, "--preset", str(preset)]) == 2
        assert "would overwrite the --preset file" in capsys.readouterr().err
    assert preset.read_text() == "{}"

def test_a_command_without_identity_reads_no_avatar_asset(monkeypatch: pytest.MonkeyPatch) -> None:
    """argparse converts the option's default too: that is the default head, with nothing to check."""
    from facs_rig.cli import common

    def unread() -> dict[str, list[str]]:
        raise AssertionError("the avatar asset was read for the default identity")

    monkeypatch.setattr(common, "default_head_details", unread)
    for argv in (["render", "-o", "x.png"], ["atlas", "-o", "x.png"], ["info", "--avatar", "default"]):
        assert build_parser().parse_args(argv).identity == ""
