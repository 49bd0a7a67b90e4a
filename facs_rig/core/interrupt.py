# SPDX-License-Identifier: GPL-3.0-or-later
"""Ctrl-C and SIGTERM as one clean stop: unfinished outputs removed, previous files kept, exit
status 128 + the signal number (130 for Ctrl-C, 143 for SIGTERM).

In plain Python code a signal simply raises :class:`Interrupted`, and every ``with
replaced_on_success(...)`` block removes its temporary files on the way out. A render is different:
Blender runs it in C and calls back into Python only from its handlers, where it prints and drops
any exception, so a ``KeyboardInterrupt`` there would be lost and the render would go on to the last
frame. Inside :func:`native` a signal is therefore only recorded, and the next :func:`stop_point`
(the render's per-frame callback) removes the unfinished outputs and ends the process at once:
there is no way to unwind through Blender's C render loop.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from types import FrameType

from .files import remove_unfinished

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C or SIGTERM arrived; ``status`` is the exit status a shell expects (128 + signal)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.status = 128 + signum


class _State:
    installed = False
    message = ""
    requested: int | None = None
    native_depth = 0
    stderr: int | None = None
    """A copy of file descriptor 2 taken before Blender's output is silenced, for the last words."""


def _handle(signum: int, _frame: FrameType | None) -> None:
    _State.requested = signum
    if _State.native_depth == 0:
        raise Interrupted(signum)


@contextlib.contextmanager
def stop_on_signals(message: str) -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` for the block (a signal the parent process
    ignores, like SIGINT for a ``command &`` in a script, stays ignored). ``message`` (if any) is
    printed when a render has to end the process itself. Outside the main thread, where Python
    cannot handle signals, the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    current = {sig: signal.getsignal(sig) for sig in SIGNALS}
    # None: a handler installed outside Python, which could not be put back.
    previous = {sig: handler for sig, handler in current.items() if handler not in (signal.SIG_IGN, None)}
    for sig in previous:
        signal.signal(sig, _handle)
    _State.installed, _State.message, _State.requested = True, message, None
    _State.stderr = os.dup(2)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        os.close(_State.stderr)
        _State.installed, _State.stderr = False, None


@contextlib.contextmanager
def native() -> Iterator[None]:
    """Mark a call into Blender whose Python callbacks cannot raise (a render): a signal during it
    is recorded for :func:`stop_point` instead of raised, and raised when the call returns."""
    _State.native_depth += 1
    try:
        yield
    finally:
        _State.native_depth -= 1
    if _State.requested is not None and _State.native_depth == 0:
        raise Interrupted(_State.requested)


def stop_point(cleanup: Callable[[], None] | None = None) -> None:
    """From a callback inside :func:`native`: if a stop was asked for, remove every unfinished
    output (and run ``cleanup``), say so, and end the process with 128 + the signal number."""
    signum = _State.requested
    if signum is None or not _State.installed:
        return
    remove_unfinished()
    if cleanup is not None:
        cleanup()
    if _State.stderr is not None and _State.message:
        os.write(_State.stderr, f"{_State.message}\n".encode())
    sys.stdout.flush()
    os._exit(128 + signum)
