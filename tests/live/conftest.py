# SPDX-License-Identifier: GPL-3.0-or-later
from __future__ import annotations

from collections.abc import Iterator

import pytest

from facs_rig.live import Session
from tests.live.support import LOOPBACK


@pytest.fixture
def sessions() -> Iterator[list[Session]]:
    """Sessions a test starts are stopped after it, whatever happened."""
    started: list[Session] = []
    yield started
    for session in started:
        session.stop()


@pytest.fixture
def start(sessions: list[Session]):  # type: ignore[no-untyped-def]
    def make(kind: str, port: int = 0, **options):  # type: ignore[no-untyped-def]
        session = Session(f"{kind}://{LOOPBACK}:{port}", **options)
        session.start()
        sessions.append(session)
        return session
    return make
