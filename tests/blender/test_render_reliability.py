# SPDX-License-Identifier: GPL-3.0-or-later
"""The promises of docs/reliability.md for the commands that render and write files: an output
never overwrites an input, a special file or a previous good file; Ctrl-C and SIGTERM stop a
render cleanly; numbers and addresses that cannot work are refused at once. Every failure is
checked to leave each file exactly as it was (bytes and modification times)."""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import bpy
import pytest

from tests.blender.conftest import SMILE

ROOT = Path(__file__).resolve().parents[2]
LONG = {"format": "facs-timeline", "version": 1, "name": "long", "fps": 24,
        "events": [{"au": 12, "intensity": "E", "onset": 0.0, "apex": 5.0, "offset": 10.0}]}
BAD = {**SMILE, "events": [{**SMILE["events"][0], "apex": 0.9}]}  # apex after offset


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "facs_rig", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int] | str]:
    """Every entry under ``folder``: a file's bytes and modification time, a link's target."""
    state: dict[str, tuple[bytes, int] | str] = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            state[key] = f"-> {os.readlink(path)}"
        elif path.is_file():
            state[key] = (path.read_bytes(), path.stat().st_mtime_ns)
        else:
            state[key] = "folder"
    return state


def _refused(run: subprocess.CompletedProcess[str], message: str) -> None:
    assert run.returncode == 2, run.stderr
    assert message in run.stderr and "Traceback" not in run.stderr, run.stderr


