# SPDX-License-Identifier: GPL-3.0-or-later
"""Native libraries' chatter kept out of a command's output: Blender and MediaPipe (with its
TensorFlow Lite) write their progress and log lines straight to file descriptors 1 and 2, from C,
past ``sys.stdout`` and ``sys.stderr``, so only moving the descriptors silences them."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, redirect_stdout
from typing import Literal, TextIO

_ours: list[TextIO] = []  # the quiet block's stream on the real stderr (one at most: nested ones add none)


def messages() -> TextIO:
    """Where facs_rig's own lines go (notes, progress): the real stderr, also inside a quiet block
    that drops file descriptor 2."""
    return _ours[-1] if _ours else sys.stderr


@contextmanager
def quiet_output(
    enabled: bool = True, *, into: Literal["devnull", "stderr"] = "devnull"
) -> Iterator[TextIO]:
    """For the block, ``devnull`` drops everything written to file descriptors 1 and 2 (renders
    show our progress line instead), ``stderr`` moves stdout's share there (``info --json`` keeps
    stdout for its answer). Yields a stream on the real stderr for our own messages; both
    descriptors are back as they were when the block ends, however it ends. Inside another quiet
    block it changes nothing and yields that block's stream (what it moved stays moved)."""
    if not enabled or _ours:
        yield messages()
        return
    sys.stdout.flush()
    sys.stderr.flush()
    moved = (1, 2) if into == "devnull" else (1,)
    saved = {fd: os.dup(fd) for fd in moved}
    sink = os.open(os.devnull, os.O_WRONLY) if into == "devnull" else os.dup(2)
    stream = os.fdopen(os.dup(2), "w", buffering=1)
    _ours.append(stream)
    try:
        for fd in moved:
            os.dup2(sink, fd)
        with redirect_stdout(sys.stderr) if into == "stderr" else nullcontext():
            yield stream
    finally:
        _ours.pop()
        sys.stdout.flush()
        sys.stderr.flush()
        for fd, copy in saved.items():
            os.dup2(copy, fd)
            os.close(copy)
        os.close(sink)
        stream.close()
