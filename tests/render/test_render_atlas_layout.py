# SPDX-License-Identifier: GPL-3.0-or-later
"""The AU atlas as data: where tiles and labels go on the sheet, and which plates a rig gets at
which intensities (blender/test_render_atlas.py renders them)."""

from __future__ import annotations

import numpy as np
import pytest

from facs_rig.render.atlas import atlas_layout, plate_rows, rig_aus
from facs_rig.render.job import JobError


@pytest.mark.parametrize("rows", [[4], [3, 3, 3], [4] * 37, [2, 5, 1]])
def test_layout_places_every_tile_inside_without_overlap(rows: list[int]) -> None:
    layout = atlas_layout(rows, (50, 40))
    boxes = [*layout.tiles, *layout.labels, layout.title]
    assert len(layout.tiles) == len(layout.labels) == sum(rows)
    canvas = np.zeros((layout.height, layout.width), dtype=int)
    for box in boxes:
        assert box.x >= 0 and box.y >= 0 and box.x + box.w <= layout.width and box.y + box.h <= layout.height
        canvas[box.y:box.y + box.h, box.x:box.x + box.w] += 1
    assert canvas.max() == 1
    assert all(label.y == tile.y + tile.h and label.w == tile.w
               for tile, label in zip(layout.tiles, layout.labels, strict=True))
    if len(rows) > 4:  # long lists wrap into several columns of rows, keeping the sheet near square
        assert 0.5 < layout.width / layout.height < 2


def test_plates_follow_the_rig_and_the_scale() -> None:
    controls = ["AU01_L", "AU01_R", "AU26", "AU51", "AU12_L", "AU12_R"]
    assert rig_aus(controls) == [1, 12, 26]  # head turns (51) are not face plates by default
    rows = plate_rows(controls, levels=("A", "E"), scale="linear")
    assert [row[0].text for row in rows] == ["Neutral"] * 3
    assert rows[1][1].text == "AU12 Lip Corner Puller — A"
    assert dict(rows[1][2].values) == {"AU12_L": 1.0, "AU12_R": 1.0}
    assert dict(rows[0][1].values) == {"AU01_L": pytest.approx(0.2), "AU01_R": pytest.approx(0.2)}
    with pytest.raises(JobError, match=r"no control for AU 9 \(it has: 1, 12, 26, 51\)"):
        plate_rows(controls, aus=[9])
    with pytest.raises(JobError, match="intensity letters"):
        plate_rows(controls, levels=("F",))