def _write(path: Path, data: dict | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return path


def test_outputs_never_overwrite_inputs_or_special_files(tmp_path: Path) -> None:
    timeline = _write(tmp_path / "smile.json", SMILE)
    still = _write(tmp_path / "still.png", b"a good render")
    avatar = _write(tmp_path / "face.blend", b"the user's avatar")
    os.link(avatar, tmp_path / "sheet.png")  # a hard link: the same file under an output's name
    (tmp_path / "link.png").symlink_to(still)
    before = _snapshot(tmp_path)

    _refused(_cli("render", "--timeline", timeline, "-o", tmp_path / "x.mp4", "--labels", timeline),
             "--labels would overwrite the --timeline file")
    _refused(_cli("render", "--timeline", timeline, "-o", still, "--labels", still),
             "--labels would overwrite the -o file")
    _refused(_cli("render", "--timeline", timeline, "-o", tmp_path / "link.png"), "is a symbolic link")
    _refused(_cli("render", "--timeline", timeline, "-o", "/dev/null"), "is a character device")
    _refused(_cli("animate", "--avatar", avatar, "--timeline", timeline, "-o", avatar),
             "-o would overwrite the --avatar file")
    _refused(_cli("atlas", "--avatar", avatar, "-o", tmp_path / "sheet.png"),
             "-o would overwrite the --avatar file")
    assert _snapshot(tmp_path) == before


def test_batch_outputs_never_overwrite_the_spec_or_an_input(tmp_path: Path) -> None:
    spec = _write(tmp_path / "spec.json", {"output_dir": "out", "timelines": ["smile.json"],
                                           "manifest": "../spec.json"})
    _write(tmp_path / "smile.json", SMILE)
    _write(tmp_path / "out" / "a_labels.csv", SMILE)  # a timeline named like a job's labels
    labels = _write(tmp_path / "labels.json", {"output_dir": "out", "name": "a", "labels": True,
                                               "timelines": ["out/a_labels.csv"]})
    before = _snapshot(tmp_path)
    _refused(_cli("batch", spec), "spec.json: $.manifest would overwrite the batch spec file")
    _refused(_cli("batch", labels), "job a labels would overwrite the job a timeline file")
    assert _snapshot(tmp_path) == before


def test_batch_checks_every_timeline_before_any_job(tmp_path: Path) -> None:
    for name in ("a", "b", "d"):
        _write(tmp_path / "timelines" / f"{name}.json", SMILE)
    bad = _write(tmp_path / "timelines" / "c.json", BAD)
    spec = _write(tmp_path / "spec.json", {"output_dir": "out", "timelines": ["timelines/*.json"],
                                           "settings": [{"resolution": "16x16"}]})
    before = _snapshot(tmp_path)
    run = _cli("batch", spec)
    _refused(run, f"{spec}: $.timelines[0]: {bad}")
    assert "events[0]" in run.stderr
    assert _snapshot(tmp_path) == before  # no job ran: no output folder, no manifest


@pytest.mark.parametrize(("option", "value", "message"), [
    ("--frames", "1-99999999999999999999", "Blender renders frames 0 to 1,048,574"),
    ("--frames", "1048570-1048575", "Blender renders frames 0 to 1,048,574"),
    ("--frames", "-5-3", "Blender renders frames 0 to 1,048,574"),
    ("--frames", "9" * 5000, "Blender renders frames 0 to 1,048,574"),
    ("--resolution", "9" * 5000 + "x512", "width and height must be between 4 and 16384"),
    ("--resolution", "100000x100000", "width and height must be between 4 and 16384"),
    ("--samples", "99999999999", "samples 99999999999: must be between 1 and 16,777,216"),
])
def test_numbers_blender_cannot_render_are_refused(tmp_path: Path, option: str, value: str, message: str
                                                   ) -> None:
    timeline = _write(tmp_path / "smile.json", SMILE)
    before = _snapshot(tmp_path)
    run = _cli("render", "--timeline", timeline, "-o", tmp_path / "out.mp4", f"{option}={value}")
    _refused(run, message)
    assert len(run.stderr) < 1000  # a 5,000-digit number is not echoed back whole
    assert _snapshot(tmp_path) == before


def test_batch_frames_beyond_blender_are_refused(tmp_path: Path) -> None:
    _write(tmp_path / "smile.json", SMILE)
    spec = _write(tmp_path / "spec.json", {"timelines": ["smile.json"],
                                           "settings": [{"frames": [1, 2**40]}]})
    before = _snapshot(tmp_path)
    _refused(_cli("batch", spec), f"{spec}: $.settings[0].frames: frames '1-1099511627776': Blender renders")
    assert _snapshot(tmp_path) == before


def test_an_unreachable_ray_address_fails_within_seconds(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port on this machine where nothing listens
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _write(tmp_path / "smile.json", SMILE)
    spec = _write(tmp_path / "spec.json", {"timelines": ["smile.json"]})
    before = _snapshot(tmp_path)
    start = time.monotonic()
    run = _cli("batch", spec, "--ray", f"127.0.0.1:{port}")
    assert time.monotonic() - start < 20
    _refused(run, f"cannot reach the Ray cluster at '127.0.0.1:{port}': Connection refused")
    _refused(_cli("batch", spec, "--ray", "nowhere"), "expected 'auto', 'local', HOST:PORT or ray://HOST:PORT")
    assert _snapshot(tmp_path) == before


def _render_until_first_frame(sig: signal.Signals, command: str, *args: str | Path,
                              temp: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Start ``command``, send ``sig`` once it reports its first frame, and wait for it to end;
    Blender's session folder goes under ``temp`` when given."""
    env = {**os.environ, "TMPDIR": str(temp)} if temp else None
    proc = subprocess.Popen([sys.executable, "-m", "facs_rig", command, *map(str, args)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.startswith(f"{command}: 1/"):
            proc.send_signal(sig)
            break
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, "".join(seen) + err)


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
@pytest.mark.parametrize("output", ["take.mp4", "frames"])
def test_a_stopped_render_keeps_the_previous_output(tmp_path: Path, sig: signal.Signals, status: int,
                                                    output: str) -> None:
    timeline = _write(tmp_path / "long.json", LONG)
    out = tmp_path / output
    if output == "frames":
        _write(out / "frame_0001.png", b"a frame of the previous render")
        _write(out / "notes.txt", b"the user's notes")
    else:
        _write(out, b"the previous good video")
    labels = _write(tmp_path / "take.csv", b"the previous labels")
    before = _snapshot(tmp_path)
    run = _render_until_first_frame(sig, "render", "--timeline", timeline, "-o", out, "--labels", labels,
                                    "--resolution", "32x32")
    assert run.returncode == status, run.stderr
    assert "facs_rig render: interrupted" in run.stderr and "Traceback" not in run.stderr
    assert "render: 241/241" not in run.stderr  # it stopped, it did not render to the end
    assert _snapshot(tmp_path) == before  # no temporary file left, nothing replaced


def test_a_stopped_atlas_keeps_the_previous_sheet(tmp_path: Path) -> None:
    sheet = _write(tmp_path / "atlas.png", b"the previous atlas")
    temp = tmp_path / "tmp"
    temp.mkdir()
    before = _snapshot(tmp_path)
    run = _render_until_first_frame(signal.SIGINT, "atlas", "-o", sheet, "--tile", "32", temp=temp)
    assert run.returncode == 130, run.stderr
    assert _snapshot(tmp_path) == before  # the tiles rendered so far went with Blender's session folder


def test_a_folder_of_frames_keeps_the_other_chunks(addon: ModuleType, smiling_head: bpy.types.Object,
                                                   tmp_path: Path) -> None:
    """Farm chunks render into one folder: each replaces its own frames only."""
    face = smiling_head
    render = importlib.import_module(f"{addon.__name__}.blender.render")
    frames = tmp_path / "frames"
    _write(frames / "notes.txt", b"kept")
    render.render_scene(bpy.context.scene, frames, frames=(1, 2), labels=frames / "labels" / "1-2.csv")
    first = _snapshot(frames)
    render.render_scene(bpy.context.scene, frames, frames=(3, 4), labels=frames / "labels" / "3-4.csv")
    after = _snapshot(frames)
    assert {k: v for k, v in after.items() if k in first} == first
    assert sorted(after) == ["frame_0001.png", "frame_0002.png", "frame_0003.png", "frame_0004.png",
                             "labels", "labels/1-2.csv", "labels/3-4.csv", "notes.txt"]
    assert face["AU12_L"] == 0.0


@pytest.mark.usefixtures("smiling_head")
def test_a_failed_labels_file_does_not_replace_the_render(addon: ModuleType, tmp_path: Path) -> None:
    render = importlib.import_module(f"{addon.__name__}.blender.render")
    still = _write(tmp_path / "still.png", b"the previous good still")
    folder = tmp_path / "labels"
    folder.mkdir()
    before = _snapshot(tmp_path)

    def block_the_labels(*_args: object) -> None:  # the labels' folder becomes a file mid-render
        if folder.is_dir():
            folder.rmdir()
            folder.write_bytes(b"")

    bpy.app.handlers.render_post.append(block_the_labels)
    try:
        with pytest.raises(OSError):
            render.render_scene(bpy.context.scene, still, frames=(2, 2), labels=folder / "still.csv")
    finally:
        bpy.app.handlers.render_post.remove(block_the_labels)
    assert {k: v for k, v in _snapshot(tmp_path).items() if k != "labels"} == {
        k: v for k, v in before.items() if k != "labels"}


def test_animate_replaces_a_blend_only_when_complete(tmp_path: Path) -> None:
    timeline = _write(tmp_path / "smile.json", SMILE)
    out = _write(tmp_path / "out.blend", b"the previous .blend")
    run = _cli("animate", "--timeline", timeline, "-o", out)
    assert run.returncode == 0, run.stderr
    assert out.read_bytes().startswith((b"BLENDER", b"\x28\xb5\x2f\xfd"))  # plain or zstd-compressed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.blend", "smile.json"]  # no .blend1, no temp


@pytest.mark.usefixtures("smiling_head")
def test_export_never_replaces_a_link_or_a_device(tmp_path: Path) -> None:
    kept = _write(tmp_path / "kept.json", b"the user's timeline")
    (tmp_path / "link.json").symlink_to(kept)
    before = _snapshot(tmp_path)
    with pytest.raises(RuntimeError, match="is a symbolic link"):
        bpy.ops.facs.export_timeline(filepath=str(tmp_path / "link.json"))
    with pytest.raises(RuntimeError, match="is a character device"):
        bpy.ops.facs.export_timeline(filepath="/dev/null")
    assert _snapshot(tmp_path) == before
    assert bpy.ops.facs.export_timeline(filepath=str(tmp_path / "new.json")) == {"FINISHED"}
    assert json.loads((tmp_path / "new.json").read_text())["format"] == "facs-timeline"


def test_ctrl_c_stops_a_batch_and_keeps_finished_renders(tmp_path: Path) -> None:
    _write(tmp_path / "long.json", LONG)
    spec = _write(tmp_path / "spec.json", {"output_dir": "out", "name": "{index}", "timelines": ["long.json"],
                                           "settings": [{"name": str(i), "resolution": "16x16"}
                                                        for i in range(4)]})
    proc = subprocess.Popen([sys.executable, "-m", "facs_rig", "batch", str(spec), "-j", "1"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    assert proc.stderr is not None
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if line.startswith("[1/4"):
            time.sleep(1.0)  # the second job is rendering
            os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole group
            break
    start = time.monotonic()
    _out, err = proc.communicate(timeout=120)
    assert time.monotonic() - start < 30
    assert proc.returncode == 130, "".join(seen) + err
    assert "facs_rig batch: interrupted" in err and "Traceback" not in err
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == ["0.mp4", "manifest.csv"]  # no temporary file left
    assert (out / "0.mp4").stat().st_size > 0


@pytest.mark.usefixtures("smiling_head")
def test_render_buttons_refuse_links_and_keep_previous_files(tmp_path: Path) -> None:
    kept = _write(tmp_path / "kept.png", b"the user's image")
    (tmp_path / "link.png").symlink_to(kept)
    video = _write(tmp_path / "anim.mp4", b"the previous video")
    before = _snapshot(tmp_path)
    with pytest.raises(RuntimeError, match="is a symbolic link"):
        bpy.ops.facs.render_still(filepath=str(tmp_path / "link.png"))
    with pytest.raises(RuntimeError, match="is a symbolic link"):
        bpy.ops.facs.render_atlas(filepath=str(tmp_path / "link.png"), levels="C", tile=32)
    bpy.context.scene.render.resolution_x = 33  # H.264 cannot: fails once the temporary files exist
    with pytest.raises(RuntimeError, match="even width and height"):
        bpy.ops.facs.render_animation(filepath=str(video))
    assert _snapshot(tmp_path) == before
