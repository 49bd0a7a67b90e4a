# SPDX-License-Identifier: GPL-3.0-or-later
"""The ground-truth label CSV: OpenFace's columns in OpenFace's order, and written labels read back
by facs_rig's own OpenFace reader as the values they were made from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from facs_rig.io import openface
from facs_rig.io.openface_labels import META_COLUMNS, OPENFACE_AUS, label_table, write_labels

CONTROLS = {
    "AU12_L": np.array([0.0, 0.4, 1.0]),
    "AU12_R": np.array([0.0, 0.2, 0.6]),
    "AU26": np.array([0.1, 0.5, 0.0]),
    "AU61": np.array([0.0, 0.3, 0.3]),
}


def test_columns_follow_openface_then_the_rig() -> None:
    header, rows = label_table([10, 11, 12], 10.0, CONTROLS, first_frame=1)
    aus = [f"AU{au:02d}_r" for au in OPENFACE_AUS]
    assert header == [*META_COLUMNS, *aus, "AU61_r", "AU12_L_r", "AU12_R_r"]
    assert rows[0][:5] == [10, 0, "0.9000", "1.00", 1]  # seconds from the scene's first frame
    row = dict(zip(header, rows[2], strict=True))
    assert row["AU12_r"] == "5.0000" and row["AU12_R_r"] == "3.0000"  # the stronger side, 0..5
    assert row["AU01_r"] == "0.0000"  # an AU the rig lacks reads as never active


def test_written_labels_read_back_through_the_openface_reader(tmp_path: Path) -> None:
    path = write_labels(tmp_path / "deep" / "labels.csv", [1, 2, 3], 10.0, CONTROLS)
    assert sorted(p.name for p in path.parent.iterdir()) == ["labels.csv"]  # no temporary left over
    capture = openface.read(path)
    assert capture.times == pytest.approx([0.0, 0.1, 0.2])
    values, column = capture.tracks[(26, "both")]
    assert column == "AU26_r" and values == pytest.approx(CONTROLS["AU26"])
    strongest, _ = capture.tracks[(12, "both")]
    assert strongest == pytest.approx(np.maximum(CONTROLS["AU12_L"], CONTROLS["AU12_R"]))
