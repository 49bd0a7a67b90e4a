# SPDX-License-Identifier: GPL-3.0-or-later
"""The reader's closed loop: the default head is rendered with known AUs by ``facs_rig render``
(real Blender) and read back with the real model. One small video per session holds every case;
other inputs (hidden frames, variable frame rate, rotation, image folders) are cut from its frames
with PyAV."""

from __future__ import annotations

from pathlib import Path

import pytest

from facs_rig.io.importer import ImportResult, build
from facs_rig.reader import MODEL, Frame, open_media, read_media
from tests.reader.support import READBACK, render


@pytest.fixture(scope="session")
def model() -> Path:
    assert MODEL.is_file(), f"{MODEL} is missing: run `make assets`"
    return MODEL


@pytest.fixture(scope="session")
def readback_video(tmp_path_factory: pytest.TempPathFactory, model: Path) -> Path:
    return render(READBACK, tmp_path_factory.mktemp("reader") / "readback.mp4")


@pytest.fixture(scope="session")
def readback(readback_video: Path) -> ImportResult:
    return build(read_media(readback_video))


@pytest.fixture(scope="session")
def readback_frames(readback_video: Path) -> list[Frame]:
    return list(open_media(readback_video).frames())
