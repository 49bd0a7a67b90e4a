# SPDX-License-Identifier: GPL-3.0-or-later
"""Ctrl-C and SIGTERM as one clean stop, and the file mechanisms it relies on: unfinished outputs
are removed (with the folders made for them), frame folders keep their other files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from facs_rig.core.files import merged_on_success, replaced_on_success
from facs_rig.core.interrupt import Interrupted, native, stop_on_signals

ROOT = Path(__file__).resolve().parents[2]


def test_a_signal_raises_interrupted_with_the_shell_status() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted) as caught, stop_on_signals("stopped"):
        os.kill(os.getpid(), signal.SIGTERM)
        signal.pthread_sigmask(signal.SIG_BLOCK, [])  # a bytecode boundary for the handler to run
    assert caught.value.status == 143 and isinstance(caught.value, KeyboardInterrupt)
    assert signal.getsignal(signal.SIGTERM) is before  # the previous handler is back afterwards


def test_inside_native_code_a_signal_waits_for_the_call_to_return() -> None:
    reached = []
    with pytest.raises(Interrupted) as caught, stop_on_signals("stopped"), native():
        os.kill(os.getpid(), signal.SIGINT)
        reached.append("after the signal")  # a Blender callback would have swallowed a raise here
    assert reached == ["after the signal"] and caught.value.status == 130


def test_stop_point_removes_unfinished_outputs_and_exits(tmp_path: Path) -> None:
    """What a render's per-frame callback does: the process ends at once, previous files kept."""
    target = tmp_path / "new" / "take.mp4"
    frames = tmp_path / "frames"
    frames.mkdir()
    (frames / "frame_0001.png").write_bytes(b"previous")
    script = textwrap.dedent(f"""
        import os, signal
        from pathlib import Path
        from facs_rig.core.files import merged_on_success, replaced_on_success
        from facs_rig.core.interrupt import native, stop_on_signals, stop_point
        with stop_on_signals("facs_rig test: interrupted"):
            with (replaced_on_success(Path({str(target)!r})) as (tmp,),
                  merged_on_success(Path({str(frames)!r})) as d):
                tmp.write_bytes(b"half")
                (d / "frame_0001.png").write_bytes(b"half")
                with native():
                    os.kill(os.getpid(), signal.SIGINT)
                    stop_point()
                    print("not reached")
    """)
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         check=False)
    assert run.returncode == 130, run.stderr
    assert run.stderr == "facs_rig test: interrupted\n" and "not reached" not in run.stdout
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert left == ["frames", "frames/frame_0001.png"]  # no temporary file, no folder made for one
    assert (frames / "frame_0001.png").read_bytes() == b"previous"


def test_merged_folders_keep_other_files(tmp_path: Path) -> None:
    frames = tmp_path / "frames"
    with merged_on_success(frames) as tmp:  # a new folder appears whole
        (tmp / "frame_0001.png").write_bytes(b"one")
    (frames / "notes.txt").write_bytes(b"kept")
    with pytest.raises(ValueError), merged_on_success(frames) as tmp:
        (tmp / "frame_0001.png").write_bytes(b"half")
        raise ValueError
    with merged_on_success(frames) as tmp:
        (tmp / "frame_0001.png").write_bytes(b"new")
        (tmp / "frame_0002.png").write_bytes(b"two")
    assert {p.name: p.read_bytes() for p in frames.iterdir()} == {
        "frame_0001.png": b"new", "frame_0002.png": b"two", "notes.txt": b"kept"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames"]


def test_folders_made_for_a_failed_output_are_removed(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), replaced_on_success(tmp_path / "a" / "b" / "out.csv") as (tmp,):
        tmp.write_bytes(b"half")
        raise RuntimeError
    assert not list(tmp_path.iterdir())
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "mine.txt").write_bytes(b"the user's")
    with replaced_on_success(tmp_path / "a" / "b" / "out.csv", tmp_path / "a" / "b" / "c.csv") as temps:
        for tmp in temps:
            tmp.write_bytes(b"done")
    assert sorted(p.name for p in (tmp_path / "a" / "b").iterdir()) == ["c.csv", "out.csv"]
