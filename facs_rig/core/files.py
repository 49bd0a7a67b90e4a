# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading and writing the user's files so that nothing they own is lost.

Every command and operator goes through these few rules instead of checking paths its own way:

- an input must be a regular file of bounded size (a FIFO would block forever, ``/dev/zero`` or a
  30 GB file would exhaust memory), checked before the first byte is read;
- no output may be an input or another output of the same command (after resolving links), and an
  existing output must be a regular file (or a folder, where a folder is what is written), so a
  symlink or a device node is never replaced by a regular file;
- an output is written under a temporary name in its own folder and moved into place only on
  success, so a failure, a kill or Ctrl-C leaves the previous file as it was;
- an output's missing folders are made, as ``mkdir -p`` would, but only when it is written, and
  taken away again when writing fails: before any work starts the nearest existing folder on the
  output's way must be one this process may write in, so a refused or failed command leaves no
  empty folder behind.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from .errors import FacsError

PathLike = str | os.PathLike[str]


class FileError(FacsError):
    """A path facs_rig refuses to read or write; the message starts with the path the user gave."""

    def __init__(self, path: PathLike, message: str) -> None:
        self.path = str(path)
        self.reason = message
        super().__init__(f"{path}: {message}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISLNK, "a symbolic link"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def check_input(path: PathLike, *, max_bytes: int, what: str = "input") -> int:
    """Refuse an input that is missing, not a regular file, or larger than ``max_bytes``, before
    anything opens it for reading; returns its size. ``stat`` follows links, so a link to a regular
    file is a fine input."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileError(path, f"{what} file not found") from None
    except OSError as exc:
        raise FileError(path, f"cannot read the {what}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise FileError(path, f"the {what} is {_kind(info.st_mode)}, not a regular file")
    if info.st_size > max_bytes:
        raise FileError(
            path, f"the {what} is {info.st_size:,} bytes, more than the {max_bytes:,}-byte limit"
        )
    return info.st_size


def read_bytes(path: PathLike, *, max_bytes: int, what: str = "input") -> bytes:
    """The whole file, after :func:`check_input`; the read is capped too, so a file that grows
    while it is read still cannot exhaust memory."""
    check_input(path, max_bytes=max_bytes, what=what)
    with open(path, "rb") as fh:
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileError(path, f"the {what} grew past the {max_bytes:,}-byte limit while being read")
    return data


def _identity(path: Path) -> tuple[str, tuple[int, int] | None]:
    """The resolved path, and (device, inode) when the file exists, so hard links and links to the
    same file compare equal."""
    real = os.path.realpath(path)
    try:
        info = os.stat(real)
    except OSError:
        return real, None
    return real, (info.st_dev, info.st_ino)


def check_outputs(
    outputs: Mapping[str, PathLike | None],
    inputs: Mapping[str, PathLike | None] | None = None,
    *,
    folders: frozenset[str] = frozenset(),
) -> None:
    """Refuse, before any work starts, outputs that would destroy something or that cannot be
    written (:func:`check_creatable`): every command's one check of what it will write.

    ``outputs`` and ``inputs`` map a role the user recognises (``"-o"``, ``"--labels"``,
    ``"--timeline"``) to a path; ``None`` entries are ignored. Roles named in ``folders`` write a
    folder, where an existing folder is fine."""
    seen: dict[object, str] = {}
    for role, value in (inputs or {}).items():
        if value is not None:
            real, inode = _identity(Path(value))
            seen[real] = role
            if inode is not None:
                seen[inode] = role
    for role, value in outputs.items():
        if value is None:
            continue
        path = Path(value)
        real, inode = _identity(path)
        for key in (real, inode):
            if key is not None and key in seen:
                raise FileError(value, f"{role} would overwrite the {seen[key]} file; choose another name")
        seen[real] = role
        if inode is not None:
            seen[inode] = role
        try:
            info = os.lstat(path)
        except OSError:
            pass
        else:
            if not stat.S_ISREG(info.st_mode) and not (stat.S_ISDIR(info.st_mode) and role in folders):
                raise FileError(
                    value, f"{role} exists and is {_kind(info.st_mode)}; facs_rig only replaces regular files"
                )
        check_creatable(value, folder=role in folders)


def check_creatable(path: PathLike, *, folder: bool = False) -> None:
    """Refuse an output that cannot be created: the nearest existing folder on its way (the
    output itself, for a ``folder`` output that exists) must be a folder this process may write
    in. Missing folders are not made here but by the write (:func:`replaced_on_success`), which
    takes them away again if it fails."""
    target = Path(path).absolute()
    existing = target if folder else target.parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise FileError(path, f"cannot write there: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise FileError(path, f"cannot write there: no permission to write in {existing}")


_unfinished: dict[Path, list[Path]] = {}
"""Temporary outputs not yet moved into place, with the folders made for them (deepest first)."""


def _temporary_sibling(target: Path, *, folder: bool) -> Path:
    """A new, unique name in the target's own folder (so the final move is a rename on one file
    system), keeping the suffix so writers that choose a format by suffix still do. Folders made
    for it are taken away again with it, unless the output was moved into them."""
    made = [folder for folder in (target.parent, *target.parent.parents) if not folder.exists()]
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if folder:
            path = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
        else:
            fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=target.parent)
            os.close(fd)
            path = Path(name)
    except BaseException:  # no temporary name (a name too long, a full disk): no folders left either
        _remove_folders(made)
        raise
    _unfinished[path] = made
    return path


def _remove_folders(made: list[Path]) -> None:
    """Remove the folders made for an output, deepest first, as far as they are still empty."""
    for folder in made:
        try:
            folder.rmdir()
        except OSError:  # not empty (something else lives there now), or never made
            if folder.exists():
                break


def _discard(tmp: Path) -> None:
    """Remove a temporary output that was not moved into place, and the folders made for it."""
    made = _unfinished.pop(tmp, [])
    if tmp.exists():
        _remove(tmp)
    _remove_folders(made)


def remove_unfinished() -> None:
    """Remove every temporary output still being written: for a process that must end at once
    (a signal during a render, see :mod:`.interrupt`) and cannot unwind its ``with`` blocks."""
    for path in list(_unfinished):
        _discard(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _install(tmp: Path, target: Path) -> None:
    """Move a finished temporary output (a file, or a folder that did not exist yet) into place,
    with the permissions a plain ``open`` or ``mkdir`` would give (``mkstemp``/``mkdtemp`` alone
    make them private)."""
    os.chmod(tmp, (0o777 if tmp.is_dir() else 0o666) & ~_umask())
    os.replace(tmp, target)


@contextlib.contextmanager
def replaced_on_success(*targets: PathLike) -> Iterator[list[Path]]:
    """Yield temporary paths beside ``targets``; when the block ends without an exception (or
    ``KeyboardInterrupt``) they are moved over the targets, otherwise removed, so the targets are
    either all new or all as before."""
    paths = [Path(t) for t in targets]
    temps: list[Path] = []
    try:
        for target in paths:
            temps.append(_temporary_sibling(target, folder=False))
        yield temps
        for tmp, target in zip(temps, paths, strict=True):
            _install(tmp, target)
    finally:
        for tmp in reversed(temps):
            _discard(tmp)


@contextlib.contextmanager
def merged_on_success(folder: PathLike) -> Iterator[Path]:
    """Yield a temporary folder beside ``folder``; when the block succeeds each file in it replaces
    its namesake in ``folder`` (made whole if it did not exist) and the folder's other files stay:
    the chunks of one PNG sequence, rendered by separate farm tasks, share a folder. Otherwise the
    temporary folder is removed and ``folder`` is as before."""
    target = Path(folder)
    tmp = _temporary_sibling(target, folder=True)
    try:
        yield tmp
        if target.is_dir():
            for item in sorted(tmp.iterdir()):
                os.replace(item, target / item.name)
        else:
            _install(tmp, target)
    finally:
        _discard(tmp)


def atomic_write_bytes(path: PathLike, data: bytes) -> None:
    """Write ``data`` under a temporary name beside ``path`` and move it into place."""
    with replaced_on_success(path) as (tmp,):
        tmp.write_bytes(data)


def atomic_write_text(path: PathLike, text: str) -> None:
    """Write ``text`` (UTF-8) under a temporary name beside ``path`` and move it into place."""
    atomic_write_bytes(path, text.encode("utf-8"))
