# SPDX-License-Identifier: GPL-3.0-or-later
"""The file-safety rules every command shares: bounded regular inputs, outputs that never destroy
an input or a special file, outputs that appear only when complete, and missing output folders
made only by a write that succeeds."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from facs_rig.core.errors import FacsError
from facs_rig.core.files import (
    FileError,
    atomic_write_text,
    check_creatable,
    check_input,
    check_outputs,
    read_bytes,
    replaced_on_success,
)


def test_check_input_accepts_a_regular_file_and_returns_its_size(tmp_path: Path) -> None:
    path = tmp_path / "take.csv"
    path.write_bytes(b"x" * 10)
    assert check_input(path, max_bytes=10) == 10
    link = tmp_path / "link.csv"
    link.symlink_to(path)
    assert check_input(link, max_bytes=10) == 10


def test_check_input_refuses_missing_large_and_special_files(tmp_path: Path) -> None:
    with pytest.raises(FileError, match=r"missing\.csv: input file not found"):
        check_input(tmp_path / "missing.csv", max_bytes=100)
    big = tmp_path / "big.csv"
    big.write_bytes(b"x" * 101)
    with pytest.raises(FileError, match=r"101 bytes, more than the 100-byte limit"):
        check_input(big, max_bytes=100)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(FileError, match="FIFO"):
        check_input(fifo, max_bytes=100)
    with pytest.raises(FileError, match="character device"):
        read_bytes("/dev/zero", max_bytes=100)
    with pytest.raises(FileError, match="a folder"):
        check_input(tmp_path, max_bytes=100)
    assert issubclass(FileError, FacsError)


def test_outputs_may_not_overwrite_inputs_or_each_other(tmp_path: Path) -> None:
    timeline = tmp_path / "t.json"
    timeline.write_text("{}")
    with pytest.raises(FileError, match="--labels would overwrite the --timeline file"):
        check_outputs({"-o": tmp_path / "a.mp4", "--labels": tmp_path / "sub" / ".." / "t.json"},
                      {"--timeline": timeline})
    with pytest.raises(FileError, match="--labels would overwrite the -o file"):
        check_outputs({"-o": tmp_path / "x.png", "--labels": tmp_path / "x.png"})
    hard = tmp_path / "hard.json"
    os.link(timeline, hard)
    with pytest.raises(FileError, match="would overwrite the --timeline file"):
        check_outputs({"-o": hard}, {"--timeline": timeline})
    link = tmp_path / "link.json"
    link.symlink_to(timeline)
    with pytest.raises(FileError):
        check_outputs({"-o": link}, {"--timeline": timeline})
    check_outputs({"-o": tmp_path / "new.json", "--labels": None}, {"--timeline": timeline})


def test_existing_special_outputs_are_refused(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("keep")
    link = tmp_path / "out.json"
    link.symlink_to(target)
    with pytest.raises(FileError, match="symbolic link"):
        check_outputs({"-o": link})
    with pytest.raises(FileError, match="character device"):
        check_outputs({"-o": "/dev/null"})
    folder = tmp_path / "frames"
    folder.mkdir()
    with pytest.raises(FileError, match="a folder"):
        check_outputs({"-o": folder})
    check_outputs({"-o": folder}, folders=frozenset({"-o"}))
    assert target.read_text() == "keep"


def test_replaced_on_success_keeps_the_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "render.png"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), replaced_on_success(target) as (tmp,):
        tmp.write_bytes(b"half")
        raise RuntimeError("killed")
    assert target.read_bytes() == b"old"
    with pytest.raises(KeyboardInterrupt), replaced_on_success(target) as (tmp,):
        assert tmp.suffix == ".png" and tmp.parent == tmp_path
        raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["render.png"]
    with replaced_on_success(target) as (tmp,):
        tmp.write_bytes(b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~_umask()


def test_atomic_write_text_writes_utf8(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    atomic_write_text(path, "é")
    assert path.read_bytes() == "é".encode()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_missing_folders_are_made_by_a_write_and_removed_when_it_fails(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "take.json"
    check_creatable(target)  # the check makes nothing
    check_outputs({"-o": target, "frames": tmp_path / "c" / "frames"}, folders=frozenset({"frames"}))
    assert not list(tmp_path.iterdir())
    with pytest.raises(RuntimeError), replaced_on_success(target) as (tmp,):
        assert tmp.parent.is_dir()
        raise RuntimeError("killed")
    assert not list(tmp_path.iterdir())
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "mine.txt").write_text("the user's")
    with pytest.raises(KeyboardInterrupt), replaced_on_success(target):
        raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a", "mine.txt"]  # only what was made goes
    atomic_write_text(target, "{}")
    assert target.read_text() == "{}"
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for path, folder in ((blocker / "x.json", False), (blocker / "d" / "x.json", False), (blocker, True)):
        with pytest.raises(FileError, match=f"cannot write there: {blocker} is a file, not a folder"):
            check_creatable(path, folder=folder)
